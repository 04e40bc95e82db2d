package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/runtime"
)

// ExportCmdOptions are the inputs of `descope-run export`.
type ExportCmdOptions struct {
	f         *Factory
	Dir       string
	Workspace string
	Project   string
	ProjectID string
	Kinds     []string
	Match     string
	Settings  bool
	SSO       bool
	Force     bool
}

// NewCmdExport returns the export command. runF replaces its body in tests.
func NewCmdExport(f *Factory, runF func(*cobra.Command, *ExportCmdOptions) error) *cobra.Command {
	opts := &ExportCmdOptions{f: f}
	cmd := &cobra.Command{
		Use:   "export DIR",
		Short: "Write a workspace that declares an existing project",
		Long:  exportLong("the default pace", mgmt.DefaultRate),
		Example: `  descope-run export adopted --workspace scripts --project prod
  DESCOPE_PROJECT_ID=P2... DESCOPE_MANAGEMENT_KEY=K2... descope-run export prod-project
  descope-run export customers --kinds tenant,role --match 'cust-*' --settings`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			if runF != nil {
				return runF(cmd, opts)
			}
			return runExport(cmd, opts)
		},
	}
	// The help says what --settings costs at the pace this invocation would
	// use: --rate, else the workspace's, else the default.
	help := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		c.Long = exportLong(opts.pace())
		help(c, args)
	})
	fl := cmd.Flags()
	fl.StringVar(&opts.Workspace, "workspace", ".", "the workspace `DIR` whose descope-run.yaml and local projects to use")
	addProjectFlags(cmd, fl, &opts.Project, &opts.ProjectID)
	fl.StringSliceVar(&opts.Kinds, "kinds", nil, "export only these `KINDS`: "+kindNames()+" (default all)")
	fl.StringVar(&opts.Match, "match", "", "export only the tenants whose id matches the glob `PATTERN` ('*', '?'), with their parents")
	fl.BoolVar(&opts.Settings, "settings", false, "export tenant settings too: one read per tenant (the help says how long that takes)")
	fl.BoolVar(&opts.SSO, "sso", false, "export the tenants' SSO configurations too: one read per tenant; client secrets become secret() of variables")
	fl.BoolVar(&opts.Force, "force", false, "write into a DIR that is not empty, replacing the files export writes")
	return cmd
}

func runExport(cmd *cobra.Command, opts *ExportCmdOptions) error {
	f := opts.f
	kinds, err := runtime.ParseKinds(opts.Kinds)
	if err != nil {
		return fmt.Errorf("--kinds: %w", err)
	}
	root, err := runtime.FindRootFromDir(opts.Workspace)
	if err != nil {
		return fmt.Errorf("--workspace %s: %w", opts.Workspace, err)
	}
	ws, err := runtime.OpenWorkspace(root)
	if err != nil {
		return err
	}
	target, err := f.chooseProject(ws, opts.Project, opts.ProjectID)
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "Target: %s\n", target.Description)
	ro := runtime.ExportOptions{
		Dir: opts.Dir, Force: opts.Force, Kinds: kinds, Match: opts.Match, Settings: opts.Settings, SSO: opts.SSO,
		ProjectName: opts.Project,
	}
	if pc, ok := ws.Config.Projects[opts.Project]; ok {
		ro.KeyEnv = pc.KeyEnv
	}
	ro.SSOReads = func(n int) {
		fmt.Fprintf(f.IO.ErrOut, "Reading the SSO configurations of %d tenants, one call each%s.\n", n, f.settingsPace(target, n))
	}
	res, err := runtime.Export(cmd.Context(), target, ro)
	if res != nil {
		for _, n := range res.Notes {
			fmt.Fprintf(f.IO.ErrOut, "note: %s\n", n)
		}
	}
	if err != nil {
		return err
	}
	out := f.IO.Out
	counts := map[string]int{}
	for k, n := range res.Counts {
		counts[string(k)] = n
	}
	fmt.Fprintf(out, "Exported %s to %s:\n", countsLine(counts), opts.Dir)
	for _, p := range res.Files {
		mark := ""
		if slices.Contains(res.Overwritten, p) {
			mark = " (overwritten)"
		}
		fmt.Fprintf(out, "  %s%s\n", p, mark)
	}
	if res.LocalCopy != "" {
		fmt.Fprintf(out, "Copied the local project to %s, so that plans of %s read the same objects.\n",
			filepath.Join(opts.Dir, res.LocalCopy), opts.Dir)
	}
	entry := filepath.Join(opts.Dir, "main.star")
	fmt.Fprintf(out, "Checked: `descope-run plan %s` shows no changes.\n", entry)
	return nil
}

// exportLong is export's help, with the time settings reads take at rate
// r, which pace names.
func exportLong(pace string, r mgmt.Rate) string {
	return fmt.Sprintf(`Read a live project and write a workspace into DIR that declares it:
descope-run.yaml (the project's id and a placeholder for its key variable),
main.star (the project, permissions, roles, tenants with their parents and
default roles, tenant roles, flows and the theme), each flow's document in
flows/ and the theme's in themes/theme.json, as the export APIs return them.
Up to %d tenants are declared in main.star; more go to data/tenants.yaml, one
entry each, declared by the template lib/tenants.star. own() lines are written
commented out: nothing is deleted until you uncomment one.

Before it ends, export evaluates DIR/main.star and checks that a plan of it
against what it read shows no changes. A value a config cannot hold (say, a
default role that is no project role) is left unmanaged, with a note in
main.star and on stderr. DIR must be empty or missing, unless --force.

The project is chosen as plan chooses it: DESCOPE_PROJECT_ID (with
DESCOPE_MANAGEMENT_KEY) when set; else --project NAME (an entry of
descope-run.yaml's projects:, real when the variable its key_env names is set)
or --project-id ID, each meaning the workspace's local project of that id when
no key is set; else the workspace's only local project. A local project is
copied into DIR/.descope-run/, so that plans of DIR read the same objects.

Tenant settings are read only with --settings, one call per tenant (the API
has no bulk read). At %s of %s,
1,000 tenants take %s; the local project is not paced.`, runtime.InlineTenants, pace, r, settingsTime(r, 1000))
}

// pace describes the pace export would read a real project at, for the
// help: --rate, else the rate in the workspace's descope-run.yaml, else
// the default.
func (o *ExportCmdOptions) pace() (string, mgmt.Rate) {
	var ws *runtime.Workspace
	if root, err := runtime.FindRootFromDir(o.Workspace); err == nil {
		ws, _ = runtime.OpenWorkspace(root)
	}
	p, err := o.f.pacer(ws)
	if err != nil {
		return "the default pace", mgmt.DefaultRate
	}
	return "the current pace", p.Rate()
}

// settingsTime says how long n settings reads take at rate r (whose burst
// is its N), after the few fixed reads.
func settingsTime(r mgmt.Rate, n int) string {
	if r.IsUnlimited() {
		return "no time waiting"
	}
	d := time.Duration(max(0, n+5-r.N)) * r.Per / time.Duration(r.N)
	if d < time.Second {
		return "no time waiting (within the burst)"
	}
	return "about " + d.Round(time.Second).String()
}

// settingsPace says how long n reads, one per tenant, take at the target's
// pace.
func (f *Factory) settingsPace(t *runtime.Target, n int) string {
	if t.Local {
		return " (the local project is not paced)"
	}
	// The target's pace: the configured one, or what an earlier run learnt.
	r := t.Client.Pacer().Stats().Pace
	return fmt.Sprintf(", at %s: %s", r, settingsTime(r, n))
}
