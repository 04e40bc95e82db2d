package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// Policy says how Apply guards, confirms and records one operation. Its
// zero value is the strictest: no delete allowed, no confirmation asked.
type Policy struct {
	// Operation names what runs, in the lock, the backup and the audit log:
	// backup.OperationApply, backup.OperationRestore, backup.OperationScript.
	Operation string
	// Subject is what is applied: the config, "backup ID", a script's path.
	Subject string
	// InputsDigest is the digest of the config's inputs, for the audit log.
	InputsDigest string
	// Workspace is the workspace root ("" for none): the backup and the
	// audit log record its git commit.
	Workspace string
	// ToolVersion is descope-run's version, for the backup.
	ToolVersion string
	// Saved is set when the plan applied is a saved one (plan -out): Apply
	// refuses it for another project or a live project that changed since.
	Saved *SavedRef

	// MaxDeletes is the most objects the plan may delete, replaces
	// included; a plan that deletes more is refused (*DeleteGuardError).
	MaxDeletes int

	// Show, when set, is given the plan as soon as it is made under the
	// lock, before the guards (the CLI renders it). An error stops Apply.
	Show func(*Planned) error
	// Confirm, when set, is asked once the guards pass; any error cancels
	// the operation with nothing written. The live project is then read
	// again, and a plan whose project changed while Confirm waited is
	// refused (*ChangedWhileWaitingError). Nil applies without asking
	// (--auto-approve, a saved plan).
	Confirm func(ctx context.Context, p *Planned) error

	// Locker, when set, locks the project from the plan's read to the end.
	Locker Locker
	// Store receives the backup taken before the first write. Required.
	Store BackupStore
	// Backup, when set, gives the backup that covers the writes in place
	// of the one Apply takes (a script backs a project up once, before its
	// first write, and reuses that backup); touched are the tenants whose
	// settings the plan may change or lose (TouchedTenants).
	Backup func(ctx context.Context, touched []string) (backup.Entry, error)
	// Retention, when set, prunes old backups from Store afterwards.
	Retention *backup.RetentionPolicy
	// Audit, when set, records the outcome of every operation that got as
	// far as writing.
	Audit AuditSink

	// Parallel is the number of changes run at once (default 4).
	Parallel int
	// Events, when set, receives progress (never concurrently).
	Events func(Event)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// SavedRef is what a saved plan was made from.
type SavedRef struct {
	// File names the plan in refusals.
	File string
	// ProjectID and Fingerprint are the project and the fingerprint of the
	// live objects the plan was made from.
	ProjectID, Fingerprint string
	// Changes, when set, are the changes the plan showed: a plan of its
	// desired state that gives others is refused (*PlanEditedError).
	Changes []SavedChange
}

// EventKind says what an Event reports.
type EventKind int

// The events of an operation, in order: the backup, then the changes
// (each started, then done or failed), then the verification.
const (
	EventBackedUp EventKind = iota + 1
	EventChange
	EventVerify
)

// Event reports an operation's progress to Policy.Events.
type Event struct {
	Kind EventKind
	// Backup is the backup taken (EventBackedUp).
	Backup backup.Entry
	// Change is the executor's event of one of the plan's changes
	// (EventChange); Finished and Total count changes.
	Change mgmt.Event
}

// Outcome is what an operation did. Apply returns it, with whatever part
// was reached, along with any error.
type Outcome struct {
	// Planned is the plan, once made.
	Planned *Planned
	// Backup is the backup taken before the first write (zero when none).
	Backup backup.Entry
	// Result is the execution's report and verification (nil when nothing
	// was executed).
	Result *ApplyResult
	// Pruned are the old backups deleted afterwards.
	Pruned []backup.Entry
	// Warnings are failures that did not change the outcome: the audit
	// log, pruning, releasing the lock.
	Warnings []error
}

// Apply is the one operation that writes a desired state to a project, for
// apply, restore and scripts alike. In order, it
//
//   - takes the project's lock (Policy.Locker);
//   - plans desired against the live project, refusing a config pinned to
//     another project and a saved plan made for another project or from
//     another live project (Policy.Saved), and shows the plan
//     (Policy.Show); an empty plan ends here;
//   - refuses a plan that deletes more than Policy.MaxDeletes objects or
//     strands live sub-tenants;
//   - asks (Policy.Confirm), then reads the project again and refuses the
//     plan if it changed while waiting;
//   - backs the project up (Policy.Store): no backup, no write;
//   - executes the plan and verifies the changes done;
//   - records the outcome (Policy.Audit) and prunes old backups
//     (Policy.Retention).
//
// Refusals are Refusal errors, returned before anything is written.
func Apply(ctx context.Context, t *Target, desired *descope.State, pol Policy) (out *Outcome, err error) {
	if pol.Store == nil {
		return nil, errors.New("apply: no backup store: nothing is written without a backup")
	}
	now := pol.Now
	if now == nil {
		now = time.Now
	}
	out = &Outcome{}
	if pol.Locker != nil {
		release, err := pol.Locker.Lock(ctx, t.ProjectID, pol.Operation)
		if err != nil {
			return nil, err
		}
		defer func() {
			if rerr := release(); rerr != nil {
				out.Warnings = append(out.Warnings, rerr)
			}
		}()
	}

	planned, err := MakePlan(ctx, t, desired)
	if err != nil {
		return out, err
	}
	out.Planned = planned
	if s := pol.Saved; s != nil {
		if s.ProjectID != t.ProjectID {
			return out, &ProjectMismatchError{Want: s.ProjectID, Plan: s.File, TargetID: t.ProjectID, Target: t.Description}
		}
		if s.Fingerprint != planned.Fingerprint {
			return out, &StalePlanError{Plan: s.File}
		}
		if err := s.checkChanges(planned.Plan); err != nil {
			return out, err
		}
	}
	if pol.Show != nil {
		if err := pol.Show(planned); err != nil {
			return out, err
		}
	}
	p := planned.Plan
	if p.Empty() {
		return out, nil
	}
	if n := p.Deletes(); n > pol.MaxDeletes {
		return out, &DeleteGuardError{Deletes: n, Max: pol.MaxDeletes, Operation: pol.Operation}
	}
	if stranded := p.Stranded(); len(stranded) > 0 {
		return out, &StrandedSubTenantsError{Changes: stranded}
	}
	if pol.Confirm != nil {
		cerr := pol.Confirm(ctx, planned)
		if ctx.Err() != nil {
			return out, fmt.Errorf("%s cancelled while waiting for confirmation: nothing was changed: %w", pol.Operation, context.Cause(ctx))
		}
		if cerr != nil {
			return out, cerr
		}
		// The lock keeps other operations out, not the console: make sure
		// the project is still what the plan was made from.
		live, fp, files, err := readLive(ctx, t, desired)
		if err != nil {
			return out, err
		}
		if fp != planned.Fingerprint {
			return out, &ChangedWhileWaitingError{Operation: pol.Operation}
		}
		// The same objects, read last: what the backup builds on.
		planned.Live, planned.snapshot = live, files
	}

	meta := NewMetadata(pol.Operation, "before "+pol.Operation+" of "+pol.Subject, pol.ToolVersion, pol.Workspace, now())
	var entry backup.Entry
	if pol.Backup != nil {
		entry, err = pol.Backup(ctx, TouchedTenants(p))
	} else {
		entry, err = backupBefore(ctx, t, pol.Store, meta, planned)
	}
	if err != nil {
		return out, fmt.Errorf("%w; nothing was changed", err)
	}
	out.Backup = entry
	emit(pol.Events, Event{Kind: EventBackedUp, Backup: entry})

	res, err := execute(ctx, t, planned, executeOptions{Parallel: pol.Parallel, Events: pol.Events})
	out.Result = res
	if err == nil && res != nil {
		err = res.err(t)
	}

	if pol.Audit != nil {
		var ferr error
		e := AuditEntry{
			Time: now().UTC(), User: meta.User, Operation: pol.Operation, Target: t.Description,
			ProjectID: t.ProjectID, Script: pol.Subject, InputDigest: pol.InputsDigest, GitCommit: meta.GitCommit,
			BackupID: entry.ID, Result: "ok",
		}
		if res != nil {
			r := res.Report
			e.Counts = map[string]int{"done": len(r.Done), "failed": len(r.Failed), "unknown": len(r.Unknown), "not_started": len(r.NotStarted)}
		}
		if err != nil {
			e.Result, e.Error = "failed", err.Error()
		}
		if e.Secrets, ferr = sentFingerprints(t, planned, res); ferr != nil {
			out.Warnings = append(out.Warnings, ferr)
		}
		if aerr := pol.Audit.Append(ctx, e); aerr != nil {
			out.Warnings = append(out.Warnings, fmt.Errorf("could not write the audit log: %w", aerr))
		}
	}
	if pol.Retention != nil {
		removed, perr := pol.Store.Prune(t.ProjectID, *pol.Retention)
		if perr != nil {
			out.Warnings = append(out.Warnings, fmt.Errorf("could not prune old backups: %w", perr))
		}
		out.Pruned = removed
	}
	return out, err
}

func emit(fn func(Event), ev Event) {
	if fn != nil {
		fn(ev)
	}
}
