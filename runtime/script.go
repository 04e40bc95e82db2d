package runtime

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/builtins"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// ScriptOptions say how RunScript runs an automation script. The hooks are
// the CLI's part: opening projects, the backup store, showing and
// confirming plans, progress.
type ScriptOptions struct {
	// Script, Vars, VarFiles and MaxSteps are as for Eval; Stderr receives
	// what the script is told besides its own output. Timeout, when set,
	// bounds the whole run (by default none: a script waits for the API at
	// the project's pace).
	EvalOptions
	// Stdout receives print().
	Stdout io.Writer
	// DryRun shows the plan of every write and writes nothing (nor takes
	// a backup); JSON is what descope.json says.
	DryRun, JSON bool
	// Open opens the project name names ("" for the default; see
	// builtins.Script's descope.project): the same project must come back
	// as the same *Target. A note, when not empty, is said once on Stderr.
	Open func(ws *Workspace, name string) (t *Target, note string, err error)
	// Store opens the store of t's backups.
	Store func(ws *Workspace, t *Target) (ScriptStore, error)
	// Apply carries out a write to t: it completes pol with what the CLI
	// holds (the lock, the audit log, retention, --max-deletes,
	// --parallel, showing the plan after pol.Show's check, asking,
	// progress), runs Apply and reports its outcome.
	Apply func(ctx context.Context, t *Target, desired *descope.State, pol Policy) (*Outcome, error)
	// Show shows the plan of a write under DryRun.
	Show func(t *Target, pl *Planned) error
	// Progress starts a batch's progress line (nil, or nil funcs: none).
	Progress func(total int) (update func(done, failed int), finish func())
	// ToolVersion is recorded in backups.
	ToolVersion string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// ScriptStore keeps a project's backups for a script: it writes them and
// lists and loads them.
type ScriptStore interface {
	BackupStore
	List(projectID string) ([]backup.Entry, error)
	Load(projectID, idOrPrefix string) (*backup.Backup, backup.Entry, error)
}

// BatchFailedError is a script that ran to its end while items of its
// batches failed; each was reported as it failed.
type BatchFailedError struct {
	// Batches say where and how many: "report.star:12:14: 3 of 1000 items".
	Batches []string
}

func (e *BatchFailedError) Error() string {
	return "the script ran to its end, but items of its batches failed (reported above): " + strings.Join(e.Batches, "; ")
}

// ShownPlanChangedError is a plan that a script made with diff() and then
// applied, which the project no longer gives: it changed since, or the plan
// was made against another project.
type ShownPlanChangedError struct {
	// Pos is where the script applied the plan; Target the project.
	Pos, Target string
	// Detail says what differs.
	Detail string
}

// Refusal says what differs.
func (e *ShownPlanChangedError) Refusal() (string, string) {
	return fmt.Sprintf("the plan applied at %s is not what it would do to %s now: %s", e.Pos, e.Target, e.Detail),
		"diff() against what p.read() returns now, review that plan and apply it"
}

func (e *ShownPlanChangedError) Error() string { return refusalText(e) }

// RunScript runs the automation script at opts.Script (descope-run run):
// its failure, or a refusal of one of its writes, is a *ScriptError at the
// script's line (wrapping the refusal, if any); a script that ran to its
// end with failed batch items gives a *BatchFailedError.
func RunScript(ctx context.Context, opts ScriptOptions) error {
	ws, entry, err := openEntry(opts.Script)
	if err != nil {
		return err
	}
	vars, err := LoadVars(ws.Config.Vars, opts.VarFiles, opts.Vars)
	if err != nil {
		return err
	}
	dict, err := vars.Dict()
	if err != nil {
		return err
	}
	read := builtins.NewVars(dict)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSteps == 0 {
		opts.MaxSteps = DefaultMaxSteps
	}
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	h := &scriptHost{opts: opts, ws: ws, entry: entry, stderr: &lockedWriter{w: stderr}, byName: map[string]*scriptProject{}}
	out := &lockedWriter{w: stdout}
	thread := &starlark.Thread{
		Name:  entry,
		Print: func(_ *starlark.Thread, msg string) { fmt.Fprintln(out, msg) },
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	builtins.SetContext(thread, ctx)
	predeclared := builtins.Script(h, ws, read)
	if err := runModules(ctx, ws, entry, predeclared, thread, evalLimits{maxSteps: opts.MaxSteps, timeout: opts.Timeout, maxMemory: opts.MaxMemory}); err != nil {
		return err
	}
	if err := vars.CheckRead(entry, read); err != nil {
		return err
	}
	if len(h.failures) > 0 {
		return &BatchFailedError{Batches: h.failures}
	}
	return nil
}

// lockedWriter serializes the writes of a script's threads.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// scriptHost implements builtins.Host for one run.
type scriptHost struct {
	opts   ScriptOptions
	ws     *Workspace
	entry  string
	stderr io.Writer

	mu       sync.Mutex
	opened   []*scriptProject
	byName   map[string]*scriptProject
	failures []string
}

var _ builtins.Host = (*scriptHost)(nil)

func (h *scriptHost) DryRun() bool       { return h.opts.DryRun }
func (h *scriptHost) JSON() bool         { return h.opts.JSON }
func (h *scriptHost) MaxSteps() uint64   { return h.opts.MaxSteps }
func (h *scriptHost) Stderr() io.Writer  { return h.stderr }
func (h *scriptHost) Projects() []string { return slices.Sorted(maps.Keys(h.ws.Config.Projects)) }

func (h *scriptHost) Progress(total int) (func(done, failed int), func()) {
	if h.opts.Progress == nil {
		return nil, nil
	}
	return h.opts.Progress(total)
}

func (h *scriptHost) BatchFailed(pos string, failed, total int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures = append(h.failures, fmt.Sprintf("%s: %d of %d items", pos, failed, total))
}

func (h *scriptHost) Opened() []builtins.Project {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]builtins.Project, len(h.opened))
	for i, p := range h.opened {
		out[i] = p
	}
	return out
}

// Project opens the project name names, once.
func (h *scriptHost) Project(ctx context.Context, name string) (builtins.Project, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.byName[name]; ok {
		return p, nil
	}
	t, note, err := h.opts.Open(h.ws, name)
	if err != nil {
		return nil, err
	}
	var p *scriptProject
	for _, o := range h.opened {
		if o.t == t {
			p = o
		}
	}
	if p == nil {
		p = &scriptProject{h: h, t: t, name: name}
		h.opened = append(h.opened, p)
		if note != "" {
			fmt.Fprintln(h.stderr, note)
		}
	}
	if p.name == "" {
		p.name = name
	}
	h.byName[name] = p
	return p, nil
}

// Eval evaluates the config label names, from the module from, with vars
// over descope-run.yaml's defaults.
func (h *scriptHost) Eval(ctx context.Context, from, label string, values map[string]any) (*descope.State, error) {
	rel, err := h.ws.Resolve(from, label)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(rel, ".star") {
		return nil, fmt.Errorf("%s is not a config (want a .star file)", label)
	}
	vars, err := LoadVars(h.ws.Config.Vars, nil, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range values {
		vars.values[k] = v
		vars.given[k] = "eval() vars"
	}
	return evalEntry(ctx, h.ws, rel, vars, EvalOptions{MaxSteps: h.opts.MaxSteps, Stderr: h.opts.Stderr})
}

// scriptProject implements builtins.Project: one target of a script.
type scriptProject struct {
	h    *scriptHost
	t    *Target
	name string

	mu    sync.Mutex
	store ScriptStore
	// cover is the backup taken before the script's first write to the
	// project, which covers its later writes: every tenant's settings
	// when coverAll, else those of the tenants in covered.
	cover    *backup.Entry
	coverAll bool
	covered  map[string]bool
}

var _ builtins.Project = (*scriptProject)(nil)

func (p *scriptProject) ID() string     { return p.t.ProjectID }
func (p *scriptProject) Name() string   { return p.name }
func (p *scriptProject) Target() string { return p.t.Description }

// Pacer returns the pacer of every call to the project.
func (p *scriptProject) Pacer() *mgmt.Pacer { return p.t.Client.Pacer() }

// Read reads the objects of kinds (all when nil) at a fixed cost: the
// documents and settings are left out.
func (p *scriptProject) Read(ctx context.Context, kinds []descope.Kind) (*descope.State, error) {
	want := func(k descope.Kind) bool { return kinds == nil || slices.Contains(kinds, k) }
	live, err := p.t.Client.ReadState(ctx, mgmt.ReadOptions{Project: want(descope.KindProject)})
	if err != nil {
		return nil, p.t.readError(err)
	}
	s := &descope.State{}
	if want(descope.KindTenant) {
		s.Tenants = live.Tenants
	}
	if want(descope.KindRole) {
		s.Roles = live.Roles
	}
	if want(descope.KindPermission) {
		s.Permissions = live.Permissions
	}
	if want(descope.KindTenantAttribute) {
		s.TenantAttributes = live.TenantAttributes
	}
	if want(descope.KindFlow) {
		s.Flows = live.Flows
	}
	if want(descope.KindTheme) {
		s.Theme = &descope.Theme{} // its document is fetched on first use
	}
	if want(descope.KindProject) {
		s.Project = live.Project
	}
	return s, nil
}

func (p *scriptProject) FlowDocument(ctx context.Context, id string) (map[string]any, error) {
	return p.t.Client.ExportFlow(ctx, id)
}

func (p *scriptProject) ThemeDocument(ctx context.Context) (map[string]any, error) {
	return p.t.Client.ExportTheme(ctx)
}

func (p *scriptProject) TenantSettings(ctx context.Context, id string) (*descope.TenantSettings, error) {
	s, err := p.t.Client.TenantSettings(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.Model(), nil
}

// Write applies w through Apply, with the script's backup and the check of
// a plan the script was shown; under DryRun it shows the plan only.
func (p *scriptProject) Write(ctx context.Context, w builtins.Write) (builtins.Written, error) {
	h := p.h
	check := func(pl *Planned) error { return checkShown(w, pl, p.t) }
	if h.opts.DryRun {
		planned, err := MakePlan(ctx, p.t, w.Desired)
		if err != nil {
			return builtins.Written{}, err
		}
		if err := check(planned); err != nil {
			return builtins.Written{}, err
		}
		if err := h.opts.Show(p.t, planned); err != nil {
			return builtins.Written{}, err
		}
		add, change, del := planned.Plan.Summary()
		return builtins.Written{Added: add, Changed: change, Deleted: del}, nil
	}
	store, err := p.backupStore()
	if err != nil {
		return builtins.Written{}, err
	}
	pol := Policy{
		Operation: backup.OperationScript, Subject: h.entry, Workspace: h.ws.Root, ToolVersion: h.opts.ToolVersion,
		Store: store, Backup: p.coverBackup, Show: check, Now: h.opts.Now,
	}
	out, err := h.opts.Apply(ctx, p.t, w.Desired, pol)
	var res builtins.Written
	if out != nil {
		res.Backup = out.Backup.ID
		if out.Result != nil {
			res.Added, res.Changed, res.Deleted = out.Planned.Plan.Summary()
		}
	}
	return res, err
}

// checkShown refuses a plan that is not the plan w was shown, if any.
func checkShown(w builtins.Write, pl *Planned, t *Target) error {
	if w.Shown == nil {
		return nil
	}
	shown, err := ChangesOf(w.Shown)
	if err != nil {
		return err
	}
	now, err := ChangesOf(pl.Plan)
	if err != nil {
		return err
	}
	if slices.EqualFunc(shown, now, SavedChange.equal) {
		return nil
	}
	return &ShownPlanChangedError{Pos: w.Pos, Target: t.Description,
		Detail: fmt.Sprintf("it showed %s, now %s (%s)", summary(shown), summary(now), changesDiff(shown, now))}
}

func (p *scriptProject) backupStore() (ScriptStore, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.store == nil {
		s, err := p.h.opts.Store(p.h.ws, p.t)
		if err != nil {
			return nil, err
		}
		p.store = s
	}
	return p.store, nil
}

// coverBackup is Policy.Backup: the backup taken before the script's first
// write to the project, which later writes reuse. A later write that
// touches the settings of tenants that backup lacks takes one more, of
// them, so that no write goes without a backup of what it changes.
func (p *scriptProject) coverBackup(ctx context.Context, touched []string) (backup.Entry, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cover != nil && (p.coverAll || !slices.ContainsFunc(touched, func(id string) bool { return !p.covered[id] })) {
		return *p.cover, nil
	}
	reason := "before the first write of script " + p.h.entry
	if p.cover != nil {
		reason = fmt.Sprintf("before a write of script %s to tenants whose settings backup %s lacks", p.h.entry, p.cover.ID)
	}
	meta := NewMetadata(backup.OperationScript, reason, p.h.opts.ToolVersion, p.h.ws.Root, p.h.opts.Now())
	entry, _, err := TakeBackup(ctx, p.t, p.store, meta, touched, false)
	if err != nil {
		return backup.Entry{}, err
	}
	if p.cover == nil {
		p.cover, p.covered = &entry, map[string]bool{}
	}
	for _, id := range touched {
		p.covered[id] = true
	}
	return entry, nil
}

// Backup backs the project up now, every tenant's settings included; the
// backup then covers the script's later writes.
func (p *scriptProject) Backup(ctx context.Context, reason string) (string, error) {
	if p.h.opts.DryRun {
		fmt.Fprintf(p.h.stderr, "Dry run: not backing up %s.\n", p.t.Description)
		return "", nil
	}
	store, err := p.backupStore()
	if err != nil {
		return "", err
	}
	if reason == "" {
		reason = "p.backup() in script " + p.h.entry
	}
	meta := NewMetadata(backup.OperationScript, reason, p.h.opts.ToolVersion, p.h.ws.Root, p.h.opts.Now())
	entry, _, err := TakeBackup(ctx, p.t, store, meta, nil, true)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	p.cover, p.coverAll = &entry, true
	p.mu.Unlock()
	return entry.ID, nil
}

func (p *scriptProject) Backups() ([]backup.Entry, error) {
	store, err := p.backupStore()
	if err != nil {
		return nil, err
	}
	return store.List(p.t.ProjectID)
}

// ReadBackup loads the backup ref names as the desired state of its
// restore.
func (p *scriptProject) ReadBackup(ref string) (*descope.State, backup.Entry, error) {
	store, err := p.backupStore()
	if err != nil {
		return nil, backup.Entry{}, err
	}
	b, e, err := LoadBackupRef(store, p.t.ProjectID, ref)
	if err != nil {
		return nil, backup.Entry{}, err
	}
	return backup.RestoreState(b, nil, false), e, nil
}

// LoadBackupRef loads the backup of project projectID that ref names: an
// id, a unique prefix of one, "latest" (the newest) or "latest~N" (the one
// N before the newest; a damaged one counts, and loading it says so).
func LoadBackupRef(store ScriptStore, projectID, ref string) (*backup.Backup, backup.Entry, error) {
	rest, ok := strings.CutPrefix(ref, "latest")
	if !ok {
		return store.Load(projectID, ref)
	}
	n := 0
	if rest != "" {
		var err error
		if n, err = strconv.Atoi(strings.TrimPrefix(rest, "~")); err != nil || !strings.HasPrefix(rest, "~") || n < 0 {
			return nil, backup.Entry{}, fmt.Errorf("backup %q: write latest or latest~N", ref)
		}
	}
	entries, err := store.List(projectID)
	if err != nil {
		return nil, backup.Entry{}, err
	}
	if n >= len(entries) {
		return nil, backup.Entry{}, fmt.Errorf("backup %s: project %s has %d backups: %w", ref, projectID, len(entries), backup.ErrNotFound)
	}
	return store.Load(projectID, entries[n].ID)
}
