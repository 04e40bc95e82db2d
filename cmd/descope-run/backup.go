package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/descope/render"
	"github.com/descope-run/descope-run/runtime"
)

// BackupOptions are the flags every backup subcommand shares.
type BackupOptions struct {
	f         *Factory
	Dir       string
	Git       bool
	Workspace string
	Project   string
	ProjectID string
}

// NewCmdBackup returns the backup command and its subcommands.
func NewCmdBackup(f *Factory) *cobra.Command {
	opts := &BackupOptions{f: f}
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Create, list, inspect, compare, restore and prune backups",
		Long: `Backups are copies of a project's tenants, flows (with their documents), theme,
roles, permissions and project name and tags, written before every apply and
restore and on demand. backup create also holds every tenant's settings; the
backup an apply or restore takes first holds the settings of the tenants it
changes, deletes or replaces. They live in ~/.descope-mgmt/backups/<project-id>/
(--backup-dir or backup.dir in descope-run.yaml), one checksummed file each;
the local project's in backups/local/<project-id>/, and those of a project
served at another DESCOPE_BASE_URL in backups/url/<host>/<project-id>/, so
that a backup is never restored onto another target than it was taken from
unless asked for (restore --from-other-target). With a store URL
(--backup-url, DESCOPE_RUN_BACKUP_URL or backup.url: s3://bucket/prefix,
gs://bucket/prefix, file:///dir) they live in object storage instead, under
<prefix>/backups/, shared by every machine that names it; every command here
works the same on it.

A backup is named by its id, a unique prefix of it, "latest" (the newest) or
"latest~N" (the one N before the newest).

The project is chosen as plan chooses it: DESCOPE_PROJECT_ID (with
DESCOPE_MANAGEMENT_KEY) when set; else the config named after the command's
arguments (backup list scripts/prod.star: its project(id=...), in its
workspace), --project NAME (an entry of descope-run.yaml's projects:, real
when the variable its key_env names is set) or --project-id ID, each meaning
the workspace's local project of that id when no key is set; else the
workspace's only local project. When that leaves several projects or none,
the command says so and lists them.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&opts.Dir, "backup-dir", "", "the backup folder `DIR` (default ~/.descope-mgmt/backups)")
	f.addBackupURLFlag(pf)
	pf.BoolVar(&opts.Git, "git", false, "keep the backup folder as a git repository, one commit per backup (also backup.git)")
	pf.StringVar(&opts.Workspace, "workspace", ".", "the workspace `DIR`, for descope-run.yaml and the local project")
	addProjectFlags(cmd, pf, &opts.Project, &opts.ProjectID)
	cmd.AddCommand(
		newCmdBackupCreate(opts),
		newCmdBackupList(opts),
		newCmdBackupShow(opts),
		newCmdBackupDiff(opts),
		newCmdBackupRestore(opts),
		newCmdBackupPrune(opts),
	)
	return cmd
}

// workspace opens the workspace the backup commands work in.
func (o *BackupOptions) workspace() (*runtime.Workspace, error) {
	return openWorkspaceFlag(o.Workspace)
}

// backupSession is what a backup command works on: the workspace, the
// project chosen, the store of its backups, and the config named, if any.
type backupSession struct {
	ws      *runtime.Workspace
	project chosenProject
	store   backup.Store
	// config is the config named after the arguments, evaluated (nil for none).
	config *runtime.Result
	pinned string
}

// session chooses the project as plan does (resolveProject), from the
// config named (config, may be "") or the flags, without connecting to
// it, and opens its backup store.
func (o *BackupOptions) session(cmd *cobra.Command, config string) (*backupSession, error) {
	f := o.f
	s := &backupSession{}
	sel := projectSelection{Name: o.Project, ID: o.ProjectID, TakesConfig: true}
	var err error
	if config != "" {
		if cmd.Flags().Changed("workspace") {
			return nil, fmt.Errorf("--workspace %s and the config %s: a config's workspace is the folder of its %s: drop --workspace", o.Workspace, config, runtime.ConfigFile)
		}
		if s.config, err = f.evalScript(cmd.Context(), config); err != nil {
			return nil, err
		}
		s.ws, sel.Config = s.config.Workspace, true
		if p := s.config.State.Project; p != nil {
			sel.Pinned = p.ID
		}
	} else if s.ws, err = o.workspace(); err != nil {
		return nil, err
	}
	if s.project, err = f.resolveProject(s.ws, sel); err != nil {
		return nil, err
	}
	s.pinned = sel.Pinned
	if s.pinned != "" && s.pinned != s.project.ID {
		// DESCOPE_PROJECT_ID names another project: refused as plan refuses it.
		_, err := f.openChecked(s.ws, s.project, s.pinned)
		return nil, err
	}
	if s.store, err = f.backupStore(s.ws, o.Dir, o.Git, s.project.backupTarget(f.Getenv)); err != nil {
		return nil, err
	}
	return s, nil
}

// target opens the session's project.
func (s *backupSession) target(f *Factory) (*runtime.Target, error) {
	return f.openChecked(s.ws, s.project, s.pinned)
}

// opened is a session with one backup loaded.
type opened struct {
	*backupSession
	backup *backup.Backup
	entry  backup.Entry
}

// open opens the session and loads the backup ref names.
func (o *BackupOptions) open(cmd *cobra.Command, ref, config string) (*opened, error) {
	s, err := o.session(cmd, config)
	if err != nil {
		return nil, err
	}
	b, e, err := load(s.store, s.project.ID, ref)
	if err != nil {
		return nil, err
	}
	return &opened{backupSession: s, backup: b, entry: e}, nil
}

// configArg returns the optional config argument args[i], or "".
func configArg(args []string, i int) string {
	if len(args) > i {
		return args[i]
	}
	return ""
}

// load finds a backup by id, prefix, "latest" or "latest~N".
func load(store backup.Store, projectID, ref string) (*backup.Backup, backup.Entry, error) {
	return runtime.LoadBackupRef(store, projectID, ref)
}

func newCmdBackupCreate(o *BackupOptions) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "create [CONFIG]",
		Short: "Back the project up now",
		Long: `Read the whole project, every tenant's settings (one call each) and every
flow included, and write it as a new backup of the project's target (see
backup --help for where backups live); print its id. --reason is kept in
its metadata, which backup list and backup show print. Backups are pruned
only by backup prune and after an apply or restore, never here.`,
		Example: `  descope-run backup create scripts/prod.star --reason "before the SSO migration"
  descope-run backup create --project staging
  descope-run backup create --backup-url 's3://acme-descope/prod?region=eu-west-1'`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: starFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := o.f
			s, err := o.session(cmd, configArg(args, 0))
			if err != nil {
				return err
			}
			target, err := s.target(f)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "Target: %s\n", target.Description)
			meta := runtime.NewMetadata(backup.OperationManual, reason, toolVersion(), s.ws.Root, f.Now())
			entry, _, err := runtime.TakeBackup(cmd.Context(), target, s.store, meta, nil, true)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "Backed up the project as %s (%s, %s).\n", entry.ID, entry.Path, countsLine(entry.Counts))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the backup was taken, kept in its metadata")
	return cmd
}

// listItem is one backup in `backup list --json`.
type listItem struct {
	ID        string         `json:"id"`
	CreatedAt time.Time      `json:"created_at"`
	Operation string         `json:"operation"`
	Reason    string         `json:"reason,omitempty"`
	User      string         `json:"user,omitempty"`
	ProjectID string         `json:"project_id"`
	Target    string         `json:"target"`
	Counts    map[string]int `json:"counts"`
	Size      int64          `json:"size"`
	Path      string         `json:"path"`
	// Status is good, damaged or unverified; Error says why when not good.
	Status backup.Status `json:"status"`
	Error  string        `json:"error,omitempty"`
}

func newCmdBackupList(o *BackupOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [CONFIG]",
		Short: "List the project's backups, newest first, each one checked",
		Long: `List the backups of the project's target, newest first. Every file is read
and checked against its checksum: a damaged backup (cut short, or changed
since it was written) is marked so, is never restored, and prune does not
count it among the backups it keeps; an unverified one is in a format newer
than this descope-run reads.`,
		Example: `  descope-run backup list scripts/prod.star
  descope-run backup list --project staging --json | jq '.[0].id'`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: starFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := o.f
			s, err := o.session(cmd, configArg(args, 0))
			if err != nil {
				return err
			}
			store, id := s.store, s.project.ID
			entries, err := store.List(id)
			if err != nil {
				return err
			}
			if asJSON {
				items := make([]listItem, 0, len(entries))
				for _, e := range entries {
					it := listItem{ID: e.ID, CreatedAt: e.CreatedAt, Operation: e.Operation, Reason: e.Reason, User: e.User,
						ProjectID: e.ProjectID, Target: e.Target, Counts: e.Counts, Size: e.Size, Path: e.Path, Status: e.Status}
					if it.ProjectID == "" {
						it.ProjectID = id
					}
					if e.Err != nil {
						it.Error = e.Err.Error()
					}
					items = append(items, it)
				}
				enc := json.NewEncoder(f.IO.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(items)
			}
			if len(entries) == 0 {
				fmt.Fprintf(f.IO.Out, "No backups of project %s in %s.\n", id, store.Location())
				return nil
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCREATED\tOPERATION\tUSER\tOBJECTS\tSTATUS\tREASON")
			var bad []backup.Entry
			for _, e := range entries {
				if e.Status != backup.StatusGood {
					bad = append(bad, e)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.CreatedAt.UTC().Format(time.RFC3339), orDash(e.Operation),
					orDash(e.User), orDash(countsLine(e.Counts)), statusText(e, store.Target()), e.Reason)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(bad) > 0 {
				fmt.Fprintln(f.IO.Out, "\nNot good, so never restored and not counted by prune among the backups it keeps:")
				for _, e := range bad {
					fmt.Fprintf(f.IO.Out, "  %s: %v\n", e.ID, e.Err)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

// statusText is a backup's STATUS in backup list: its status, and where it
// came from when that is not the store's target (a file moved there, or one
// older than the target field).
func statusText(e backup.Entry, target string) string {
	s := e.Status.String()
	switch {
	case e.Status == backup.StatusGood && e.Target == "":
		s += ", target unknown"
	case e.Status == backup.StatusGood && e.Target != target:
		s += ", from " + e.Target
	}
	return s
}

// countsLine renders counts per kind in a stable order.
func countsLine(counts map[string]int) string {
	var parts []string
	for _, k := range descope.Kinds {
		if n, ok := counts[string(k)]; ok {
			parts = append(parts, countOf(n, string(k)))
		}
	}
	var extra []string
	for k, n := range counts {
		if !isKind(k) {
			extra = append(extra, countOf(n, k))
		}
	}
	sort.Strings(extra)
	return strings.Join(append(parts, extra...), ", ")
}

// countOf is "1 tenant", "3 tenant attributes", "2 sso configurations".
func countOf(n int, kind string) string {
	if kind == string(descope.KindSSO) {
		kind = "sso configuration"
	}
	kind = strings.ReplaceAll(kind, "_", " ")
	if n != 1 {
		kind += "s"
	}
	return fmt.Sprintf("%d %s", n, kind)
}

// kindNames lists every kind, for the help of --only and --kinds.
func kindNames() string {
	names := make([]string, len(descope.Kinds))
	for i, k := range descope.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func isKind(s string) bool {
	for _, k := range descope.Kinds {
		if string(k) == s {
			return true
		}
	}
	return false
}

func newCmdBackupShow(o *BackupOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID [CONFIG]",
		Short: "Show a backup's metadata and what it holds",
		Long: `Show a backup's metadata (its target, when and by whom it was taken, the
operation and reason, the workspace's git commit, the tool version, the
file) and how many objects of each kind it holds. The file's checksum is
verified first: a damaged backup is an error that says so. ID is a backup
id, a unique prefix of one, "latest" or "latest~N"; backup diff shows what
the backup holds, as a plan.`,
		Example: `  descope-run backup show latest
  descope-run backup show latest~1 scripts/prod.star
  descope-run backup show 3kq7 --project staging`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: o.completeIDThenConfig,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := o.f
			op, err := o.open(cmd, args[0], configArg(args, 1))
			if err != nil {
				return err
			}
			m, e := op.backup.Metadata, op.entry
			w := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "Backup %s of project %s\n", e.ID, m.ProjectID)
			fmt.Fprintf(w, "  target\t%s\n", cmp.Or(m.Target, "- (not recorded)"))
			fmt.Fprintf(w, "  created\t%s\n", m.CreatedAt.UTC().Format(time.RFC3339))
			fmt.Fprintf(w, "  operation\t%s\n", m.Operation)
			if m.Reason != "" {
				fmt.Fprintf(w, "  reason\t%s\n", m.Reason)
			}
			fmt.Fprintf(w, "  user\t%s\n", orDash(m.User))
			fmt.Fprintf(w, "  git commit\t%s\n", orDash(m.GitCommit))
			fmt.Fprintf(w, "  tool version\t%s\n", m.ToolVersion)
			fmt.Fprintf(w, "  format\t%d\n", m.FormatVersion)
			fmt.Fprintf(w, "  file\t%s (%d bytes)\n", e.Path, e.Size)
			fmt.Fprintf(w, "  checksum\t%s (verified)\n", m.Checksum)
			fmt.Fprintln(w, "\n  objects")
			for _, k := range descope.Kinds {
				fmt.Fprintf(w, "    %s\t%d\n", k, m.Counts[string(k)])
			}
			return w.Flush()
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newCmdBackupDiff(o *BackupOptions) *cobra.Command {
	var showUnmanaged, prune bool
	cmd := &cobra.Command{
		Use:   "diff ID [ID2|live|CONFIG]",
		Short: "Show the plan between a backup and another backup, the live project or a config",
		Long: `Show, as a plan, what would change (with --prune, as restore --prune would):
  diff ID            the live project restored to backup ID (same as "diff ID live")
  diff ID ID2        a project as in backup ID, restored to backup ID2
  diff ID CONFIG     a project as in backup ID, with the config CONFIG applied
                     (the config also chooses the project, as plan does)`,
		Example: `  descope-run backup diff latest
  descope-run backup diff latest~1 latest --prune
  descope-run backup diff latest scripts/prod.star`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: o.completeDiff,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := o.f
			ctx := cmd.Context()
			other := "live"
			if len(args) == 2 {
				other = args[1]
			}
			config := ""
			if strings.HasSuffix(other, ".star") {
				config = other
			}
			op, err := o.open(cmd, args[0], config)
			if err != nil {
				return err
			}
			store, id, from, fromEntry := op.store, op.project.ID, op.backup, op.entry
			var live, desired *descope.State
			var header string
			switch {
			case other == "live":
				target, err := op.target(f)
				if err != nil {
					return err
				}
				desired = backup.RestoreState(from, nil, prune)
				if live, err = target.Client.ReadState(ctx, runtime.ReadOptionsFor(desired)); err != nil {
					return fmt.Errorf("read %s: %w", target.Description, err)
				}
				header = fmt.Sprintf("Diff: %s, restored to backup %s", target.Description, fromEntry.ID)
			case config != "":
				live, desired = from.State(), op.config.State
				header = fmt.Sprintf("Diff: backup %s, with %s applied", fromEntry.ID, other)
			default:
				to, toEntry, err := load(store, id, other)
				if err != nil {
					return err
				}
				live, desired = from.State(), backup.RestoreState(to, nil, prune)
				header = fmt.Sprintf("Diff: backup %s, restored to backup %s", fromEntry.ID, toEntry.ID)
			}
			return render.Text(f.IO.Out, descope.Diff(live, desired), render.TextOptions{
				Color: f.Color(f.IO.OutTTY), ShowUnmanaged: showUnmanaged, Header: header,
			})
		},
	}
	cmd.Flags().BoolVar(&showUnmanaged, "show-unmanaged", false, "list the objects the other side does not manage")
	cmd.Flags().BoolVar(&prune, "prune", false, "also show the deletes of objects the backup did not have, as restore --prune would")
	return cmd
}

func newCmdBackupRestore(o *BackupOptions) *cobra.Command {
	var (
		autoApprove bool
		only        []string
		prune       bool
		maxDeletes  int
		parallel    int

		fromOtherTarget bool
		asJSON          bool
	)
	cmd := &cobra.Command{
		Use:   "restore ID [CONFIG]",
		Short: "Restore the project to a backup",
		Long: `Restore is a plan whose desired state is the backup: it is shown, confirmed,
and applied through the same paced executor as apply, after a backup of the
project as it is now. --only restores some kinds; --prune also deletes the
objects of those kinds created since the backup (built-in flows and the
preconfigured role and permissions are never deleted). With no terminal on
stdin restore asks nothing and refuses (exit 4) unless --auto-approve is
given: an answer piped in is not read.`,
		Example: `  descope-run backup restore latest
  descope-run backup restore 3kq7 --only tenant,role --prune`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: o.completeIDThenConfig,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := o.f
			failed := func(err error) error {
				return f.reportFailure(asJSON, backup.OperationRestore, "backup "+args[0], err)
			}
			kinds, err := runtime.ParseKinds(only)
			if err != nil {
				return failed(fmt.Errorf("--only: %w", err))
			}
			op, err := o.open(cmd, args[0], configArg(args, 1))
			if err != nil {
				return failed(err)
			}
			ws, entry := op.ws, op.entry
			target, err := op.target(f)
			if err != nil {
				return failed(err)
			}
			if err := runtime.CheckRestoreTarget(op.backup, entry.ID, target, fromOtherTarget); err != nil {
				return failed(err)
			}
			return f.applyDesired(cmd.Context(), target, backup.RestoreState(op.backup, kinds, prune), applyRun{
				ws: ws, operation: backup.OperationRestore, subject: "backup " + entry.ID,
				ask: !autoApprove, maxDeletes: maxDeletes, parallel: parallel, backupDir: o.Dir, json: asJSON,
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&autoApprove, "auto-approve", false, "restore without asking for confirmation")
	fl.StringSliceVar(&only, "only", nil, "restore only these `KINDS` ("+kindNames()+")")
	fl.BoolVar(&prune, "prune", false, "delete objects of the restored kinds that did not exist in the backup")
	fl.IntVar(&maxDeletes, "max-deletes", 10, "refuse a restore that deletes more than `N` objects")
	fl.IntVar(&parallel, "parallel", mgmt.DefaultWorkers, "run at most `N` changes at once")
	fl.BoolVar(&asJSON, "json", false, "print the report as JSON on stdout, as apply --json does (the plan and the prompt go to stderr)")
	fl.BoolVar(&fromOtherTarget, "from-other-target", false, "restore a backup taken from another target (the local project, another base URL)")
	return cmd
}

func newCmdBackupPrune(o *BackupOptions) *cobra.Command {
	var (
		olderThan string
		keep      int
	)
	cmd := &cobra.Command{
		Use:   "prune [CONFIG]",
		Short: "Delete old backups, keeping the newest few",
		Long: `Delete the project's backups older than --older-than, but never the newest
--keep good ones, whatever their age. Every backup is checked first: damaged
ones do not count toward --keep (so the newest good backup is never deleted)
and go once older than --older-than; unverified ones (a newer format) stay.
apply and restore run this after every change with the defaults (30 days,
keep 5; backup.keep in descope-run.yaml), for the backups of their target.`,
		Example: `  descope-run backup prune scripts/prod.star
  descope-run backup prune --project staging --older-than 7d --keep 3`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: starFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := o.f
			s, err := o.session(cmd, configArg(args, 0))
			if err != nil {
				return err
			}
			store, id := s.store, s.project.ID
			p, err := retention(s.ws)
			if err != nil {
				return err
			}
			if olderThan != "" {
				if p.MaxAge, err = parseAge(olderThan); err != nil {
					return fmt.Errorf("--older-than: %w", err)
				}
			}
			if cmd.Flags().Changed("keep") {
				p.KeepLast = keep
			}
			removed, err := store.Prune(id, p)
			if err != nil {
				return err
			}
			for _, e := range removed {
				what := "backup"
				if e.Status == backup.StatusDamaged {
					what = "damaged backup"
				}
				fmt.Fprintf(f.IO.Out, "Deleted %s %s (%s, %s).\n", what, e.ID, e.CreatedAt.UTC().Format(time.RFC3339), orDash(e.Operation))
			}
			fmt.Fprintf(f.IO.Out, "Pruned %d backups of project %s.\n", len(removed), id)
			return nil
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "delete backups older than `AGE`, like 30d or 12h (default 30d)")
	cmd.Flags().IntVar(&keep, "keep", backup.DefaultKeepLast, "always keep the newest `N` good backups")
	return cmd
}

// parseAge accepts a Go duration or a number of days ("30d").
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q: want a number of days like 30d, or a duration like 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a number of days like 30d, or a duration like 12h", s)
	}
	return d, nil
}
