package runtime

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// memStore is a BackupStore in memory; writeErr and pruneErr make it fail.
type memStore struct {
	mu       sync.Mutex
	backups  []*backup.Backup
	pruned   int
	writeErr error
	pruneErr error
}

func (s *memStore) Write(_ context.Context, b *backup.Backup) (backup.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writeErr != nil {
		return backup.Entry{}, s.writeErr
	}
	s.backups = append(s.backups, b)
	return backup.Entry{ID: fmt.Sprintf("b%d", len(s.backups))}, nil
}

func (s *memStore) Prune(string, backup.RetentionPolicy) ([]backup.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruned++
	return nil, s.pruneErr
}

// memAudit records audit entries; err makes Append fail.
type memAudit struct {
	entries []AuditEntry
	err     error
}

func (a *memAudit) Append(_ context.Context, e AuditEntry) error {
	if a.err != nil {
		return a.err
	}
	a.entries = append(a.entries, e)
	return nil
}

// memLocker is a Locker that counts locks and releases.
type memLocker struct {
	held               bool
	locks, releases    int
	lockErr, releaseEr error
}

func (l *memLocker) Lock(_ context.Context, _, _ string) (func() error, error) {
	if l.lockErr != nil {
		return nil, l.lockErr
	}
	if l.held {
		return nil, &LockHeldError{Where: "memory"}
	}
	l.held = true
	l.locks++
	return func() error {
		l.held = false
		l.releases++
		return l.releaseEr
	}, nil
}

// opFixture is an emulator target with a policy whose parts record what
// the operation did.
type opFixture struct {
	target *Target
	emu    *emulator.Emulator
	store  *memStore
	audit  *memAudit
	locker *memLocker
	events []EventKind
	pol    Policy
}

func newOpFixture(t *testing.T, live *descope.State) *opFixture {
	t.Helper()
	target, emu := newEmulatorTarget(t)
	if live != nil {
		if err := emu.Seed(live); err != nil {
			t.Fatal(err)
		}
	}
	emu.ResetRequests()
	fx := &opFixture{target: target, emu: emu, store: &memStore{}, audit: &memAudit{}, locker: &memLocker{}}
	retain := backup.DefaultRetention
	fx.pol = Policy{
		Operation: backup.OperationApply, Subject: "main.star", MaxDeletes: 10,
		Store: fx.store, Audit: fx.audit, Locker: fx.locker, Retention: &retain,
		Events: func(ev Event) {
			if len(fx.events) == 0 || fx.events[len(fx.events)-1] != ev.Kind {
				fx.events = append(fx.events, ev.Kind)
			}
		},
	}
	return fx
}

// writes returns the requests that wrote to the project.
func (fx *opFixture) writes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range fx.emu.Requests() {
		if _, write, err := writtenObjects(r); err != nil {
			t.Fatal(err)
		} else if write {
			out = append(out, r.Path)
		}
	}
	return out
}

// checkNothingWritten checks that the operation wrote nothing, took no
// backup and released its lock.
func (fx *opFixture) checkNothingWritten(t *testing.T) {
	t.Helper()
	if w := fx.writes(t); len(w) > 0 {
		t.Errorf("writes %q, want none", w)
	}
	if len(fx.store.backups) > 0 {
		t.Errorf("%d backups taken, want none", len(fx.store.backups))
	}
	if fx.locker.held {
		t.Error("the lock is still held")
	}
}

var acme = &descope.Tenant{ID: "acme", Name: "Acme"}

func TestApplyOperation(t *testing.T) {
	fx := newOpFixture(t, nil)
	out, err := Apply(context.Background(), fx.target, &descope.State{Tenants: []*descope.Tenant{acme}}, fx.pol)
	if err != nil {
		t.Fatal(err)
	}
	if out.Result == nil || !slices.Equal(out.Result.Report.Done, []string{"tenant:acme"}) {
		t.Fatalf("result %+v, want tenant:acme done", out.Result)
	}
	if len(fx.store.backups) != 1 || out.Backup.ID != "b1" {
		t.Errorf("backups %d, outcome's %q; want one, b1", len(fx.store.backups), out.Backup.ID)
	}
	if got := fx.store.backups[0].Metadata; got.Operation != backup.OperationApply || got.Reason != "before apply of main.star" || got.ProjectID != fx.target.ProjectID {
		t.Errorf("backup metadata %+v", got)
	}
	if len(fx.audit.entries) != 1 || fx.audit.entries[0].Result != "ok" || fx.audit.entries[0].BackupID != "b1" || fx.audit.entries[0].Counts["done"] != 1 {
		t.Errorf("audit %+v, want one ok entry naming backup b1", fx.audit.entries)
	}
	if fx.store.pruned != 1 {
		t.Errorf("pruned %d times, want 1", fx.store.pruned)
	}
	if fx.locker.locks != 1 || fx.locker.held {
		t.Errorf("locked %d times, held %v; want once, released", fx.locker.locks, fx.locker.held)
	}
	if want := []EventKind{EventBackedUp, EventChange, EventVerify}; !slices.Equal(fx.events, want) {
		t.Errorf("events %v, want %v", fx.events, want)
	}
	if len(out.Warnings) > 0 {
		t.Errorf("warnings %v", out.Warnings)
	}
}

func TestApplyOperationEmptyPlan(t *testing.T) {
	fx := newOpFixture(t, &descope.State{Tenants: []*descope.Tenant{acme}})
	shown := false
	fx.pol.Show = func(*Planned) error { shown = true; return nil }
	fx.pol.Confirm = func(context.Context, *Planned) error { t.Error("an empty plan asked"); return nil }
	out, err := Apply(context.Background(), fx.target, &descope.State{Tenants: []*descope.Tenant{acme}}, fx.pol)
	if err != nil {
		t.Fatal(err)
	}
	if !shown || out.Planned == nil || !out.Planned.Plan.Empty() || out.Result != nil {
		t.Errorf("shown %v, outcome %+v; want the empty plan shown and nothing executed", shown, out)
	}
	fx.checkNothingWritten(t)
	if len(fx.audit.entries) > 0 {
		t.Errorf("audit %+v, want none", fx.audit.entries)
	}
}

// Every refusal is its own type, comes before anything is written and
// releases the lock.
func TestApplyOperationRefusals(t *testing.T) {
	owned := &descope.State{
		Tenants: []*descope.Tenant{{ID: "a", Name: "A"}, {ID: "b", Name: "B"}},
		Owns:    []*descope.Ownership{{Kind: descope.KindTenant, Match: "*"}},
	}
	family := &descope.State{Tenants: []*descope.Tenant{
		{ID: "acme", Name: "Acme"}, {ID: "acme-eu", Name: "Acme EU", Parent: descope.Ptr("acme")}, {ID: "group", Name: "Group"},
	}}
	reparented := &descope.State{Tenants: []*descope.Tenant{
		{ID: "acme", Name: "Acme", Parent: descope.Ptr("group")}, {ID: "acme-eu", Name: "Acme EU"}, {ID: "group", Name: "Group"},
	}}
	tests := []struct {
		name    string
		live    *descope.State
		desired *descope.State
		policy  func(fx *opFixture)
		check   func(t *testing.T, err error)
	}{{
		name:    "lock held",
		desired: &descope.State{Tenants: []*descope.Tenant{acme}},
		policy:  func(fx *opFixture) { fx.locker.held = true },
		check: func(t *testing.T, err error) {
			var e *LockHeldError
			if !errors.As(err, &e) {
				t.Errorf("err = %v, want a LockHeldError", err)
			}
		},
	}, {
		name:    "delete guard",
		live:    &descope.State{Tenants: []*descope.Tenant{{ID: "a", Name: "A"}, {ID: "b", Name: "B"}, {ID: "c", Name: "C"}}},
		desired: &descope.State{Tenants: owned.Tenants[:1], Owns: owned.Owns},
		policy:  func(fx *opFixture) { fx.pol.MaxDeletes = 1 },
		check: func(t *testing.T, err error) {
			var e *DeleteGuardError
			if !errors.As(err, &e) || e.Deletes != 2 || e.Max != 1 {
				t.Errorf("err = %#v, want a DeleteGuardError of 2 deletes, max 1", err)
			}
		},
	}, {
		name:    "zero policy refuses any delete",
		live:    &descope.State{Tenants: []*descope.Tenant{{ID: "a", Name: "A"}, {ID: "b", Name: "B"}, {ID: "c", Name: "C"}}},
		desired: owned,
		policy:  func(fx *opFixture) { fx.pol.MaxDeletes = 0 },
		check: func(t *testing.T, err error) {
			var e *DeleteGuardError
			if !errors.As(err, &e) || e.Deletes != 1 {
				t.Errorf("err = %v, want a DeleteGuardError of 1 delete", err)
			}
		},
	}, {
		name:    "stranded sub-tenants",
		live:    family,
		desired: reparented,
		check: func(t *testing.T, err error) {
			var e *StrandedSubTenantsError
			if !errors.As(err, &e) || len(e.Changes) != 1 || e.Changes[0].ID != "tenant:acme" || !slices.Equal(e.Changes[0].StrandedSubTenants, []string{"acme-eu"}) {
				t.Fatalf("err = %v, want a StrandedSubTenantsError for acme and acme-eu", err)
			}
			if want := `refused: tenant "acme" would be replaced but its sub-tenants "acme-eu" stay (`; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %q, want it to start %q", err, want)
			}
		},
	}, {
		name:    "config pins another project",
		desired: &descope.State{Project: &descope.Project{ID: "P2other"}, Tenants: []*descope.Tenant{acme}},
		check: func(t *testing.T, err error) {
			var e *ProjectMismatchError
			if !errors.As(err, &e) || e.Want != "P2other" || e.Plan != "" {
				t.Errorf("err = %v, want a ProjectMismatchError for the config", err)
			}
		},
	}, {
		name:    "saved plan for another project",
		desired: &descope.State{Tenants: []*descope.Tenant{acme}},
		policy:  func(fx *opFixture) { fx.pol.Saved = &SavedRef{File: "x.plan", ProjectID: "P2other"} },
		check: func(t *testing.T, err error) {
			var e *ProjectMismatchError
			if !errors.As(err, &e) || e.Plan != "x.plan" {
				t.Errorf("err = %v, want a ProjectMismatchError for x.plan", err)
			}
		},
	}, {
		name:    "stale saved plan",
		desired: &descope.State{Tenants: []*descope.Tenant{acme}},
		policy: func(fx *opFixture) {
			fx.pol.Saved = &SavedRef{File: "x.plan", ProjectID: fx.target.ProjectID, Fingerprint: "made from another project"}
		},
		check: func(t *testing.T, err error) {
			var e *StalePlanError
			if !errors.As(err, &e) || e.Plan != "x.plan" {
				t.Errorf("err = %v, want a StalePlanError for x.plan", err)
			}
		},
	}, {
		name:    "project changed while waiting for confirmation",
		desired: &descope.State{Tenants: []*descope.Tenant{acme}},
		policy: func(fx *opFixture) {
			fx.pol.Confirm = func(ctx context.Context, _ *Planned) error {
				// Someone edits the project in the console meanwhile.
				return fx.emu.Seed(&descope.State{Tenants: []*descope.Tenant{{ID: "other", Name: "Other"}}})
			}
		},
		check: func(t *testing.T, err error) {
			var e *ChangedWhileWaitingError
			if !errors.As(err, &e) {
				t.Errorf("err = %v, want a ChangedWhileWaitingError", err)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newOpFixture(t, tt.live)
			if tt.policy != nil {
				tt.policy(fx)
			}
			held := fx.locker.held
			_, err := Apply(context.Background(), fx.target, tt.desired, fx.pol)
			var r Refusal
			if !errors.As(err, &r) {
				t.Fatalf("err = %v, want a Refusal", err)
			}
			tt.check(t, err)
			fx.locker.held = fx.locker.held && !held
			fx.checkNothingWritten(t)
			if len(fx.audit.entries) > 0 {
				t.Errorf("audit %+v, want none for a refusal", fx.audit.entries)
			}
		})
	}
}

// An interrupt while Confirm waits cancels the operation: nothing is
// written, the lock is released, and the error carries the interrupt.
func TestApplyOperationInterruptAtPrompt(t *testing.T) {
	errInterrupt := errors.New("interrupted")
	for _, confirmErr := range []bool{true, false} {
		t.Run(fmt.Sprintf("confirm returns an error: %v", confirmErr), func(t *testing.T) {
			fx := newOpFixture(t, nil)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			fx.pol.Confirm = func(ctx context.Context, _ *Planned) error {
				cancel(errInterrupt)
				if confirmErr {
					return ctx.Err()
				}
				return nil
			}
			_, err := Apply(ctx, fx.target, &descope.State{Tenants: []*descope.Tenant{acme}}, fx.pol)
			if !errors.Is(err, errInterrupt) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("err = %v, want the interrupt, saying nothing was changed", err)
			}
			fx.checkNothingWritten(t)
			if fx.locker.releases != 1 {
				t.Errorf("released %d times, want 1", fx.locker.releases)
			}
		})
	}
}

func TestApplyOperationNotConfirmed(t *testing.T) {
	fx := newOpFixture(t, nil)
	no := errors.New("the answer was no")
	fx.pol.Confirm = func(context.Context, *Planned) error { return no }
	if _, err := Apply(context.Background(), fx.target, &descope.State{Tenants: []*descope.Tenant{acme}}, fx.pol); !errors.Is(err, no) {
		t.Fatalf("err = %v, want Confirm's", err)
	}
	fx.checkNothingWritten(t)
}

// No backup, no write.
func TestApplyOperationBackupFails(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(fx *opFixture)
	}{
		{"no store", func(fx *opFixture) { fx.pol.Store = nil }},
		{"store fails", func(fx *opFixture) { fx.store.writeErr = errors.New("disk full") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newOpFixture(t, nil)
			tt.set(fx)
			_, err := Apply(context.Background(), fx.target, &descope.State{Tenants: []*descope.Tenant{acme}}, fx.pol)
			if err == nil || !strings.Contains(err.Error(), "backup") {
				t.Fatalf("err = %v, want a backup error", err)
			}
			fx.checkNothingWritten(t)
		})
	}
}

// A failed write is reported in the outcome and the audit log; the lock
// is released and old backups pruned all the same.
func TestApplyOperationWriteFails(t *testing.T) {
	fx := newOpFixture(t, nil)
	fx.emu.SetFault("/v1/mgmt/tenant/create", emulator.Fault{Status: 500, Times: 1})
	out, err := Apply(context.Background(), fx.target, &descope.State{Tenants: []*descope.Tenant{acme}}, fx.pol)
	if err == nil || !strings.Contains(err.Error(), "tenant:acme") {
		t.Fatalf("err = %v, want the failure of tenant:acme", err)
	}
	if out.Result == nil || len(out.Result.Report.Failed) != 1 {
		t.Fatalf("result %+v, want one failure", out.Result)
	}
	if len(fx.audit.entries) != 1 || fx.audit.entries[0].Result != "failed" || fx.audit.entries[0].Counts["failed"] != 1 {
		t.Errorf("audit %+v, want one failed entry", fx.audit.entries)
	}
	if fx.locker.held || fx.store.pruned != 1 {
		t.Errorf("lock held %v, pruned %d; want released, pruned once", fx.locker.held, fx.store.pruned)
	}
}

// The audit log, pruning and the lock's release failing do not change the
// outcome; they are warnings.
func TestApplyOperationWarnings(t *testing.T) {
	fx := newOpFixture(t, nil)
	fx.audit.err = errors.New("audit disk full")
	fx.store.pruneErr = errors.New("prune permission denied")
	fx.locker.releaseEr = errors.New("lock file busy")
	out, err := Apply(context.Background(), fx.target, &descope.State{Tenants: []*descope.Tenant{acme}}, fx.pol)
	if err != nil {
		t.Fatal(err)
	}
	got := errors.Join(out.Warnings...).Error()
	for _, want := range []string{"audit disk full", "prune permission denied", "lock file busy"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q, want %q among them", got, want)
		}
	}
}

// A lock error other than a held lock stops the operation before it reads.
func TestApplyOperationLockError(t *testing.T) {
	fx := newOpFixture(t, nil)
	fx.locker.lockErr = errors.New("lock dir: permission denied")
	if _, err := Apply(context.Background(), fx.target, &descope.State{Tenants: []*descope.Tenant{acme}}, fx.pol); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("err = %v", err)
	}
	if n := len(fx.emu.Requests()); n > 0 {
		t.Errorf("%d requests, want none", n)
	}
}

// FileLocker keeps two operations on one project apart.
func TestFileLocker(t *testing.T) {
	l := FileLocker{Dir: filepath.Join(t.TempDir(), "locks")}
	ctx := context.Background()
	release, err := l.Lock(ctx, "P2x", "apply")
	if err != nil {
		t.Fatal(err)
	}
	var held *LockHeldError
	if _, err := l.Lock(ctx, "P2x", "restore"); !errors.As(err, &held) || held.Holder.Command != "apply" {
		t.Fatalf("second Lock = %v, want a LockHeldError naming the apply", err)
	}
	other, err := l.Lock(ctx, "P2y", "apply")
	if err != nil {
		t.Fatalf("another project's lock: %v", err)
	}
	for _, r := range []func() error{release, other} {
		if err := r(); err != nil {
			t.Fatal(err)
		}
	}
	again, err := l.Lock(ctx, "P2x", "apply")
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	if err := again(); err != nil {
		t.Fatal(err)
	}
}

// The backup built on the plan's read holds what a backup that reads
// everything holds: every flow's document, the theme, the project, and the
// settings of the tenants the plan touches or the config declares.
func TestApplyOperationBackupReusesThePlansRead(t *testing.T) {
	ctx := context.Background()
	live := &descope.State{
		Tenants: []*descope.Tenant{
			{ID: "a", Name: "A"}, {ID: "b", Name: "B"},
			{ID: "c", Name: "C", Settings: &descope.TenantSettings{SessionTokenExpiration: descope.Ptr(int64(7))}},
		},
		Roles:       []*descope.Role{{Name: "viewer", Description: descope.Ptr("")}},
		Permissions: []*descope.Permission{{Name: "read"}},
	}
	fx := newOpFixture(t, live)
	desired := &descope.State{
		Project: &descope.Project{Name: descope.Ptr("renamed")},
		Tenants: []*descope.Tenant{
			{ID: "a", Name: "A", Settings: &descope.TenantSettings{SessionTokenExpiration: descope.Ptr(int64(9))}},
			{ID: "c", Name: "C renamed"},
		},
	}
	wantState, err := fx.target.Client.ReadState(ctx, BackupReadOptions([]string{"a"}, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, fx.target, desired, fx.pol); err != nil {
		t.Fatal(err)
	}
	meta := fx.store.backups[0].Metadata
	want := backup.New(meta, wantState)
	got := fx.store.backups[0]
	if compactJSON(got.State()) != compactJSON(want.State()) {
		t.Errorf("backup from the plan's read:\n%s\nwant, as a full read gives:\n%s", compactJSON(got.State()), compactJSON(want.State()))
	}
	if got.ProjectSettings == nil || len(got.ProjectSettings.SnapshotFiles) == 0 {
		t.Error("the backup lacks the project snapshot's files")
	}
}

// A change that reports success but that the project does not reflect
// afterwards (someone changed it meanwhile) is a mismatch, and an error.
func TestApplyOperationVerifyMismatch(t *testing.T) {
	fx := newOpFixture(t, nil)
	events := fx.pol.Events
	fx.pol.Events = func(ev Event) {
		events(ev)
		if ev.Kind == EventChange && ev.Change.Kind == mgmt.EventDone {
			if err := fx.emu.Seed(&descope.State{Tenants: []*descope.Tenant{{ID: "acme", Name: "Renamed in the console"}}}); err != nil {
				t.Error(err)
			}
		}
	}
	out, err := Apply(context.Background(), fx.target, &descope.State{Tenants: []*descope.Tenant{acme}}, fx.pol)
	if err == nil || !strings.Contains(err.Error(), "1 changes did not verify") {
		t.Fatalf("err = %v, want a verification error", err)
	}
	if out.Result == nil || len(out.Result.Mismatches) != 1 || !strings.HasPrefix(out.Result.Mismatches[0], "tenant:acme: still differs after a successful update (name)") {
		t.Errorf("mismatches %q", out.Result.Mismatches)
	}
	if len(fx.audit.entries) != 1 || fx.audit.entries[0].Result != "failed" {
		t.Errorf("audit %+v, want the failure recorded", fx.audit.entries)
	}
}
