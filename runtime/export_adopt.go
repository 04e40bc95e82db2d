package runtime

// This file works out what an export writes: the declarations that
// reproduce a live project, each checked by the config builtins themselves,
// so that a value a config cannot hold is left unmanaged (with a note saying
// why) instead of failing the evaluation of the exported workspace.

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/builtins"
	"github.com/descope-run/descope-run/descope"
)

// exportModel is an exported project: the declarations of main.star, in the
// order it lists them, and the documents they read.
type exportModel struct {
	projectID string
	// projectName is the live project's name, for comments ("" when unknown).
	projectName string
	project     decl
	permissions []decl
	// attributes are the tenant custom attribute definitions.
	attributes []decl
	// roles are the project roles; tenantRoles the roles of one tenant.
	roles       []decl
	tenants     []decl
	tenantRoles []decl
	flows       []decl
	// sso are the SSO configurations (see export_sso.go).
	sso   []decl
	theme *decl
	// docs are the flow and theme documents by workspace path.
	docs map[string]map[string]any
	// owns are the arguments of the commented-out own() lines.
	owns []decl
	// notes say what was left out or unmanaged, and why.
	notes []string
}

// adopter builds an exportModel from a live state.
type adopter struct {
	live  *descope.State
	opts  *ExportOptions
	kinds map[descope.Kind]bool
	check *checker
	m     *exportModel
	// Names that declarations may refer to: the exported tenants,
	// permissions and project roles.
	tenants, permissions, projectRoles map[string]bool
}

// adopt returns the declarations that reproduce live (read from project
// projectID) as far as opts selects.
func adopt(live *descope.State, projectID string, opts *ExportOptions) (*exportModel, error) {
	a := &adopter{
		live: live, opts: opts, kinds: opts.kindSet(), check: newChecker(),
		m:       &exportModel{projectID: projectID, docs: map[string]map[string]any{}},
		tenants: map[string]bool{}, permissions: map[string]bool{}, projectRoles: map[string]bool{},
	}
	for _, n := range descope.PreconfiguredPermissions {
		a.permissions[n] = true
	}
	for _, n := range descope.PreconfiguredRoles {
		a.projectRoles[n] = true
	}
	steps := []func() error{a.project, a.permissionDecls, a.attributeDecls, a.projectRoleDecls, a.tenantDecls, a.tenantRoleDecls, a.ssoDecls, a.flowDecls, a.themeDecl}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	a.ownDecls()
	return a.m, nil
}

// note records something a config cannot say.
func (a *adopter) note(format string, args ...any) {
	a.m.notes = append(a.m.notes, fmt.Sprintf(format, args...))
}

// noteOnce records a note unless it is recorded already.
func (a *adopter) noteOnce(msg string) {
	if !slices.Contains(a.m.notes, msg) {
		a.m.notes = append(a.m.notes, msg)
	}
}

// declare checks d with its builtin and returns what a config can hold of
// it: d itself, or d without the optional keywords the builtin refuses (a
// note each). ok is false when the builtin refuses the required keywords
// alone, with a note saying why.
func (a *adopter) declare(what string, d decl, required int) (decl, bool) {
	if a.check.in("declarations", d) == nil {
		return d, true
	}
	base := decl{fn: d.fn, args: d.args[:required]}
	if err := a.check.call(base); err != nil {
		a.note("%s is not exported: %s", what, err)
		return decl{}, false
	}
	out := base
	out.args = slices.Clone(base.args)
	for _, x := range d.args[required:] {
		one := decl{fn: d.fn, args: append(slices.Clone(base.args), x)}
		if err := a.check.call(one); err != nil {
			a.note("%s: %s left unmanaged: %s", what, x.name, err)
			continue
		}
		out.args = append(out.args, x)
	}
	return out, true
}

func (a *adopter) project() error {
	args := []arg{{"id", a.m.projectID}}
	if p := a.live.Project; p != nil {
		a.m.projectName = deref(p.Name)
		if a.kinds[descope.KindProject] {
			if p.Name != nil {
				args = append(args, arg{"name", *p.Name})
			}
			if p.Tags != nil {
				args = append(args, arg{"tags", slices.Clone(*p.Tags)})
			}
		}
	}
	d, ok := a.declare("the project", decl{fn: "project", args: args}, 1)
	if !ok {
		return fmt.Errorf("export: project id %q: a config cannot pin it", a.m.projectID)
	}
	a.m.project = d
	return nil
}

func (a *adopter) permissionDecls() error {
	if !a.kinds[descope.KindPermission] {
		return nil
	}
	for _, p := range a.live.Permissions {
		d, ok := a.declare(fmt.Sprintf("permission %q", p.Name), decl{fn: "permission", args: []arg{
			{"name", p.Name}, {"description", deref(p.Description)},
		}}, 1)
		if ok {
			a.m.permissions = append(a.m.permissions, d)
			a.permissions[p.Name] = true
		}
	}
	return nil
}

// attributeDecls declares the live tenant custom attribute definitions:
// those of the keys the tenants use, the only ones a read finds (the API
// lists none). View permissions that are not exported are left unmanaged.
func (a *adopter) attributeDecls() error {
	if !a.kinds[descope.KindTenantAttribute] {
		return nil
	}
	for _, x := range a.live.TenantAttributes {
		what := fmt.Sprintf("tenant_attribute %q", x.Key)
		args := []arg{{"key", x.Key}, {"name", cmp.Or(deref(x.DisplayName), x.Key)}, {"type", x.Type}}
		if descope.IsSelectType(x.Type) && x.Options != nil {
			args = append(args, arg{"options", slices.Clone(*x.Options)})
		}
		if x.ViewPermissions != nil {
			switch missing := slices.DeleteFunc(slices.Clone(*x.ViewPermissions), func(p string) bool { return a.permissions[p] }); {
			case len(missing) > 0 && !a.kinds[descope.KindPermission]:
				a.noteOnce("the view permissions of tenant attributes are left unmanaged: --kinds leaves out permission")
			case len(missing) > 0:
				a.note("%s: view_permissions left unmanaged: %s %s not exported", what, quoteList(missing), isAre(len(missing)))
			default:
				args = append(args, arg{"view_permissions", slices.Clone(*x.ViewPermissions)})
			}
		}
		if d, ok := a.declare(what, decl{fn: "tenant_attribute", args: args}, 1); ok {
			a.m.attributes = append(a.m.attributes, d)
		}
	}
	return nil
}

// roleDecl returns the declaration of live role r, without the permissions
// when one of them is not exported.
func (a *adopter) roleDecl(r *descope.Role) (decl, bool) {
	what := fmt.Sprintf("role %q", r.Key())
	args := []arg{{"name", r.Name}}
	if r.Tenant != "" {
		args = append(args, arg{"tenant", r.Tenant})
	}
	required := len(args)
	args = append(args, arg{"description", deref(r.Description)})
	if r.Permissions != nil {
		switch missing := slices.DeleteFunc(slices.Clone(*r.Permissions), func(p string) bool { return a.permissions[p] }); {
		case len(missing) > 0 && !a.kinds[descope.KindPermission]:
			a.noteOnce("the permissions of roles are left unmanaged: --kinds leaves out permission")
		case len(missing) > 0:
			a.note("%s: permissions left unmanaged: %s %s not exported", what, quoteList(missing), isAre(len(missing)))
		default:
			args = append(args, arg{"permissions", slices.Clone(*r.Permissions)})
		}
	}
	args = append(args, arg{"default", deref(r.Default)}, arg{"private", deref(r.Private)})
	return a.declare(what, decl{fn: "role", args: args}, required)
}

func (a *adopter) projectRoleDecls() error {
	if !a.kinds[descope.KindRole] {
		return nil
	}
	for _, r := range a.live.Roles {
		if r.Tenant != "" {
			continue
		}
		if d, ok := a.roleDecl(r); ok {
			a.m.roles = append(a.m.roles, d)
			a.projectRoles[r.Name] = true
		}
	}
	return nil
}

func (a *adopter) tenantRoleDecls() error {
	if !a.kinds[descope.KindRole] {
		return nil
	}
	skipped := 0
	for _, r := range a.live.Roles {
		if r.Tenant == "" {
			continue
		}
		if !a.tenants[r.Tenant] {
			skipped++
			continue
		}
		if d, ok := a.roleDecl(r); ok {
			a.m.tenantRoles = append(a.m.tenantRoles, d)
		}
	}
	// Tenants that --match leaves out or that a config cannot declare
	// (noted already) take their roles with them, as expected; only
	// leaving out the kind needs saying.
	if skipped > 0 && !a.kinds[descope.KindTenant] {
		a.note("%d tenant roles are not exported: --kinds leaves out their tenants", skipped)
	}
	return nil
}

// exportedTenants returns the live tenants to export: those --match selects
// and their ancestors, whose id and name a config can hold.
func (a *adopter) exportedTenants() []*descope.Tenant {
	selected := selectTenants(a.live, a.opts.Match)
	var out []*descope.Tenant
	for _, t := range a.live.Tenants {
		if !selected[t.ID] {
			continue
		}
		if err := a.check.in("tenant ids", decl{fn: "tenant", args: []arg{{"id", t.ID}, {"name", t.Name}}}); err != nil {
			a.note("tenant %q is not exported: %s", t.ID, err)
			continue
		}
		out = append(out, t)
		a.tenants[t.ID] = true
	}
	return out
}

func (a *adopter) tenantDecls() error {
	if !a.kinds[descope.KindTenant] {
		return nil
	}
	for _, t := range treeOrder(a.exportedTenants(), a.tenants) {
		what := fmt.Sprintf("tenant %q", t.ID)
		args := []arg{{"id", t.ID}, {"name", t.Name}}
		if t.Domains != nil {
			args = append(args, arg{"domains", slices.Clone(*t.Domains)})
		}
		if t.Attributes != nil {
			args = append(args, arg{"attributes", *t.Attributes})
		}
		if t.EnforceSSO != nil {
			args = append(args, arg{"enforce_sso", *t.EnforceSSO})
		}
		if t.Disabled != nil {
			args = append(args, arg{"disabled", *t.Disabled})
		}
		if p := deref(t.Parent); p != "" {
			if a.tenants[p] {
				args = append(args, arg{"parent", p})
			} else {
				a.note("%s: parent %q left unmanaged: that tenant is not exported", what, p)
			}
		}
		if t.DefaultRoles != nil {
			switch missing := slices.DeleteFunc(slices.Clone(*t.DefaultRoles), func(r string) bool { return a.projectRoles[r] }); {
			case len(missing) > 0 && !a.kinds[descope.KindRole]:
				a.noteOnce("the default roles of tenants are left unmanaged: --kinds leaves out role")
			case len(missing) > 0:
				a.note("%s: default_roles left unmanaged: %s %s no project role this config declares (a config names project roles only)",
					what, quoteList(missing), isAre(len(missing)))
			default:
				args = append(args, arg{"default_roles", slices.Clone(*t.DefaultRoles)})
			}
		}
		if a.opts.Settings && t.Settings != nil {
			args = append(args, arg{"settings", a.settings(what, t)})
		}
		if d, ok := a.declare(what, decl{fn: "tenant", args: args}, 2); ok {
			a.m.tenants = append(a.m.tenants, d)
		}
	}
	return nil
}

// settings returns the settings of live tenant t that a config can hold.
// An empty enumeration ("" unit or auth type) is what the API holds for a
// setting never set: it is left out without a note.
func (a *adopter) settings(what string, t *descope.Tenant) map[string]any {
	kw := builtins.SettingsKeywords(t.Settings)
	for k, v := range kw {
		if v == "" {
			delete(kw, k)
		}
	}
	base := []arg{{"id", t.ID}, {"name", t.Name}}
	if a.check.in("settings", decl{fn: "tenant", args: append(slices.Clone(base), arg{"settings", kw})}) == nil {
		return kw
	}
	for _, k := range slices.Sorted(maps.Keys(kw)) {
		one := map[string]any{k: kw[k]}
		if err := a.check.call(decl{fn: "tenant", args: append(slices.Clone(base), arg{"settings", one})}); err != nil {
			a.note("%s: settings.%s left unmanaged: %s", what, k, err)
			delete(kw, k)
		}
	}
	return kw
}

// treeOrder returns tenants parents first: each top-level tenant (or one
// whose parent is not exported) by id, followed by its sub-tenants in the
// same order, depth first.
func treeOrder(tenants []*descope.Tenant, exported map[string]bool) []*descope.Tenant {
	children := map[string][]*descope.Tenant{}
	var roots []*descope.Tenant
	for _, t := range tenants {
		if p := deref(t.Parent); p != "" && exported[p] {
			children[p] = append(children[p], t)
		} else {
			roots = append(roots, t)
		}
	}
	byID := func(a, b *descope.Tenant) int { return cmp.Compare(a.ID, b.ID) }
	out := make([]*descope.Tenant, 0, len(tenants))
	seen := map[string]bool{}
	var visit func(t *descope.Tenant)
	visit = func(t *descope.Tenant) {
		if seen[t.ID] {
			return
		}
		seen[t.ID] = true
		out = append(out, t)
		kids := children[t.ID]
		slices.SortFunc(kids, byID)
		for _, k := range kids {
			visit(k)
		}
	}
	slices.SortFunc(roots, byID)
	for _, t := range roots {
		visit(t)
	}
	// A parent cycle, which the API does not allow, would leave tenants
	// unvisited: list them anyway.
	rest := slices.DeleteFunc(slices.Clone(tenants), func(t *descope.Tenant) bool { return seen[t.ID] })
	slices.SortFunc(rest, byID)
	return append(out, rest...)
}

func (a *adopter) flowDecls() error {
	if !a.kinds[descope.KindFlow] {
		return nil
	}
	used := map[string]bool{}
	for _, f := range a.live.Flows {
		what := fmt.Sprintf("flow %q", f.ID)
		if f.Document == nil {
			a.note("%s is not exported: its export returned no document", what)
			continue
		}
		// Flow ids differ by case at most where file names may not.
		name := f.ID
		for i := 2; used[strings.ToLower(name)]; i++ {
			name = fmt.Sprintf("%s~%d", f.ID, i)
		}
		src := "flows/" + name + ".json"
		d := decl{fn: "flow", args: []arg{{"id", f.ID}, {"src", src}}}
		a.check.doc = f.Document
		if _, ok := a.declare(what, d, 2); !ok {
			continue
		}
		used[strings.ToLower(name)] = true
		a.m.flows = append(a.m.flows, d)
		a.m.docs[src] = f.Document
	}
	return nil
}

func (a *adopter) themeDecl() error {
	if !a.kinds[descope.KindTheme] || a.live.Theme == nil || a.live.Theme.Document == nil {
		return nil
	}
	const src = "themes/theme.json"
	d := decl{fn: "theme", args: []arg{{"src", src}}}
	a.check.doc = a.live.Theme.Document
	if _, ok := a.declare("the theme", d, 1); ok {
		a.m.theme = &d
		a.m.docs[src] = a.live.Theme.Document
	}
	return nil
}

// ownDecls lists the claims that would make the config own what it
// exported.
func (a *adopter) ownDecls() {
	for _, k := range descope.OwnableKinds {
		if !a.kinds[k] || (k == descope.KindSSO && !a.opts.SSO) { // SSO is exported on request only
			continue
		}
		args := []arg{{"", string(k)}}
		if k == descope.KindTenant && a.opts.Match != "" {
			args = append(args, arg{"match", a.opts.Match})
		}
		a.m.owns = append(a.m.owns, decl{fn: "own", args: args})
	}
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// checker runs a declaration through the config builtin it calls, to learn
// whether a config can hold it.
type checker struct {
	// prog calls a builtin from Starlark, for flow() and theme(), which
	// need a calling file.
	prog *starlark.Program
	// doc is the document a flow or theme being checked reads.
	doc map[string]any
	// shared are the builtins of the checks that share a collector, by
	// pass (see in).
	shared map[string]starlark.StringDict
}

// checkSource is the program a checker runs: the builtin f with the
// keywords kw, called from Starlark as a config would call it.
const checkSource = "f(**kw)"

func newChecker() *checker {
	_, prog, err := starlark.SourceProgramOptions(fileOptions, "export-check.star", checkSource,
		func(name string) bool { return name == "f" || name == "kw" })
	if err != nil {
		panic(fmt.Sprintf("export: compile %q: %v", checkSource, err))
	}
	return &checker{prog: prog, shared: map[string]starlark.StringDict{}}
}

// call calls d's builtin with d's keywords, with nothing else declared,
// and returns its error, if any, as the builtin words it.
func (c *checker) call(d decl) error {
	return c.run(builtins.Config(builtins.NewCollector(), c, nil), d)
}

// in is call with the declarations made so far in pass: cheaper, for a
// pass that declares each key once (the keys of a live project are
// unique).
func (c *checker) in(pass string, d decl) error {
	pre, ok := c.shared[pass]
	if !ok {
		pre = builtins.Config(builtins.NewCollector(), c, nil)
		c.shared[pass] = pre
	}
	return c.run(pre, d)
}

func (c *checker) run(predeclared starlark.StringDict, d decl) error {
	thread := &starlark.Thread{Name: "export check"}
	var err error
	if d.fn == "flow" || d.fn == "theme" {
		kw := starlark.NewDict(len(d.args))
		for _, a := range d.args {
			_ = kw.SetKey(starlark.String(a.name), builtins.FromGo(a.value))
		}
		_, err = c.prog.Init(thread, starlark.StringDict{"f": predeclared[d.fn], "kw": kw})
	} else {
		var args starlark.Tuple
		var kwargs []starlark.Tuple
		for _, a := range d.args {
			if a.name == "" {
				args = append(args, builtins.FromGo(a.value))
			} else {
				kwargs = append(kwargs, starlark.Tuple{starlark.String(a.name), builtins.FromGo(a.value)})
			}
		}
		_, err = starlark.Call(thread, predeclared[d.fn], args, kwargs)
	}
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		return errors.New(ee.Msg)
	}
	return err
}

// Read serves the document being checked to flow() and theme().
func (c *checker) Read(from, label string) (string, []byte, error) {
	data, err := json.Marshal(c.doc)
	return label, data, err
}
