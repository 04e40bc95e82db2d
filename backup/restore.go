package backup

import (
	"maps"
	"slices"

	"github.com/descope-run/descope-run/descope"
)

// RestoreState returns the desired state of a restore of b: the backup's
// objects of the kinds in only (every kind when only is empty), in canonical
// order. Kinds that b does not hold, or that are unknown, select nothing.
//
// Every field the backup has a cleared value for is set, so that the plan
// puts it back rather than leaving the live value alone: a missing list,
// attribute map, flag, description or parent means empty, false or none.
// Fields with no neutral value (tenant settings that the backup did not
// record, the settings' auth type, token lifetimes and their units, the
// project name, a document) stay as the backup has them.
//
// With prune, the state also claims ownership, own(kind, "*"), of every
// selected kind that can be owned (descope.OwnableKinds), so that the plan
// deletes the objects created since the backup, each "not in the backup
// (--prune)". Built-in flows and the preconfigured role and permissions are
// protected by the plan, not here.
func RestoreState(b *Backup, only []descope.Kind, prune bool) *descope.State {
	const pruned = "not in the backup (--prune)"
	all := b.State()
	selected := func(k descope.Kind) bool { return len(only) == 0 || slices.Contains(only, k) }
	s := &descope.State{}
	if selected(descope.KindProject) && all.Project != nil {
		s.Project = all.Project
		fill(&s.Project.Tags, []string{})
	}
	if selected(descope.KindTenant) {
		s.Tenants = all.Tenants
		for _, t := range s.Tenants {
			fillTenant(t)
		}
	}
	if selected(descope.KindFlow) {
		s.Flows = all.Flows
	}
	if selected(descope.KindTheme) {
		s.Theme = all.Theme
	}
	if selected(descope.KindRole) {
		s.Roles = all.Roles
		for _, r := range s.Roles {
			fill(&r.Description, "")
			fill(&r.Permissions, []string{})
			fill(&r.Default, false)
			fill(&r.Private, false)
		}
	}
	if selected(descope.KindTenantAttribute) {
		s.TenantAttributes = all.TenantAttributes
		for _, a := range s.TenantAttributes {
			fill(&a.Options, []string{})
			fill(&a.ViewPermissions, []string{})
		}
	}
	if selected(descope.KindPermission) {
		s.Permissions = all.Permissions
		for _, p := range s.Permissions {
			fill(&p.Description, "")
		}
	}
	if selected(descope.KindSSO) {
		s.SSO = all.SSO
	}
	if prune {
		for _, k := range descope.OwnableKinds {
			if selected(k) && k != descope.KindSSO {
				s.Owns = append(s.Owns, &descope.Ownership{Kind: k, Match: "*", By: pruned})
			}
		}
		if selected(descope.KindSSO) {
			// Only the tenants whose configurations the backup read: of
			// the others it knows nothing.
			for _, id := range all.SSOTenants {
				s.Owns = append(s.Owns, &descope.Ownership{Kind: descope.KindSSO, Match: id, By: pruned},
					&descope.Ownership{Kind: descope.KindSSO, Match: id + "/*", By: pruned})
			}
		}
	}
	s.Normalize()
	return s
}

func fillTenant(t *descope.Tenant) {
	fill(&t.Domains, []string{})
	fill(&t.Attributes, map[string]any{})
	fill(&t.EnforceSSO, false)
	fill(&t.Disabled, false)
	fill(&t.Parent, "")
	fill(&t.DefaultRoles, []string{})
	if st := t.Settings; st != nil {
		fill(&st.Domains, []string{})
		fill(&st.SessionSettingsEnabled, false)
		fill(&st.EnableInactivity, false)
		fill(&st.JITDisabled, false)
	}
}

// fill sets an unset optional field to v.
func fill[T any](field **T, v T) {
	if *field == nil {
		*field = &v
	}
}

// cloneState returns a copy of s that shares no object, list or pointer with
// it, except attribute maps' values, documents and snapshot files, which are
// shared and must not be modified. A nil s gives an empty State.
func cloneState(s *descope.State) *descope.State {
	if s == nil {
		return &descope.State{}
	}
	c := &descope.State{
		Permissions: cloneEach(s.Permissions, func(p *descope.Permission) {
			p.Description = clonePtr(p.Description)
		}),
		Roles: cloneEach(s.Roles, func(r *descope.Role) {
			r.Description = clonePtr(r.Description)
			r.Permissions = cloneList(r.Permissions)
			r.Default = clonePtr(r.Default)
			r.Private = clonePtr(r.Private)
		}),
		Tenants: cloneEach(s.Tenants, cloneTenantFields),
		TenantAttributes: cloneEach(s.TenantAttributes, func(a *descope.TenantAttribute) {
			a.DisplayName = clonePtr(a.DisplayName)
			a.Options = cloneList(a.Options)
			a.ViewPermissions = cloneList(a.ViewPermissions)
		}),
		Flows: cloneEach(s.Flows, func(*descope.Flow) {}),
		Owns:  cloneEach(s.Owns, func(*descope.Ownership) {}),
		SSO:   cloneEach(s.SSO, func(x *descope.SSO) { *x = *x.Clone() }),
		// The tenants whose SSO configurations were read.
		SSOTenants: slices.Clone(s.SSOTenants),
	}
	if s.Project != nil {
		p := *s.Project
		p.Name = clonePtr(p.Name)
		p.Tags = cloneList(p.Tags)
		c.Project = &p
	}
	if s.Theme != nil {
		t := *s.Theme
		c.Theme = &t
	}
	return c
}

// cloneTenantFields replaces the pointers of a copied tenant by copies.
func cloneTenantFields(t *descope.Tenant) {
	t.Domains = cloneList(t.Domains)
	if t.Attributes != nil {
		t.Attributes = new(maps.Clone(*t.Attributes))
	}
	t.EnforceSSO = clonePtr(t.EnforceSSO)
	t.Disabled = clonePtr(t.Disabled)
	t.Parent = clonePtr(t.Parent)
	t.DefaultRoles = cloneList(t.DefaultRoles)
	t.Settings = t.Settings.Clone()
}

// cloneEach returns copies of the objects in list (nil for an empty list),
// each passed to deepen to replace its pointers. Nil entries are dropped.
func cloneEach[T any](list []*T, deepen func(*T)) []*T {
	if len(list) == 0 {
		return nil
	}
	out := make([]*T, 0, len(list))
	for _, p := range list {
		if p == nil {
			continue
		}
		c := *p
		deepen(&c)
		out = append(out, &c)
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	return new(*p)
}

func cloneList[T any](p *[]T) *[]T {
	if p == nil {
		return nil
	}
	return new(slices.Clone(*p))
}
