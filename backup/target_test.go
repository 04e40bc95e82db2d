package backup

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

func TestTargetFolder(t *testing.T) {
	tests := []struct {
		target, want string
		wantErr      bool
	}{
		{target: "", want: ""},
		{target: LocalTarget, want: "local"},
		{target: "https://api.descope.com", want: ""},
		{target: "https://api.use1.descope.com/", want: ""},
		{target: "https://API.EUC1.Descope.com", want: ""},
		{target: "http://127.0.0.1:4646", want: "url/127.0.0.1_4646"},
		{target: "https://auth.example.com", want: "url/auth.example.com"},
		{target: "http://[::1]:80", want: "url/__1_80"},
		{target: "https://descope.com.evil.example", want: "url/descope.com.evil.example"},
		{target: "ftp://example.com", wantErr: true},
		{target: "example.com", wantErr: true},
		{target: "remote", wantErr: true},
	}
	for _, tt := range tests {
		got, err := targetFolder(tt.target)
		if (err != nil) != tt.wantErr || got != filepath.FromSlash(tt.want) {
			t.Errorf("targetFolder(%q) = %q, %v; want %q, error %v", tt.target, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := NewDirStore(t.TempDir(), WithTarget("remote")); err == nil {
		t.Error("NewDirStore with the target \"remote\" succeeded")
	}
}

// TestTargetsKeptApart writes backups of one project id from three targets
// into one root: each store lists, loads by "latest" and prunes its own
// only, and a backup records the target it came from.
func TestTargetsKeptApart(t *testing.T) {
	root := t.TempDir()
	targets := map[string]string{ // target -> folder of its project
		"https://api.descope.com": filepath.Join(root, testProject),
		LocalTarget:               filepath.Join(root, "local", testProject),
		"http://127.0.0.1:4646":   filepath.Join(root, "url", "127.0.0.1_4646", testProject),
	}
	stores := map[string]*DirStore{}
	written := map[string][]Entry{}
	for target := range targets {
		s, err := NewDirStore(root, WithTarget(target), WithClock(func() time.Time { return testTime }))
		if err != nil {
			t.Fatal(err)
		}
		stores[target] = s
		for age := range 2 {
			written[target] = append(written[target], writeAt(t, s, testProject, testTime.Add(-time.Duration(age)*time.Hour)))
		}
	}
	for target, dir := range targets {
		s := stores[target]
		for _, e := range written[target] {
			if filepath.Dir(e.Path) != dir || e.Target != target {
				t.Errorf("%s: backup written at %s with target %q, want in %s with target %q", target, e.Path, e.Target, dir, target)
			}
		}
		got, err := s.List(testProject)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(got), ids(written[target]); !slices.Equal(g, w) {
			t.Errorf("%s: List = %q, want its own %q", target, g, w)
		}
		b, _, err := s.Load(testProject, written[target][0].ID)
		if err != nil || b.Metadata.Target != target {
			t.Errorf("%s: Load of its own backup: target %q, %v", target, b.Metadata.Target, err)
		}
	}

	// By id, a store finds the backup of another target, which says where it
	// came from (a restore refuses it unless asked).
	local := written[LocalTarget][0]
	b, e, err := stores["https://api.descope.com"].Load(testProject, local.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Metadata.Target != LocalTarget || e.Path != local.Path {
		t.Errorf("Load of a local backup from the real store: target %q at %s, want %q at %s", b.Metadata.Target, e.Path, LocalTarget, local.Path)
	}

	// Retention counts each target's backups on its own.
	removed, err := stores[LocalTarget].Prune(testProject, RetentionPolicy{KeepLast: 1})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := ids(removed), ids(written[LocalTarget][1:]); !slices.Equal(g, w) {
		t.Errorf("Prune of the local store removed %q, want %q", g, w)
	}
	for _, target := range []string{"https://api.descope.com", "http://127.0.0.1:4646"} {
		if got, _ := stores[target].List(testProject); len(got) != 2 {
			t.Errorf("%s: %d backups after the local store's prune, want 2", target, len(got))
		}
	}
}

func TestWriteRefusesAnotherTarget(t *testing.T) {
	s := newTestStore(t, WithTarget(LocalTarget))
	meta := testMeta()
	meta.Target = "https://api.descope.com"
	if _, err := s.Write(context.Background(), New(meta, sampleState())); err == nil || !strings.Contains(err.Error(), "keeps the backups of local") {
		t.Errorf("Write of a real project's backup into the local store: err = %v", err)
	}
}

func TestReservedProjectIDs(t *testing.T) {
	s := newTestStore(t)
	for _, id := range []string{"local", "url"} {
		if _, err := s.List(id); err == nil {
			t.Errorf("List(%q) succeeded; the name is a target's folder", id)
		}
	}
}

// damage rewrites the file at path with edit applied to its content.
func damage(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(edit(string(data))), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestListChecksEveryBackup(t *testing.T) {
	s := newTestStore(t)
	sequentialIDs(s, "good0001", "flip0002", "trun0003", "newr0004")
	good := writeAt(t, s, testProject, testTime.Add(-4*time.Minute))
	flipped := writeAt(t, s, testProject, testTime.Add(-3*time.Minute))
	truncated := writeAt(t, s, testProject, testTime.Add(-2*time.Minute))
	newer := writeAt(t, s, testProject, testTime.Add(-time.Minute))
	damage(t, flipped.Path, func(s string) string { return strings.Replace(s, "Acme Corp", "Acme Corq", 1) })
	damage(t, truncated.Path, func(s string) string { return s[:len(s)/2] })
	damage(t, newer.Path, func(s string) string { return strings.Replace(s, `"format_version": 1`, `"format_version": 7`, 1) })

	got, err := s.List(testProject)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status Status
		err    error
	}{
		good.ID:      {StatusGood, nil},
		flipped.ID:   {StatusDamaged, ErrChecksum},
		truncated.ID: {StatusDamaged, ErrTruncated},
		newer.ID:     {StatusUnverified, ErrUnsupportedVersion},
	}
	for _, e := range got {
		w := want[e.ID]
		if e.Status != w.status || (w.err == nil) != (e.Err == nil) || (w.err != nil && !strings.Contains(e.Err.Error(), w.err.Error())) {
			t.Errorf("%s: status %v, err %v; want %v, %v", e.ID, e.Status, e.Err, w.status, w.err)
		}
		if e.Operation != OperationApply {
			t.Errorf("%s: metadata not read: %+v", e.ID, e.Metadata)
		}
	}
}

// TestPruneNeverDeletesTheLastGoodBackup is the case of a newest backup
// that is damaged: it does not count toward KeepLast, so the newest good
// one stays.
func TestPruneNeverDeletesTheLastGoodBackup(t *testing.T) {
	s := newTestStore(t)
	sequentialIDs(s, "good0001", "good0002", "dmgd0003", "newr0004")
	older := writeAt(t, s, testProject, testTime.Add(-3*time.Hour))
	good := writeAt(t, s, testProject, testTime.Add(-2*time.Hour))
	damaged := writeAt(t, s, testProject, testTime.Add(-time.Hour))
	newer := writeAt(t, s, testProject, testTime.Add(-30*time.Minute))
	damage(t, damaged.Path, func(s string) string { return strings.Replace(s, "Acme Corp", "Acme Corq", 1) })
	damage(t, newer.Path, func(s string) string { return strings.Replace(s, `"format_version": 1`, `"format_version": 7`, 1) })

	removed, err := s.Prune(testProject, RetentionPolicy{KeepLast: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(removed), []string{damaged.ID, older.ID}; !slices.Equal(got, want) {
		t.Errorf("removed %q, want %q", got, want)
	}
	left, err := s.List(testProject)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(left), []string{newer.ID, good.ID}; !slices.Equal(got, want) {
		t.Errorf("left %q, want the unverified one and the newest good one %q", got, want)
	}

	// A damaged backup younger than MaxAge stays, and counts for nothing.
	s = newTestStore(t)
	sequentialIDs(s, "good0001", "dmgd0002")
	good = writeAt(t, s, testProject, testTime.Add(-2*time.Hour))
	damaged = writeAt(t, s, testProject, testTime.Add(-time.Hour))
	damage(t, damaged.Path, func(s string) string { return s[:len(s)-10] })
	removed, err = s.Prune(testProject, RetentionPolicy{KeepLast: 1, MaxAge: 24 * time.Hour})
	if err != nil || len(removed) != 0 {
		t.Errorf("Prune with a young damaged backup removed %q, %v; want nothing", ids(removed), err)
	}
}

// TestPruneCountsEachTarget keeps the newest good backup of each target
// found in a folder: here, backups of the local project moved among the
// real project's.
func TestPruneCountsEachTarget(t *testing.T) {
	s := newTestStore(t, WithTarget("https://api.descope.com"))
	sequentialIDs(s, "real0001", "real0002")
	var real, local []Entry
	for i := range 2 {
		real = append(real, writeAt(t, s, testProject, testTime.Add(-time.Duration(10+i)*time.Hour)))
	}
	for i := range 2 {
		meta := testMeta()
		meta.ProjectID = testProject
		meta.CreatedAt = testTime.Add(-time.Duration(i) * time.Hour)
		b := New(meta, sampleState())
		b.Metadata.Target = LocalTarget
		var buf bytes.Buffer
		if err := Encode(&buf, b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(s.Root(), testProject, b.Metadata.CreatedAt.Format(nameTimeLayout)+"_locl000"+string(rune('3'+i))+nameExt)
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		local = append(local, Entry{ID: "locl000" + string(rune('3'+i))})
	}
	removed, err := s.Prune(testProject, RetentionPolicy{KeepLast: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(removed), []string{local[1].ID, real[1].ID}; !slices.Equal(got, want) {
		t.Errorf("removed %q, want the older of each target %q", got, want)
	}
}

func TestLoosePermissionsAreReportedOnce(t *testing.T) {
	root := t.TempDir()
	// t.TempDir's mode follows the umask: 0775 under a umask of 002.
	if err := os.Chmod(root, 0o700); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	s, err := NewDirStore(root, WithLogger(hclog.New(&hclog.LoggerOptions{Output: &logged, Level: hclog.Warn})))
	if err != nil {
		t.Fatal(err)
	}
	writeAt(t, s, testProject, testTime)
	if logged.Len() != 0 {
		t.Fatalf("a fresh store warned: %s", logged.String())
	}
	dir := filepath.Join(root, testProject)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := s.List(testProject); err != nil {
			t.Fatal(err)
		}
	}
	writeAt(t, s, testProject, testTime.Add(time.Second))
	if got := strings.Count(logged.String(), "[WARN]"); got != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", got, logged.String())
	}
	for _, want := range []string{dir, "mode 0777", "every user", "chmod go-w " + dir} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("warning %q lacks %q", logged.String(), want)
		}
	}
}
