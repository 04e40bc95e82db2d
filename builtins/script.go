package builtins

import (
	"context"
	"fmt"
	"io"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// Script returns the predeclared names of an automation script
// (descope-run run, docs/design.md section 8): those of a config (see
// Config), plus the live API below. In a script a declaration (tenant(...),
// role(...), ...) is a value to pass to p.apply() or diff(), not a part of
// one desired state: the same tenant may be declared for two projects, and
// own() is refused (deletes go through p.delete). Everything live goes
// through host.
//
//	descope.project(name = None)
//	    A handle on a project: name is an entry of descope-run.yaml's
//	    projects:, reached with the key in its key_env variable (or, when
//	    that is unset, the workspace's local project of that id, which the
//	    script is told once on stderr). With no name: the project
//	    DESCOPE_PROJECT_ID names, else the workspace's only local project.
//	    Naming the same project twice gives the same handle: one pacer, one
//	    backup before the first write. No handle exposes the management key.
//	descope.projects()      the names of descope-run.yaml's projects, sorted
//	descope.dry_run         True under --dry-run
//	descope.json            True under --json (print machine output then)
//
//	p.id, p.name, p.target  the project id, its descope-run.yaml name (or
//	                        None) and where it is (a plan's Target line)
//	p.read(kinds = None)
//	    The live project as a state (kinds: a list of "tenant", "role",
//	    "permission", "flow", "theme", "project", "tenant_attribute";
//	    default all): s.tenants, s.roles, s.permissions, s.flows, s.theme,
//	    s.project, s.tenant_attributes, s.tenant(id), s.role(name, tenant =
//	    None), s.permission(name), s.flow(id), s.tenant_attribute(key). Items
//	    are read-only values whose fields are named like the keywords of
//	    tenant(), role(), ... (t.id, t.name, t.domains, t.attributes,
//	    t.enforce_sso, t.disabled, t.parent). The read is a fixed number of
//	    calls; a flow's or the theme's document is fetched on first use
//	    (f.document), and tenants' settings through p.tenant_settings.
//	p.apply(x)
//	    Applies x, a plan from diff(), a state, or a list of declarations
//	    (tenant(...), role(...), items of a state; unset keywords are
//	    unmanaged), with the same operation as descope-run apply: lock,
//	    guards (--max-deletes, sub-tenants), the plan shown and confirmed
//	    (unless --auto-approve; with no terminal it is refused), one backup
//	    of the project before the script's first write to it, paced
//	    execution, verification, the audit log (with the script's path). A
//	    plan from diff() is applied only if the project still gives exactly
//	    its changes. Under --dry-run the plan is shown and nothing written.
//	    Returns struct(added, changed, deleted, backup, dry_run).
//	p.delete(kind, ids)
//	    Deletes the objects of kind ("tenant", "role", "permission",
//	    "flow") with those ids (role: "name" or "tenant/name"), as p.apply
//	    does, under the same guards. Built-in flows and the preconfigured
//	    role and permissions are never deleted.
//	p.backup(reason = "")   backs the project up now (every tenant's
//	                        settings included); returns the backup's id (None
//	                        under --dry-run)
//	p.backups()             the project's backups, newest first: struct(id,
//	                        created_at, operation, reason, user, counts)
//	p.read_backup(id = "latest")
//	    A backup as a state (id: an id, a unique prefix, "latest" or
//	    "latest~N").
//	p.tenant_settings(id)   a tenant's settings, keyed like tenant(settings=)
//
//	eval(path, vars = {})
//	    The desired state of the config at path (relative to the calling
//	    file, or "//" for the workspace root), evaluated with vars (and
//	    descope-run.yaml's defaults): the same value type as p.read().
//	diff(a, b, prune = False)
//	    The plan from a (the live side) to b (the desired side), each a
//	    state, a list of declarations or None. With prune, objects of the
//	    kinds b holds that are only in a are deleted, as restore --prune
//	    does. The plan has .changes (each .action, .kind, .id, .fields, every
//	    field a struct(path, before, after)), .summary (struct(add, change,
//	    delete)); len(plan) counts its changes and str(plan) renders it as
//	    descope-run plan does.
//	batch(fn, items, workers = 4, fail_fast = False, weight = 1, project = None)
//	    Calls fn(item) for every item, workers at a time, and returns the
//	    results in the order of items. Everything fn can reach is frozen
//	    first. Each item waits for weight tokens of the project's pacer
//	    before it is handed to a worker, as the executor does, so that
//	    queued items cannot stampede the API; the project is the one the
//	    script has opened (project = p when it has several). An item that
//	    fails gives None and the others go on; once the batch is done the
//	    failures are reported on stderr with their items, in their order,
//	    and the run exits 1 at its end. With fail_fast the first failure
//	    stops the batch and the script. A progress line is drawn on
//	    a terminal. fn may read but not write (p.apply, p.delete, p.backup).
//	table(rows, header = None)
//	    The rows (lists) as text in aligned columns, for print().
//
// print() writes to stdout; load_csv and json.encode are there for data in
// and out.
func Script(host Host, files Files, vars *Vars) starlark.StringDict {
	d := Config(NewScratchCollector(), files, vars)
	s := &scripter{host: host, files: files}
	d["own"] = starlark.NewBuiltin("own", scriptOwn)
	d["descope"] = &starlarkstruct.Module{
		Name: "descope",
		Members: starlark.StringDict{
			"project":  starlark.NewBuiltin("descope.project", s.project),
			"projects": starlark.NewBuiltin("descope.projects", s.projects),
			"dry_run":  starlark.Bool(host.DryRun()),
			"json":     starlark.Bool(host.JSON()),
		},
	}
	d["eval"] = starlark.NewBuiltin("eval", s.eval)
	d["diff"] = starlark.NewBuiltin("diff", s.diff)
	d["batch"] = starlark.NewBuiltin("batch", s.batch)
	d["table"] = starlark.NewBuiltin("table", table)
	return d
}

// Host is what a script reaches the world through: descope-run's runtime
// implements it.
type Host interface {
	// Project opens the project name names ("" for the default, see
	// descope.project); the same project gives the same Project.
	Project(ctx context.Context, name string) (Project, error)
	// Projects returns the names of descope-run.yaml's projects, sorted.
	Projects() []string
	// Opened returns the projects opened so far.
	Opened() []Project
	// Eval evaluates the config that label names, written in the module
	// from (root-relative), with vars (plain data) over descope-run.yaml's
	// defaults, into its desired state.
	Eval(ctx context.Context, from, label string, vars map[string]any) (*descope.State, error)
	// DryRun and JSON report --dry-run and --json.
	DryRun() bool
	JSON() bool
	// MaxSteps bounds the Starlark steps of each batch item.
	MaxSteps() uint64
	// Stderr receives what a script is told besides its own output.
	Stderr() io.Writer
	// Progress starts a batch's progress line (on a terminal; nil
	// otherwise): update is called as items finish, finish at the end.
	Progress(total int) (update func(done, failed int), finish func())
	// BatchFailed records that failed of total items of the batch at pos
	// failed (and were reported): the run then fails at its end.
	BatchFailed(pos string, failed, total int)
}

// Project is one live project of a script.
type Project interface {
	// ID is the project id, Name its descope-run.yaml name ("" for none),
	// Target where it is (a plan's Target line). None is the key.
	ID() string
	Name() string
	Target() string
	// Pacer paces every call to the project.
	Pacer() *mgmt.Pacer
	// Read reads the live project: the objects of kinds (all when nil),
	// flows without their documents and the theme without its document
	// (an empty Theme), tenants without their settings.
	Read(ctx context.Context, kinds []descope.Kind) (*descope.State, error)
	// FlowDocument and ThemeDocument export a flow's or the theme's
	// document.
	FlowDocument(ctx context.Context, id string) (map[string]any, error)
	ThemeDocument(ctx context.Context) (map[string]any, error)
	// TenantSettings reads a tenant's settings.
	TenantSettings(ctx context.Context, id string) (*descope.TenantSettings, error)
	// Write applies w as descope-run apply does (or, under --dry-run,
	// shows its plan).
	Write(ctx context.Context, w Write) (Written, error)
	// Backup backs the project up now and returns the backup's id ("" under
	// --dry-run).
	Backup(ctx context.Context, reason string) (string, error)
	// Backups lists the project's backups, newest first.
	Backups() ([]backup.Entry, error)
	// ReadBackup loads a backup (an id, a unique prefix, "latest",
	// "latest~N") as the desired state a restore of it has.
	ReadBackup(ref string) (*descope.State, backup.Entry, error)
}

// A Write is a change a script asks of a project: p.apply() or p.delete().
type Write struct {
	// Desired is the desired state to apply; for a delete, claims on the
	// objects to delete and nothing else.
	Desired *descope.State
	// Shown, when set, is the plan the script made with diff() and
	// applies: the project must still give exactly its changes.
	Shown *descope.Plan
	// Pos is the position of the call (file:line:col).
	Pos string
}

// Written is what a Write did, or under --dry-run would do.
type Written struct {
	Added, Changed, Deleted int
	// Backup is the id of the backup that covers the write ("" when
	// nothing was written).
	Backup string
}

// scripter holds the host of a script's builtins.
type scripter struct {
	host  Host
	files Files
}

const (
	contextKey = "descope-run.context"
	batchKey   = "descope-run.batch"
)

// SetContext sets the context of the API calls the builtins called on
// thread make (default context.Background()).
func SetContext(thread *starlark.Thread, ctx context.Context) { thread.SetLocal(contextKey, ctx) }

// contextOf returns the context of thread's API calls.
func contextOf(thread *starlark.Thread) context.Context {
	if ctx, ok := thread.Local(contextKey).(context.Context); ok {
		return ctx
	}
	return context.Background()
}

// callerPos returns the position of the Starlark call to the running
// builtin.
func callerPos(thread *starlark.Thread) string { return thread.CallFrame(1).Pos.String() }

func scriptOwn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return nil, fmt.Errorf("own: a script deletes only what it names: use p.delete(kind, ids) (own() claims objects in configs)")
}

func (s *scripter) project(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name?", &name); err != nil {
		return nil, err
	}
	n := ""
	if name != starlark.None {
		str, ok := starlark.AsString(name)
		if !ok || str == "" {
			return nil, fmt.Errorf("%s: name must be a project name of descope-run.yaml (a string) or None, not %s", b.Name(), name.String())
		}
		n = str
	}
	p, err := s.host.Project(contextOf(thread), n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return &liveProject{p: p, host: s.host}, nil
}

func (s *scripter) projects(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return FromGo(s.host.Projects()), nil
}

func (s *scripter) eval(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	var vars *starlark.Dict
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path, "vars?", &vars); err != nil {
		return nil, err
	}
	var values map[string]any
	if vars != nil {
		v, err := ToGo(vars)
		if err != nil {
			return nil, fmt.Errorf("%s: vars: %w", b.Name(), err)
		}
		values = v.(map[string]any)
	}
	st, err := s.host.Eval(contextOf(thread), callerFile(thread), path, values)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return NewStateValue(st), nil
}
