package backup

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// isolateGit hides the user's and the system's git configuration, using
// globalConfig as the global one.
func isolateGit(t *testing.T, globalConfig string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	path := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(path, []byte(globalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", path)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
}

// gitOut runs git in dir and returns its trimmed output.
func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := runGit(context.Background(), "git", dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func TestGitHistory(t *testing.T) {
	isolateGit(t, "")
	t.Setenv("GIT_DIR", "/nonexistent") // as when run from a git hook: ignored
	s := newTestStore(t, WithGit(true))
	old := writeAt(t, s, testProject, testTime.Add(-40*24*time.Hour))
	meta := testMeta()
	meta.Operation = OperationRestore
	meta.Reason = "restore of " + old.ID
	e, err := s.Write(context.Background(), New(meta, sampleState()))
	if err != nil {
		t.Fatal(err)
	}

	root := s.Root()
	if got := gitOut(t, root, "config", "--local", "user.name"); got != "descope-run" {
		t.Errorf("local user.name = %q, want descope-run", got)
	}
	wantMsg := "restore: backup " + e.ID + " of project P2test by alice\n\n" +
		"Reason: restore of " + old.ID + "\n" +
		"Created: 2025-11-26T18:45:12Z\n" +
		"Objects: flow=2 permission=3 project=1 role=2 sso=1 tenant=3 tenant_attribute=2 theme=1\n" +
		"File: P2test/20251126T184512.345Z_" + e.ID + ".json"
	if got := gitOut(t, root, "log", "-1", "--format=%B"); got != wantMsg {
		t.Errorf("commit message:\n%s\nwant:\n%s", got, wantMsg)
	}
	if got := gitOut(t, root, "log", "--format=%s"); got != "restore: backup "+e.ID+" of project P2test by alice\napply: backup "+old.ID+" of project P2test by alice" {
		t.Errorf("history:\n%s", got)
	}

	removed, err := s.Prune(testProject, RetentionPolicy{MaxAge: 30 * 24 * time.Hour, KeepLast: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0].ID != old.ID {
		t.Fatalf("removed %+v, want %s", removed, old.ID)
	}
	if got := gitOut(t, root, "log", "-1", "--format=%s"); got != "prune: remove 1 backup of project P2test" {
		t.Errorf("prune commit subject = %q", got)
	}
	if got := gitOut(t, root, "log", "-1", "--format=%b"); !strings.Contains(got, old.ID+" 2025-10-17T18:45:12Z apply") {
		t.Errorf("prune commit body lacks the removed backup:\n%s", got)
	}
	if got, want := gitOut(t, root, "ls-files"), "P2test/20251126T184512.345Z_"+e.ID+".json"; got != want {
		t.Errorf("tracked files = %q, want %q", got, want)
	}
	if got := gitOut(t, root, "status", "--porcelain"); got != "" {
		t.Errorf("work tree not clean:\n%s", got)
	}
}

func TestGitKeepsConfiguredIdentity(t *testing.T) {
	isolateGit(t, "[user]\n\tname = Carol\n\temail = carol@example.com\n")
	s := newTestStore(t, WithGit(true))
	writeAt(t, s, testProject, testTime)
	if got := gitOut(t, s.Root(), "log", "-1", "--format=%an <%ae>"); got != "Carol <carol@example.com>" {
		t.Errorf("author = %q, want the configured one", got)
	}
	if _, err := runGit(context.Background(), "git", s.Root(), "config", "--local", "--get", "user.name"); err == nil {
		t.Error("a local user.name was set although one is configured")
	}
}

func TestGitPruneOfUncommittedFiles(t *testing.T) {
	isolateGit(t, "")
	s := newTestStore(t, WithGit(true))
	writeAt(t, s, testProject, testTime)
	// A backup file put there by hand, never committed.
	stray := filepath.Join(s.Root(), testProject, "20200101T000000.000Z_stray001.json")
	if err := os.WriteFile(stray, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	removed, err := s.Prune(testProject, RetentionPolicy{MaxAge: DefaultMaxAge, KeepLast: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0].Path != stray {
		t.Errorf("removed %+v, want %s", removed, stray)
	}
	if got := gitOut(t, s.Root(), "rev-list", "--count", "HEAD"); got != "1" {
		t.Errorf("%s commits, want 1 (nothing to commit for the stray file)", got)
	}
}

func TestGitNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	s := newTestStore(t, WithGit(true))
	meta := testMeta()
	meta.ProjectID = testProject
	_, err := s.Write(context.Background(), New(meta, sampleState()))
	if err == nil {
		t.Fatal("Write succeeded without git")
	}
	for _, want := range []string{"install git", "backup.git off"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if des, _ := os.ReadDir(filepath.Join(s.Root(), testProject)); len(des) != 0 {
		t.Errorf("files were left: %v", des)
	}
}
