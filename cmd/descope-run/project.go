package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/descope/render"
	"github.com/descope-run/descope-run/runtime"
)

// DefaultRate is the pacing when neither --rate nor descope-run.yaml sets one.
const DefaultRate = "200/60s"

// pacer returns the one pacer every call to the project shares: --rate,
// else descope-run.yaml's rate, else DefaultRate. The burst is the rate's N.
func (f *Factory) pacer(ws *runtime.Workspace) (*mgmt.Pacer, error) {
	spec, source := f.Globals.Rate, "--rate"
	if spec == "" && ws != nil && ws.Config.Rate != "" {
		spec, source = ws.Config.Rate, "rate in descope-run.yaml"
	}
	if spec == "" {
		spec = DefaultRate
	}
	r, err := mgmt.ParseRate(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return mgmt.NewPacer(r, r.N, mgmt.WithPacerLogger(f.Logger().Named("pacer"))), nil
}

// openTarget opens the project a config evaluated in ws works on: the one
// resolveProject chooses for its project(id=...) pin (see openChosen).
func (f *Factory) openTarget(ws *runtime.Workspace, desired *descope.State) (*runtime.Target, error) {
	sel := projectSelection{Config: true}
	if desired != nil && desired.Project != nil {
		sel.Pinned = desired.Project.ID
	}
	return f.openSelected(ws, sel)
}

// openTargetEnv opens the target for the project pinned, reading the
// environment through getenv.
func (f *Factory) openTargetEnv(ws *runtime.Workspace, pinned string, getenv func(string) string) (*runtime.Target, error) {
	p, err := f.pacer(ws)
	if err != nil {
		return nil, err
	}
	opts := runtime.TargetOptions{
		Getenv: getenv, Pacer: p, Logger: f.Logger(), Version: toolVersion(),
		PinnedProjectID: pinned,
	}
	for _, pc := range ws.Config.Projects {
		if pinned != "" && pc.ID == pinned {
			opts.KeyEnv = pc.KeyEnv
		}
	}
	t, err := runtime.OpenTarget(ws, opts)
	if err != nil {
		return nil, err
	}
	f.closers = append(f.closers, t.Close)
	f.recallPace(t)
	t.Secrets = &runtime.Secrets{Getenv: f.Getenv, Rotate: f.RotateSecrets}
	if audit, err := f.auditLog(ws, "", t.BackupTarget()); err == nil {
		t.Secrets.Ledger, _ = audit.(runtime.SecretLedger)
	}
	f.watch(t)
	return t, nil
}

// recallPace starts t's pacer at the pace learnt for its project (kept
// beside its lock) and keeps what the pacer knows when the command is done.
// The pace is a cache: failing to read or write it only costs a warning.
func (f *Factory) recallPace(t *runtime.Target) {
	if t.Local {
		return // not paced
	}
	dir, err := runtime.StateDir()
	if err != nil {
		f.Logger().Warn("starting at the configured pace", "err", err)
		return
	}
	keep, err := runtime.RecallPace(t, dir, f.Now())
	if err != nil {
		f.Logger().Warn("starting at the configured pace", "err", err)
	}
	f.closers = append(f.closers, func() error {
		if err := keep(); err != nil {
			f.Logger().Warn("could not keep the learnt pace for the next run", "err", err)
		}
		return nil
	})
}

// EnvBackupURL is the environment variable that holds the store URL.
const EnvBackupURL = "DESCOPE_RUN_BACKUP_URL"

// addBackupURLFlag adds --backup-url to the flags of a command that writes
// or reads backups.
func (f *Factory) addBackupURLFlag(fl *pflag.FlagSet) {
	fl.StringVar(&f.Globals.BackupURL, "backup-url", "", "keep backups, locks and the audit log in the store at `URL` (s3://bucket/prefix, gs://bucket/prefix, file:///dir), shared by every machine that names it (also "+EnvBackupURL+", backup.url)")
}

// storeURL returns the store URL that backups, locks and the audit log go
// to, and where it was given: --backup-url, else DESCOPE_RUN_BACKUP_URL,
// else backup.url in descope-run.yaml; "" when they stay on this machine
// (the backup directory dir, from --backup-dir, or backup.dir, or the
// default). --backup-dir beats the variable; the two flags, or the two
// settings of descope-run.yaml, together are an error.
func (f *Factory) storeURL(ws *runtime.Workspace, dir string) (url, source string, err error) {
	switch flag := f.Globals.BackupURL; {
	case flag != "" && dir != "":
		return "", "", errors.New("--backup-url and --backup-dir: backups go to one place; drop one of them")
	case flag != "":
		return flag, "--backup-url", nil
	case dir != "":
		return "", "", nil
	}
	if u := f.Getenv(EnvBackupURL); u != "" {
		return u, EnvBackupURL, nil
	}
	if ws == nil || ws.Config.Backup.URL == "" {
		return "", "", nil
	}
	if ws.Config.Backup.Dir != "" {
		return "", "", fmt.Errorf("backup.url and backup.dir in %s: backups go to one place; drop one of them", filepath.Join(ws.Root, runtime.ConfigFile))
	}
	return ws.Config.Backup.URL, "backup.url", nil
}

// sharedStore opens the store at the URL of storeURL for target, once per
// command; it is closed when the command ends.
func (f *Factory) sharedStore(ws *runtime.Workspace, url, source string, git bool, target string) (*backup.BlobStore, error) {
	key := [2]string{url, target}
	if s, ok := f.shared[key]; ok {
		return s, nil
	}
	if ws != nil && ws.Config.Backup.Git {
		git = true
	}
	// The store's calls outlive an interrupt: the audit log and the
	// pruning after an interrupted apply still reach it.
	ctx := context.WithoutCancel(cmp.Or(f.ctx, context.Background()))
	s, err := backup.OpenBlobStore(ctx, url, backup.WithTarget(target), backup.WithClock(f.Now), backup.WithGit(git),
		backup.WithLogger(f.Logger().Named("backup")))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if f.shared == nil {
		f.shared = map[[2]string]*backup.BlobStore{}
	}
	f.shared[key] = s
	f.closers = append(f.closers, s.Close)
	return s, nil
}

// backupStore opens the backup store of target (see backup.WithTarget):
// the store URL (storeURL), else the directory --backup-dir, else
// descope-run.yaml's backup.dir, else ~/.descope-mgmt/backups.
func (f *Factory) backupStore(ws *runtime.Workspace, dir string, git bool, target string) (backup.Store, error) {
	url, source, err := f.storeURL(ws, dir)
	if err != nil {
		return nil, err
	}
	if url != "" {
		return f.sharedStore(ws, url, source, git, target)
	}
	if dir == "" && ws != nil && ws.Config.Backup.Dir != "" {
		// A relative backup.dir is relative to the workspace root.
		dir = runtime.ExpandHome(ws.Config.Backup.Dir)
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(ws.Root, dir)
		}
	}
	if dir == "" {
		var err error
		if dir, err = backup.DefaultRoot(); err != nil {
			return nil, err
		}
	}
	if ws != nil && ws.Config.Backup.Git {
		git = true
	}
	return backup.NewDirStore(dir, backup.WithTarget(target), backup.WithClock(f.Now), backup.WithGit(git), backup.WithLogger(f.Logger().Named("backup")))
}

// retention is the backup retention: 30 days (backup.max_age in
// descope-run.yaml), keeping the newest 5 (backup.keep) whatever their age.
func retention(ws *runtime.Workspace) (backup.RetentionPolicy, error) {
	p := backup.DefaultRetention
	if ws == nil {
		return p, nil
	}
	if ws.Config.Backup.Keep > 0 {
		p.KeepLast = ws.Config.Backup.Keep
	}
	if s := ws.Config.Backup.MaxAge; s != "" {
		age, err := parseAge(s)
		if err != nil {
			return p, fmt.Errorf("backup.max_age in %s: %w", runtime.ConfigFile, err)
		}
		p.MaxAge = age
	}
	return p, nil
}

// sharedStoreFor opens the store at the store URL (storeURL) for target, or
// returns nil when there is none.
func (f *Factory) sharedStoreFor(ws *runtime.Workspace, dir, target string) (*backup.BlobStore, string, error) {
	url, source, err := f.storeURL(ws, dir)
	if err != nil || url == "" {
		return nil, "", err
	}
	s, err := f.sharedStore(ws, url, source, false, target)
	return s, source, err
}

// locker locks the projects of target: in the store at the store URL
// (storeURL), so that the lock holds across machines, else under the
// user's state folder (~/.descope-mgmt/locks), on this machine only.
func (f *Factory) locker(ws *runtime.Workspace, dir, target string) (runtime.Locker, error) {
	s, source, err := f.sharedStoreFor(ws, dir, target)
	switch {
	case err != nil:
		return nil, err
	case s != nil:
		return f.sharedLocker(ws, s, source), nil
	}
	return f.fileLocker()
}

// fileLocker is the lock of one machine, ~/.descope-mgmt/locks.
func (f *Factory) fileLocker() (runtime.FileLocker, error) {
	dir, err := runtime.StateDir()
	if err != nil {
		return runtime.FileLocker{}, err
	}
	return runtime.FileLocker{Dir: filepath.Join(dir, "locks"), Now: f.Now}, nil
}

// sharedLocker locks projects in s, recording the command that runs; its
// refusals print the lock break command that reaches the same lock.
func (f *Factory) sharedLocker(ws *runtime.Workspace, s *backup.BlobStore, source string) *runtime.SharedLocker {
	log := f.Logger()
	return &runtime.SharedLocker{
		Objects: s, Folder: s.Folder(), Command: f.command, Now: f.Now,
		Warn: func(msg string) { log.Warn(msg) },
		BreakCommand: func(projectID string) string {
			c := "descope-run lock break " + projectID
			if ws != nil {
				if wd, err := os.Getwd(); err != nil || wd != ws.Root {
					c += " --workspace " + ws.Root
				}
			}
			if source == "--backup-url" {
				c += " --backup-url URL" // the URL may hold what should not be printed
			}
			return c
		},
	}
}

// auditLog is the audit log of the projects of target: objects in the
// store at the store URL (storeURL), else ~/.descope-mgmt/audit.log.
func (f *Factory) auditLog(ws *runtime.Workspace, dir, target string) (runtime.AuditSink, error) {
	s, _, err := f.sharedStoreFor(ws, dir, target)
	switch {
	case err != nil:
		return nil, err
	case s != nil:
		return runtime.SharedAudit{Objects: s, Folder: s.Folder()}, nil
	}
	sd, err := runtime.StateDir()
	if err != nil {
		return nil, err
	}
	return runtime.AuditLog{Path: filepath.Join(sd, "audit.log")}, nil
}

// renderTarget describes a target for the JSON plan.
func renderTarget(t *runtime.Target) render.Target {
	rt := render.Target{Description: t.Description, ProjectID: t.ProjectID, Local: t.Local}
	if !t.Local {
		rt.BaseURL = t.BaseURL
	}
	return rt
}

// evalScript evaluates a config with the global options.
func (f *Factory) evalScript(ctx context.Context, script string) (*runtime.Result, error) {
	return runtime.Eval(ctx, f.EvalOptions(script))
}

// projectNames returns the names of descope-run.yaml's projects, sorted.
func projectNames(ws *runtime.Workspace) []string {
	return slices.Sorted(maps.Keys(ws.Config.Projects))
}

// listed returns "label a, b", or "label none".
func listed(label string, names []string) string {
	if len(names) == 0 {
		return label + " none"
	}
	return label + " " + strings.Join(names, ", ")
}
