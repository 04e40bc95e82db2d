package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/descope/render"
	"github.com/descope-run/descope-run/runtime"
)

// ApplyOptions are the inputs of `descope-run apply`.
type ApplyOptions struct {
	f           *Factory
	Arg         string
	AutoApprove bool
	MaxDeletes  int
	Parallel    int
	BackupDir   string
	JSON        bool
}

// NewCmdApply returns the apply command. runF replaces its body in tests.
func NewCmdApply(f *Factory, runF func(*cobra.Command, *ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "apply CONFIG|PLANFILE",
		Short: "Apply a config or a saved plan to the project",
		Long: `Apply a config: plan it, show the plan, ask for confirmation, back the live
project up, then make the changes through the paced executor in dependency
order and verify them by reading the project again.

With no terminal on stdin it asks nothing and refuses (exit 4): an answer
piped in is not read. Pass --auto-approve, or apply a saved plan.

Given a plan saved with plan -out, apply re-reads the project and refuses the
plan if the project changed since (exit 4); it does not ask again.

Deletes happen only where the config claims ownership with own(), and more than
--max-deletes of them are refused (exit 4).

With --json, the report is the only thing on stdout, as JSON: the result,
the plan's summary, the backup taken, and the changes done, failed and not
started with their ids and errors; the plan, the prompt and the progress go
to stderr.`,
		Example: `  descope-run apply scripts/prod.star
  descope-run apply prod.plan
  descope-run apply scripts/prod.star --auto-approve --max-deletes 50
  descope-run apply prod.plan --json | jq '.failed'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: starFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Arg = args[0]
			if opts.MaxDeletes < 0 {
				return fmt.Errorf("--max-deletes %d: want 0 or more", opts.MaxDeletes)
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runApply(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.AutoApprove, "auto-approve", false, "apply without asking for confirmation")
	fl.IntVar(&opts.MaxDeletes, "max-deletes", 10, "refuse a plan that deletes more than `N` objects")
	fl.IntVar(&opts.Parallel, "parallel", mgmt.DefaultWorkers, "run at most `N` changes at once (the pace is set by --rate)")
	fl.StringVar(&opts.BackupDir, "backup-dir", "", "write the backup under `DIR` (default ~/.descope-mgmt/backups)")
	f.addBackupURLFlag(fl)
	fl.BoolVar(&opts.JSON, "json", false, "print the report as JSON on stdout (the plan and the prompt go to stderr)")
	fl.BoolVar(&f.RotateSecrets, "rotate-secrets", false, "send every secret() of an existing SSO configuration again (the API never returns them)")
	return cmd
}

func runApply(cmd *cobra.Command, opts *ApplyOptions) error {
	f := opts.f
	ctx := cmd.Context()

	// What to apply: a saved plan, or a config to plan now.
	var (
		ws      *runtime.Workspace
		desired *descope.State
		saved   *runtime.SavedRef
		script  string
		digest  string
	)
	failed := func(err error) error {
		return f.reportFailure(opts.JSON, backup.OperationApply, opts.Arg, err)
	}
	sp, isPlan, err := runtime.ReadPlanFile(opts.Arg)
	switch {
	case err != nil:
		return failed(err)
	case isPlan:
		desired, script, digest, saved = sp.Desired, sp.Script, sp.InputsDigest, sp.Ref()
		f.RotateSecrets = f.RotateSecrets || sp.RotateSecrets
		if ws, err = sp.OpenWorkspace(); err != nil {
			return failed(err)
		}
	default:
		res, err := f.evalScript(ctx, opts.Arg)
		if err != nil {
			return failed(err)
		}
		ws, desired, script, digest = res.Workspace, res.State, res.Entry, res.Inputs.Digest()
	}

	target, err := f.openTarget(ws, desired)
	if err != nil {
		return failed(err)
	}
	return f.applyDesired(ctx, target, desired, applyRun{
		ws: ws, operation: backup.OperationApply, subject: script, inputsDigest: digest, saved: saved,
		ask: saved == nil && !opts.AutoApprove, maxDeletes: opts.MaxDeletes, parallel: opts.Parallel,
		backupDir: opts.BackupDir, json: opts.JSON,
	})
}

// applyRun is what apply and backup restore tell runtime.Apply, in the
// CLI's terms.
type applyRun struct {
	ws        *runtime.Workspace
	operation string // backup.OperationApply or backup.OperationRestore
	// subject is what is applied: the script, or the backup restored.
	subject      string
	inputsDigest string
	saved        *runtime.SavedRef
	ask          bool
	maxDeletes   int
	parallel     int
	backupDir    string
	// json prints the report as JSON on stdout, and the rest on stderr.
	json bool
}

// applyDesired runs runtime.Apply for a command: it renders the plan and
// the progress, asks on the terminal, and reports the outcome. The guards,
// the backup, the lock and the audit log are runtime.Apply's.
func (f *Factory) applyDesired(ctx context.Context, target *runtime.Target, desired *descope.State, r applyRun) error {
	// With --json the report is all stdout holds: the rest goes to stderr.
	out, outTTY, io := f.IO.Out, f.IO.OutTTY, f.IO
	if r.json {
		out, outTTY = f.IO.ErrOut, f.IO.ErrTTY
		io = &IOStreams{In: f.IO.In, InTTY: f.IO.InTTY, Out: f.IO.ErrOut, ErrOut: f.IO.ErrOut, OutTTY: f.IO.ErrTTY, ErrTTY: f.IO.ErrTTY}
	}
	failed := func(err error) error { return f.reportFailure(r.json, r.operation, r.subject, err) }
	store, err := f.backupStore(r.ws, r.backupDir, false, target.BackupTarget())
	if err != nil {
		return failed(err)
	}
	locks, err := f.locker(r.ws, r.backupDir, target.BackupTarget())
	if err != nil {
		return failed(err)
	}
	audit, err := f.auditLog(r.ws, r.backupDir, target.BackupTarget())
	if err != nil {
		return failed(err)
	}
	changed, endChanges := f.changes(target)
	pol := runtime.Policy{
		Operation: r.operation, Subject: r.subject, InputsDigest: r.inputsDigest,
		Workspace: workspaceRoot(r.ws), ToolVersion: toolVersion(), Saved: r.saved,
		MaxDeletes: r.maxDeletes, Locker: locks, Store: store, Audit: audit,
		Parallel: r.parallel, Now: f.Now,
		Show: func(pl *runtime.Planned) error {
			return render.Text(out, pl.Plan, render.TextOptions{
				Color: f.Color(outTTY), Header: planHeader(target, pl),
			})
		},
		Events: func(ev runtime.Event) {
			switch ev.Kind {
			case runtime.EventBackedUp:
				fmt.Fprintf(out, "\nBacked up the project as %s (%s).\n", ev.Backup.ID, ev.Backup.Path)
			case runtime.EventChange:
				changed(ev.Change)
			}
		},
	}
	if retain, err := retention(r.ws); err != nil {
		f.Logger().Warn("not pruning old backups", "err", err)
	} else {
		pol.Retention = &retain
	}
	if r.ask {
		pol.Confirm = func(ctx context.Context, _ *runtime.Planned) error {
			return confirm(ctx, io, r.operation, target.Description)
		}
	}
	outcome, err := runtime.Apply(ctx, target, desired, pol)
	endChanges()
	if outcome != nil {
		if outcome.Result != nil && !r.json {
			reportResult(out, r.operation, outcome)
		}
		for _, w := range outcome.Warnings {
			f.Logger().Warn(w.Error())
		}
		if n := len(outcome.Pruned); n > 0 {
			f.Logger().Info("pruned old backups", "count", n)
		}
	}
	if r.json {
		if werr := writeJSONReport(f.IO.Out, newJSONReport(r.operation, r.subject, target, outcome, err)); werr != nil {
			return errors.Join(err, werr)
		}
	}
	return err
}

func workspaceRoot(ws *runtime.Workspace) string {
	if ws == nil {
		return ""
	}
	return ws.Root
}

// reportResult writes what the execution did: the verification first,
// then the outcome, so that the last line says whether the operation
// succeeded and what to do if not.
func reportResult(out io.Writer, operation string, o *runtime.Outcome) {
	result, p := o.Result, o.Planned.Plan
	r := result.Report
	for _, m := range result.Mismatches {
		fmt.Fprintf(out, "  verify: %s\n", m)
	}
	what := "Apply"
	if operation == backup.OperationRestore {
		what = "Restore"
	}
	add, change, destroy := p.Summary()
	if len(r.Failed) == 0 && len(r.Unknown) == 0 && r.Interrupted == nil {
		if len(result.Mismatches) > 0 {
			fmt.Fprintf(out, "\n%s done, but %d changes did not verify (listed above): run plan to see where the project stands.\n", what, len(result.Mismatches))
			return
		}
		fmt.Fprintf(out, "\n%s complete! Resources: %d added, %d changed, %d destroyed.\n", what, add, change, destroy)
		return
	}
	status := "failed"
	if len(r.Failed) == 0 && (r.Interrupted != nil || len(r.Unknown) > 0) {
		status = "interrupted"
	}
	unknown := ""
	if len(r.Unknown) > 0 {
		unknown = fmt.Sprintf(", %d unknown", len(r.Unknown))
	}
	fmt.Fprintf(out, "\n%s %s: %d done, %d failed%s, %d not started.\n", what, status, len(r.Done), len(r.Failed), unknown, len(r.NotStarted))
	for _, fl := range r.Failed {
		where := ""
		if c := p.Change(changeOf(fl.ID)); c != nil && c.Origin.Pos() != "" {
			where = " (declared at " + c.Origin.Pos() + ")"
		}
		fmt.Fprintf(out, "  failed: %s%s: %v\n", fl.ID, where, fl.Err)
	}
	for _, u := range r.Unknown {
		fmt.Fprintf(out, "  unknown: %s: abandoned while its calls ran; they may or may not have taken effect\n", u.ID)
	}
	done := make(map[string]bool, len(r.Done))
	for _, id := range r.Done {
		done[id] = true
	}
	for _, id := range r.NotStarted {
		if done[descope.DeleteStepID(id)] {
			fmt.Fprintf(out, "  deleted but not created again: %s (its replace could not finish; restore it from the backup above, e.g. backup restore %s --only %s)\n", id, o.Backup.ID, strings.SplitN(id, ":", 2)[0])
			continue
		}
		fmt.Fprintf(out, "  not started: %s\n", id)
	}
	fmt.Fprintf(out, "Run plan again to see what remains; backup %s holds the project as it was.\n", o.Backup.ID)
}

// errNotConfirmed is returned when the user does not type yes.
var errNotConfirmed = errors.New("the answer was not \"yes\"")

// confirm asks on the terminal before a write: an apply, a restore, or a
// script's write (operation backup.OperationScript). With no terminal on
// stdin it asks nothing and refuses (*runtime.RefusedError, exit 4), for
// every command alike: an answer piped in is no confirmation (a CI job that
// pipes "yes" would apply whatever plan it gets), --auto-approve is. An
// interrupt while it waits returns at once: runtime.Apply then cancels the
// operation and releases its lock as usual.
func confirm(ctx context.Context, io *IOStreams, operation, target string) error {
	verb, what, cancelled, again := "apply these changes to", operation, operation, ", then apply with --auto-approve"
	switch operation {
	case backup.OperationRestore:
		verb, again = "restore", ", then restore with --auto-approve"
	case backup.OperationScript:
		what, cancelled, again = "the script's write", "write", " (--dry-run shows it), then run the script with --auto-approve"
	}
	if !io.InTTY {
		return &runtime.RefusedError{
			Reason: what + " needs confirmation, and there is no terminal to give it",
			Hint:   "an answer piped to stdin is not read; review the plan" + again,
		}
	}
	fmt.Fprintf(io.Out, "\nDo you want to %s %s?\n  Only 'yes' will be accepted: ", verb, target)
	type read struct {
		answer string
		err    error
	}
	answered := make(chan read, 1)
	go func() {
		answer, err := readLine(io.In)
		answered <- read{answer, err}
	}()
	var answer string
	var err error
	select {
	case r := <-answered:
		answer, err = r.answer, r.err
	case <-ctx.Done():
		fmt.Fprintln(io.Out)
		return ctx.Err()
	}
	fmt.Fprintln(io.Out)
	if err != nil {
		return fmt.Errorf("%s needs confirmation but none could be read (%v): type yes, or pass --auto-approve", what, err)
	}
	if strings.TrimSpace(answer) != "yes" {
		return fmt.Errorf("%s cancelled: %w", cancelled, errNotConfirmed)
	}
	return nil
}

func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err == io.EOF && line != "" {
		return line, nil
	}
	return line, err
}

// changeOf returns the ID of the change an executor item belongs to: the
// item's own, less a step's suffix ("tenant:acme#delete" -> "tenant:acme").
func changeOf(itemID string) string {
	id, _, _ := strings.Cut(itemID, "#")
	return id
}
