package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// savedPlanFixture writes a saved plan of desired against live to dir and
// returns its path.
func savedPlanFixture(t *testing.T, dir string, live, desired *descope.State) string {
	t.Helper()
	path := filepath.Join(dir, "p.plan")
	sp := &SavedPlan{ProjectID: "P2x", Workspace: dir, Script: "main.star", Fingerprint: "fp", Desired: desired}
	if err := WritePlanFile(path, sp, descope.Diff(live, desired)); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSavedPlanRoundTrip(t *testing.T) {
	dir := t.TempDir()
	live := &descope.State{Tenants: []*descope.Tenant{{ID: "acme", Name: "Acme"}}}
	desired := &descope.State{Tenants: []*descope.Tenant{
		{ID: "acme", Name: "Acme Corp", Attributes: &map[string]any{"seats": int64(12), "tier": "gold"}},
		{ID: "globex", Name: "Globex"},
	}}
	path := savedPlanFixture(t, dir, live, desired)

	sp, ok, err := ReadPlanFile(path)
	if err != nil || !ok {
		t.Fatalf("ReadPlanFile = %v, %v", ok, err)
	}
	if sp.Workspace != "." || sp.Path() != path {
		t.Errorf("Workspace, Path = %q, %q; want \".\", %q", sp.Workspace, sp.Path(), path)
	}
	if got, want := sp.Summary, map[string]int{"add": 1, "change": 1, "delete": 0}; got["add"] != want["add"] || got["change"] != want["change"] {
		t.Errorf("Summary = %v, want %v", got, want)
	}
	// Re-derived from the desired state read back, the changes are the same.
	if err := sp.Ref().checkChanges(descope.Diff(live, sp.Desired)); err != nil {
		t.Errorf("checkChanges of the same plan: %v", err)
	}
}

// TestSavedPlanEditedConsistently: an editor who changes the desired state
// and writes the file again with a valid checksum (but the changes that were
// shown) is still caught: the desired state no longer gives those changes.
func TestSavedPlanEditedConsistently(t *testing.T) {
	dir := t.TempDir()
	live := &descope.State{Tenants: []*descope.Tenant{{ID: "acme", Name: "Acme"}, {ID: "initech", Name: "Initech"}}}
	desired := &descope.State{Tenants: []*descope.Tenant{{ID: "acme", Name: "Acme Corp"}, {ID: "globex", Name: "Globex"}}}
	path := savedPlanFixture(t, dir, live, desired)
	sp, _, err := ReadPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	shown := descope.Diff(live, desired)
	sp.Desired.Tenants = append(sp.Desired.Tenants, &descope.Tenant{ID: "hooli", Name: "Hooli"})
	sp.Desired.Tenants[0].Name = "Acme Renamed"
	sp.Desired.Tenants = append(sp.Desired.Tenants, &descope.Tenant{ID: "initech", Name: "Initech 2"})
	if err := WritePlanFile(path, sp, shown); err != nil {
		t.Fatal(err)
	}
	sp, _, err = ReadPlanFile(path)
	if err != nil {
		t.Fatalf("the re-checksummed file reads: %v", err)
	}
	err = sp.Ref().checkChanges(descope.Diff(live, sp.Desired))
	var pe *PlanEditedError
	if !errors.As(err, &pe) {
		t.Fatalf("checkChanges = %v, want a *PlanEditedError", err)
	}
	want := "is not the plan that was shown: it showed 1 to add, 1 to change, 0 to delete, but its desired state gives 2 to add, 2 to change, 0 to delete " +
		"(tenant:acme differs; tenant:hooli create was not shown; tenant:initech update was not shown)"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("checkChanges = %v\nwant it to contain %q", err, want)
	}
}

func TestReadPlanFileContent(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(savedPlanFixture(t, dir, &descope.State{}, &descope.State{Tenants: []*descope.Tenant{{ID: "a", Name: "A"}}}))
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := strings.Cut(string(good), "\n")
	tests := []struct {
		name    string
		content string
		ok      bool
		wantErr string // substring; "" means no error
	}{
		{"a config", "tenant(id = \"a\", name = \"A\")\n", false, ""},
		{"an empty file", "", false, ""},
		{"the plan", string(good), true, ""},
		{"cut in the header", header[:10], true, "truncated: a saved plan cut off in its first line"},
		{"cut after the header", header, true, "truncated: a saved plan cut off in its first line"},
		{"cut in the body", header + "\n" + body[:40], true, "truncated: it holds 40 of the plan's"},
		{"bytes after the end", string(good) + "\n", true, "damaged: 1 bytes follow the end of the plan"},
		{"a byte changed", strings.Replace(string(good), `"A"`, `"B"`, 1), true, "it changed after plan -out wrote it"},
		{"a newer format", strings.Replace(string(good), "descope-run-plan/2 ", "descope-run-plan/3 ", 1), true, "a saved plan in format 3, made by a newer descope-run; this one reads format 2"},
		{"a bad header", "descope-run-plan/two\n{}", true, "is not a descope-run plan header"},
		{"binary", "PK\x03\x04\x00\x00", true, "it holds binary data"},
		{"format 1", `{"format_version": 1, "desired": {}}`, true, "a saved plan in format 1, which has no checksum"},
		{"other JSON", ` [1, 2]`, true, "a JSON document, neither a plan saved by descope-run plan -out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "x")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, ok, err := ReadPlanFile(path)
			if tt.wantErr == "" {
				if err != nil || ok != tt.ok {
					t.Fatalf("ReadPlanFile = %v, %v; want %v, nil", ok, err, tt.ok)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ReadPlanFile error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestSavedPlanExamples: the example configs' plans, flows and theme
// included, read back from a saved plan, give the changes they showed.
func TestSavedPlanExamples(t *testing.T) {
	for _, script := range []string{"../scripts/prod.star", "../scripts/staging.star"} {
		t.Run(filepath.Base(script), func(t *testing.T) {
			res, err := Eval(context.Background(), EvalOptions{Script: script})
			if err != nil {
				t.Fatal(err)
			}
			live := &descope.State{Tenants: []*descope.Tenant{{ID: "acme", Name: "Old name"}}}
			path := savedPlanFixture(t, t.TempDir(), live, res.State)
			sp, _, err := ReadPlanFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := sp.Ref().checkChanges(descope.Diff(live, sp.Desired)); err != nil {
				t.Error(err)
			}
		})
	}
}
