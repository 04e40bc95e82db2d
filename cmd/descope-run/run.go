package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/descope/render"
	"github.com/descope-run/descope-run/runtime"
)

// RunOptions are the inputs of `descope-run run`.
type RunOptions struct {
	f           *Factory
	Script      string
	DryRun      bool
	AutoApprove bool
	JSON        bool
	MaxDeletes  int
	Parallel    int
	BackupDir   string
	// ShowUnmanaged lists the live objects a write leaves alone; Full
	// shows every field of a plan.
	ShowUnmanaged, Full bool
	// Timeout is --eval-timeout when given: a script has no time limit
	// otherwise.
	Timeout time.Duration
}

// NewCmdRun returns the run command. runF replaces its body in tests.
func NewCmdRun(f *Factory, runF func(*cobra.Command, *RunOptions) error) *cobra.Command {
	opts := &RunOptions{f: f}
	cmd := &cobra.Command{
		Use:   "run SCRIPT",
		Short: "Run an automation script against live projects",
		Long: `Run an automation script: a Starlark program with the config builtins plus
the live projects (descope.project), diff, eval, batch and backups; see
"Scripts" in the README for the whole surface. print() writes to stdout.

A script's writes (p.apply, p.delete) are the operation apply runs: the lock,
--max-deletes, the plan shown and confirmed (--auto-approve skips asking;
with no terminal and no --auto-approve the write is refused, exit 4), one
backup of a project before the script's first write to it, paced execution,
verification and the audit log, which names the script. --dry-run shows the
plan of every write and writes nothing.

Every call to a project, the batch items' included, is paced by that
project's one limiter (--rate, or rate in descope-run.yaml). A script has
no time limit unless --eval-timeout is given. A script error exits 3 with
its file:line; a refused write exits 4; a script that ran to its end while
items of a batch failed exits 1.`,
		Example: `  descope-run run scripts/automation/report.star --json
  descope-run run scripts/automation/disable_churned.star --dry-run
  descope-run run scripts/automation/promote.star --var flow=sign-up-or-in --auto-approve`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: starFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Script = args[0]
			if opts.MaxDeletes < 0 {
				return fmt.Errorf("--max-deletes %d: want 0 or more", opts.MaxDeletes)
			}
			if cmd.Flags().Changed("eval-timeout") {
				opts.Timeout = f.Globals.EvalTimeout
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runRun(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.DryRun, "dry-run", false, "show the plan of every write and write nothing (no backup either)")
	fl.BoolVar(&opts.AutoApprove, "auto-approve", false, "apply the script's writes without asking for confirmation")
	fl.BoolVar(&opts.JSON, "json", false, "tell the script to print JSON (descope.json); plans and notes go to stderr")
	fl.IntVar(&opts.MaxDeletes, "max-deletes", 10, "refuse a write that deletes more than `N` objects")
	fl.IntVar(&opts.Parallel, "parallel", mgmt.DefaultWorkers, "run at most `N` changes of a write at once (the pace is set by --rate)")
	fl.StringVar(&opts.BackupDir, "backup-dir", "", "write backups under `DIR` (default ~/.descope-mgmt/backups)")
	f.addBackupURLFlag(fl)
	fl.BoolVar(&opts.ShowUnmanaged, "show-unmanaged", false, "list the live objects each write leaves alone")
	fl.BoolVar(&opts.Full, "full", false, "show every field of each write's plan, flows and the theme path by path")
	return cmd
}

func runRun(cmd *cobra.Command, opts *RunOptions) error {
	f := opts.f
	// Plans and notes go where the script's machine output does not.
	show := f.IO.Out
	if opts.JSON {
		show = f.IO.ErrOut
	}
	r := &scriptRun{f: f, opts: opts, show: show, targets: map[chosenProject]*runtime.Target{}, seen: map[string]bool{}}
	eval := f.EvalOptions(opts.Script)
	eval.Timeout = opts.Timeout
	return runtime.RunScript(cmd.Context(), runtime.ScriptOptions{
		EvalOptions: eval,
		Stdout:      f.IO.Out,
		DryRun:      opts.DryRun,
		JSON:        opts.JSON,
		Open:        r.open,
		Store: func(ws *runtime.Workspace, t *runtime.Target) (runtime.ScriptStore, error) {
			return f.backupStore(ws, opts.BackupDir, false, t.BackupTarget())
		},
		Apply:       r.apply,
		Show:        r.showDryRun,
		Progress:    r.progress,
		ToolVersion: toolVersion(),
		Now:         f.Now,
	})
}

// scriptRun is the CLI's side of one script: the projects it opened, and
// how its writes are shown, confirmed and reported.
type scriptRun struct {
	f    *Factory
	opts *RunOptions
	show io.Writer

	mu      sync.Mutex
	ws      *runtime.Workspace
	targets map[chosenProject]*runtime.Target
	seen    map[string]bool // backups already reported
}

// open opens the project descope.project(name) names, once per project
// (one target, one pacer), chosen as every command chooses it
// (resolveProject with projectSelection.Script): a name is an entry of
// descope-run.yaml's projects:, real when the variable its key_env names is
// set, else the workspace's local project of that id, which the note says;
// no name is the project DESCOPE_PROJECT_ID names, else the workspace's
// only local project.
func (r *scriptRun) open(ws *runtime.Workspace, name string) (*runtime.Target, string, error) {
	c, err := r.f.resolveProject(ws, projectSelection{Name: name, Script: true})
	if err != nil {
		return nil, "", err
	}
	var note string
	if name != "" && !c.Real {
		why := "no key_env"
		if env := ws.Config.Projects[name].KeyEnv; env != "" {
			why = env + " is not set"
		}
		note = fmt.Sprintf("descope.project(%q): %s, so the script works on the workspace's local project %s, not on the real one", name, why, c.ID)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ws = ws
	if t, ok := r.targets[c]; ok {
		return t, "", nil
	}
	t, err := r.f.openChosen(ws, c)
	if err != nil {
		return nil, "", err
	}
	r.targets[c] = t
	return t, note, nil
}

// apply runs one write of the script: runtime.Apply with the CLI's lock,
// audit log, retention, guards' limits, plan display, confirmation and
// progress, then the report apply writes.
func (r *scriptRun) apply(ctx context.Context, t *runtime.Target, desired *descope.State, pol runtime.Policy) (*runtime.Outcome, error) {
	f, opts := r.f, r.opts
	r.mu.Lock()
	ws := r.ws
	r.mu.Unlock()
	locks, err := f.locker(ws, opts.BackupDir, t.BackupTarget())
	if err != nil {
		return nil, err
	}
	audit, err := f.auditLog(ws, opts.BackupDir, t.BackupTarget())
	if err != nil {
		return nil, err
	}
	pol.Locker, pol.Audit = locks, audit
	pol.MaxDeletes, pol.Parallel = opts.MaxDeletes, opts.Parallel
	if retain, err := retention(ws); err != nil {
		f.Logger().Warn("not pruning old backups", "err", err)
	} else {
		pol.Retention = &retain
	}
	changed, endChanges := f.changes(t)
	check := pol.Show
	pol.Show = func(pl *runtime.Planned) error {
		if check != nil {
			if err := check(pl); err != nil {
				return err
			}
		}
		return r.render(t, pl.Plan)
	}
	pol.Events = func(ev runtime.Event) {
		switch ev.Kind {
		case runtime.EventBackedUp:
			r.mu.Lock()
			again := r.seen[ev.Backup.ID]
			r.seen[ev.Backup.ID] = true
			r.mu.Unlock()
			if again {
				fmt.Fprintf(r.show, "\nBackup %s, taken before the script's first write to the project, covers this one.\n", ev.Backup.ID)
			} else {
				fmt.Fprintf(r.show, "\nBacked up the project as %s (%s).\n", ev.Backup.ID, ev.Backup.Path)
			}
		case runtime.EventChange:
			changed(ev.Change)
		}
	}
	if !opts.AutoApprove {
		pol.Confirm = func(ctx context.Context, _ *runtime.Planned) error {
			return confirm(ctx, f.IO, backup.OperationScript, t.Description)
		}
	}
	outcome, err := runtime.Apply(ctx, t, desired, pol)
	endChanges()
	if outcome != nil {
		if outcome.Result != nil {
			reportResult(r.show, backup.OperationApply, outcome)
		}
		for _, w := range outcome.Warnings {
			f.Logger().Warn(w.Error())
		}
	}
	return outcome, err
}

// render writes the plan of a write to t as apply does.
func (r *scriptRun) render(t *runtime.Target, p *descope.Plan) error {
	fmt.Fprintln(r.show)
	return render.Text(r.show, p, render.TextOptions{
		Color:  r.f.Color(r.opts.JSON && r.f.IO.ErrTTY || !r.opts.JSON && r.f.IO.OutTTY),
		Header: "Target: " + t.Description, ShowUnmanaged: r.opts.ShowUnmanaged, Full: r.opts.Full,
	})
}

// showDryRun shows the plan of a write under --dry-run.
func (r *scriptRun) showDryRun(t *runtime.Target, pl *runtime.Planned) error {
	if err := r.render(t, pl.Plan); err != nil {
		return err
	}
	if !pl.Plan.Empty() {
		fmt.Fprintln(r.show, "Dry run: nothing was written.")
	}
	return nil
}

// progress shows a batch's progress as every long phase is shown
// (progressDisplay): done counts the items finished, failed included.
func (r *scriptRun) progress(total int) (func(done, failed int), func()) {
	ph := r.f.progress().start("Running the batch", nil, false)
	if ph == nil {
		return nil, nil
	}
	return func(done, failed int) {
		ph.barTo(done, total, "items")
		ph.lines(done, total, "items", "run", "finished")
	}, ph.end
}
