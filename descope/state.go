package descope

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// State is a whole Descope project: the live one as read from the API, or
// the desired one as a config produced it.
type State struct {
	Project     *Project      `json:"project,omitempty"`
	Permissions []*Permission `json:"permissions,omitempty"`
	Roles       []*Role       `json:"roles,omitempty"`
	Tenants     []*Tenant     `json:"tenants,omitempty"`
	Flows       []*Flow       `json:"flows,omitempty"`
	Theme       *Theme        `json:"theme,omitempty"`
	// SSO are the tenants' SSO configurations.
	SSO []*SSO `json:"sso,omitempty"`
	// SSOTenants, in a live State, are the ids of the tenants whose SSO
	// configurations were read (one call each): SSO holds all of theirs
	// and nothing of the others.
	SSOTenants []string `json:"-"`
	// TenantAttributes are the tenant custom attribute definitions. A live
	// State holds those of the keys its tenants use and of the keys a plan
	// asked for (the API reads them one key at a time).
	TenantAttributes []*TenantAttribute `json:"tenantAttributes,omitempty"`
	// Owns are the ownership claims of a desired State; a live State has none.
	Owns []*Ownership `json:"own,omitempty"`
}

// Ptr returns a pointer to v. It reads well in literals of optional fields:
// Tenant{Disabled: Ptr(true)}.
func Ptr[T any](v T) *T { return &v }

// Normalize puts s in canonical order, in place: objects sorted by key, and
// set-like lists (domains, tags, permission names, default roles) sorted and
// without duplicates. Equal states normalize to equal values.
func (s *State) Normalize() {
	slices.SortFunc(s.Permissions, func(a, b *Permission) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Roles, func(a, b *Role) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(s.Tenants, func(a, b *Tenant) int { return cmp.Compare(a.ID, b.ID) })
	normalizeTenantAttributes(s.TenantAttributes)
	slices.SortFunc(s.Flows, func(a, b *Flow) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(s.SSO, func(a, b *SSO) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.ID, b.ID))
	})
	slices.Sort(s.SSOTenants)
	s.SSOTenants = slices.Compact(s.SSOTenants)
	slices.SortFunc(s.Owns, func(a, b *Ownership) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Match, b.Match))
	})
	if s.Project != nil {
		sortSet(s.Project.Tags)
	}
	for _, r := range s.Roles {
		sortSet(r.Permissions)
	}
	for _, c := range s.SSO {
		normalizeSSO(c)
	}
	for _, t := range s.Tenants {
		sortSet(t.Domains)
		sortSet(t.DefaultRoles)
		if t.Settings != nil {
			sortSet(t.Settings.Domains)
		}
	}
}

// sortSet sorts a set-like list and drops duplicates.
func sortSet(p *[]string) {
	if p == nil {
		return
	}
	slices.Sort(*p)
	*p = slices.Compact(*p)
}

// CanonicalJSON normalizes s and returns its canonical JSON form: sorted
// keys, objects in a stable order, two-space indentation, no HTML escaping,
// and a final newline. Equal states give equal bytes.
func (s *State) CanonicalJSON() ([]byte, error) {
	s.Normalize()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Digest returns the hex SHA-256 of the canonical JSON form of s.
func (s *State) Digest() (string, error) {
	b, err := s.CanonicalJSON()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Tenant returns the tenant with the given id, or nil.
func (s *State) Tenant(id string) *Tenant {
	for _, t := range s.Tenants {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// Role returns the role with the given tenant and name, or nil.
func (s *State) Role(tenant, name string) *Role {
	for _, r := range s.Roles {
		if r.Tenant == tenant && r.Name == name {
			return r
		}
	}
	return nil
}

// Permission returns the permission with the given name, or nil.
func (s *State) Permission(name string) *Permission {
	for _, p := range s.Permissions {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Flow returns the flow with the given id, or nil.
func (s *State) Flow(id string) *Flow {
	for _, f := range s.Flows {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// Count returns the number of objects of each kind in s.
func (s *State) Count() map[Kind]int {
	c := map[Kind]int{
		KindTenant:     len(s.Tenants),
		KindFlow:       len(s.Flows),
		KindRole:       len(s.Roles),
		KindPermission: len(s.Permissions),
	}
	if len(s.SSO) > 0 {
		c[KindSSO] = len(s.SSO)
	}
	if len(s.TenantAttributes) > 0 {
		c[KindTenantAttribute] = len(s.TenantAttributes)
	}
	if s.Theme != nil {
		c[KindTheme] = 1
	}
	if s.Project != nil {
		c[KindProject] = 1
	}
	return c
}
