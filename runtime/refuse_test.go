package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// Each refusal says what was refused, why, and what to do.
func TestRefusalMessages(t *testing.T) {
	tests := []struct {
		err  Refusal
		want string
	}{
		{&RefusedError{Reason: "no"}, "refused: no"},
		{&RefusedError{Reason: "no", Hint: "ask"}, "refused: no (ask)"},
		{&LockHeldError{Holder: LockHolder{PID: 7, Host: "ci", Command: "restore", Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, Where: "/l"},
			"refused: another restore holds the lock on this project (pid 7 on ci since 2026-01-02T03:04:05Z) (wait for it to finish; if it died, delete /l)"},
		{&LockHeldError{Where: "/l"}, "refused: another apply holds the lock on this project (pid 0 on ? since ?) (wait for it to finish; if it died, delete /l)"},
		{&DeleteGuardError{Deletes: 12, Max: 10}, "refused: the plan deletes 12 objects, more than --max-deletes 10 (check the own() claims; if the deletes are intended, raise --max-deletes)"},
		{&DeleteGuardError{Deletes: 12, Max: 10, Operation: "restore"}, "refused: the plan deletes 12 objects, more than --max-deletes 10 (--prune deletes what the backup does not hold; restore without --prune to keep them; if the deletes are intended, raise --max-deletes)"},
		{&StrandedSubTenantsError{Changes: []*descope.Change{
			{Key: "a", Action: descope.ActionDelete, StrandedSubTenants: []string{"a1", "a2"}},
			{Key: "b", Action: descope.ActionReplace, StrandedSubTenants: []string{"b1"}},
		}}, `refused: tenant "a" would be deleted but its sub-tenants "a1", "a2" stay; tenant "b" would be replaced but its sub-tenants "b1" stay (Descope deletes no tenant that has sub-tenants: `},
		{&ProjectMismatchError{Want: "P2a", TargetID: "P2b", Target: "Descope project P2b"},
			"refused: the config pins project P2a but the target is Descope project P2b (point DESCOPE_PROJECT_ID at the project this config describes, or change project(id=...))"},
		{&ProjectMismatchError{Want: "P2a", Plan: "x.plan", TargetID: "P2b", Target: "Descope project P2b"},
			"refused: plan x.plan was made for project P2a, not P2b (apply it with the environment it was planned in)"},
		{&StalePlanError{Plan: "x.plan"}, "refused: plan x.plan is stale: the live project changed since it was made (run plan again and review the new plan)"},
		{&ChangedWhileWaitingError{Operation: "restore"}, "refused: the live project changed while the plan waited for confirmation (run restore again and review the new plan)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%T: %q\nwant it to start %q", tt.err, got, tt.want)
		}
	}
}

func TestAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "audit.log")
	log := AuditLog{Path: path}
	for _, r := range []string{"ok", "failed"} {
		if err := log.Append(context.Background(), AuditEntry{Operation: "apply", Result: r}); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), data)
	}
	var e AuditEntry
	if err := json.Unmarshal([]byte(lines[1]), &e); err != nil || e.Result != "failed" {
		t.Errorf("second line %q: %v", lines[1], err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v, %v; want 0600", fi.Mode(), err)
	}
	// A log that cannot be written says where.
	if err := (AuditLog{Path: filepath.Join(path, "x")}).Append(context.Background(), AuditEntry{}); err == nil || !strings.Contains(err.Error(), "audit log") {
		t.Errorf("Append under a file = %v, want an audit log error", err)
	}
}

// A read refused for the credentials names the variable to check.
func TestReadErrorNamesTheKey(t *testing.T) {
	target := &Target{Description: "Descope project P2x", ProjectID: "P2x", KeyEnv: "PROD_KEY"}
	err := target.readError(&mgmt.Error{Status: 401, Code: "E061102"})
	if !strings.Contains(err.Error(), "check PROD_KEY") {
		t.Errorf("readError = %v, want a hint naming PROD_KEY", err)
	}
	if err := target.readError(errors.New("boom")); err.Error() != "read Descope project P2x: boom" {
		t.Errorf("readError = %v", err)
	}
}
