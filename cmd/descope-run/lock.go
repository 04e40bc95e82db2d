package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/runtime"
)

// LockOptions are the inputs of `descope-run lock show|break`.
type LockOptions struct {
	f         *Factory
	Workspace string
	// Project (--project NAME) and ProjectID (--project-id ID, or the
	// PROJECT-ID argument) choose the project whose lock is shown or
	// broken, as the backup commands choose it (resolveProject).
	Project, ProjectID string
	Force              bool
	// Break is set for lock break.
	Break bool
}

// lockAdmin is what lock show and lock break need of a locker.
type lockAdmin interface {
	Holder(ctx context.Context, projectID string) (*runtime.LockHolder, error)
	Break(ctx context.Context, projectID string, force bool) (runtime.LockHolder, error)
}

var (
	_ lockAdmin = (*runtime.SharedLocker)(nil)
	_ lockAdmin = runtime.FileLocker{}
)

// NewCmdLock returns the lock command. runF replaces its subcommands' body
// in tests.
func NewCmdLock(f *Factory, runF func(*cobra.Command, *LockOptions) error) *cobra.Command {
	opts := &LockOptions{f: f}
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Show or break the lock that apply, restore and run hold on a project",
		Long: `An apply, a restore and a script's writes hold a lock on the project, so that
one operation at a time writes to it.

With a store URL (--backup-url, ` + EnvBackupURL + ` or backup.url in
descope-run.yaml) the lock is an object in the store, shared by every
machine: of two machines taking it at once exactly one gets it. It names its
holder (command, host, process, user), when it was taken and when it expires;
the holder renews it every minute while it runs, and it expires 5 minutes
after the last renewal. descope-run never takes over a lock, expired or not:
it is broken with lock break, which refuses a lock that has not expired
unless --force.

Without one, the lock is a file in ~/.descope-mgmt/locks and keeps the
operations of one machine apart.

The project is chosen as the backup commands choose it: PROJECT-ID (the
same as --project-id ID), --project NAME (an entry of descope-run.yaml's
projects:), DESCOPE_PROJECT_ID, else the workspace's only local project.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&opts.Workspace, "workspace", ".", "the workspace `DIR`, for descope-run.yaml and the local project")
	addProjectFlags(cmd, pf, &opts.Project, &opts.ProjectID)
	f.addBackupURLFlag(pf)
	run := func(c *cobra.Command, args []string) error {
		if len(args) == 1 {
			if opts.ProjectID != "" && opts.ProjectID != args[0] {
				return fmt.Errorf("PROJECT-ID %s and --project-id %s: give the project once", args[0], opts.ProjectID)
			}
			opts.ProjectID = args[0]
		}
		if runF != nil {
			return runF(c, opts)
		}
		return lockRun(c.Context(), opts)
	}
	show := &cobra.Command{
		Use:   "show [PROJECT-ID]",
		Short: "Show who holds the lock on a project",
		Long: `Show who holds the lock on a project: the command, host, process and user,
and since when; for a lock in a store, when it expires unless its holder
renews it, or that it expired and how to break it. Without PROJECT-ID,
--project or --project-id, the project is DESCOPE_PROJECT_ID's, else the
workspace's only local project.`,
		Example: `  descope-run lock show
  descope-run lock show --project prod
  descope-run lock show P2abc --backup-url 's3://acme-descope/prod?region=eu-west-1'`,
		Args: cobra.MaximumNArgs(1),
		RunE: run,
	}
	brk := &cobra.Command{
		Use:   "break [PROJECT-ID]",
		Short: "Delete the lock on a project left by an operation that died",
		Long: `Delete the lock on a project and say whose it was. A lock in a store that has
not expired is refused: its holder renews it while it runs. --force breaks it
anyway; use it only when you know the holder is not running (its machine is
off, its CI job was cancelled). A break is written to the audit log.

The project must be named: PROJECT-ID, --project NAME, --project-id ID or
DESCOPE_PROJECT_ID.`,
		Example: `  descope-run lock break P2abc
  descope-run lock break --project prod
  descope-run lock break P2abc --force --backup-url 's3://acme-descope/prod?region=eu-west-1'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Break = true
			if len(args) == 0 && opts.Project == "" && opts.ProjectID == "" && opts.f.Getenv(mgmt.EnvProjectID) == "" {
				return fmt.Errorf("lock break: which project? name the one whose lock to break: descope-run lock break PROJECT-ID, --project NAME or --project-id ID")
			}
			return run(c, args)
		},
	}
	brk.Flags().BoolVar(&opts.Force, "force", false, "break a lock that has not expired")
	cmd.AddCommand(show, brk)
	return cmd
}

func lockRun(ctx context.Context, opts *LockOptions) error {
	f := opts.f
	ws, err := openWorkspaceFlag(opts.Workspace)
	if err != nil {
		return err
	}
	p, err := f.resolveProject(ws, projectSelection{Name: opts.Project, ID: opts.ProjectID})
	if err != nil {
		return err
	}
	target := p.backupTarget(f.Getenv)
	where := "the lock file of this machine"
	var locks lockAdmin
	s, source, err := f.sharedStoreFor(ws, "", target)
	switch {
	case err != nil:
		return err
	case s != nil:
		l := f.sharedLocker(ws, s, source)
		locks, where = l, s.URL(l.Key(p.ID))
	default:
		fl, err := f.fileLocker()
		if err != nil {
			return err
		}
		locks, where = fl, filepath.Join(fl.Dir, p.ID+".lock")
	}
	out := f.IO.Out
	now := f.Now()
	if !opts.Break {
		h, err := locks.Holder(ctx, p.ID)
		if err != nil {
			return err
		}
		if h == nil {
			fmt.Fprintf(out, "Project %s (%s) is not locked (%s).\n", p.ID, targetName(target), where)
			return nil
		}
		fmt.Fprintf(out, "Project %s (%s) is locked by %s%s (%s).\n", p.ID, targetName(target), h.String(), ago(now, h.Since), where)
		if !h.Expires.IsZero() {
			if now.Before(h.Expires) {
				fmt.Fprintf(out, "The lock expires at %s (in %s) unless its holder renews it.\n", h.Expires.UTC().Format(time.RFC3339), runtime.RoundAge(h.Expires.Sub(now)))
			} else {
				fmt.Fprintf(out, "The lock expired %s ago: its holder stopped renewing it. If it is not running, break it with descope-run lock break %s.\n", runtime.RoundAge(now.Sub(h.Expires)), p.ID)
			}
		}
		return nil
	}
	h, err := locks.Break(ctx, p.ID, opts.Force)
	if errors.Is(err, runtime.ErrNotLocked) {
		fmt.Fprintf(out, "Project %s (%s) is not locked (%s): nothing to break.\n", p.ID, targetName(target), where)
		return nil
	}
	if err != nil {
		return err
	}
	note := fmt.Sprintf("broke the lock held by %s%s", h.String(), ago(now, h.Since))
	fmt.Fprintf(out, "Project %s (%s): %s.\n", p.ID, targetName(target), note)
	audit, err := f.auditLog(ws, "", target)
	if err == nil {
		err = audit.Append(ctx, runtime.AuditEntry{
			Time: now.UTC(), User: runtime.CurrentUser(), Operation: "lock break", Target: targetName(target),
			ProjectID: p.ID, Result: "ok", Note: note,
		})
	}
	if err != nil {
		f.Logger().Warn("the lock break is not in the audit log", "err", err)
	}
	return nil
}

// targetName names a backup target for people.
func targetName(target string) string {
	switch target {
	case backup.LocalTarget:
		return "the workspace's local project"
	case "":
		return "Descope"
	}
	return target
}

// ago says how long before now t was (" (3m0s ago)"), or "" for no t.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf(" (%s ago)", runtime.RoundAge(now.Sub(t)))
}

// openWorkspaceFlag opens the workspace that holds dir (--workspace).
func openWorkspaceFlag(dir string) (*runtime.Workspace, error) {
	root, err := runtime.FindRootFromDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--workspace %s: %w", dir, err)
	}
	return runtime.OpenWorkspace(root)
}
