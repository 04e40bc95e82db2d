package emulator

import (
	"cmp"
	"embed"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// storeFormat is the version of the state file's format. Format 1 held a
// tenant's default roles by name (defaultRoles); format 2 holds the ids of
// the roles they refer to (defaultRoleIds). Formats 1 and 2 held a tenant's
// self-provisioning domains beside its settings; format 3 holds them in its
// settings, as GET /v1/mgmt/tenant/settings answers them. Format 4 adds the
// tenant custom attribute definitions; an older file gets one for each key
// its tenants use, as they were accepted then. An older file is upgraded
// when it is read.
const storeFormat = 4

// store is the project's contents. It is also the state file's format, so
// every field is exported to encoding/json. It is guarded by Emulator.mu.
type store struct {
	Format    int    `json:"formatVersion"`
	ProjectID string `json:"projectId"`
	// Generation is new with every new project (and every Seed); the
	// journal names the generation it continues (see persist.go).
	Generation string `json:"generation,omitempty"`
	// JournalSeq is the sequence number of the last journal record this
	// snapshot includes.
	JournalSeq uint64 `json:"journalSeq,omitempty"`
	// ManagementKey is the key the emulator generated for the project, kept
	// so that it stays the same across restarts; a key given with
	// WithProject is never written here.
	ManagementKey string `json:"managementKey,omitempty"`
	Name          string `json:"name"`
	// Environment is "" or "production" (set by project/clone).
	Environment string                 `json:"environment,omitempty"`
	Tags        []string               `json:"tags"`
	Seq         uint64                 `json:"seq"` // the last creation sequence number handed out
	Tenants     map[string]*tenant     `json:"tenants"`
	Roles       map[string]*role       `json:"roles"`       // by role id
	Permissions map[string]*permission `json:"permissions"` // by name
	Flows       map[string]*flow       `json:"flows"`
	Theme       map[string]any         `json:"theme"`
	// TenantAttributes are the tenant custom attribute definitions, by
	// name (see attributes.go).
	TenantAttributes map[string]*tenantAttribute `json:"tenantAttributes"`

	tenantNames map[string]string // tenant name -> id
	// domainOwners maps each domain a tenant has to that tenant's id (see
	// domains.go).
	domainOwners map[string]string
}

type tenant struct {
	Seq                  uint64         `json:"seq"`
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	CreatedTime          int64          `json:"createdTime"`
	CustomAttributes     map[string]any `json:"customAttributes"`
	EnforceSSO           bool           `json:"enforceSSO"`
	EnforceSSOExclusions []string       `json:"enforceSSOExclusions"`
	FederatedAppIDs      []string       `json:"federatedAppIds"`
	Disabled             bool           `json:"disabled"`
	Parent               string         `json:"parent"`
	RoleInheritance      string         `json:"roleInheritance"`
	// DefaultRoleIDs are the ids of the roles a new member of the tenant
	// gets (see store.defaultRole).
	DefaultRoleIDs []string `json:"defaultRoleIds"`
	// Settings are the tenant's settings as GET /v1/mgmt/tenant/settings
	// answers them. They hold the tenant's self-provisioning domains too,
	// which tenant create and update also set: the API has one list,
	// which appears in both answers.
	Settings tenantSettings `json:"settings"`
	// SSO are the tenant's SSO configurations by ssoId, "" the default one
	// (see sso.go). Settings.Domains holds the SSO domains set by tenant
	// settings that no configuration has.
	SSO map[string]*ssoConfig `json:"sso,omitempty"`
	// V1DefaultRoles are the default roles by name, as a format 1 state
	// file holds them; repair turns them into DefaultRoleIDs.
	V1DefaultRoles []string `json:"defaultRoles,omitempty"`
	// V2SelfProvisioningDomains are the self-provisioning domains as a
	// format 1 or 2 state file holds them; repair moves them into Settings.
	V2SelfProvisioningDomains []string `json:"selfProvisioningDomains,omitempty"`
}

// defaultSettings are a new tenant's settings: session settings off, with
// Descope's project defaults filled in.
func defaultSettings() tenantSettings {
	return tenantSettings{
		SelfProvisioningDomains:    []string{},
		Domains:                    []string{},
		AuthType:                   "none",
		RefreshTokenExpiration:     4,
		RefreshTokenExpirationUnit: "weeks",
		SessionTokenExpiration:     10,
		SessionTokenExpirationUnit: "minutes",
		StepupTokenExpiration:      10,
		StepupTokenExpirationUnit:  "minutes",
		InactivityTime:             12,
		InactivityTimeUnit:         "hours",
		SSOSetupSuiteSettings:      map[string]any{},
	}
}

type role struct {
	Seq             uint64   `json:"seq"`
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	PermissionNames []string `json:"permissionNames"`
	TenantID        string   `json:"tenantId"`
	Default         bool     `json:"default"`
	Private         bool     `json:"private"`
	CreatedTime     int64    `json:"createdTime"`
}

type permission struct {
	Seq           uint64 `json:"seq"`
	ID            string `json:"id"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	SystemDefault bool   `json:"systemDefault"`
}

type flow struct {
	Seq uint64 `json:"seq"`
	ID  string `json:"id"`
	// Document is the v2 document without its volatile fields.
	Document     map[string]any `json:"document"`
	Version      int64          `json:"version"`
	Fingerprint  string         `json:"fingerprint"`
	ModifiedTime int64          `json:"modifiedTime"` // Unix milliseconds
}

// meta returns the flow's metadata object (never nil).
func (f *flow) meta() map[string]any {
	m, _ := f.Document["metadata"].(map[string]any)
	return m
}

// name is the flow's display name: metadata.name, else its id.
func (f *flow) name() string {
	if n, _ := f.meta()["name"].(string); n != "" {
		return n
	}
	return f.ID
}

// idSource hands out ids, fingerprints or fault draws from one RNG, seeded
// by WithSeed for determinism.
type idSource struct {
	mu  sync.Mutex
	pcg *rand.PCG
	rng *rand.Rand
}

func newIDSource(seed1, seed2 uint64) *idSource {
	pcg := rand.NewPCG(seed1, seed2)
	return &idSource{pcg: pcg, rng: rand.New(pcg)}
}

// state returns the generator's state, for restore.
func (s *idSource) state() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := s.pcg.MarshalBinary() // cannot fail
	return b
}

// restore sets the generator's state to one state returned.
func (s *idSource) restore(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.pcg.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("id generator state: %w", err)
	}
	return nil
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// id returns prefix followed by n random letters and digits.
func (s *idSource) id(prefix string, n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := []byte(prefix)
	for range n {
		b = append(b, alnum[s.rng.IntN(len(alnum))])
	}
	return string(b)
}

// hex returns n random hex digits.
func (s *idSource) hex(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[s.rng.IntN(16)]
	}
	return string(b)
}

// uint64 returns a random number.
func (s *idSource) uint64() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Uint64()
}

// float64 returns a number in [0, 1).
func (s *idSource) float64() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64()
}

//go:embed builtin/*.json
var builtinFS embed.FS

// Preconfigured authorization of a new project (docs/descope-api.md section 8).
var (
	builtinPermissions = []struct{ name, description string }{
		{"Impersonate", "Impersonate other users"},
		{"SSO Admin", "Manage the SSO configuration of the tenant"},
		{"User Admin", "Manage the users of the tenant"},
	}
	builtinRole = struct {
		name, description string
		permissions       []string
	}{"Tenant Admin", "Administrator of a tenant", []string{"SSO Admin", "User Admin"}}
)

// DefaultProjectName is the name of a new emulated project.
const DefaultProjectName = "descope-run emulator"

// newStore returns the contents of a new project: the built-in flows, the
// default theme and the preconfigured role and permissions.
func newStore(projectID string, now time.Time, ids *idSource) *store {
	st := &store{
		Format:           storeFormat,
		ProjectID:        projectID,
		Generation:       fmt.Sprintf("%016x", rand.Uint64()),
		Name:             DefaultProjectName,
		Tags:             []string{},
		Tenants:          map[string]*tenant{},
		Roles:            map[string]*role{},
		Permissions:      map[string]*permission{},
		Flows:            map[string]*flow{},
		TenantAttributes: map[string]*tenantAttribute{},
		tenantNames:      map[string]string{},
		domainOwners:     map[string]string{},
	}
	for _, p := range builtinPermissions {
		st.Permissions[p.name] = &permission{Seq: st.next(), ID: st.newID(ids, "PRM"), Name: p.name, Description: p.description, SystemDefault: true}
	}
	r := &role{Seq: st.next(), ID: st.newID(ids, "ROL"), Name: builtinRole.name, Description: builtinRole.description,
		PermissionNames: slices.Clone(builtinRole.permissions), CreatedTime: now.Unix()}
	st.Roles[r.ID] = r
	for _, id := range []string{"sign-up-or-in", "sign-up", "sign-in", "step-up"} {
		doc := mustBuiltin(id + ".json")
		st.Flows[id] = &flow{Seq: st.next(), ID: id, Document: doc, Version: 1, Fingerprint: ids.hex(32), ModifiedTime: now.UnixMilli()}
	}
	st.Theme = mustBuiltin("theme.json")
	return st
}

// mustBuiltin decodes an embedded document. The files are part of the
// package, so a failure is a bug.
func mustBuiltin(name string) map[string]any {
	b, err := builtinFS.ReadFile("builtin/" + name)
	if err != nil {
		panic(fmt.Sprintf("emulator: built-in document %s: %v", name, err))
	}
	var doc map[string]any
	if err := unmarshal(b, &doc); err != nil {
		panic(fmt.Sprintf("emulator: built-in document %s: %v", name, err))
	}
	return doc
}

// next returns the next creation sequence number.
func (st *store) next() uint64 {
	st.Seq++
	return st.Seq
}

// newID returns an id with the given prefix that no tenant, role or
// permission uses yet. Generated ids are 28 characters long, like Descope's.
func (st *store) newID(ids *idSource, prefix string) string {
	for {
		id := ids.id(prefix, 28-len(prefix))
		if st.Tenants[id] == nil && st.Roles[id] == nil && st.permissionByID(id) == nil {
			return id
		}
	}
}

func (st *store) permissionByID(id string) *permission {
	for _, p := range st.Permissions {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// role returns the role named name in the scope tenantID ("" for the
// project), or nil.
func (st *store) role(tenantID, name string) *role {
	for _, r := range st.Roles {
		if r.TenantID == tenantID && r.Name == name {
			return r
		}
	}
	return nil
}

// children returns the direct sub-tenants of id, in reverse creation order.
func (st *store) children(id string) []*tenant {
	var out []*tenant
	for _, t := range st.Tenants {
		if t.Parent == id {
			out = append(out, t)
		}
	}
	return newestFirst(out, func(t *tenant) uint64 { return t.Seq })
}

// newestFirst sorts objects in reverse creation order, in place.
func newestFirst[T any](list []T, seq func(T) uint64) []T {
	slices.SortFunc(list, func(a, b T) int { return cmp.Compare(seq(b), seq(a)) })
	return list
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// nonNil returns s, or an empty list for nil, so that it encodes as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nonNilMap returns m, or an empty map for nil, so that it encodes as {}.
func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// repair makes a store read from a file usable: indexes rebuilt, nil lists
// and maps replaced, so that they encode as [] and {}, and a format 1 store
// upgraded to the current format.
func (st *store) repair() {
	st.Tags = nonNil(st.Tags)
	if st.Tenants == nil {
		st.Tenants = map[string]*tenant{}
	}
	if st.Roles == nil {
		st.Roles = map[string]*role{}
	}
	if st.Permissions == nil {
		st.Permissions = map[string]*permission{}
	}
	if st.Flows == nil {
		st.Flows = map[string]*flow{}
	}
	if st.TenantAttributes == nil {
		st.TenantAttributes = map[string]*tenantAttribute{}
	}
	for _, a := range st.TenantAttributes {
		a.Options, a.ViewPermissions = nonNil(a.Options), nonNil(a.ViewPermissions)
	}
	st.Theme = nonNilMap(st.Theme)
	st.tenantNames = make(map[string]string, len(st.Tenants))
	st.domainOwners = map[string]string{}
	for id, t := range st.Tenants {
		st.tenantNames[t.Name] = id
		t.CustomAttributes = nonNilMap(t.CustomAttributes)
		t.EnforceSSOExclusions = nonNil(t.EnforceSSOExclusions)
		t.FederatedAppIDs = nonNil(t.FederatedAppIDs)
		if st.Format == 1 {
			for _, name := range t.V1DefaultRoles {
				if r := st.defaultRole(id, name); r != nil {
					t.DefaultRoleIDs = append(t.DefaultRoleIDs, r.ID)
				}
			}
			t.V1DefaultRoles = nil
		}
		if st.Format < 3 {
			t.Settings.SelfProvisioningDomains = t.V2SelfProvisioningDomains
			t.V2SelfProvisioningDomains = nil
		}
		if st.Format < 4 {
			_ = st.defineAttributes(t.CustomAttributes, true) // accepted then: define them now
		}
		t.DefaultRoleIDs = nonNil(t.DefaultRoleIDs)
		repairSettings(&t.Settings)
		for _, c := range t.SSO {
			repairSSO(c)
		}
		st.indexDomains(t, true)
	}
	for _, r := range st.Roles {
		r.PermissionNames = nonNil(r.PermissionNames)
	}
	for _, f := range st.Flows {
		f.Document = nonNilMap(f.Document)
	}
	st.Format = storeFormat
}

// repairSettings replaces nil lists and maps in s, so that they encode as []
// and {}.
func repairSettings(s *tenantSettings) {
	s.SelfProvisioningDomains = nonNil(s.SelfProvisioningDomains)
	s.Domains = nonNil(s.Domains)
	s.SSOSetupSuiteSettings = nonNilMap(s.SSOSetupSuiteSettings)
}

// clone returns a copy of the store that can be changed without touching
// st. Flow documents and the theme are shared: they are never changed in
// place, only replaced.
func (st *store) clone() *store {
	c := *st
	c.Tags = slices.Clone(st.Tags)
	c.tenantNames = maps.Clone(st.tenantNames)
	c.domainOwners = maps.Clone(st.domainOwners)
	c.Tenants = make(map[string]*tenant, len(st.Tenants))
	for id, t := range st.Tenants {
		tc := *t
		tc.CustomAttributes = deepCopy(t.CustomAttributes).(map[string]any)
		tc.EnforceSSOExclusions = slices.Clone(t.EnforceSSOExclusions)
		tc.FederatedAppIDs = slices.Clone(t.FederatedAppIDs)
		tc.DefaultRoleIDs = slices.Clone(t.DefaultRoleIDs)
		tc.Settings.SelfProvisioningDomains = slices.Clone(t.Settings.SelfProvisioningDomains)
		tc.Settings.Domains = slices.Clone(t.Settings.Domains)
		tc.Settings.SSOSetupSuiteSettings = deepCopy(t.Settings.SSOSetupSuiteSettings).(map[string]any)
		tc.SSO = cloneSSO(t.SSO)
		c.Tenants[id] = &tc
	}
	c.Roles = make(map[string]*role, len(st.Roles))
	for id, r := range st.Roles {
		rc := *r
		rc.PermissionNames = slices.Clone(r.PermissionNames)
		c.Roles[id] = &rc
	}
	c.Permissions = make(map[string]*permission, len(st.Permissions))
	for name, p := range st.Permissions {
		pc := *p
		c.Permissions[name] = &pc
	}
	c.Flows = make(map[string]*flow, len(st.Flows))
	for id, f := range st.Flows {
		fc := *f
		c.Flows[id] = &fc
	}
	c.TenantAttributes = make(map[string]*tenantAttribute, len(st.TenantAttributes))
	for name, a := range st.TenantAttributes {
		ac := *a
		ac.Options, ac.ViewPermissions = slices.Clone(a.Options), slices.Clone(a.ViewPermissions)
		c.TenantAttributes[name] = &ac
	}
	return &c
}
