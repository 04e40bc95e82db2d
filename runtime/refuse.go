package runtime

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// Refusal is an operation refused for safety before anything was written:
// a lock held by another operation, a delete guard, stranded sub-tenants, a
// project mismatch, a stale saved plan, a project that changed while the
// operation waited for confirmation. Each outcome a caller may branch on
// has its own type; the CLI exits 4 on any of them.
type Refusal interface {
	error
	// Refusal returns what was refused and why, and what to do about it.
	Refusal() (reason, hint string)
}

// refusalText is the Error text of a refusal.
func refusalText(r Refusal) string {
	reason, hint := r.Refusal()
	if hint == "" {
		return "refused: " + reason
	}
	return fmt.Sprintf("refused: %s (%s)", reason, hint)
}

// A RefusedError is a refusal that no caller branches on apart from the
// others.
type RefusedError struct {
	// What was refused and why.
	Reason string
	// Hint says what to do about it.
	Hint string
}

// Refusal returns e's reason and hint.
func (e *RefusedError) Refusal() (string, string) { return e.Reason, e.Hint }

func (e *RefusedError) Error() string { return refusalText(e) }

// LockHeldError is a lock that another operation holds on the project.
type LockHeldError struct {
	// Holder is who holds it, as far as the lock says.
	Holder LockHolder
	// Where names the lock (a file, an object) for a holder that died
	// without it.
	Where string
	// Now is when the lock was found held, for its age; Break is the
	// command that breaks it. A SharedLocker sets both.
	Now   time.Time
	Break string
}

// Refusal names the holder; for a shared lock, also its age, whether it
// expired, and the command that breaks it.
func (e *LockHeldError) Refusal() (string, string) {
	h := e.Holder
	if e.Break != "" {
		return e.sharedRefusal()
	}
	since := "?"
	if !h.Since.IsZero() {
		since = h.Since.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("another %s holds the lock on this project (pid %d on %s since %s)",
			orDefault(h.Command, "apply"), h.PID, orDefault(h.Host, "?"), since),
		"wait for it to finish; if it died, delete " + e.Where
}

// sharedRefusal is the Refusal of a lock in a shared store, which is never
// taken over: it says how old the lock is and whether it expired (then its
// holder stopped renewing it), and prints the command that breaks it.
func (e *LockHeldError) sharedRefusal() (string, string) {
	h := e.Holder
	reason := "another operation holds the lock on this project: " + h.String()
	if !h.Since.IsZero() {
		reason += fmt.Sprintf(" (%s ago)", RoundAge(e.Now.Sub(h.Since)))
	}
	switch {
	case h.Expires.IsZero():
		return reason + "; the lock " + e.Where + " does not say when it expires",
			"if no operation runs, break it: " + e.Break + " --force"
	case !e.Now.Before(h.Expires):
		return reason + fmt.Sprintf("; the lock expired %s ago, so its holder stopped renewing it: it most likely died", RoundAge(e.Now.Sub(h.Expires))),
			"if it is not running, break the lock: " + e.Break
	}
	return reason + fmt.Sprintf("; its holder renews the lock while it runs, and it expires in %s otherwise", RoundAge(h.Expires.Sub(e.Now))),
		"wait for it to finish; if it died, run " + e.Break + " once the lock expires, or " + e.Break + " --force now if you know it is not running"
}

func (e *LockHeldError) Error() string { return refusalText(e) }

// DeleteGuardError is a plan that deletes more objects than the policy
// allows (--max-deletes).
type DeleteGuardError struct {
	Deletes, Max int
	// Operation is the operation refused (Policy.Operation): a restore's
	// deletes come from --prune, not from own() claims.
	Operation string
}

// Refusal says how many, and where the deletes come from.
func (e *DeleteGuardError) Refusal() (string, string) {
	why := "check the own() claims"
	if e.Operation == backup.OperationRestore {
		why = "--prune deletes what the backup does not hold; restore without --prune to keep them"
	}
	return fmt.Sprintf("the plan deletes %d objects, more than --max-deletes %d", e.Deletes, e.Max),
		why + "; if the deletes are intended, raise --max-deletes"
}

func (e *DeleteGuardError) Error() string { return refusalText(e) }

// StrandedSubTenantsError is a plan that deletes or replaces tenants whose
// live sub-tenants stay: Descope deletes no tenant that has sub-tenants.
type StrandedSubTenantsError struct {
	// Changes are the tenants' deletes and replaces; each one's
	// StrandedSubTenants names the sub-tenants that stay.
	Changes []*descope.Change
}

// Refusal names each tenant, where it is declared, and its sub-tenants.
func (e *StrandedSubTenantsError) Refusal() (string, string) {
	problems := make([]string, 0, len(e.Changes))
	for _, c := range e.Changes {
		what := fmt.Sprintf("tenant %q would be %sd", c.Key, c.Action)
		if pos := c.Origin.Pos(); pos != "" {
			what += " (" + pos + ")"
		}
		quoted := make([]string, len(c.StrandedSubTenants))
		for i, id := range c.StrandedSubTenants {
			quoted[i] = strconv.Quote(id)
		}
		problems = append(problems, fmt.Sprintf("%s but its sub-tenants %s stay", what, strings.Join(quoted, ", ")))
	}
	return strings.Join(problems, "; "),
		"Descope deletes no tenant that has sub-tenants: delete or re-parent them in the same config, or keep the parent"
}

func (e *StrandedSubTenantsError) Error() string { return refusalText(e) }

// ProjectMismatchError is a config pinned to, or a saved plan made for,
// another project than the target's.
type ProjectMismatchError struct {
	// Want is the project the config pins or the plan was made for; Plan
	// names the saved plan ("" for a config).
	Want, Plan string
	// TargetID and Target are the target's project and description.
	TargetID, Target string
}

// Refusal names both projects.
func (e *ProjectMismatchError) Refusal() (string, string) {
	if e.Plan != "" {
		return fmt.Sprintf("plan %s was made for project %s, not %s", e.Plan, e.Want, e.TargetID),
			"apply it with the environment it was planned in"
	}
	return fmt.Sprintf("the config pins project %s but the target is %s", e.Want, e.Target),
		"point " + mgmt.EnvProjectID + " at the project this config describes, or change project(id=...)"
}

func (e *ProjectMismatchError) Error() string { return refusalText(e) }

// StalePlanError is a saved plan made from another live project than the
// one read now.
type StalePlanError struct {
	// Plan names the saved plan.
	Plan string
}

// Refusal names the plan.
func (e *StalePlanError) Refusal() (string, string) {
	return fmt.Sprintf("plan %s is stale: the live project changed since it was made", e.Plan),
		"run plan again and review the new plan"
}

func (e *StalePlanError) Error() string { return refusalText(e) }

// ChangedWhileWaitingError is a live project that changed while the
// operation waited for confirmation: the plan confirmed is not the plan
// that would run.
type ChangedWhileWaitingError struct {
	// Operation is what waited (apply, restore).
	Operation string
}

// Refusal says to plan again.
func (e *ChangedWhileWaitingError) Refusal() (string, string) {
	return "the live project changed while the plan waited for confirmation",
		"run " + orDefault(e.Operation, "apply") + " again and review the new plan"
}

func (e *ChangedWhileWaitingError) Error() string { return refusalText(e) }
