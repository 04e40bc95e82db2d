package emulator

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/descope-run/descope-run/descope"
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
	// The new project is built under the lock: ids are drawn only there
	// (see Emulator.ids).
	e.mu.Lock()
	defer e.mu.Unlock()
	st := newStore(e.projectID, e.clock(), e.ids)
	st.ManagementKey = e.st.ManagementKey
	if s != nil {
		if err := e.seedInto(st, s); err != nil {
			return fmt.Errorf("emulator: seed: %w", err)
		}
	}
	e.st = st
	return e.compactLocked()
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
	for _, a := range s.TenantAttributes {
		if err := seedTenantAttribute(st, a); err != nil {
			return fmt.Errorf("tenant attribute %q: %w", a.Key, err)
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
	for _, c := range s.SSO {
		if err := seedSSO(st, c); err != nil {
			return fmt.Errorf("sso %q: %w", c.Key(), err)
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

// seedTenantAttribute defines a, as POST /v1/mgmt/tenant/attribute does;
// a display name left unset is the key.
func seedTenantAttribute(st *store, in *descope.TenantAttribute) error {
	a := &tenantAttribute{
		Name: in.Key, DisplayName: deref(in.DisplayName), Type: in.Type,
		Options: nonNil(derefSlice(in.Options)), ViewPermissions: nonNil(derefSlice(in.ViewPermissions)),
	}
	if a.DisplayName == "" {
		a.DisplayName = a.Name
	}
	if err := a.check(); err != nil {
		return err
	}
	st.TenantAttributes[a.Name] = a
	return nil
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
		_ = st.defineAttributes(attrs, true) // a seeded project's keys are defined
	}
	if err := req.check(); err != nil {
		return err
	}
	t := newTenant()
	req.apply(t)
	t.ID, t.Parent, t.CreatedTime = in.ID, deref(in.Parent), now.Unix()
	if in.Settings != nil {
		t.Settings.merge(in.Settings)
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
	// A flow seeded without a document gets an empty graph.
	doc := map[string]any{"flowId": in.ID, "contents": map[string]any{}}
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
	for _, p := range st.Permissions {
		s.Permissions = append(s.Permissions, p.model())
	}
	for _, r := range st.Roles {
		s.Roles = append(s.Roles, r.model())
	}
	for _, t := range st.Tenants {
		s.Tenants = append(s.Tenants, st.tenantModel(t))
		for _, c := range t.SSO {
			s.SSO = append(s.SSO, st.ssoModel(t, c))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(st.Flows)) {
		f := st.Flows[id]
		s.Flows = append(s.Flows, &descope.Flow{ID: f.ID, Name: f.name(), Document: plain(f.exportDoc()).(map[string]any)})
	}
	for _, a := range st.TenantAttributes {
		s.TenantAttributes = append(s.TenantAttributes, a.model())
	}
	s.Normalize()
	return s
}

// model returns a as a live descope.TenantAttribute.
func (a *tenantAttribute) model() *descope.TenantAttribute {
	return &descope.TenantAttribute{
		Key: a.Name, DisplayName: descope.Ptr(a.DisplayName), Type: a.Type,
		Options:         descope.Ptr(slices.Clone(nonNil(a.Options))),
		ViewPermissions: descope.Ptr(slices.Clone(nonNil(a.ViewPermissions))),
	}
}

// The conversions below turn the store into descope.State the way the
// API's answers read (docs/descope-api.md sections 4.1, 4.5 and 4.6): every
// field set, as a live State is complete. They are the emulator's own
// reading; descope-run's client makes its own from the wire, and the
// contract tests compare the two.

// model returns p as a live descope.Permission.
func (p *permission) model() *descope.Permission {
	return &descope.Permission{Name: p.Name, Description: descope.Ptr(p.Description), SystemDefault: p.SystemDefault}
}

// model returns r as a live descope.Role.
func (r *role) model() *descope.Role {
	return &descope.Role{
		Name:        r.Name,
		Tenant:      r.TenantID,
		Description: descope.Ptr(r.Description),
		Permissions: descope.Ptr(slices.Clone(r.PermissionNames)),
		Default:     descope.Ptr(r.Default),
		Private:     descope.Ptr(r.Private),
	}
}

// tenantModel returns t as a live descope.Tenant, settings included; the
// fields descope-run does not manage go to Extra when any is set.
func (st *store) tenantModel(t *tenant) *descope.Tenant {
	m := &descope.Tenant{
		ID:           t.ID,
		Name:         t.Name,
		Domains:      descope.Ptr(slices.Clone(t.Settings.SelfProvisioningDomains)),
		Attributes:   descope.Ptr(plain(t.CustomAttributes).(map[string]any)),
		EnforceSSO:   descope.Ptr(t.EnforceSSO),
		Disabled:     descope.Ptr(t.Disabled),
		Parent:       descope.Ptr(t.Parent),
		DefaultRoles: descope.Ptr(st.defaultRoleNames(t)),
		Settings:     t.Settings.model(),
	}
	m.Settings.Domains = descope.Ptr(t.ssoDomains())
	if t.RoleInheritance != "" || len(t.EnforceSSOExclusions) > 0 || len(t.FederatedAppIDs) > 0 || len(t.Settings.SSOSetupSuiteSettings) > 0 {
		m.Extra = &descope.TenantExtra{
			RoleInheritance:      t.RoleInheritance,
			EnforceSSOExclusions: slices.Clone(t.EnforceSSOExclusions),
			FederatedAppIDs:      slices.Clone(t.FederatedAppIDs),
		}
		if len(t.Settings.SSOSetupSuiteSettings) > 0 {
			m.Extra.SSOSetupSuiteSettings = plain(t.Settings.SSOSetupSuiteSettings).(map[string]any)
		}
	}
	return m
}

// model returns s as live descope.TenantSettings, every field set. The
// self-provisioning domains are the tenant's Domains, not a setting.
func (s *tenantSettings) model() *descope.TenantSettings {
	return &descope.TenantSettings{
		Domains:                    descope.Ptr(slices.Clone(s.Domains)),
		AuthType:                   descope.Ptr(s.AuthType),
		SessionSettingsEnabled:     descope.Ptr(s.Enabled),
		RefreshTokenExpiration:     descope.Ptr(s.RefreshTokenExpiration),
		RefreshTokenExpirationUnit: descope.Ptr(s.RefreshTokenExpirationUnit),
		SessionTokenExpiration:     descope.Ptr(s.SessionTokenExpiration),
		SessionTokenExpirationUnit: descope.Ptr(s.SessionTokenExpirationUnit),
		StepupTokenExpiration:      descope.Ptr(s.StepupTokenExpiration),
		StepupTokenExpirationUnit:  descope.Ptr(s.StepupTokenExpirationUnit),
		EnableInactivity:           descope.Ptr(s.EnableInactivity),
		InactivityTime:             descope.Ptr(s.InactivityTime),
		InactivityTimeUnit:         descope.Ptr(s.InactivityTimeUnit),
		JITDisabled:                descope.Ptr(s.JITDisabled),
	}
}

// merge sets the settings d manages (its non-nil fields), as a seeded
// tenant's settings.
func (s *tenantSettings) merge(d *descope.TenantSettings) {
	if d.Domains != nil {
		s.Domains = slices.Clone(nonNil(*d.Domains))
	}
	set(&s.AuthType, d.AuthType)
	set(&s.Enabled, d.SessionSettingsEnabled)
	set(&s.RefreshTokenExpiration, d.RefreshTokenExpiration)
	set(&s.RefreshTokenExpirationUnit, d.RefreshTokenExpirationUnit)
	set(&s.SessionTokenExpiration, d.SessionTokenExpiration)
	set(&s.SessionTokenExpirationUnit, d.SessionTokenExpirationUnit)
	set(&s.StepupTokenExpiration, d.StepupTokenExpiration)
	set(&s.StepupTokenExpirationUnit, d.StepupTokenExpirationUnit)
	set(&s.EnableInactivity, d.EnableInactivity)
	set(&s.InactivityTime, d.InactivityTime)
	set(&s.InactivityTimeUnit, d.InactivityTimeUnit)
	set(&s.JITDisabled, d.JITDisabled)
}

// set stores *v in *dst when v is not nil.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
