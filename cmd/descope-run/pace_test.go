package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/runtime"
)

// tenantsWorkspace writes a workspace whose config declares n tenants and
// returns its entry script.
func tenantsWorkspace(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "main.star")
	src := fmt.Sprintf("for i in range(%d):\n    tenant(id = \"t-%%d\" %% (1000 + i), name = \"Tenant %%d\" %% i)\n", n)
	if err := os.WriteFile(script, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return script
}

// emulatorFactory returns a Factory whose environment targets srv, and the
// buffer its stderr goes to.
func emulatorFactory(srv *emulator.Server) (*Factory, *strings.Builder) {
	var stderr strings.Builder
	env := map[string]string{
		mgmt.EnvProjectID: srv.ProjectID(), mgmt.EnvManagementKey: srv.ManagementKey(), mgmt.EnvBaseURL: srv.URL,
		"NO_COLOR": "1",
	}
	return &Factory{
		IO:      &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &stderr},
		Globals: &GlobalOptions{},
		Getenv:  func(k string) string { return env[k] },
		Now:     time.Now,
	}, &stderr
}

// TestPlanStartsAtLearntPace checks that a command on a real project starts
// at the pace an earlier run learnt for it, and keeps it for the next.
func TestPlanStartsAtLearntPace(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	srv := emulator.NewServer(emulator.WithSeed(1))
	defer srv.Close()
	path := runtime.PaceFile(filepath.Join(home, ".descope-mgmt"), srv.ProjectID())
	learnt := time.Now().Add(-time.Hour)
	m := mgmt.PaceMemory{Server: mgmt.Rate{N: 100, Per: time.Minute}, Pace: mgmt.Rate{N: 90, Per: time.Minute},
		LearntAt: learnt, Tokens: 89, SavedAt: learnt}
	if err := runtime.SavePace(path, srv.ProjectID(), m); err != nil {
		t.Fatal(err)
	}
	f, stderr := emulatorFactory(srv)
	if code := Execute(context.Background(), f, []string{"plan", "--log-level", "info", tenantsWorkspace(t, 3)}); code != ExitOK {
		t.Fatalf("plan exited %d:\n%s", code, stderr)
	}
	if want := "pacing at 90/60s, as learnt " + learnt.Format(time.DateOnly) + " (the server allowed about 100/60s)"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	kept, ok, err := runtime.LoadPace(path, time.Now())
	if !ok || err != nil || kept.Pace != m.Pace || !kept.LearntAt.Equal(learnt) || !kept.SavedAt.After(learnt) {
		t.Errorf("kept %+v, %v, %v; want the learnt pace, saved again", kept, ok, err)
	}
}
