package descope

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
)

// TenantAttribute is a tenant custom attribute definition: a key that
// tenants may use in customAttributes only once the project defines it
// (docs/descope-api.md section 4.1). Field names in JSON are the wire names
// of POST and GET /v1/mgmt/tenant/attribute, the calls of the official
// Terraform provider's descope_tenant_attribute resource (section 8).
type TenantAttribute struct {
	// Key is the machine name: the key tenants use. It identifies the
	// definition.
	Key string `json:"name"`
	// DisplayName is the name the console shows; a create without one uses
	// the key.
	DisplayName *string `json:"displayName,omitempty"`
	// Type is one of TenantAttributeTypes. The API cannot change it in
	// place: a change is a replace, which a plan refuses while tenants use
	// the key.
	Type string `json:"type"`
	// Options are the choices of a singleselect or multiselect attribute (a
	// set).
	Options *[]string `json:"options,omitempty"`
	// ViewPermissions are the names of the permissions a user needs to see
	// the attribute (a set).
	ViewPermissions *[]string `json:"viewPermissions,omitempty"`

	Origin Origin `json:"-"`
}

// TenantAttributeTypes are the types a definition takes, as the Terraform
// provider validates them (docs/descope-api.md section 5); the first is the
// default of a declaration.
var TenantAttributeTypes = []string{"string", "number", "boolean", "singleselect", "multiselect", "date", "monthday"}

// IsSelectType reports whether typ takes Options.
func IsSelectType(typ string) bool { return typ == "singleselect" || typ == "multiselect" }

// TenantAttributeKeyPattern is the rule for a definition's key, the key of
// a tenant's custom attribute: letters, digits, '_' and '-', 1 to 20 of
// them.
var TenantAttributeKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,20}$`)

// TenantAttribute returns the definition with the given key, or nil.
func (s *State) TenantAttribute(key string) *TenantAttribute {
	for _, a := range s.TenantAttributes {
		if a.Key == key {
			return a
		}
	}
	return nil
}

// AttributeKeys returns the custom attribute keys that the tenants of s set,
// sorted and without duplicates.
func (s *State) AttributeKeys() []string {
	var keys []string
	for _, t := range s.Tenants {
		if t.Attributes == nil {
			continue
		}
		for k := range *t.Attributes {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func normalizeTenantAttributes(list []*TenantAttribute) {
	slices.SortFunc(list, func(a, b *TenantAttribute) int { return cmp.Compare(a.Key, b.Key) })
	for _, a := range list {
		sortSet(a.Options)
		sortSet(a.ViewPermissions)
	}
}

// tenantAttributeSpec is how Diff treats definitions. Every field but the
// type updates in place (POST overwrites the definition of that key); a
// new type replaces the definition, which drops the values tenants hold.
var tenantAttributeSpec = kindSpec[TenantAttribute]{
	kind:    KindTenantAttribute,
	key:     func(a *TenantAttribute) string { return a.Key },
	origin:  func(a *TenantAttribute) Origin { return a.Origin },
	builtin: func(*TenantAttribute) bool { return false },
	compare: compareTenantAttribute,
}

func compareTenantAttribute(live, want *TenantAttribute) (fields, Action, string) {
	f, l, action := start(live)
	scalar(&f, "displayName", l.DisplayName, want.DisplayName)
	typ := want.Type
	scalar(&f, "type", &l.Type, &typ)
	set(&f, "options", l.Options, want.Options)
	set(&f, "viewPermissions", l.ViewPermissions, want.ViewPermissions)
	if live != nil && live.Type != want.Type {
		return f, ActionReplace, fmt.Sprintf(
			"the type changes from %q to %q, and the API cannot change a definition's type: it is deleted and created again, which drops every tenant's value of %q",
			live.Type, want.Type, want.Key)
	}
	return f, action, ""
}
