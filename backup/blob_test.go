package backup

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/descope-run/descope-run/internal/s3test"
)

const testBucket = "team-backups"

// storeURLs returns, for each kind of shared store a test runs against, a
// store URL: an S3 bucket served in-process (through the AWS SDK) and a
// file:// directory.
func storeURLs(t testing.TB) map[string]string {
	t.Helper()
	for k, v := range s3test.Env {
		t.Setenv(k, v)
	}
	srv := s3test.NewServer(testBucket)
	t.Cleanup(srv.Close)
	return map[string]string{
		"s3":   srv.StoreURL(testBucket, "descope/prod"),
		"file": (&url.URL{Scheme: "file", Path: filepath.ToSlash(t.TempDir())}).String(),
	}
}

// openBlob opens the store at u, closed when the test ends.
func openBlob(t testing.TB, u string, opts ...Option) *BlobStore {
	t.Helper()
	s, err := OpenBlobStore(context.Background(), u, append([]Option{WithClock(func() time.Time { return testTime })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestBlobStoreShared writes backups on one machine and lists, loads and
// prunes them from another, keeping targets apart, on every kind of store.
func TestBlobStoreShared(t *testing.T) {
	for kind, u := range storeURLs(t) {
		t.Run(kind, func(t *testing.T) {
			laptop := openBlob(t, u, WithTarget(LocalTarget))
			ci := openBlob(t, u, WithTarget(LocalTarget))
			real := openBlob(t, u)

			var written []Entry
			for i := range 3 {
				written = append(written, writeAt(t, laptop, testProject, testTime.Add(-time.Duration(40+i)*24*time.Hour)))
			}
			newest := writeAt(t, laptop, testProject, testTime)
			other := writeAt(t, real, testProject, testTime)
			if !strings.Contains(newest.Path, "/backups/local/"+testProject+"/") || !strings.Contains(other.Path, "/backups/"+testProject+"/") {
				t.Errorf("paths %s and %s: want backups/local/%s/ and backups/%s/", newest.Path, other.Path, testProject, testProject)
			}

			got, err := ci.List(testProject)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{newest.ID, written[0].ID, written[1].ID, written[2].ID}
			if g := ids(got); strings.Join(g, ",") != strings.Join(want, ",") {
				t.Fatalf("List from the other machine = %v, want %v", g, want)
			}
			for _, e := range got {
				if e.Status != StatusGood || e.Target != LocalTarget || e.Size == 0 {
					t.Errorf("entry %s: status %v, target %q, size %d; want good, local, a size", e.ID, e.Status, e.Target, e.Size)
				}
			}

			b, e, err := ci.Load(testProject, newest.ID[:4])
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != newest.ID || e.Checksum != newest.Checksum || len(b.Tenants) != 3 {
				t.Errorf("Load = %s (%s), %d tenants; want %s (%s), 3", e.ID, e.Checksum, len(b.Tenants), newest.ID, newest.Checksum)
			}
			// A backup of another target is found by its id, as in a directory.
			if b, _, err := ci.Load(testProject, other.ID); err != nil || b.Metadata.Target != "" {
				t.Errorf("Load of the real project's backup = %v, target %q; want it, with no target", err, b.Metadata.Target)
			}

			removed, err := ci.Prune(testProject, RetentionPolicy{MaxAge: 30 * 24 * time.Hour, KeepLast: 2})
			if err != nil {
				t.Fatal(err)
			}
			if g := ids(removed); strings.Join(g, ",") != written[1].ID+","+written[2].ID {
				t.Errorf("Prune removed %v, want %s and %s", g, written[1].ID, written[2].ID)
			}
			if left, _ := laptop.List(testProject); len(left) != 2 {
				t.Errorf("after prune, %d backups left; want 2", len(left))
			}
			if left, _ := real.List(testProject); len(left) != 1 {
				t.Errorf("prune of the local target's backups left %d of the real project's; want 1", len(left))
			}
		})
	}
}

// TestBlobStoreDamaged checks that a changed object is listed as damaged
// and never loaded.
func TestBlobStoreDamaged(t *testing.T) {
	for kind, u := range storeURLs(t) {
		t.Run(kind, func(t *testing.T) {
			s := openBlob(t, u)
			good := writeAt(t, s, testProject, testTime.Add(-time.Hour))
			bad := writeAt(t, s, testProject, testTime)
			key := backupsFolder + "/" + bad.name
			data, err := s.ReadObject(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WriteObject(context.Background(), key, []byte(strings.Replace(string(data), "Acme Corp", "Acme Corq", 1))); err != nil {
				t.Fatal(err)
			}
			got, err := s.List(testProject)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Status != StatusDamaged || !errors.Is(got[0].Err, ErrChecksum) || got[1].Status != StatusGood {
				t.Fatalf("List = %+v; want the changed backup damaged, the other good", got)
			}
			if _, _, err := s.Load(testProject, bad.ID); !errors.Is(err, ErrChecksum) {
				t.Errorf("Load of the damaged backup = %v, want ErrChecksum", err)
			}
			if _, _, err := s.Load(testProject, good.ID); err != nil {
				t.Errorf("Load of the good backup: %v", err)
			}
		})
	}
}

// TestCreateObjectExclusive races writers creating one key: exactly one
// wins, the others get fs.ErrExist, and the object is the winner's.
func TestCreateObjectExclusive(t *testing.T) {
	for kind, u := range storeURLs(t) {
		t.Run(kind, func(t *testing.T) {
			const writers = 8
			var wg sync.WaitGroup
			errs := make([]error, writers)
			for i := range writers {
				s := openBlob(t, u) // one client per machine
				wg.Go(func() {
					errs[i] = s.CreateObject(context.Background(), "locks/P.lock", []byte{byte('a' + i)})
				})
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Fatalf("writers %d and %d both created the object", winner, i)
				case err == nil:
					winner = i
				case !errors.Is(err, fs.ErrExist):
					t.Fatalf("writer %d: %v, want fs.ErrExist", i, err)
				}
			}
			if winner < 0 {
				t.Fatal("no writer created the object")
			}
			data, err := openBlob(t, u).ReadObject(context.Background(), "locks/P.lock")
			if err != nil || string(data) != string(rune('a'+winner)) {
				t.Errorf("object = %q, %v; want the winner's %q", data, err, string(rune('a'+winner)))
			}
			if _, err := openBlob(t, u).ReadObject(context.Background(), "locks/none"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadObject of a missing key = %v, want fs.ErrNotExist", err)
			}
		})
	}
}

// TestOpenBlobStoreRefuses checks the URLs refused, and that no message
// repeats a URL's user info or query.
func TestOpenBlobStoreRefuses(t *testing.T) {
	for k, v := range s3test.Env {
		t.Setenv(k, v)
	}
	for _, tt := range []struct {
		url, want string
		opts      []Option
	}{
		{url: "ftp://host/dir", want: `scheme "ftp" is not one descope-run opens`},
		{url: "s3://key:hunter2@bucket/p", want: "the URL holds user info"},
		{url: "s3://bucket/p?endpoint=https://key:hunter2@minio:9000", want: "the URL holds user info"},
		{url: "s3:///p?region=x", want: "no bucket"},
		{url: "s3://bucket?prefix=a/&token=hunter2", want: "give the prefix as the URL's path"},
		{url: "file://server/share", want: "write file:///absolute/dir"},
		{url: "file:///tmp/x", want: "git history is kept only for a backup directory", opts: []Option{WithGit(true)}},
		{url: "s3://bucket/p?bogus=hunter2&region=x", want: `unknown query parameter "bogus"`},
		{url: "s3://bucket/p\x7f?hunter2", want: "backup store URL: "},
	} {
		_, err := OpenBlobStore(context.Background(), tt.url, tt.opts...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("OpenBlobStore(%q) = %v, want an error saying %q", tt.url, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("OpenBlobStore(%q): %v shows what the URL holds", tt.url, err)
		}
	}
}

func TestFileStoreLayout(t *testing.T) {
	dir := t.TempDir()
	s := openBlob(t, "file://"+filepath.ToSlash(dir), WithTarget("http://127.0.0.1:4646"))
	e := writeAt(t, s, testProject, testTime)
	want := filepath.Join(dir, "backups", "url", "127.0.0.1_4646", testProject, "20251126T184512.345Z_"+e.ID+".json")
	if e.Path != want {
		t.Errorf("Path = %s, want %s", e.Path, want)
	}
	if _, err := os.Stat(want); err != nil {
		t.Error(err)
	}
	if s.Location() != dir || s.Folder() != "url/127.0.0.1_4646" {
		t.Errorf("Location, Folder = %s, %s; want %s, url/127.0.0.1_4646", s.Location(), s.Folder(), dir)
	}
}
