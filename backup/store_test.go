package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// newTestStore returns a store in a fresh directory whose clock reads testTime.
func newTestStore(t *testing.T, opts ...Option) *DirStore {
	t.Helper()
	s, err := NewDirStore(t.TempDir(), append([]Option{WithClock(func() time.Time { return testTime })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeAt writes a backup of sampleState for project, created at the given time.
func writeAt(t *testing.T, s Store, project string, created time.Time) Entry {
	t.Helper()
	meta := testMeta()
	meta.ProjectID = project
	meta.CreatedAt = created
	e, err := s.Write(context.Background(), New(meta, sampleState()))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sequentialIDs makes s hand out the given ids in order.
func sequentialIDs(s *DirStore, ids ...string) {
	var mu sync.Mutex
	s.newID = func() string {
		mu.Lock()
		defer mu.Unlock()
		id := ids[0]
		ids = ids[1:]
		return id
	}
}

func TestWriteAndLoad(t *testing.T) {
	s := newTestStore(t)
	b := New(Metadata{Operation: OperationManual, User: "bob"}, sampleState())
	e, err := s.Write(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}

	wantPath := filepath.Join(s.Root(), testProject, "20251126T184512.345Z_"+e.ID+".json")
	if e.Path != wantPath {
		t.Errorf("Path = %s, want %s", e.Path, wantPath)
	}
	if len(e.ID) != 8 || strings.Trim(e.ID, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		t.Errorf("ID = %q, want 8 characters of a-z2-7", e.ID)
	}
	if !e.CreatedAt.Equal(testTime) || e.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v from the store clock", e.CreatedAt, testTime)
	}
	fi, err := os.Stat(e.Path)
	if err != nil {
		t.Fatal(err)
	}
	if e.Size != fi.Size() || e.Checksum == "" || e.Checksum != b.Metadata.Checksum {
		t.Errorf("Size, Checksum = %d, %q; want %d, %q", e.Size, e.Checksum, fi.Size(), b.Metadata.Checksum)
	}

	for _, id := range []string{e.ID, e.ID[:3], strings.ToUpper(e.ID[:5]), " " + e.ID + " "} {
		got, ge, err := s.Load(testProject, id)
		if err != nil {
			t.Fatalf("Load(%q): %v", id, err)
		}
		if ge.ID != e.ID || ge.Path != e.Path || ge.Size != e.Size || ge.User != "bob" || ge.Checksum != e.Checksum {
			t.Errorf("Load(%q) entry = %+v, want %+v", id, ge, e)
		}
		if g, w := canonical(t, got.State()), canonical(t, sampleState()); g != w {
			t.Errorf("Load(%q) state:\n%s\nwant:\n%s", id, g, w)
		}
	}
}

func TestPermissionsAndNoLeftovers(t *testing.T) {
	root := filepath.Join(t.TempDir(), "home", ".descope-mgmt", "backups")
	s, err := NewDirStore(root)
	if err != nil {
		t.Fatal(err)
	}
	e := writeAt(t, s, testProject, testTime)
	for path, want := range map[string]os.FileMode{
		root:                             0o700 | os.ModeDir,
		filepath.Join(root, testProject): 0o700 | os.ModeDir,
		e.Path:                           0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode(); got != want {
			t.Errorf("mode of %s = %v, want %v", path, got, want)
		}
	}
	names, err := os.ReadDir(filepath.Dir(e.Path))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 {
		t.Errorf("project folder holds %v, want only %s", names, filepath.Base(e.Path))
	}
}

func TestWriteRefusesBadProjectIDs(t *testing.T) {
	s := newTestStore(t)
	for _, id := range []string{"", ".", "..", ".git", "a/b", `a\b`, "../x", "/abs"} {
		meta := testMeta()
		meta.ProjectID = id
		_, err := s.Write(context.Background(), &Backup{Metadata: meta})
		if err == nil {
			t.Errorf("Write with project id %q succeeded", id)
		}
	}
	if des, _ := os.ReadDir(s.Root()); len(des) != 0 {
		t.Errorf("root holds %v after refused writes", des)
	}
}

func TestWriteHonoursCancel(t *testing.T) {
	s := newTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Write(ctx, New(testMeta(), sampleState())); !errors.Is(err, context.Canceled) {
		t.Errorf("Write after cancel: err = %v, want context.Canceled", err)
	}
}

func TestList(t *testing.T) {
	s := newTestStore(t)
	if got, err := s.List(testProject); err != nil || len(got) != 0 {
		t.Fatalf("List of a new store = %v, %v; want none", got, err)
	}
	old := writeAt(t, s, testProject, testTime.Add(-time.Hour))
	newest := writeAt(t, s, testProject, testTime)
	middle := writeAt(t, s, testProject, testTime.Add(-time.Minute))
	writeAt(t, s, "P2other", testTime)

	dir := filepath.Join(s.Root(), testProject)
	// A damaged file is listed with Err; other files are ignored.
	damaged := filepath.Join(dir, "20251126T184000.000Z_dmgdmgdm.json")
	for name, content := range map[string]string{
		damaged:                             `{"metadata": {"format_ver`,
		filepath.Join(dir, ".tmp-123.json"): "{",
		filepath.Join(dir, "notes.txt"):     "hello",
		filepath.Join(dir, "x.json"):        "{}",
	} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	got, err := s.List(testProject)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(got), []string{newest.ID, middle.ID, "dmgdmgdm", old.ID}; !slices.Equal(got, want) {
		t.Fatalf("List ids = %q, want %q (newest first)", got, want)
	}
	if e := got[0]; e.Operation != OperationApply || e.User != "alice" || e.Counts["tenant"] != 3 || e.Size == 0 || e.Err != nil {
		t.Errorf("List entry = %+v", e)
	}
	if e := got[2]; !errors.Is(e.Err, ErrTruncated) || e.Path != damaged || !strings.Contains(e.Err.Error(), damaged) {
		t.Errorf("damaged entry Err = %v, want ErrTruncated naming %s", e.Err, damaged)
	}
}

func TestLoadErrors(t *testing.T) {
	s := newTestStore(t)
	sequentialIDs(s, "abcd0001", "abcd0002", "wxyz0003", "other001")
	writeAt(t, s, testProject, testTime.Add(-time.Minute))
	writeAt(t, s, testProject, testTime)
	damaged := writeAt(t, s, testProject, testTime.Add(-time.Hour))
	foreign := writeAt(t, s, "P2other", testTime)

	// A byte changed on disk.
	data, err := os.ReadFile(damaged.Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged.Path, []byte(strings.Replace(string(data), "Acme Corp", "Acme Corq", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	// A backup of P2other copied into P2test's folder.
	moved := filepath.Join(s.Root(), testProject, "20251126T000000.000Z_moved001.json")
	foreignData, err := os.ReadFile(foreign.Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(moved, foreignData, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		id      string
		want    error
		wantMsg string
	}{
		{"abcd", ErrAmbiguousID, "abcd0002, abcd0001"},
		{"zzzz", ErrNotFound, "list the backups"},
		{"", ErrNotFound, "no id given"},
		{"other", ErrWrongProject, "project P2other, not P2test"},
		{"moved", ErrWrongProject, moved},
		{"wxyz", ErrChecksum, damaged.Path},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			_, _, err := s.Load(testProject, tt.id)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load(%q): err = %v, want %v", tt.id, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q lacks %q", err, tt.wantMsg)
			}
		})
	}

	_, _, err = s.Load(testProject, "abcd")
	amb, ok := errors.AsType[*AmbiguousIDError](err)
	if !ok {
		t.Fatalf("err = %T, want *AmbiguousIDError", err)
	}
	for _, c := range amb.Candidates {
		if c.Operation != OperationApply {
			t.Errorf("candidate %s lacks its metadata: %+v", c.ID, c)
		}
	}
	if got, want := ids(amb.Candidates), []string{"abcd0002", "abcd0001"}; !slices.Equal(got, want) {
		t.Errorf("candidates = %q, want %q", got, want)
	}
}

func TestUniqueIDSkipsTakenOnes(t *testing.T) {
	s := newTestStore(t)
	sequentialIDs(s, "same0001", "same0001", "same0001", "next0002")
	first := writeAt(t, s, testProject, testTime)
	second := writeAt(t, s, testProject, testTime)
	if first.ID != "same0001" || second.ID != "next0002" {
		t.Errorf("ids = %s, %s; want same0001, next0002", first.ID, second.ID)
	}
}

func TestConcurrentWrites(t *testing.T) {
	root := t.TempDir()
	const writers, each = 16, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	shared, err := NewDirStore(root)
	if err != nil {
		t.Fatal(err)
	}
	for w := range writers {
		// Half the writers share a store, the others have their own on the same root.
		s := shared
		if w%2 == 1 {
			if s, err = NewDirStore(root); err != nil {
				t.Fatal(err)
			}
		}
		wg.Go(func() {
			for i := range each {
				meta := testMeta()
				meta.Reason = fmt.Sprintf("writer %d, backup %d", w, i)
				if _, err := s.Write(context.Background(), New(meta, sampleState())); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err := NewDirStore(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.List(testProject)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != writers*each {
		t.Fatalf("%d backups listed, want %d", len(got), writers*each)
	}
	seen := map[string]bool{}
	reasons := map[string]bool{}
	for _, e := range got {
		if seen[e.ID] {
			t.Errorf("id %s used twice", e.ID)
		}
		seen[e.ID] = true
		reasons[e.Reason] = true
		if _, _, err := s.Load(testProject, e.ID); err != nil {
			t.Error(err)
		}
	}
	if len(reasons) != writers*each {
		t.Errorf("%d distinct backups, want %d", len(reasons), writers*each)
	}
}

func TestPrune(t *testing.T) {
	day := 24 * time.Hour
	// Ages of the backups, newest first.
	ages := []time.Duration{0, 2 * day, 10 * day, 29 * day, 30 * day, 31 * day, 45 * day, 90 * day}
	tests := []struct {
		name   string
		policy RetentionPolicy
		keep   int // the newest keep backups remain
	}{
		{"default keeps 30 days", DefaultRetention, 5},
		{"keep-last beyond max-age", RetentionPolicy{MaxAge: 5 * day, KeepLast: 4}, 4},
		{"max-age beyond keep-last", RetentionPolicy{MaxAge: 40 * day, KeepLast: 2}, 6},
		{"zero age keeps the last only", RetentionPolicy{KeepLast: 1}, 1},
		{"keep-last covers all", RetentionPolicy{MaxAge: day, KeepLast: 20}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			var all []string
			for _, age := range ages {
				all = append(all, writeAt(t, s, testProject, testTime.Add(-age)).ID)
			}
			other := writeAt(t, s, "P2other", testTime.Add(-100*day))

			removed, err := s.Prune(testProject, tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ids(removed), all[tt.keep:]; !slices.Equal(got, want) {
				t.Errorf("removed %q, want %q", got, want)
			}
			left, err := s.List(testProject)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ids(left), all[:tt.keep]; !slices.Equal(got, want) {
				t.Errorf("left %q, want %q", got, want)
			}
			if _, err := os.Stat(other.Path); err != nil {
				t.Errorf("another project's backup was touched: %v", err)
			}
		})
	}
}

func TestPruneRefusesPoliciesThatKeepNothing(t *testing.T) {
	s := newTestStore(t)
	e := writeAt(t, s, testProject, testTime.Add(-1000*time.Hour))
	for _, p := range []RetentionPolicy{{}, {MaxAge: time.Hour}, {MaxAge: -time.Hour, KeepLast: 1}} {
		if _, err := s.Prune(testProject, p); err == nil {
			t.Errorf("Prune(%+v) succeeded", p)
		}
	}
	if _, err := os.Stat(e.Path); err != nil {
		t.Error(err)
	}
}

func TestNewDirStoreNeedsRoot(t *testing.T) {
	if _, err := NewDirStore(""); err == nil {
		t.Error("NewDirStore(\"\") succeeded")
	}
}

func TestDefaultRoot(t *testing.T) {
	t.Setenv("HOME", "/home/someone")
	got, err := DefaultRoot()
	if err != nil {
		t.Fatal(err)
	}
	if want := "/home/someone/.descope-mgmt/backups"; got != want {
		t.Errorf("DefaultRoot() = %s, want %s", got, want)
	}
}
