package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// Tenant custom attribute definitions.
//
// A tenant's customAttributes keys must be defined in the project first
// (docs/descope-api.md section 4.1). How the real API defines them, found in
// Descope's public tools:
//
//   - The console: Tenants > Custom Attributes (docs.descope.com,
//     management/tenant-management).
//   - POST /v1/mgmt/tenant/attribute creates a definition or overwrites the
//     one of that name, with the definition as the body: {name, displayName,
//     type, options, viewPermissions}; GET /v1/mgmt/tenant/attribute?name=
//     answers it at the root; DELETE with the same query deletes it (and
//     does nothing when there is none). Writes answer no body worth
//     reading. This is what the official Terraform provider's
//     descope_tenant_attribute resource calls
//     (descope/terraform-provider-descope internal/resources, attributeOps;
//     internal/models/attribute/{tenant,shared}.go for the fields, and for
//     the rules: name of letters, digits, '_' and '-', at most 20
//     characters; displayName required; type one of string, number,
//     boolean, singleselect, multiselect, date, monthday).
//   - Older versions of that provider set them all at once as the project's
//     attributes.tenant list through its own /v1/mgmt/infra endpoint
//     (internal/models/attributes), and section 5 notes that snapshots carry
//     them. No SDK (Go v1.30.0, Python, Node) has a call for them: the Go
//     SDK's custom attribute calls are for users only.
//
// The emulator serves the three calls above and refuses a tenant create or
// update whose customAttributes use a key no definition names (400
// E011004). It does not check values against a definition's type, which
// no source describes. A definition in use by a tenant cannot be deleted
// (400 E011004), a choice where the real API is unknown. Seed defines the
// keys its tenants use (a seeded project is a live one, whose keys are
// defined), and a state file from before definitions were kept gets
// definitions for the keys its tenants use (see store.repair). With
// WithAttributesDefinedOnUse, a key is defined when a tenant first uses it,
// as the local project does for a config that declares no definition.

// tenantAttribute is a definition, as POST takes it and GET answers it.
type tenantAttribute struct {
	Name            string   `json:"name"`
	DisplayName     string   `json:"displayName"`
	Type            string   `json:"type"`
	Options         []string `json:"options"`
	ViewPermissions []string `json:"viewPermissions"`
}

// attributeTypes are the types a definition takes.
var attributeTypes = []string{"string", "number", "boolean", "singleselect", "multiselect", "date", "monthday"}

// check validates a definition from a request.
func (a *tenantAttribute) check() error {
	switch {
	case a.Name == "":
		return missingField("name")
	case utf8.RuneCountInString(a.Name) > 20:
		return invalid("tenant attribute name %q is longer than 20 characters", a.Name)
	case strings.TrimSpace(a.DisplayName) == "":
		return missingField("displayName")
	case !slices.Contains(attributeTypes, a.Type):
		return invalid("tenant attribute type %q is not one of %s", a.Type, strings.Join(attributeTypes, ", "))
	}
	for _, r := range a.Name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return invalid("tenant attribute name %q may hold only letters, digits, '-' and '_'", a.Name)
		}
	}
	return nil
}

// inferredAttribute is the definition of a key first seen as a tenant's
// attribute with value v: its type guessed from the value.
func inferredAttribute(key string, v any) *tenantAttribute {
	typ := "string"
	switch v.(type) {
	case bool:
		typ = "boolean"
	case json.Number, float64, int64, int:
		typ = "number"
	case []any:
		typ = "multiselect"
	}
	return &tenantAttribute{Name: key, DisplayName: key, Type: typ, Options: []string{}, ViewPermissions: []string{}}
}

// defineAttributes checks that every key of attrs is defined; with onUse,
// it defines those that are not instead.
func (st *store) defineAttributes(attrs map[string]any, onUse bool) error {
	for _, k := range sortedKeys(attrs) {
		if st.TenantAttributes[k] != nil {
			continue
		}
		if !onUse {
			return invalid("tenant custom attribute %q is not defined in the project: define it first "+
				"(in the console under Tenants, Custom Attributes; or with POST /v1/mgmt/tenant/attribute)", k)
		}
		st.TenantAttributes[k] = inferredAttribute(k, attrs[k])
	}
	return nil
}

func (e *Emulator) tenantAttributeSet(c *call) (any, error) {
	var a tenantAttribute
	if err := c.decode(&a); err != nil {
		return nil, err
	}
	if err := a.check(); err != nil {
		return nil, err
	}
	a.Options, a.ViewPermissions = nonNil(a.Options), nonNil(a.ViewPermissions)
	e.st.TenantAttributes[a.Name] = &a
	return empty{}, nil
}

// tenantAttribute returns the definition the query names.
func (e *Emulator) tenantAttributeNamed(c *call) (*tenantAttribute, error) {
	name := c.query.Get("name")
	if name == "" {
		return nil, missingField("name")
	}
	a := e.st.TenantAttributes[name]
	if a == nil {
		return nil, notFound("tenant attribute", name)
	}
	return a, nil
}

func (e *Emulator) tenantAttributeGet(c *call) (any, error) { return e.tenantAttributeNamed(c) }

// tenantAttributeDelete deletes the definition the query names; one that
// does not exist is no error ("no-op if absent", docs.descope.com
// delete-tenant-attribute).
func (e *Emulator) tenantAttributeDelete(c *call) (any, error) {
	if name := c.query.Get("name"); name != "" && e.st.TenantAttributes[name] == nil {
		return empty{}, nil
	}
	a, err := e.tenantAttributeNamed(c)
	if err != nil {
		return nil, err
	}
	if t := e.st.attributeUser(a.Name); t != "" {
		return nil, invalid("tenant attribute %q is in use by tenant %q: remove it from the tenants first", a.Name, t)
	}
	delete(e.st.TenantAttributes, a.Name)
	return empty{}, nil
}

// attributeUser returns the id of a tenant that uses key, or "".
func (st *store) attributeUser(key string) string {
	for _, id := range sortedKeys(st.Tenants) {
		if _, ok := st.Tenants[id].CustomAttributes[key]; ok {
			return id
		}
	}
	return ""
}

// SetAttributesDefinedOnUse turns on or off the definition of a tenant
// custom attribute key when a tenant first uses it (see
// WithAttributesDefinedOnUse) for the requests that follow.
func (e *Emulator) SetAttributesDefinedOnUse(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.attributesOnUse = on
}

// DefineTenantAttribute defines a tenant custom attribute (or overwrites
// its definition), as POST /v1/mgmt/tenant/attribute does: name as the key
// tenants use, typ one of string, number, boolean, singleselect,
// multiselect, date and monthday. Like a request, it is journaled when the
// emulator has a state file.
func (e *Emulator) DefineTenantAttribute(name, typ string) error {
	body, _ := json.Marshal(tenantAttribute{Name: name, DisplayName: name, Type: typ}) // strings: cannot fail
	const path = "/v1/mgmt/tenant/attribute"
	resp := e.run(routes[path][http.MethodPost], http.MethodPost, "", &call{now: e.clock(), body: body, path: path})
	if resp.status != http.StatusOK {
		return fmt.Errorf("emulator: define tenant attribute %q: %s", name, resp.body)
	}
	return nil
}
