package builtins

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/descope"
)

// A Collector gathers the declarations of one evaluation into a desired
// state. It rejects a key declared twice, naming both call sites, and checks
// cross-references (parents, role permissions, default roles) once the whole
// program has run. It is safe for concurrent use.
type Collector struct {
	// scratch keeps nothing (see NewScratchCollector).
	scratch     bool
	mu          sync.Mutex
	project     *descope.Project
	theme       *descope.Theme
	tenants     map[string]*descope.Tenant
	roles       map[string]*descope.Role
	permissions map[string]*descope.Permission
	flows       map[string]*descope.Flow
	sso         map[string]*descope.SSO
	attributes  map[string]*descope.TenantAttribute
	owns        map[string]*descope.Ownership
	// seq numbers the declarations in the order they were made, so that
	// problems found later are reported in that order.
	seq   map[any]int
	order struct {
		tenants, roles, permissions, flows, sso []string
		attributes                              []string
		owns                                    []string
	}
}

// NewCollector returns an empty Collector.
func NewCollector() *Collector {
	return &Collector{
		tenants:     make(map[string]*descope.Tenant),
		roles:       make(map[string]*descope.Role),
		permissions: make(map[string]*descope.Permission),
		flows:       make(map[string]*descope.Flow),
		sso:         make(map[string]*descope.SSO),
		attributes:  make(map[string]*descope.TenantAttribute),
		owns:        make(map[string]*descope.Ownership),
		seq:         make(map[any]int),
	}
}

// NewScratchCollector returns a Collector that keeps nothing and checks
// nothing: in an automation script a declaration is a value to pass to
// p.apply() or diff(), not a part of one desired state, so a script may
// declare the same tenant for two projects.
func NewScratchCollector() *Collector { return &Collector{scratch: true} }

// A DeclError is a problem with a declaration found after evaluation, such as
// a parent that the config does not declare. Origin is the declaration's call
// stack.
type DeclError struct {
	Origin descope.Origin
	Msg    string
}

func (e *DeclError) Error() string {
	if pos := e.Origin.Pos(); pos != "" {
		return pos + ": " + e.Msg
	}
	return e.Msg
}

// originOf records the Starlark call stack of the builtin being called,
// innermost caller first, without the builtin's own frame.
func originOf(thread *starlark.Thread) descope.Origin {
	stack := thread.CallStack()
	out := make(descope.Origin, 0, len(stack))
	for i := len(stack) - 1; i >= 0; i-- {
		fr := stack[i]
		if fr.Pos.Filename() == "<builtin>" {
			continue
		}
		out = append(out, fmt.Sprintf("%s: in %s", fr.Pos, fr.Name))
	}
	return out
}

// duplicate reports a second declaration of what, e.g. `tenant "acme"`.
func duplicate(kind, what string, first descope.Origin) error {
	return fmt.Errorf("%s is declared twice: first at %s, again here (each %s may be declared once)", what, first.Pos(), kind)
}

func (c *Collector) addProject(p *descope.Project) error {
	if c.scratch {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.project != nil {
		return duplicate("project", "project()", c.project.Origin)
	}
	c.project = p
	return nil
}

func (c *Collector) addTheme(t *descope.Theme) error {
	if c.scratch {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.theme != nil {
		return duplicate("theme", "theme()", c.theme.Origin)
	}
	c.theme = t
	return nil
}

// declareKeyed records v under key in m, keeping declaration order, or
// reports the first declaration of the same key.
func declareKeyed[T any](c *Collector, kind string, m map[string]*T, order *[]string, key string, v *T, origin func(*T) descope.Origin) error {
	if c.scratch {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := m[key]; ok {
		return duplicate(kind, fmt.Sprintf("%s %q", kind, key), origin(prev))
	}
	m[key] = v
	*order = append(*order, key)
	c.seq[v] = len(c.seq)
	return nil
}

func (c *Collector) addTenant(t *descope.Tenant) error {
	return declareKeyed(c, "tenant", c.tenants, &c.order.tenants, t.ID, t, func(t *descope.Tenant) descope.Origin { return t.Origin })
}

func (c *Collector) addRole(r *descope.Role) error {
	return declareKeyed(c, "role", c.roles, &c.order.roles, r.Key(), r, func(r *descope.Role) descope.Origin { return r.Origin })
}

func (c *Collector) addPermission(p *descope.Permission) error {
	return declareKeyed(c, "permission", c.permissions, &c.order.permissions, p.Name, p, func(p *descope.Permission) descope.Origin { return p.Origin })
}

func (c *Collector) addFlow(f *descope.Flow) error {
	return declareKeyed(c, "flow", c.flows, &c.order.flows, f.ID, f, func(f *descope.Flow) descope.Origin { return f.Origin })
}

func (c *Collector) addSSO(s *descope.SSO) error {
	return declareKeyed(c, "sso", c.sso, &c.order.sso, s.Key(), s, func(s *descope.SSO) descope.Origin { return s.Origin })
}

func (c *Collector) addOwn(o *descope.Ownership) error {
	if c.scratch {
		return nil
	}
	k := string(o.Kind) + ":" + o.Match
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.owns[k]; ok {
		return duplicate("ownership claim", fmt.Sprintf("own(%q, match=%q)", o.Kind, o.Match), prev.Origin)
	}
	c.owns[k] = o
	c.order.owns = append(c.order.owns, k)
	c.seq[o] = len(c.seq)
	return nil
}

// State checks the cross-references between declarations and returns the
// desired state in canonical order. The error, if any, joins one *DeclError
// per problem, in declaration order.
func (c *Collector) State() (*descope.State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &descope.State{Project: c.project, Theme: c.theme}
	for _, k := range c.order.permissions {
		s.Permissions = append(s.Permissions, c.permissions[k])
	}
	for _, k := range c.order.roles {
		s.Roles = append(s.Roles, c.roles[k])
	}
	for _, k := range c.order.tenants {
		s.Tenants = append(s.Tenants, c.tenants[k])
	}
	for _, k := range c.order.flows {
		s.Flows = append(s.Flows, c.flows[k])
	}
	for _, k := range c.order.sso {
		s.SSO = append(s.SSO, c.sso[k])
	}
	for _, k := range c.order.attributes {
		s.TenantAttributes = append(s.TenantAttributes, c.attributes[k])
	}
	for _, k := range c.order.owns {
		s.Owns = append(s.Owns, c.owns[k])
	}
	errs := c.checkReferences(s)
	s.Normalize()
	return s, errors.Join(errs...)
}

func (c *Collector) checkReferences(s *descope.State) []error {
	type found struct {
		seq int
		err error
	}
	var problems []found
	var decl any // the declaration being checked
	fail := func(o descope.Origin, format string, args ...any) {
		problems = append(problems, found{c.seq[decl], &DeclError{Origin: o, Msg: fmt.Sprintf(format, args...)}})
	}
	for _, t := range s.Tenants {
		decl = t
		if t.Parent != nil && *t.Parent != "" {
			if _, ok := c.tenants[*t.Parent]; !ok {
				fail(t.Origin, "tenant %q: parent %q is not declared in this configuration (declare it with tenant(id=%q, ...) or drop parent)%s",
					t.ID, *t.Parent, *t.Parent, didYouMean(*t.Parent, without(c.order.tenants, t.ID)))
			} else if cycle := c.parentCycle(t); cycle != nil {
				fail(t.Origin, "tenant %q: parent chain forms a cycle: %s", t.ID, strings.Join(cycle, " -> "))
			}
		}
		if t.DefaultRoles != nil {
			for _, r := range *t.DefaultRoles {
				if _, ok := c.roles[r]; !ok && !descope.IsPreconfiguredRole(r) {
					fail(t.Origin, "tenant %q: default role %q is not a project role declared in this configuration (declare it with role(name=%q))%s",
						t.ID, r, r, didYouMean(r, projectRoleNames(c.order.roles)))
				}
			}
		}
	}
	for _, r := range s.Roles {
		decl = r
		if r.Tenant != "" {
			if _, ok := c.tenants[r.Tenant]; !ok {
				fail(r.Origin, "role %q: tenant %q is not declared in this configuration%s", r.Name, r.Tenant, didYouMean(r.Tenant, c.order.tenants))
			}
		}
		if r.Permissions != nil {
			for _, p := range *r.Permissions {
				if _, ok := c.permissions[p]; !ok && !descope.IsPreconfiguredPermission(p) {
					known := append(append([]string(nil), c.order.permissions...), descope.PreconfiguredPermissions...)
					fail(r.Origin, "role %q: permission %q is neither declared in this configuration nor preconfigured by Descope (declare it with permission(name=%q))%s",
						r.Key(), p, p, didYouMean(p, known))
				}
			}
		}
	}
	domains := map[string]*descope.SSO{} // SSO domain -> the first configuration that declares it
	for _, x := range s.SSO {
		decl = x
		t, ok := c.tenants[x.Tenant]
		if !ok {
			fail(x.Origin, "sso %q: tenant %q is not declared in this configuration (declare it with tenant(id=%q, ...))%s",
				x.Key(), x.Tenant, x.Tenant, didYouMean(x.Tenant, c.order.tenants))
		} else if t.Settings != nil {
			for _, set := range []struct {
				key string
				on  bool
			}{{"domains", t.Settings.Domains != nil}, {"auth_type", t.Settings.AuthType != nil}} {
				if set.on {
					fail(x.Origin, "sso %q: tenant %q also declares settings.%s, which sso() manages (its protocol and domains); drop it from the tenant's settings",
						x.Key(), x.Tenant, set.key)
				}
			}
		}
		if x.Domains == nil {
			continue
		}
		for _, d := range *x.Domains {
			if other, ok := domains[d]; ok && other != x {
				fail(x.Origin, "sso %q: domain %q is also a domain of sso %q (declared at %s): a domain signs in through one configuration",
					x.Key(), d, other.Key(), other.Origin.Pos())
				continue
			}
			domains[d] = x
		}
	}
	c.checkTenantAttributes(s, func(d any, o descope.Origin, format string, args ...any) {
		decl = d
		fail(o, format, args...)
	})
	slices.SortStableFunc(problems, func(a, b found) int { return a.seq - b.seq })
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p.err
	}
	return errs
}

// without returns list without s.
func without(list []string, s string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(x string) bool { return x == s })
}

// parentCycle returns the chain of ids if following parents from t comes back to t.
func (c *Collector) parentCycle(t *descope.Tenant) []string {
	chain := []string{t.ID}
	seen := map[string]bool{t.ID: true}
	cur := t
	for cur.Parent != nil && *cur.Parent != "" {
		next, ok := c.tenants[*cur.Parent]
		if !ok {
			return nil
		}
		chain = append(chain, next.ID)
		if next.ID == t.ID {
			return chain
		}
		if seen[next.ID] {
			return nil // a cycle further up, reported for its own members
		}
		seen[next.ID] = true
		cur = next
	}
	return nil
}

func projectRoleNames(keys []string) []string {
	var out []string
	for _, k := range keys {
		if !strings.Contains(k, "/") {
			out = append(out, k)
		}
	}
	return out
}

func didYouMean(s string, candidates []string) string {
	if n := nearest(s, candidates); n != "" && n != s {
		return fmt.Sprintf(" (did you mean %q?)", n)
	}
	return ""
}
