package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/descope-run/descope-run/builtins"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// ExportOptions say what Export reads and writes.
type ExportOptions struct {
	// Dir is the folder the workspace is written to. It must be empty or
	// missing, unless Force is set: then the files Export writes replace
	// those of the same names, and other files stay.
	Dir   string
	Force bool
	// Kinds are the kinds to export; nil exports every kind. Whatever the
	// kinds, main.star pins the project's id.
	Kinds []descope.Kind
	// Match is a glob ('*', '?') of the tenant ids to export; "" exports
	// every tenant. A matched sub-tenant's ancestors are exported with it,
	// so that its parent is declared.
	Match string
	// Settings exports each exported tenant's settings, which costs one
	// read per tenant (the API has no bulk read for them).
	Settings bool
	// SSO exports the SSO configurations of the exported tenants, which
	// costs one read per tenant; client secrets become secret("...") of
	// variables named after their configuration. SSOReads, if set, is
	// called with the number of tenants whose SSO configurations are about
	// to be read. (The settings reads report through Target.Observe, as
	// every read of tenant settings does.)
	SSO      bool
	SSOReads func(n int)
	// ProjectName and KeyEnv name the project in the exported
	// descope-run.yaml and the variable that holds its key; by default
	// the project's name as a slug and a variable named after it.
	ProjectName, KeyEnv string
}

// kindSet returns the kinds to export as a set.
func (o *ExportOptions) kindSet() map[descope.Kind]bool {
	kinds := o.Kinds
	if len(kinds) == 0 {
		kinds = descope.Kinds
	}
	set := map[descope.Kind]bool{}
	for _, k := range kinds {
		set[k] = true
	}
	return set
}

// ParseKinds parses kind names as --kinds takes them ("tenant", "flow", ...).
func ParseKinds(names []string) ([]descope.Kind, error) {
	valid := make([]string, len(descope.Kinds))
	for i, k := range descope.Kinds {
		valid[i] = string(k)
	}
	var out []descope.Kind
	for _, n := range names {
		n = strings.TrimSpace(n)
		if !slices.Contains(valid, n) {
			hint := ""
			if near := builtins.Nearest(n, valid); near != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", near)
			}
			return nil, fmt.Errorf("unknown kind %q%s: the kinds are %s", n, hint, strings.Join(valid, ", "))
		}
		if !slices.Contains(out, descope.Kind(n)) {
			out = append(out, descope.Kind(n))
		}
	}
	return out, nil
}

// Exported is what Export wrote.
type Exported struct {
	// Files are the paths written, relative to Dir, sorted; Overwritten
	// are those of them that existed before (with Force).
	Files, Overwritten []string
	// Counts are the objects declared, by kind.
	Counts map[descope.Kind]int
	// Notes say what was left out or unmanaged, and why; main.star lists
	// them too.
	Notes []string
	// LocalCopy is the path, relative to Dir, of the copy of the local
	// project that Export made so that Dir's plans read the same objects;
	// "" for a real project.
	LocalCopy string
}

// An ExportCheckError is an exported workspace that does not reproduce the
// project it was read from: a bug in export, never the user's doing.
type ExportCheckError struct {
	Dir     string
	Changes []string
	Err     error
}

func (e *ExportCheckError) Error() string {
	what := fmt.Sprintf("a plan of it shows %d changes:\n  %s", len(e.Changes), strings.Join(e.Changes, "\n  "))
	if e.Err != nil {
		what = "it does not evaluate: " + e.Err.Error()
	}
	return fmt.Sprintf("export: the workspace written to %s does not reproduce the project, which is a bug in descope-run (please report it with this message): %s", e.Dir, what)
}

func (e *ExportCheckError) Unwrap() error { return e.Err }

// Export reads the project t and writes into opts.Dir a workspace that
// declares it (docs/design.md section 6): descope-run.yaml, main.star, the
// flow and theme documents, and for many tenants data/tenants.yaml with the
// template lib/tenants.star. It then evaluates main.star and checks that a
// plan of it against what it read has no changes, returning an
// *ExportCheckError if not. A folder that is not empty is refused with a
// *RefusedError unless opts.Force is set.
//
// The read costs the fixed calls of a plan, one export per flow, one theme
// export and one snapshot export; with opts.Settings, the fixed calls again
// and one settings read per exported tenant.
func Export(ctx context.Context, t *Target, opts ExportOptions) (*Exported, error) {
	if err := checkExportDir(opts.Dir, opts.Force); err != nil {
		return nil, err
	}
	live, notes, err := readForExport(ctx, t, &opts)
	if err != nil {
		return nil, err
	}
	m, err := adopt(live, t.ProjectID, &opts)
	if err != nil {
		return nil, err
	}
	m.notes = append(notes, m.notes...)
	files, err := exportFiles(m, &opts)
	if err != nil {
		return nil, err
	}
	out := &Exported{Counts: m.counts(opts.kindSet()), Notes: m.notes}
	if out.Files, out.Overwritten, err = writeFiles(opts.Dir, files); err != nil {
		return nil, err
	}
	if t.Local {
		if out.LocalCopy, err = copyLocalProject(t, opts.Dir); err != nil {
			return nil, err
		}
	}
	if err := checkExport(ctx, opts.Dir, live); err != nil {
		return out, err
	}
	return out, nil
}

// checkExportDir refuses a folder that holds anything, unless force.
func checkExportDir(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("export: %w", err)
	case len(entries) > 0 && !force:
		return &RefusedError{
			Reason: fmt.Sprintf("export into %s, which is not empty", dir),
			Hint:   "choose a new or empty folder, or pass --force to overwrite the files export writes",
		}
	}
	return nil
}

// selectTenants returns the ids of the live tenants that match the glob
// (every one for ""), with their ancestors.
func selectTenants(live *descope.State, match string) map[string]bool {
	byID := make(map[string]*descope.Tenant, len(live.Tenants))
	for _, t := range live.Tenants {
		byID[t.ID] = t
	}
	claim := descope.Ownership{Kind: descope.KindTenant, Match: cmp.Or(match, "*")}
	selected := map[string]bool{}
	for _, t := range live.Tenants {
		if !claim.Matches(t.ID) {
			continue
		}
		for cur := t; cur != nil && !selected[cur.ID]; cur = byID[deref(cur.Parent)] {
			selected[cur.ID] = true
		}
	}
	return selected
}

// noTenantMatched is the note of a --match that selects no tenant: it says
// how many the project has, and some of their ids, to check the pattern
// against.
func noTenantMatched(match string, tenants []*descope.Tenant) string {
	if len(tenants) == 0 {
		return fmt.Sprintf("no tenant is exported: --match %q matches none, the project has no tenants", match)
	}
	ids := make([]string, len(tenants))
	for i, t := range tenants {
		ids[i] = t.ID
	}
	slices.Sort(ids)
	const some = 3
	more := ""
	if len(ids) > some {
		ids, more = ids[:some], ", ..."
	}
	return fmt.Sprintf("no tenant is exported: --match %q matches none of the project's %d tenants (%s%s)",
		match, len(tenants), strings.Join(ids, ", "), more)
}

// readForExport reads what opts exports of the project. When the snapshot
// export that gives the project's name and tags fails (not every Descope
// plan allows it), the rest is exported and a note says so.
func readForExport(ctx context.Context, t *Target, opts *ExportOptions) (*descope.State, []string, error) {
	kinds := opts.kindSet()
	ro := mgmt.ReadOptions{AllFlows: kinds[descope.KindFlow], Theme: kinds[descope.KindTheme], Project: kinds[descope.KindProject],
		Progress: t.observe(PhaseRead)}
	var notes []string
	live, err := t.Client.ReadState(ctx, ro)
	if err != nil && ro.Project {
		ro.Project = false
		if without, err2 := t.Client.ReadState(ctx, ro); err2 == nil {
			notes = append(notes, fmt.Sprintf("the project's name and tags are left unmanaged: reading them failed: %v", err))
			live, err = without, nil
		}
	}
	if err != nil {
		return nil, nil, t.readError(err)
	}
	selected := selectTenants(live, opts.Match)
	var ids []string
	for _, tn := range live.Tenants {
		if selected[tn.ID] {
			ids = append(ids, tn.ID)
		}
	}
	if opts.Match != "" && kinds[descope.KindTenant] && len(ids) == 0 {
		notes = append(notes, noTenantMatched(opts.Match, live.Tenants))
	}
	if opts.SSO && kinds[descope.KindSSO] && kinds[descope.KindTenant] {
		if opts.SSOReads != nil {
			opts.SSOReads(len(ids))
		}
		withSSO, err := t.Client.ReadState(ctx, mgmt.ReadOptions{SSO: ids})
		if err != nil {
			return nil, nil, t.readError(err)
		}
		live.SSO, live.SSOTenants = withSSO.SSO, withSSO.SSOTenants
	}
	if !opts.Settings || !kinds[descope.KindTenant] {
		return live, notes, nil
	}
	withSettings, err := t.Client.ReadState(ctx, mgmt.ReadOptions{Settings: ids, Progress: t.observe(PhaseRead)})
	if err != nil {
		return nil, nil, t.readError(err)
	}
	for _, tn := range live.Tenants {
		if s := withSettings.Tenant(tn.ID); s != nil {
			tn.Settings = s.Settings
		}
	}
	return live, notes, nil
}

// counts returns the objects m declares, by kind, for the kinds exported.
func (m *exportModel) counts(kinds map[descope.Kind]bool) map[descope.Kind]int {
	c := map[descope.Kind]int{
		descope.KindPermission: len(m.permissions),
		descope.KindRole:       len(m.roles) + len(m.tenantRoles),
		descope.KindTenant:     len(m.tenants),
		descope.KindFlow:       len(m.flows),
	}
	if len(m.sso) > 0 {
		c[descope.KindSSO] = len(m.sso)
	}
	if len(m.project.args) > 1 {
		c[descope.KindProject] = 1
	}
	if len(m.attributes) > 0 {
		c[descope.KindTenantAttribute] = len(m.attributes)
	}
	if m.theme != nil {
		c[descope.KindTheme] = 1
	}
	for k := range c {
		if !kinds[k] {
			delete(c, k)
		}
	}
	return c
}

// writeFiles writes files under dir, in path order, and returns the paths
// written and those that existed.
func writeFiles(dir string, files map[string][]byte) (written, existed []string, err error) {
	for _, path := range slices.Sorted(maps.Keys(files)) {
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, nil, fmt.Errorf("export: %w", err)
		}
		if _, err := os.Lstat(full); err == nil {
			existed = append(existed, path)
		}
		if err := os.WriteFile(full, files[path], 0o644); err != nil {
			return nil, nil, fmt.Errorf("export: %w", err)
		}
		written = append(written, path)
	}
	return written, existed, nil
}

// copyLocalProject copies the local project t into dir's own local
// projects, so that plans of the exported workspace read the same objects,
// and returns the copy's path relative to dir. The project is its state
// file and the files beside it named after it (the journal of the writes
// since the state file was written, see the emulator's persist.go): all are
// copied, and files of an earlier copy that the project no longer has go.
func copyLocalProject(t *Target, dir string) (string, error) {
	if err := t.emulator.Flush(); err != nil {
		return "", fmt.Errorf("export: save the local project %s: %w", t.StatePath, err)
	}
	rel := filepath.ToSlash(filepath.Join(LocalDir, "local", t.ProjectID+".json"))
	dst := filepath.Join(dir, filepath.FromSlash(rel))
	if same(t.StatePath, dst) {
		return "", nil
	}
	fail := func(err error) (string, error) { return "", fmt.Errorf("export: copy the local project: %w", err) }
	projectFiles := func(path string) (map[string]bool, error) {
		entries, err := os.ReadDir(filepath.Dir(path))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		names := map[string]bool{}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), filepath.Base(path)) && e.Type().IsRegular() {
				names[e.Name()] = true
			}
		}
		return names, nil
	}
	src, err := projectFiles(t.StatePath)
	if err != nil {
		return fail(err)
	}
	old, err := projectFiles(dst)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fail(err)
	}
	for name := range old {
		if !src[name] {
			if err := os.Remove(filepath.Join(filepath.Dir(dst), name)); err != nil {
				return fail(err)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(src)) {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(t.StatePath), name))
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(filepath.Join(filepath.Dir(dst), name), data, 0o600); err != nil {
			return fail(err)
		}
	}
	return rel, nil
}

// same reports whether paths a and b name the same existing file.
func same(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// checkExport evaluates the exported workspace in dir and checks that a plan
// of it against live has no changes.
func checkExport(ctx context.Context, dir string, live *descope.State) error {
	res, err := Eval(ctx, EvalOptions{Script: filepath.Join(dir, exportEntry)})
	if err != nil {
		return &ExportCheckError{Dir: dir, Err: err}
	}
	p := descope.Diff(live, res.State)
	if p.Empty() {
		return nil
	}
	e := &ExportCheckError{Dir: dir}
	for _, c := range p.Changes {
		var paths []string
		for _, f := range c.Fields {
			paths = append(paths, f.Path)
		}
		e.Changes = append(e.Changes, fmt.Sprintf("%s %s %s", c.Action, c.ID, strings.Join(paths, " ")))
	}
	return e
}
