package main

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

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

// backupStore opens the backup store of target (see backup.WithTarget):
// --backup-dir, else descope-run.yaml's backup.dir, else
// ~/.descope-mgmt/backups.
func (f *Factory) backupStore(ws *runtime.Workspace, dir string, git bool, target string) (*backup.DirStore, error) {
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

// locker locks projects under the user's state folder
// (~/.descope-mgmt/locks), wherever the backups go.
func (f *Factory) locker() (runtime.Locker, error) {
	dir, err := runtime.StateDir()
	if err != nil {
		return nil, err
	}
	return runtime.FileLocker{Dir: filepath.Join(dir, "locks"), Now: f.Now}, nil
}

// auditLog is the audit log, ~/.descope-mgmt/audit.log.
func (f *Factory) auditLog() (runtime.AuditSink, error) {
	dir, err := runtime.StateDir()
	if err != nil {
		return nil, err
	}
	return runtime.AuditLog{Path: filepath.Join(dir, "audit.log")}, nil
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
