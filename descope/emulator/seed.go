package emulator

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// Seed replaces the project's contents with s. The built-in flows, default
// theme and preconfigured role and permissions stay unless s names them, in
// which case s's version replaces them. Optional fields left nil take the
// values a new object gets from the API. s.Project.ID is ignored: the
// emulator keeps its project id.
//
// Seed validates s as the API would (unique ids and names, parents, role
// tenants, permissions and default roles that exist) and changes nothing
// when it fails. Objects are created in the order of s, so lists come back
// in reverse of it; a tenant is created after its parent.
func (e *Emulator) Seed(s *descope.State) error {
	st := newStore(e.projectID, e.clock(), e.ids)
	if s != nil {
		if err := e.seedInto(st, s); err != nil {
			return fmt.Errorf("emulator: seed: %w", err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st = st
	return e.persistLocked()
}

func (e *Emulator) seedInto(st *store, s *descope.State) error {
	now := e.clock()
	if p := s.Project; p != nil {
		if p.Name != nil {
			st.Name = *p.Name
		}
		if p.Tags != nil {
			if err := checkTags(*p.Tags); err != nil {
				return fmt.Errorf("project: %w", err)
			}
			st.Tags = slices.Clone(*p.Tags)
		}
	}
	for _, p := range s.Permissions {
		if err := seedPermission(st, p, e.ids); err != nil {
			return fmt.Errorf("permission %q: %w", p.Name, err)
		}
	}
	tenants, err := parentsFirst(s.Tenants)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		if err := seedTenant(st, t, now, e.ids); err != nil {
			return fmt.Errorf("tenant %q: %w", t.ID, err)
		}
	}
	for _, r := range s.Roles {
		if err := seedRole(st, r, now, e.ids); err != nil {
			return fmt.Errorf("role %q: %w", r.Key(), err)
		}
	}
	for _, t := range tenants {
		if t.DefaultRoles == nil {
			continue
		}
		ids, err := st.resolveDefaultRoles(t.ID, *t.DefaultRoles)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", t.ID, err)
		}
		st.Tenants[t.ID].DefaultRoleIDs = ids
	}
	for _, f := range s.Flows {
		if err := seedFlow(st, f, now, e.ids); err != nil {
			return fmt.Errorf("flow %q: %w", f.ID, err)
		}
	}
	if s.Theme != nil {
		doc, err := plainDoc(s.Theme.Document)
		if err != nil {
			return fmt.Errorf("theme: %w", err)
		}
		if st.Theme, err = parseThemeDoc(doc); err != nil {
			return fmt.Errorf("theme: %w", err)
		}
	}
	return nil
}

// parentsFirst orders tenants so that each comes after its parent, keeping
// the given order otherwise. A parent missing from the list is an error.
func parentsFirst(tenants []*descope.Tenant) ([]*descope.Tenant, error) {
	created := map[string]bool{}
	done := make([]bool, len(tenants))
	out := make([]*descope.Tenant, 0, len(tenants))
	for len(out) < len(tenants) {
		progress := false
		for i, t := range tenants {
			if parent := deref(t.Parent); !done[i] && (parent == "" || created[parent]) {
				done[i], created[t.ID], progress = true, true, true
				out = append(out, t)
			}
		}
		if !progress {
			i := slices.Index(done, false)
			return nil, fmt.Errorf("tenant %q: parent tenant %q does not exist (or the parents form a cycle)", tenants[i].ID, *tenants[i].Parent)
		}
	}
	return out, nil
}

func seedPermission(st *store, p *descope.Permission, ids *idSource) error {
	if existing := st.Permissions[p.Name]; existing != nil {
		existing.Description = deref(p.Description)
		return nil
	}
	return st.createPermission(permissionRequest{Name: p.Name, Description: deref(p.Description)}, ids)
}

func seedTenant(st *store, in *descope.Tenant, now time.Time, ids *idSource) error {
	if in.ID == "" {
		return missingField("id")
	}
	req := tenantRequest{
		ID:                      in.ID,
		Name:                    in.Name,
		SelfProvisioningDomains: derefSlice(in.Domains),
		EnforceSSO:              deref(in.EnforceSSO),
		Disabled:                deref(in.Disabled),
	}
	if in.Attributes != nil {
		attrs, err := plainDoc(*in.Attributes)
		if err != nil {
			return err
		}
		req.CustomAttributes = attrs
	}
	if err := req.check(); err != nil {
		return err
	}
	t := newTenant()
	req.apply(t)
	t.ID, t.Parent, t.CreatedTime = in.ID, deref(in.Parent), now.Unix()
	if in.Settings != nil {
		t.Settings = *mgmt.MergeSettings(&t.Settings, in.Settings)
		if err := checkSettings(&t.Settings); err != nil {
			return err
		}
	}
	return st.addTenant(t, ids)
}

func seedRole(st *store, in *descope.Role, now time.Time, ids *idSource) error {
	req := roleRequest{
		Name:            in.Name,
		NewName:         in.Name,
		Description:     deref(in.Description),
		PermissionNames: derefSlice(in.Permissions),
		TenantID:        in.Tenant,
		Default:         deref(in.Default),
		Private:         deref(in.Private),
	}
	if st.role(in.Tenant, in.Name) != nil { // a preconfigured role, overridden
		_, err := st.updateRole(req)
		return err
	}
	_, err := st.createRole(req, now, ids)
	return err
}

func seedFlow(st *store, in *descope.Flow, now time.Time, ids *idSource) error {
	doc := map[string]any{"flowId": in.ID}
	if in.Document != nil {
		var err error
		if doc, err = plainDoc(in.Document); err != nil {
			return err
		}
		doc["flowId"] = in.ID
	}
	if meta, ok := doc["metadata"].(map[string]any); (!ok || meta["name"] == nil) && in.Name != "" {
		if !ok {
			meta = map[string]any{}
		}
		meta["name"] = in.Name
		doc["metadata"] = meta
	}
	id, parsed, err := parseFlowDoc(doc)
	if err != nil {
		return err
	}
	st.putFlow(id, parsed, now, ids)
	return nil
}

// plainDoc converts a map from descope.State into decoded-JSON form.
func plainDoc(m map[string]any) (map[string]any, error) {
	v, err := fromPlain(m)
	if err != nil {
		return nil, err
	}
	doc, _ := v.(map[string]any)
	return nonNilMap(doc), nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func derefSlice[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return slices.Clone(*p)
}

// State returns the project's whole live state, as descope-run reads it from
// the API: every field set, flow and theme documents included (flows as
// exported, with their volatile fields), in canonical order. The result is a
// copy the caller may change.
func (e *Emulator) State() *descope.State {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := e.st
	s := &descope.State{
		Project: &descope.Project{ID: e.projectID, Name: descope.Ptr(st.Name), Tags: descope.Ptr(slices.Clone(st.Tags))},
		Theme:   &descope.Theme{Document: plain(st.Theme).(map[string]any)},
	}
	// The objects are rendered as the API answers them and read as mgmt
	// reads those answers, so that the two cannot disagree.
	for _, p := range st.Permissions {
		v := p.view()
		s.Permissions = append(s.Permissions, v.Model())
	}
	for _, r := range st.Roles {
		v := r.view()
		s.Roles = append(s.Roles, v.Model())
	}
	for _, v := range st.tenantViews(slices.Collect(maps.Values(st.Tenants))) {
		t := v.Model()
		t.Settings = st.Tenants[v.ID].Settings.Model()
		s.Tenants = append(s.Tenants, t)
	}
	for _, id := range slices.Sorted(maps.Keys(st.Flows)) {
		f := st.Flows[id]
		s.Flows = append(s.Flows, &descope.Flow{ID: f.ID, Name: f.name(), Document: plain(f.exportDoc()).(map[string]any)})
	}
	s.Normalize()
	return s
}
