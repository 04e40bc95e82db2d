package runtime

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// StateDir is descope-run's per-user folder: backups, locks and the audit
// log live under it (~/.descope-mgmt).
func StateDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory: %w", err)
	}
	return filepath.Join(home, ".descope-mgmt"), nil
}

// ExpandHome replaces a leading "~/" with the user's home directory.
func ExpandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// CurrentUser names who runs descope-run, for backups and the audit log.
func CurrentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// GitCommit returns the commit checked out in dir, or "" when dir is not in
// a git repository or git is not installed.
func GitCommit(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// BackupReadOptions is what a full backup reads: everything a plan reads,
// every flow's document, the theme, the project, and the settings of the
// given tenants (one call each; the API has no bulk read); with all, every
// tenant's settings and SSO configurations.
func BackupReadOptions(settings []string, allSettings bool) mgmt.ReadOptions {
	return mgmt.ReadOptions{AllFlows: true, Theme: true, Project: true, Settings: settings, AllSettings: allSettings, AllSSO: allSettings}
}

// BackupStore keeps backups: the backup package's DirStore, or any other
// store (object storage) that can write a backup and prune old ones.
type BackupStore interface {
	// Write stores b and returns its entry.
	Write(ctx context.Context, b *backup.Backup) (backup.Entry, error)
	// Prune deletes the project's backups that the policy lets go, and
	// returns them.
	Prune(projectID string, p backup.RetentionPolicy) ([]backup.Entry, error)
}

// TakeBackup reads the live project of t and writes a backup of it to store.
// settingsFor names the tenants whose settings are read (nil and all=false
// reads none; all=true reads every tenant's).
func TakeBackup(ctx context.Context, t *Target, store BackupStore, meta backup.Metadata, settingsFor []string, all bool) (backup.Entry, *descope.State, error) {
	return writeBackup(ctx, t, store, meta, BackupReadOptions(settingsFor, all), nil)
}

// writeBackup reads what opts say of t's project and writes it to store as
// a backup. snapshot, when the project was read already, is the snapshot's
// files (opts.Known holds the project).
func writeBackup(ctx context.Context, t *Target, store BackupStore, meta backup.Metadata, opts mgmt.ReadOptions, snapshot map[string]any) (backup.Entry, *descope.State, error) {
	files := snapshot
	if files == nil {
		opts.SnapshotFiles = &files
	}
	opts.Progress = t.observe(PhaseBackup)
	live, err := t.Client.ReadState(ctx, opts)
	if err != nil {
		return backup.Entry{}, nil, fmt.Errorf("backup: %w", t.readError(err))
	}
	meta.ProjectID = t.ProjectID
	meta.Target = t.BackupTarget() // a store kept for another target refuses it
	b := backup.New(meta, live)
	if b.ProjectSettings != nil {
		b.ProjectSettings.SnapshotFiles = files
	}
	entry, err := store.Write(ctx, b)
	if err != nil {
		return backup.Entry{}, nil, fmt.Errorf("backup: %w", err)
	}
	return entry, live, nil
}

// backupBefore backs the project up before the plan of pl is executed. It
// reads only what the plan's read (pl.Live, made under the same lock) lacks:
// the documents of the flows the config does not declare, the theme, the
// project snapshot and the settings of the tenants the plan touches
// (TouchedTenants).
func backupBefore(ctx context.Context, t *Target, store BackupStore, meta backup.Metadata, pl *Planned) (backup.Entry, error) {
	opts := BackupReadOptions(TouchedTenants(pl.Plan), false)
	opts.SSO = touchedSSOTenants(pl.Plan)
	opts.Known = pl.Live
	entry, _, err := writeBackup(ctx, t, store, meta, opts, pl.snapshot)
	return entry, err
}

// TouchedTenants returns the ids of the live tenants whose settings a plan
// may change or lose: those it deletes or replaces, and those whose settings
// it updates. A pre-apply backup holds their settings (one call each).
func TouchedTenants(p *descope.Plan) []string {
	var ids []string
	for _, c := range p.Changes {
		if c.Kind != descope.KindTenant || c.Action == descope.ActionCreate {
			continue
		}
		if c.Action == descope.ActionUpdate && !slices.ContainsFunc(c.Fields, func(f descope.FieldChange) bool {
			return strings.HasPrefix(f.Path, "settings.")
		}) {
			continue
		}
		ids = append(ids, c.Key)
	}
	return ids
}

// NewMetadata fills the backup metadata that does not depend on the project.
func NewMetadata(operation, reason, toolVersion, workspace string, now time.Time) backup.Metadata {
	m := backup.Metadata{
		ToolVersion: toolVersion,
		CreatedAt:   now.UTC(),
		Operation:   operation,
		Reason:      reason,
		User:        CurrentUser(),
	}
	if workspace != "" {
		m.GitCommit = GitCommit(workspace)
	}
	return m
}
