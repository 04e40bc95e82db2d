package descope

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Step is one unit of work that carries out a plan: a change, one half
// of a replace, or the default roles of a tenant that the plan creates and
// that names roles of its own (TenantDefaultRoles). A replace runs as two
// steps. The delete step
// (DeleteStepID) removes the live object, Change.Before. The create step,
// which has the change's own ID, creates the new object. Each half waits
// for its own dependencies: the delete for what must go before the old
// object does (its live sub-tenants and tenant roles, and changes to objects
// that use it), the create for what the new object needs (its parent, its
// tenant, its permissions and default roles). As one step, a tenant replace
// could not both follow the deletes of its live sub-tenants and precede the
// creates of its new ones (two tenants that swap places, say).
type Step struct {
	ID     string
	Change *Change
	// Delete is set on the delete step of a replace.
	Delete bool
	// DefaultRoles is set on the step that sets a created tenant's default
	// roles once its own roles exist (Change.DefaultRoles.Later).
	DefaultRoles bool
	// Deps are the IDs of the steps that must finish first. They never form
	// a cycle.
	Deps []string
}

// DeleteStepID returns the ID of the delete step of the replace with ID id.
func DeleteStepID(id string) string { return id + "#delete" }

// Steps returns the steps that carry out p, each after its Deps: a step per
// change, two for a replace, and one more for a created tenant's default
// roles that name its own roles (see Step). They are the whole execution.
func (p *Plan) Steps() []Step {
	deps := stepDeps(p.Changes)
	depth := stepDepths(p.Changes, deps)
	steps := make([]Step, 0, len(p.Changes))
	for _, c := range p.Changes {
		if c.Action == ActionReplace {
			id := DeleteStepID(c.ID)
			steps = append(steps, Step{ID: id, Change: c, Delete: true, Deps: deps[id]})
		}
		steps = append(steps, Step{ID: c.ID, Change: c, Deps: deps[c.ID]})
		if hasLaterDefaultRoles(c) {
			id := DefaultRolesStepID(c.ID)
			steps = append(steps, Step{ID: id, Change: c, DefaultRoles: true, Deps: deps[id]})
		}
	}
	slices.SortStableFunc(steps, func(a, b Step) int { return cmp.Compare(depth[a.ID], depth[b.ID]) })
	return steps
}

// removalStep returns the ID of the step of c that removes its live object:
// the delete step of a replace, else c's own.
func removalStep(c *Change) string {
	if c.Action == ActionReplace {
		return DeleteStepID(c.ID)
	}
	return c.ID
}

// stepDeps returns the Deps of the steps of changes, by step ID (see Diff
// for the rules).
func stepDeps(changes []*Change) map[string][]string {
	byID := make(map[string]*Change, len(changes))
	// removed maps the ID of a live object that a change deletes (a delete,
	// or the old half of a replace) to that change.
	removed := map[string]*Change{}
	for _, c := range changes {
		byID[c.ID] = c
		if c.Action == ActionDelete || c.Action == ActionReplace {
			removed[ChangeID(c.Kind, objectKey(c.Before))] = c
		}
	}
	deps := map[string][]string{}
	// needs makes c's create (or update) wait for the change with ID id
	// when that change creates the object.
	needs := func(c *Change, id string) {
		if o := byID[id]; o != nil && o != c && (o.Action == ActionCreate || o.Action == ActionReplace) {
			deps[c.ID] = append(deps[c.ID], o.ID)
		}
	}
	// stopsUsing makes the removal of the object with ID id wait for step,
	// the step of c after which c's object no longer uses it: c's update,
	// the removal of c's live object, or, when a replace carries the
	// reference over into the new object, its create.
	stopsUsing := func(c *Change, step, id string) {
		if o := removed[id]; o != nil && o != c {
			deps[removalStep(o)] = append(deps[removalStep(o)], step)
		}
	}
	for _, c := range changes {
		if c.Action == ActionReplace {
			deps[c.ID] = append(deps[c.ID], DeleteStepID(c.ID))
		}
		if hasLaterDefaultRoles(c) {
			id := DefaultRolesStepID(c.ID)
			deps[id] = append(slices.Clone(c.DefaultRoles.Waits), c.ID)
		}
		switch after := c.After.(type) {
		case *Role:
			for _, p := range deref(after.Permissions) {
				needs(c, ChangeID(KindPermission, p))
			}
			if after.Tenant != "" {
				needs(c, ChangeID(KindTenant, after.Tenant))
			}
		case *Tenant:
			for _, r := range deref(after.DefaultRoles) {
				needs(c, ChangeID(KindRole, r))
				// A default role may name the tenant's own role. An update
				// waits for its create; a create cannot (the role needs the
				// tenant), so Apply sets such names after the role's create.
				if c.Action == ActionUpdate {
					needs(c, ChangeID(KindRole, after.ID+"/"+r))
				}
			}
			if c.Action != ActionUpdate && deref(after.Parent) != "" {
				needs(c, ChangeID(KindTenant, *after.Parent))
			}
			for _, k := range tenantAttributeKeys(c) {
				needs(c, ChangeID(KindTenantAttribute, k))
			}
		case *Flow, *Theme:
			for _, r := range referencedRoles(document(after)) {
				needs(c, ChangeID(KindRole, r))
			}
		case *TenantAttribute:
			for _, p := range deref(after.ViewPermissions) {
				needs(c, ChangeID(KindPermission, p))
			}
		case *SSO:
			needs(c, ChangeID(KindTenant, after.Tenant))
			for _, r := range after.RoleNames() {
				needs(c, ChangeID(KindRole, r))
				needs(c, ChangeID(KindRole, after.Tenant+"/"+r))
			}
		}
		// A replace carries the references of the live object that the
		// config leaves unset over into the new one.
		step, carried := removalStep(c), c.ID
		switch before := c.Before.(type) {
		case *Role:
			if c.Action != ActionReplace || c.After.(*Role).Permissions != nil {
				carried = step
			}
			for _, p := range deref(before.Permissions) {
				stopsUsing(c, carried, ChangeID(KindPermission, p))
			}
			if before.Tenant != "" && c.Action != ActionUpdate {
				// A tenant role goes before its tenant does.
				stopsUsing(c, step, ChangeID(KindTenant, before.Tenant))
			}
		case *Tenant:
			if c.Action != ActionReplace || c.After.(*Tenant).DefaultRoles != nil {
				carried = step
			}
			for _, r := range deref(before.DefaultRoles) {
				stopsUsing(c, carried, ChangeID(KindRole, r))
			}
			if c.Action != ActionUpdate && deref(before.Parent) != "" {
				// A sub-tenant goes before its parent does.
				stopsUsing(c, step, ChangeID(KindTenant, *before.Parent))
			}
			// A definition goes after the tenants that stop using its key.
			attrStep := step
			if c.Action == ActionReplace && c.After.(*Tenant).Attributes == nil {
				attrStep = c.ID
			}
			if before.Attributes != nil {
				for k := range *before.Attributes {
					stopsUsing(c, attrStep, ChangeID(KindTenantAttribute, k))
				}
			}
		case *TenantAttribute:
			for _, p := range deref(before.ViewPermissions) {
				stopsUsing(c, step, ChangeID(KindPermission, p))
			}
		case *Flow, *Theme:
			for _, r := range referencedRoles(document(before)) {
				stopsUsing(c, step, ChangeID(KindRole, r))
			}
		case *SSO:
			for _, r := range before.RoleNames() {
				stopsUsing(c, step, ChangeID(KindRole, r))
				stopsUsing(c, step, ChangeID(KindRole, before.Tenant+"/"+r))
			}
			if c.Action != ActionUpdate {
				// An SSO configuration goes before its tenant does.
				stopsUsing(c, step, ChangeID(KindTenant, before.Tenant))
			}
		}
	}
	for id, list := range deps {
		slices.Sort(list)
		deps[id] = slices.Compact(list)
	}
	return deps
}

// link fills in every change's Deps from the Deps of its steps, and the
// StrandedSubTenants of a tenant's delete or replace (named in its Reason
// too). It returns the steps' Deps.
func (d *differ) link(live *State) map[string][]string {
	deps := stepDeps(d.plan.Changes)
	byID := make(map[string]*Change, len(d.plan.Changes))
	byStep := make(map[string]*Change, len(d.plan.Changes)) // step ID -> its change
	for _, c := range d.plan.Changes {
		byID[c.ID], byStep[c.ID] = c, c
		if c.Action == ActionReplace {
			byStep[DeleteStepID(c.ID)] = c
		}
	}
	var children map[string][]string // live parent id -> child ids, built on demand
	for _, c := range d.plan.Changes {
		ids := deps[c.ID]
		if c.Action == ActionReplace {
			ids = slices.Concat(ids, deps[DeleteStepID(c.ID)])
		}
		var waits []string
		for _, id := range ids {
			if o := byStep[id]; o != c {
				waits = append(waits, o.ID)
			}
		}
		slices.Sort(waits)
		c.Deps = slices.Compact(waits)
		if c.Kind != KindTenant || (c.Action != ActionDelete && c.Action != ActionReplace) {
			continue
		}
		if children == nil {
			children = liveChildren(live.Tenants)
		}
		for _, child := range children[c.Key] {
			if o := byID[ChangeID(KindTenant, child)]; o == nil || o.Action == ActionUpdate {
				c.StrandedSubTenants = append(c.StrandedSubTenants, child)
			}
		}
		if len(c.StrandedSubTenants) > 0 {
			slices.Sort(c.StrandedSubTenants)
			quoted := make([]string, len(c.StrandedSubTenants))
			for i, id := range c.StrandedSubTenants {
				quoted[i] = strconv.Quote(id)
			}
			c.Reason += "; its sub-tenants " + strings.Join(quoted, ", ") + " are not deleted first"
		}
	}
	return deps
}

// tenantAttributeKeys returns the custom attribute keys the tenant that c
// creates or updates holds once c is done: the desired ones, or those a
// replace carries over from the live tenant when the config leaves them
// unset.
func tenantAttributeKeys(c *Change) []string {
	after := c.After.(*Tenant)
	attrs := after.Attributes
	if before, ok := c.Before.(*Tenant); ok && attrs == nil && c.Action == ActionReplace {
		attrs = before.Attributes
	}
	if attrs == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(*attrs))
}

// objectKey returns the key of a *Role, *Tenant, *Permission, *Flow, *SSO
// or *TenantAttribute.
func objectKey(obj any) string {
	switch o := obj.(type) {
	case *TenantAttribute:
		return o.Key
	case *Role:
		return o.Key()
	case *Tenant:
		return o.ID
	case *Permission:
		return o.Name
	case *Flow:
		return o.ID
	case *SSO:
		return o.Key()
	}
	return ""
}

// document returns the document of a *Flow or *Theme.
func document(obj any) map[string]any {
	switch o := obj.(type) {
	case *Flow:
		return o.Document
	case *Theme:
		return o.Document
	}
	return nil
}

// liveChildren maps each live tenant id to the ids of its live children.
func liveChildren(tenants []*Tenant) map[string][]string {
	m := map[string][]string{}
	for _, t := range tenants {
		if p := deref(t.Parent); p != "" {
			m[p] = append(m[p], t.ID)
		}
	}
	return m
}

// referencedRoles returns the role names in a document's references.roles:
// the keys of a name-to-id map, or the strings of a list.
func referencedRoles(doc map[string]any) []string {
	refs, _ := doc["references"].(map[string]any)
	var names []string
	switch roles := refs["roles"].(type) {
	case map[string]any:
		for name := range roles {
			names = append(names, name)
		}
	case []any:
		for _, r := range roles {
			if name, ok := r.(string); ok {
				names = append(names, name)
			}
		}
	case []string:
		names = append(names, roles...)
	}
	return names
}

// order sorts the changes into execution order: by the depth of their
// create (or only) step in the graph of the steps' Deps, then by kind in
// Kinds order, then by key (see stepDepths).
func (d *differ) order(deps map[string][]string) {
	depth := stepDepths(d.plan.Changes, deps)
	rank := make(map[Kind]int, len(Kinds))
	for i, k := range Kinds {
		rank[k] = i
	}
	slices.SortFunc(d.plan.Changes, func(a, b *Change) int {
		return cmp.Or(
			cmp.Compare(depth[a.ID], depth[b.ID]),
			cmp.Compare(rank[a.Kind], rank[b.Kind]),
			cmp.Compare(a.Key, b.Key),
			cmp.Compare(a.Action, b.Action),
		)
	})
}

// stepDepths returns the depth of each step of changes in the graph deps:
// a step with no Deps has depth 0, any other one more than its deepest
// dependency, except that a replace's create step is as deep as its own
// delete step when nothing else holds it back (the two are one change).
// Should the Deps ever form a cycle, the edge that closes it is ignored, so
// the order stays deterministic.
func stepDepths(changes []*Change, deps map[string][]string) map[string]int {
	const visiting = -1
	depth := make(map[string]int, len(changes))
	var visit func(id string) int
	visit = func(id string) int {
		if v, ok := depth[id]; ok {
			return max(v, 0) // a cycle's back edge counts as depth 0
		}
		depth[id] = visiting
		n := 0
		for _, dep := range deps[id] {
			if dep == DeleteStepID(id) {
				n = max(n, visit(dep))
			} else {
				n = max(n, visit(dep)+1)
			}
		}
		depth[id] = n
		return n
	}
	for _, c := range changes {
		if c.Action == ActionReplace {
			visit(DeleteStepID(c.ID))
		}
		visit(c.ID)
		if hasLaterDefaultRoles(c) {
			visit(DefaultRolesStepID(c.ID))
		}
	}
	return depth
}

// hasLaterDefaultRoles reports whether c has a default-roles step.
func hasLaterDefaultRoles(c *Change) bool {
	return c.DefaultRoles != nil && len(c.DefaultRoles.Waits) > 0
}
