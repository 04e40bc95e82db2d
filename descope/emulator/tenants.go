package emulator

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// tenantViews renders tenants for the wire, in reverse creation order:
// every field is emitted, empty ones included.
func (st *store) tenantViews(list []*tenant) []tenantJSON {
	successors := map[string][]*tenant{}
	for _, t := range st.Tenants {
		if t.Parent != "" {
			successors[t.Parent] = append(successors[t.Parent], t)
		}
	}
	newestFirst(list, func(t *tenant) uint64 { return t.Seq })
	out := make([]tenantJSON, len(list))
	for i, t := range list {
		out[i] = tenantJSON{
			ID:                      t.ID,
			Name:                    t.Name,
			SelfProvisioningDomains: t.Settings.SelfProvisioningDomains,
			CustomAttributes:        t.CustomAttributes,
			AuthType:                t.Settings.AuthType,
			Domains:                 t.ssoDomains(),
			// Unix seconds, an int32 as on the real API (section 9).
			CreatedTime:          int32(t.CreatedTime),
			EnforceSSO:           t.EnforceSSO,
			EnforceSSOExclusions: t.EnforceSSOExclusions,
			Disabled:             t.Disabled,
			Parent:               t.Parent,
			Successors:           tenantIDs(newestFirst(successors[t.ID], func(t *tenant) uint64 { return t.Seq })),
			DefaultRoles:         st.defaultRoleNames(t),
			RoleInheritance:      t.RoleInheritance,
			FederatedAppIDs:      t.FederatedAppIDs,
		}
	}
	return out
}

// tenantIDs returns the ids of list, in its order (never nil).
func tenantIDs(list []*tenant) []string {
	ids := make([]string, len(list))
	for i, t := range list {
		ids[i] = t.ID
	}
	return ids
}

// tenantRequest is the body of tenant/create and tenant/update. Update has
// no parent and ignores authType (deprecated; set through settings).
//
// It is not tenantJSON: that type also holds the fields only an answer
// has (domains, createdTime, successors, defaultRoles). A request must ignore
// them as unknown fields, and decoding into tenantJSON would type-check
// them (a createdTime in milliseconds would not fit its int32).
type tenantRequest struct {
	ID                      string         `json:"id"`
	Name                    string         `json:"name"`
	SelfProvisioningDomains []string       `json:"selfProvisioningDomains"`
	CustomAttributes        map[string]any `json:"customAttributes"`
	EnforceSSO              bool           `json:"enforceSSO"`
	EnforceSSOExclusions    []string       `json:"enforceSSOExclusions"`
	Disabled                bool           `json:"disabled"`
	Parent                  string         `json:"parent"`
	RoleInheritance         string         `json:"roleInheritance"`
	FederatedAppIDs         []string       `json:"federatedAppIds"`
	AuthType                string         `json:"authType"`
}

// roleInheritances are the values roleInheritance accepts.
var roleInheritances = []string{"", "none", "userOnly"}

// authTypes are the values authType accepts.
var authTypes = []string{"", "none", "saml", "oidc"}

// check validates the fields create and update share.
func (req *tenantRequest) check() error {
	if strings.TrimSpace(req.Name) == "" {
		return missingField("name")
	}
	if !slices.Contains(roleInheritances, req.RoleInheritance) {
		return invalid("roleInheritance %q is not one of \"\", \"none\", \"userOnly\"", req.RoleInheritance)
	}
	if !slices.Contains(authTypes, req.AuthType) {
		return invalid("authType %q is not one of \"none\", \"saml\", \"oidc\"", req.AuthType)
	}
	return checkAttributes("customAttributes", req.CustomAttributes)
}

// apply overwrites the fields that update sets (all but id and parent).
func (req *tenantRequest) apply(t *tenant) {
	t.Name = req.Name
	t.Settings.SelfProvisioningDomains = nonNil(req.SelfProvisioningDomains)
	t.CustomAttributes = nonNilMap(req.CustomAttributes)
	t.EnforceSSO = req.EnforceSSO
	t.EnforceSSOExclusions = nonNil(req.EnforceSSOExclusions)
	t.Disabled = req.Disabled
	t.RoleInheritance = req.RoleInheritance
	t.FederatedAppIDs = nonNil(req.FederatedAppIDs)
}

// newTenant returns a tenant with every list and map empty and the default
// settings; id, name and time are set by the caller.
func newTenant() *tenant {
	return &tenant{
		CustomAttributes:     map[string]any{},
		EnforceSSOExclusions: []string{},
		FederatedAppIDs:      []string{},
		DefaultRoleIDs:       []string{},
		Settings:             defaultSettings(),
	}
}

// addTenant adds t, generating its id when it has none. Its id and name
// must be new and its parent, if any, must exist.
func (st *store) addTenant(t *tenant, ids *idSource) error {
	if t.ID != "" && st.Tenants[t.ID] != nil {
		return conflict("tenant %q already exists", t.ID)
	}
	if other, ok := st.tenantNames[t.Name]; ok {
		return conflict("tenant %q already has the name %q", other, t.Name)
	}
	if t.Parent != "" && st.Tenants[t.Parent] == nil {
		return invalid("parent tenant %q does not exist", t.Parent)
	}
	if err := st.domainConflict(t.ID, t.Settings.SelfProvisioningDomains, t.Settings.Domains); err != nil {
		return err
	}
	if t.ID == "" {
		t.ID = st.newID(ids, "T2")
	}
	t.Seq = st.next()
	st.Tenants[t.ID] = t
	st.tenantNames[t.Name] = t.ID
	st.indexDomains(t, true)
	return nil
}

// tenant returns the tenant id names: a missing id is 400 E011002 naming
// field, an unknown one 404.
func (st *store) tenant(field, id string) (*tenant, error) {
	if id == "" {
		return nil, missingField(field)
	}
	if t := st.Tenants[id]; t != nil {
		return t, nil
	}
	return nil, notFound("tenant", id)
}

// rename changes a tenant's name, keeping the name index right.
func (st *store) renameTenant(t *tenant, name string) error {
	if other, ok := st.tenantNames[name]; ok && other != t.ID {
		return conflict("tenant %q already has the name %q", other, name)
	}
	delete(st.tenantNames, t.Name)
	t.Name = name
	st.tenantNames[name] = t.ID
	return nil
}

func (e *Emulator) tenantCreate(c *call) (any, error) {
	var req tenantRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	if err := e.st.defineAttributes(req.CustomAttributes, e.attributesOnUse); err != nil {
		return nil, err
	}
	t := newTenant()
	req.apply(t)
	t.ID, t.Parent, t.CreatedTime = req.ID, req.Parent, c.now.Unix()
	if req.AuthType != "" {
		t.Settings.AuthType = req.AuthType
	}
	if err := e.st.addTenant(t, e.ids); err != nil {
		return nil, err
	}
	return map[string]string{"id": t.ID}, nil
}

func (e *Emulator) tenantUpdate(c *call) (any, error) {
	var req tenantRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	t, err := e.st.tenant("id", req.ID)
	if err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	if err := e.st.domainConflict(t.ID, req.SelfProvisioningDomains, nil); err != nil {
		return nil, err
	}
	if err := e.st.defineAttributes(req.CustomAttributes, e.attributesOnUse); err != nil {
		return nil, err
	}
	if err := e.st.renameTenant(t, req.Name); err != nil {
		return nil, err
	}
	e.st.indexDomains(t, false)
	req.apply(t)
	e.st.indexDomains(t, true)
	return empty{}, nil
}

func (e *Emulator) tenantDelete(c *call) (any, error) {
	var req struct {
		ID      string `json:"id"`
		Cascade bool   `json:"cascade"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	t, err := e.st.tenant("id", req.ID)
	if err != nil {
		return nil, err
	}
	if children := e.st.children(t.ID); len(children) > 0 {
		return nil, invalid("tenant %q has sub-tenants (%s): delete them first", t.ID, strings.Join(tenantIDs(children), ", "))
	}
	delete(e.st.Tenants, t.ID)
	delete(e.st.tenantNames, t.Name)
	e.st.indexDomains(t, false)
	for id, r := range e.st.Roles { // its tenant roles go with it
		if r.TenantID == t.ID {
			delete(e.st.Roles, id)
		}
	}
	return empty{}, nil
}

// tenantLoad answers GET /v1/mgmt/tenant?id= with the tenant object at the
// root, not wrapped in "tenant" (docs/descope-api.md section 4.1).
func (e *Emulator) tenantLoad(c *call) (any, error) {
	t, err := e.st.tenant("id", c.query.Get("id"))
	if err != nil {
		return nil, err
	}
	return e.st.tenantViews([]*tenant{t})[0], nil
}

// tenantsJSON is the answer of tenant/all and tenant/search.
type tenantsJSON struct {
	Tenants []tenantJSON `json:"tenants"`
}

func (e *Emulator) tenantAll(*call) (any, error) {
	return tenantsJSON{e.st.tenantViews(slices.Collect(maps.Values(e.st.Tenants)))}, nil
}

// tenantSearchRequest holds the filters of tenant/search. A filter left
// empty matches every tenant; a tenant must match every filter given, and
// one entry of each list.
type tenantSearchRequest struct {
	TenantIDs                     []string       `json:"tenantIds"`
	TenantNames                   []string       `json:"tenantNames"`
	TenantSelfProvisioningDomains []string       `json:"tenantSelfProvisioningDomains"`
	CustomAttributes              map[string]any `json:"customAttributes"`
	AuthType                      string         `json:"authType"`
	TenantSSODomains              []string       `json:"tenantSSODomains"`
	ParentTenantID                string         `json:"parentTenantId"`
	TopLevelOnly                  bool           `json:"topLevelOnly"`
}

func (req *tenantSearchRequest) matches(t *tenant) bool {
	switch {
	case len(req.TenantIDs) > 0 && !slices.Contains(req.TenantIDs, t.ID),
		len(req.TenantNames) > 0 && !slices.Contains(req.TenantNames, t.Name),
		len(req.TenantSelfProvisioningDomains) > 0 && !anyDomain(req.TenantSelfProvisioningDomains, t.Settings.SelfProvisioningDomains),
		len(req.TenantSSODomains) > 0 && !anyDomain(req.TenantSSODomains, t.ssoDomains()),
		req.AuthType != "" && req.AuthType != t.Settings.AuthType,
		req.ParentTenantID != "" && req.ParentTenantID != t.Parent,
		req.TopLevelOnly && t.Parent != "":
		return false
	}
	for k, want := range req.CustomAttributes {
		if !attributeMatches(t.CustomAttributes[k], want) {
			return false
		}
	}
	return true
}

// anyDomain reports whether a domain of want is in have, ignoring case.
func anyDomain(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if strings.EqualFold(w, h) {
				return true
			}
		}
	}
	return false
}

// attributeMatches reports whether a tenant's attribute value matches a
// search value: they are equal, or the search value is a list holding it.
func attributeMatches(have, want any) bool {
	if have == nil {
		return false
	}
	if jsonEqual(have, want) {
		return true
	}
	if list, ok := want.([]any); ok {
		for _, w := range list {
			if jsonEqual(have, w) {
				return true
			}
		}
	}
	return false
}

// jsonEqual compares decoded JSON values by their encoding, so that 1 and
// 1.0 differ as they do on the wire but map order does not matter.
func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func (e *Emulator) tenantSearch(c *call) (any, error) {
	var req tenantSearchRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	var found []*tenant
	for _, t := range e.st.Tenants {
		if req.matches(t) {
			found = append(found, t)
		}
	}
	return tenantsJSON{e.st.tenantViews(nonNil(found))}, nil
}

// tenantSettingsGet answers GET /v1/mgmt/tenant/settings: the tenant's
// settings, every field emitted.
func (e *Emulator) tenantSettingsGet(c *call) (any, error) {
	t, err := e.st.tenant("id", c.query.Get("id"))
	if err != nil {
		return nil, err
	}
	s := t.Settings
	s.Domains = t.ssoDomains() // those of its SSO configurations too (see sso.go)
	return s, nil
}

// settingsRequest is the body of POST /v1/mgmt/tenant/settings. It
// overwrites every settings field, the self-provisioning domains included,
// as the real endpoint does; enforceSSO, enforceSSOExclusions and
// federatedAppIds (which only Python sends) change only when present.
type settingsRequest struct {
	TenantID string `json:"tenantId"`
	tenantSettings
	EnforceSSO           *bool     `json:"enforceSSO"`
	EnforceSSOExclusions *[]string `json:"enforceSSOExclusions"`
	FederatedAppIDs      *[]string `json:"federatedAppIds"`
}

// expirationUnits are the values the *Unit settings accept; "" is unset.
var expirationUnits = []string{"", "seconds", "minutes", "hours", "days", "weeks"}

// checkSettings validates the values of settings: their JSON types are
// checked when they are decoded.
func checkSettings(s *tenantSettings) error {
	if !slices.Contains(authTypes, s.AuthType) {
		return invalid("authType %q is not one of \"none\", \"saml\", \"oidc\"", s.AuthType)
	}
	for _, d := range []struct {
		name     string
		value    int64
		unitName string
		unit     string
	}{
		{"refreshTokenExpiration", s.RefreshTokenExpiration, "refreshTokenExpirationUnit", s.RefreshTokenExpirationUnit},
		{"sessionTokenExpiration", s.SessionTokenExpiration, "sessionTokenExpirationUnit", s.SessionTokenExpirationUnit},
		{"stepupTokenExpiration", s.StepupTokenExpiration, "stepupTokenExpirationUnit", s.StepupTokenExpirationUnit},
		{"inactivityTime", s.InactivityTime, "inactivityTimeUnit", s.InactivityTimeUnit},
	} {
		if d.value < 0 {
			return invalid("%s %d is negative", d.name, d.value)
		}
		if !slices.Contains(expirationUnits, d.unit) {
			return invalid("%s %q is not one of seconds, minutes, hours, days, weeks", d.unitName, d.unit)
		}
	}
	return nil
}

func (e *Emulator) tenantSettingsSet(c *call) (any, error) {
	var req settingsRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	t, err := e.st.tenant("tenantId", req.TenantID)
	if err != nil {
		return nil, err
	}
	if err := checkSettings(&req.tenantSettings); err != nil {
		return nil, err
	}
	if err := e.st.domainConflict(t.ID, req.SelfProvisioningDomains, req.Domains); err != nil {
		return nil, err
	}
	e.st.indexDomains(t, false)
	t.Settings = req.tenantSettings
	repairSettings(&t.Settings)
	e.st.indexDomains(t, true)
	// The SSO domains are the union of the tenant's and its SSO
	// configurations' (see sso.go).
	if err := e.st.setSSODomains(t, req.Domains); err != nil {
		return nil, err
	}
	if req.EnforceSSO != nil {
		t.EnforceSSO = *req.EnforceSSO
	}
	if req.EnforceSSOExclusions != nil {
		t.EnforceSSOExclusions = nonNil(*req.EnforceSSOExclusions)
	}
	if req.FederatedAppIDs != nil {
		t.FederatedAppIDs = nonNil(*req.FederatedAppIDs)
	}
	return empty{}, nil
}

// defaultRole resolves the name of a default role of tenant tenantID: the
// project role of that name, else the tenant's own role; nil if neither
// exists.
//
// How the real API treats a name that is both a project role and one of the
// tenant's roles (role names are unique only within their scope) is not
// known: docs/descope-api.md says that default roles are "names of project
// roles". The emulator takes the least surprising reading of that. A name
// means the project role when there is one, and the tenant's own role only
// when there is not. The name is resolved once, when the default roles are
// set (or seeded), and from then on the default role is that role. It takes
// that role's new name when the role is renamed, and it goes away when the
// role is deleted. Creating, renaming or deleting another role of the same
// name never changes it. So the outcome of a set of role and default-role
// writes does not depend on their order, except where a set of default roles
// resolves a name.
func (st *store) defaultRole(tenantID, name string) *role {
	if r := st.role("", name); r != nil {
		return r
	}
	return st.role(tenantID, name)
}

// resolveDefaultRoles returns the ids of the roles that names mean as
// default roles of tenant id: an error names one that is neither a project
// role nor a role of the tenant.
func (st *store) resolveDefaultRoles(id string, names []string) ([]string, error) {
	ids := make([]string, 0, len(names))
	for _, name := range names {
		r := st.defaultRole(id, name)
		if r == nil {
			return nil, invalid("default role %q is not a role of the project or of tenant %q", name, id)
		}
		ids = append(ids, r.ID)
	}
	return ids, nil
}

// defaultRoleNames returns the names of t's default roles.
func (st *store) defaultRoleNames(t *tenant) []string {
	names := make([]string, 0, len(t.DefaultRoleIDs))
	for _, id := range t.DefaultRoleIDs {
		if r := st.Roles[id]; r != nil {
			names = append(names, r.Name)
		}
	}
	return names
}

func (e *Emulator) tenantDefaultRoles(c *call) (any, error) {
	var req struct {
		ID           string   `json:"id"`
		DefaultRoles []string `json:"defaultRoles"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	t, err := e.st.tenant("id", req.ID)
	if err != nil {
		return nil, err
	}
	ids, err := e.st.resolveDefaultRoles(t.ID, req.DefaultRoles)
	if err != nil {
		return nil, err
	}
	t.DefaultRoleIDs = ids
	return empty{}, nil
}
