package runtime

import (
	"fmt"
	"strings"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// BackupTarget returns the target the backups of t record and are kept by
// (backup.Metadata.Target, backup.WithTarget): backup.LocalTarget for the
// local project, else the base URL its client calls.
func (t *Target) BackupTarget() string {
	if t.Local {
		return backup.LocalTarget
	}
	return strings.TrimRight(t.BaseURL, "/")
}

// BackupTargetFromEnv returns the backup target of the project OpenTarget
// opens for projectID, without opening it (no key needed):
// backup.LocalTarget when DESCOPE_PROJECT_ID is unset, else
// DESCOPE_BASE_URL or the address the SDKs derive from the project id.
func BackupTargetFromEnv(getenv func(string) string, projectID string) string {
	if getenv(mgmt.EnvProjectID) == "" {
		return backup.LocalTarget
	}
	if u := getenv(mgmt.EnvBaseURL); u != "" {
		return strings.TrimRight(u, "/")
	}
	return mgmt.BaseURLForProjectID(projectID)
}

// CheckRestoreTarget refuses to restore backup b, named id, onto t when b
// was read from another target than t (or does not say where it was read
// from), unless allowOther: a backup of the local project restored onto the
// real project whose id it took, or the reverse, writes one's objects onto
// the other. The refusal is an *OtherTargetError.
func CheckRestoreTarget(b *backup.Backup, id string, t *Target, allowOther bool) error {
	if allowOther || b.Metadata.Target == t.BackupTarget() {
		return nil
	}
	return &OtherTargetError{
		BackupID: id, From: b.Metadata.Target, FromProjectID: b.Metadata.ProjectID, To: t.Description,
	}
}

// OtherTargetError is a restore refused because the backup was read from
// another target than the one it would be restored onto. The CLI exits 4.
type OtherTargetError struct {
	// BackupID names the backup.
	BackupID string
	// From is the backup's Metadata.Target: backup.LocalTarget, a base URL,
	// or "" for a backup that predates the field.
	From string
	// FromProjectID is the project the backup was read from.
	FromProjectID string
	// To describes the target of the restore.
	To string
}

// Refusal says where the backup came from and how to restore it anyway.
func (e *OtherTargetError) Refusal() (reason, hint string) {
	const anyway = "to restore it here anyway, review it with backup diff, then pass --from-other-target"
	switch e.From {
	case "":
		return fmt.Sprintf("backup %s does not say which target it was taken from (descope-run recorded none before it kept local backups apart): it may hold the local project's objects, not those of %s",
			e.BackupID, e.To), anyway
	case backup.LocalTarget:
		return fmt.Sprintf("backup %s was taken from the local project %s, not from %s", e.BackupID, e.FromProjectID, e.To), anyway
	}
	return fmt.Sprintf("backup %s was taken from Descope project %s at %s, not from %s", e.BackupID, e.FromProjectID, e.From, e.To), anyway
}

func (e *OtherTargetError) Error() string {
	reason, hint := e.Refusal()
	return fmt.Sprintf("refused: %s (%s)", reason, hint)
}
