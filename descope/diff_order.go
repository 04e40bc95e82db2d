package descope

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// link fills in every change's Deps (see Diff for the rules).
func (d *differ) link(live *State) {
	byID := make(map[string]*Change, len(d.plan.Changes))
	// removed maps the ID of a live object that a change deletes (a delete,
	// or the old half of a replace) to that change.
	removed := map[string]*Change{}
	for _, c := range d.plan.Changes {
		byID[c.ID] = c
		if c.Action == ActionDelete || c.Action == ActionReplace {
			removed[ChangeID(c.Kind, objectKey(c.Before))] = c
		}
	}
	// needs makes c depend on the change with ID id when that change
	// creates the object.
	needs := func(c *Change, id string) {
		if o := byID[id]; o != nil && o != c && (o.Action == ActionCreate || o.Action == ActionReplace) {
			c.Deps = append(c.Deps, id)
		}
	}
	// stopsUsing makes the removal of the object with ID id wait for c, a
	// change to an object that uses it live.
	stopsUsing := func(c *Change, id string) {
		if o := removed[id]; o != nil && o != c {
			o.Deps = append(o.Deps, c.ID)
		}
	}
	var children map[string][]string // live parent id -> child ids, built on demand
	for _, c := range d.plan.Changes {
		creates := c.Action == ActionCreate || c.Action == ActionReplace
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
			}
			if creates && deref(after.Parent) != "" {
				needs(c, ChangeID(KindTenant, *after.Parent))
			}
		case *Flow, *Theme:
			for _, r := range referencedRoles(document(after)) {
				needs(c, ChangeID(KindRole, r))
			}
		}
		switch before := c.Before.(type) {
		case *Role:
			for _, p := range deref(before.Permissions) {
				stopsUsing(c, ChangeID(KindPermission, p))
			}
			if before.Tenant != "" && c.Action != ActionUpdate {
				// A tenant role goes before its tenant does.
				stopsUsing(c, ChangeID(KindTenant, before.Tenant))
			}
		case *Tenant:
			for _, r := range deref(before.DefaultRoles) {
				stopsUsing(c, ChangeID(KindRole, r))
			}
			if c.Action == ActionUpdate {
				break
			}
			if children == nil {
				children = liveChildren(live.Tenants)
			}
			// Children go before their parent, unless a replaced child is
			// created again under this very tenant: then it waits for it.
			// The reason names the children that are still there.
			var staying []string
			for _, child := range children[before.ID] {
				o := byID[ChangeID(KindTenant, child)]
				switch {
				case o == nil || o.Action == ActionUpdate:
					staying = append(staying, strconv.Quote(child))
				case o.Action == ActionReplace && deref(o.After.(*Tenant).Parent) == before.ID:
					staying = append(staying, strconv.Quote(child))
				default:
					c.Deps = append(c.Deps, o.ID)
				}
			}
			if len(staying) > 0 {
				slices.Sort(staying)
				c.Reason += "; its sub-tenants " + strings.Join(staying, ", ") + " are not deleted first"
			}
		case *Flow, *Theme:
			for _, r := range referencedRoles(document(before)) {
				stopsUsing(c, ChangeID(KindRole, r))
			}
		}
	}
	for _, c := range d.plan.Changes {
		slices.Sort(c.Deps)
		c.Deps = slices.Compact(c.Deps)
	}
}

// objectKey returns the key of a *Role, *Tenant, *Permission or *Flow.
func objectKey(obj any) string {
	switch o := obj.(type) {
	case *Role:
		return o.Key()
	case *Tenant:
		return o.ID
	case *Permission:
		return o.Name
	case *Flow:
		return o.ID
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

// order sorts the changes into execution order: by depth in the dependency
// graph (a change with no Deps has depth 0, any other one more than its
// deepest dependency), then by kind in Kinds order, then by key. Should the
// Deps ever form a cycle, the edge that closes it is ignored for the depth,
// so the order stays deterministic.
func (d *differ) order() {
	byID := make(map[string]*Change, len(d.plan.Changes))
	for _, c := range d.plan.Changes {
		byID[c.ID] = c
	}
	const visiting = -1
	depth := make(map[*Change]int, len(d.plan.Changes))
	var visit func(c *Change) int
	visit = func(c *Change) int {
		if v, ok := depth[c]; ok {
			return max(v, 0) // a cycle's back edge counts as depth 0
		}
		depth[c] = visiting
		n := 0
		for _, id := range c.Deps {
			if dep := byID[id]; dep != nil {
				n = max(n, visit(dep)+1)
			}
		}
		depth[c] = n
		return n
	}
	rank := make(map[Kind]int, len(Kinds))
	for i, k := range Kinds {
		rank[k] = i
	}
	for _, c := range d.plan.Changes {
		visit(c)
	}
	slices.SortFunc(d.plan.Changes, func(a, b *Change) int {
		return cmp.Or(
			cmp.Compare(depth[a], depth[b]),
			cmp.Compare(rank[a.Kind], rank[b.Kind]),
			cmp.Compare(a.Key, b.Key),
			cmp.Compare(a.Action, b.Action),
		)
	})
}
