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
}

// NewCmdApply returns the apply command. runF replaces its body in tests.
func NewCmdApply(f *Factory, runF func(*cobra.Command, *ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "apply SCRIPT|PLANFILE",
		Short: "Apply a config or a saved plan to the project",
		Long: `Apply a config: plan it, show the plan, ask for confirmation, back the live
project up, then make the changes through the paced executor in dependency
order and verify them by reading the project again.

Given a plan saved with plan -out, apply re-reads the project and refuses the
plan if the project changed since (exit 4); it does not ask again.

Deletes happen only where the config claims ownership with own(), and more than
--max-deletes of them are refused (exit 4).`,
		Example: `  descope-run apply scripts/prod.star
  descope-run apply prod.plan
  descope-run apply scripts/prod.star --auto-approve --max-deletes 50`,
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
	fl.IntVar(&opts.Parallel, "parallel", 4, "run at most `N` changes at once (the pace is set by --rate)")
	fl.StringVar(&opts.BackupDir, "backup-dir", "", "write the backup under `DIR` (default ~/.descope-mgmt/backups)")
	return cmd
}

func runApply(cmd *cobra.Command, opts *ApplyOptions) error {
	f := opts.f
	ctx := cmd.Context()

	// What to apply: a saved plan, or a config to plan now.
	var (
		ws      *runtime.Workspace
		desired *descope.State
		saved   *runtime.SavedPlan
		script  string
		digest  string
	)
	sp, isPlan, err := runtime.ReadPlanFile(opts.Arg)
	switch {
	case err != nil && isPlan:
		return err
	case isPlan:
		saved, desired, script, digest = sp, sp.Desired, sp.Script, sp.InputsDigest
		if ws, err = runtime.OpenWorkspace(sp.Workspace); err != nil {
			return fmt.Errorf("plan %s: %w", opts.Arg, err)
		}
	default:
		res, err := f.evalScript(ctx, opts.Arg)
		if err != nil {
			return err
		}
		ws, desired, script, digest = res.Workspace, res.State, res.Entry, res.Inputs.Digest()
	}

	target, err := f.openTarget(ws, desired)
	if err != nil {
		return err
	}
	if saved != nil && saved.ProjectID != target.ProjectID {
		return &runtime.RefusedError{
			Reason: fmt.Sprintf("plan %s was made for project %s, not %s", opts.Arg, saved.ProjectID, target.ProjectID),
			Hint:   "apply it with the environment it was planned in",
		}
	}
	lock, err := f.lockProject(target, backup.OperationApply)
	if err != nil {
		return err
	}
	defer lock.Release()
	planned, err := runtime.MakePlan(ctx, target, desired)
	if err != nil {
		return err
	}
	if saved != nil && planned.Fingerprint != saved.Fingerprint {
		return &runtime.RefusedError{
			Reason: fmt.Sprintf("plan %s is stale: the live project changed since it was made", opts.Arg),
			Hint:   "run plan again and review the new plan",
		}
	}
	return execute(cmd, &execution{
		f: f, ws: ws, target: target, planned: planned,
		operation: backup.OperationApply, subject: script, inputsDigest: digest,
		ask: saved == nil && !opts.AutoApprove, maxDeletes: opts.MaxDeletes,
		parallel: opts.Parallel, backupDir: opts.BackupDir,
	})
}

// execution is the shared tail of apply and backup restore: show the plan,
// guard deletes, confirm, lock, back up, execute, audit, prune.
type execution struct {
	f         *Factory
	ws        *runtime.Workspace
	target    *runtime.Target
	planned   *runtime.Planned
	operation string // backup.OperationApply or backup.OperationRestore
	// subject is what is applied: the script, or the backup restored.
	subject      string
	inputsDigest string
	ask          bool
	maxDeletes   int
	parallel     int
	backupDir    string
}

func execute(cmd *cobra.Command, e *execution) error {
	f, target, p := e.f, e.target, e.planned.Plan
	ctx := cmd.Context()
	out := f.IO.Out
	if err := render.Text(out, p, render.TextOptions{
		Color: f.Color(f.IO.OutTTY), Header: "Target: " + target.Description,
	}); err != nil {
		return err
	}
	if p.Empty() {
		return nil
	}
	if n := p.Deletes(); n > e.maxDeletes {
		return &runtime.RefusedError{
			Reason: fmt.Sprintf("the plan deletes %d objects, more than --max-deletes %d", n, e.maxDeletes),
			Hint:   "check the own() claims; if the deletes are intended, raise --max-deletes",
		}
	}
	if err := runtime.CheckSubTenants(p, e.planned.Live); err != nil {
		return err
	}
	if e.ask {
		if err := confirm(ctx, f.IO, target.Description); err != nil {
			return err
		}
		// The project is locked against other applies, but not against the
		// console: make sure it is still what the plan was made from.
		if _, fp, err := runtime.ReadLive(ctx, target, e.planned.Desired); err != nil {
			return err
		} else if fp != e.planned.Fingerprint {
			return &runtime.RefusedError{
				Reason: "the live project changed while the plan waited for confirmation",
				Hint:   "run " + e.operation + " again and review the new plan",
			}
		}
	}

	store, err := f.backupStore(e.ws, e.backupDir, false)
	if err != nil {
		return err
	}

	meta := runtime.NewMetadata(e.operation, "before "+e.operation+" of "+e.subject, toolVersion(), workspaceRoot(e.ws), f.Now())
	entry, _, err := runtime.TakeBackup(ctx, target, store, meta, runtime.TouchedTenants(p), false)
	if err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	fmt.Fprintf(out, "\nBacked up the project as %s (%s).\n", entry.ID, entry.Path)

	audit := runtime.AuditEntry{
		Time: f.Now().UTC(), User: meta.User, Operation: e.operation, Target: target.Description,
		ProjectID: target.ProjectID, Script: e.subject, InputDigest: e.inputsDigest, GitCommit: meta.GitCommit,
		BackupID: entry.ID,
	}
	result, applyErr := runChanges(cmd, f, target, e.planned, e.parallel)
	if result != nil {
		audit.Counts = map[string]int{
			"done": len(result.Report.Done), "failed": len(result.Report.Failed), "not_started": len(result.Report.NotStarted),
		}
	}
	audit.Result = "ok"
	if applyErr != nil {
		audit.Result, audit.Error = "failed", applyErr.Error()
	}
	if err := f.appendAudit(audit); err != nil {
		f.Logger().Warn("could not write the audit log", "err", err)
	}
	if policy, err := retention(e.ws); err != nil {
		f.Logger().Warn("not pruning old backups", "err", err)
	} else if removed, err := store.Prune(target.ProjectID, policy); err != nil {
		f.Logger().Warn("could not prune old backups", "err", err)
	} else if len(removed) > 0 {
		f.Logger().Info("pruned old backups", "count", len(removed))
	}
	return applyErr
}

func workspaceRoot(ws *runtime.Workspace) string {
	if ws == nil {
		return ""
	}
	return ws.Root
}

// runChanges executes the plan with progress, then reports.
func runChanges(cmd *cobra.Command, f *Factory, target *runtime.Target, planned *runtime.Planned, parallel int) (*runtime.ApplyResult, error) {
	out := f.IO.Out
	p := planned.Plan
	progress := newProgress(f.IO.ErrOut, f.IO.ErrTTY, len(p.Changes), p)
	result, err := runtime.Apply(cmd.Context(), target, planned, runtime.ApplyOptions{
		Parallel: parallel, OnEvent: progress.event,
	})
	progress.finish()
	if err != nil && result == nil {
		return nil, err
	}
	r := result.Report
	add, change, destroy := p.Summary()
	if len(r.Failed) == 0 && r.Interrupted == nil {
		fmt.Fprintf(out, "\nApply complete! Resources: %d added, %d changed, %d destroyed.\n", add, change, destroy)
	} else {
		fmt.Fprintf(out, "\nApply failed: %d done, %d failed, %d not started.\n", len(r.Done), len(r.Failed), len(r.NotStarted))
		for _, fl := range r.Failed {
			where := ""
			if c := p.Change(changeOf(fl.ID)); c != nil && c.Origin.Pos() != "" {
				where = " (declared at " + c.Origin.Pos() + ")"
			}
			fmt.Fprintf(out, "  failed: %s%s: %v\n", fl.ID, where, fl.Err)
		}
		done := make(map[string]bool, len(r.Done))
		for _, id := range r.Done {
			done[id] = true
		}
		for _, id := range r.NotStarted {
			if done[descope.DeleteStepID(id)] {
				fmt.Fprintf(out, "  deleted but not created again: %s (its replace could not finish; restore it from the backup above, e.g. backup restore ID --only %s)\n", id, strings.SplitN(id, ":", 2)[0])
				continue
			}
			fmt.Fprintf(out, "  not started: %s\n", id)
		}
		fmt.Fprintln(out, "Run plan again to see what remains; the backup above holds the project as it was.")
	}
	for _, m := range result.Mismatches {
		fmt.Fprintf(out, "  verify: %s\n", m)
	}
	if err != nil {
		return result, err
	}
	if rerr := r.Err(); rerr != nil {
		return result, fmt.Errorf("apply to %s: %w", target.Description, rerr)
	}
	if len(result.Mismatches) > 0 {
		return result, fmt.Errorf("apply to %s: %d changes did not verify", target.Description, len(result.Mismatches))
	}
	return result, nil
}

// errNotConfirmed is returned when the user does not type yes.
var errNotConfirmed = errors.New("apply cancelled: the answer was not \"yes\"")

// confirm asks on the terminal before an apply.
// An interrupt while it waits cancels the apply, which then releases its
// lock as usual.
func confirm(ctx context.Context, io *IOStreams, target string) error {
	fmt.Fprintf(io.Out, "\nDo you want to apply these changes to %s?\n  Only 'yes' will be accepted: ", target)
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
		return fmt.Errorf("apply cancelled while waiting for confirmation: nothing was changed")
	}
	fmt.Fprintln(io.Out)
	if err != nil {
		return fmt.Errorf("apply needs confirmation but none could be read (%v): type yes, or pass --auto-approve", err)
	}
	if strings.TrimSpace(answer) != "yes" {
		return errNotConfirmed
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
