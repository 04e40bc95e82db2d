package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/descope/render"
	"github.com/descope-run/descope-run/runtime"
)

// PlanOptions are the inputs of `descope-run plan`.
type PlanOptions struct {
	f                *Factory
	Script           string
	Out              string
	JSON             bool
	Format           string
	Full             bool
	DetailedExitcode bool
	ShowUnmanaged    bool
}

// NewCmdPlan returns the plan command. runF replaces its body in tests.
func NewCmdPlan(f *Factory, runF func(*cobra.Command, *PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{f: f}
	cmd := &cobra.Command{
		Use:   "plan CONFIG",
		Short: "Show what applying a config would change",
		Long: `Evaluate a config, read the live project and show the difference as a plan:
+ create, ~ update, - delete, -/+ replace. Nothing is changed.

By default a create is one line and a flow or theme change is summarised the
way a reviewer reads it, by task, screen and style section; --full shows every
field and every path of a document (the JSON plan always has them all).
--format markdown writes the plan for a pull request comment.

The target is real Descope when DESCOPE_PROJECT_ID is set (with
DESCOPE_MANAGEMENT_KEY), else the workspace's local project.`,
		Example: `  descope-run plan scripts/prod.star
  descope-run plan scripts/prod.star -out prod.plan && descope-run apply prod.plan
  descope-run plan scripts/prod.star --json | jq '.summary'
  descope-run plan scripts/prod.star --format markdown > plan.md`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: starFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Script = args[0]
			switch {
			case opts.JSON && cmd.Flags().Changed("format") && opts.Format != "json":
				return fmt.Errorf("--json and --format %s disagree: use one of them", opts.Format)
			case opts.JSON:
				opts.Format = "json"
			}
			if !slices.Contains(planFormats, opts.Format) {
				return fmt.Errorf("unknown --format %q: use text, json or markdown", opts.Format)
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runPlan(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Out, "out", "o", "", "save the plan to `FILE` for apply")
	fl.BoolVar(&opts.JSON, "json", false, "print the plan as JSON (versioned format); the same as --format json")
	fl.StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json or markdown (a pull request comment)")
	fl.BoolVar(&opts.Full, "full", false, "show every field of every change, flows and the theme path by path")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(planFormats, cobra.ShellCompDirectiveNoFileComp))
	fl.BoolVar(&opts.DetailedExitcode, "detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
	fl.BoolVar(&opts.ShowUnmanaged, "show-unmanaged", false, "list the live objects the config does not manage")
	fl.BoolVar(&f.RotateSecrets, "rotate-secrets", false, "send every secret() of an existing SSO configuration again (the API never returns them)")
	return cmd
}

// planHeader is what a plan's text starts with: its target, then a line
// per note of the plan (runtime.Planned.Notes).
func planHeader(t *runtime.Target, pl *runtime.Planned) string {
	h := "Target: " + t.Description
	for _, n := range pl.Notes {
		h += "\nNote: " + n
	}
	return h
}

// planFormats are the values of plan --format.
var planFormats = []string{"text", "json", "markdown"}

func starFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"star"}, cobra.ShellCompDirectiveFilterFileExt
}

func runPlan(cmd *cobra.Command, opts *PlanOptions) error {
	f := opts.f
	ctx := cmd.Context()
	res, err := f.evalScript(ctx, opts.Script)
	if err != nil {
		return err
	}
	target, err := f.openTarget(res.Workspace, res.State)
	if err != nil {
		return err
	}
	planned, err := runtime.MakePlan(ctx, target, res.State)
	if err != nil {
		return err
	}
	out := f.IO.Out
	header := planHeader(target, planned)
	switch opts.Format {
	case "json":
		err = render.JSON(out, planned.Plan, render.JSONMeta{
			Target: renderTarget(target), Fingerprint: planned.Fingerprint,
			InputsDigest: res.Inputs.Digest(), ToolVersion: toolVersion(),
		})
	case "markdown":
		err = render.Markdown(out, planned.Plan, render.MarkdownOptions{
			Header: header, Full: opts.Full, ShowUnmanaged: opts.ShowUnmanaged,
		})
	default:
		err = render.Text(out, planned.Plan, render.TextOptions{
			Color: f.Color(f.IO.OutTTY), ShowUnmanaged: opts.ShowUnmanaged,
			Header: header, Full: opts.Full,
		})
	}
	if err != nil {
		return err
	}
	if opts.Out != "" {
		add, change, destroy := planned.Plan.Summary()
		sp := &runtime.SavedPlan{
			ToolVersion: toolVersion(), CreatedAt: f.Now().UTC().Truncate(time.Second),
			ProjectID: target.ProjectID, Target: target.Description,
			Workspace: res.Workspace.Root, Script: res.Entry,
			Fingerprint: planned.Fingerprint, InputsDigest: res.Inputs.Digest(), Inputs: res.Inputs.Files,
			Desired: res.State, RotateSecrets: f.RotateSecrets,
			Summary: map[string]int{"add": add, "change": change, "delete": destroy},
		}
		if err := runtime.WritePlanFile(opts.Out, sp, planned.Plan); err != nil {
			return err
		}
		if opts.Format == "text" {
			fmt.Fprintf(out, "\nSaved the plan to %s. Apply exactly this plan with:\n    descope-run apply %s\n", opts.Out, opts.Out)
		}
	}
	if opts.DetailedExitcode && !planned.Plan.Empty() {
		return errChanges
	}
	return nil
}
