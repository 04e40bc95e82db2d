package runtime

import "github.com/descope-run/descope-run/descope/mgmt"

// ReadPhase says why the live project is read, for a progress display
// (Target.Observe).
type ReadPhase string

// The reads of an operation.
const (
	// PhaseRead is the read a plan is made from (and its re-read after a
	// confirmation).
	PhaseRead ReadPhase = "read"
	// PhaseBackup is what a backup reads beyond the plan's read: every
	// flow's document, the theme, the project, the tenants' settings.
	PhaseBackup ReadPhase = "backup"
	// PhaseVerify is the re-read of the objects an apply changed.
	PhaseVerify ReadPhase = "verify"
)

// observe returns the progress callback of a read in phase ph, or nil.
func (t *Target) observe(ph ReadPhase) func(mgmt.ReadProgress) {
	if t.Observe == nil {
		return nil
	}
	return t.Observe(ph)
}
