package mgmt

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// TenantAttribute is a tenant custom attribute definition: a key tenants
// may use in customAttributes only once the project defines it
// (docs/descope-api.md section 4.1). No SDK has calls for definitions; the
// official Terraform provider manages them with POST, GET and DELETE on
// /v1/mgmt/tenant/attribute (descope/terraform-provider-descope,
// internal/resources attributeOps and internal/models/attribute), whose
// fields these are.
type TenantAttribute struct {
	// Name is the key tenants use.
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	// Type is string, number, boolean, singleselect, multiselect, date or
	// monthday.
	Type            string   `json:"type"`
	Options         []string `json:"options"`
	ViewPermissions []string `json:"viewPermissions"`
}

const tenantAttributePath = "/v1/mgmt/tenant/attribute"

// LoadTenantAttribute returns the definition of the tenant custom attribute
// name, or nil when the project does not define it.
func (c *Client) LoadTenantAttribute(ctx context.Context, name string) (*TenantAttribute, error) {
	op := fmt.Sprintf("tenant attribute load %q", name)
	if name == "" {
		return nil, fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	var a TenantAttribute
	err := c.do(ctx, &call{op: op, method: http.MethodGet, path: tenantAttributePath, query: url.Values{"name": {name}}, out: &a})
	switch {
	case IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &a, nil
}

// SetTenantAttribute creates the definition a describes, or overwrites the
// one of that name.
func (c *Client) SetTenantAttribute(ctx context.Context, a *TenantAttribute) error {
	op := fmt.Sprintf("tenant attribute set %q", a.Name)
	if a.Name == "" {
		return fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	body := *a
	if body.DisplayName == "" {
		body.DisplayName = body.Name
	}
	body.Options, body.ViewPermissions = nonNil(body.Options), nonNil(body.ViewPermissions)
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: tenantAttributePath, body: &body, kind: kindWrite})
}

// DeleteTenantAttribute deletes the definition of name. The project refuses
// while a tenant uses it.
func (c *Client) DeleteTenantAttribute(ctx context.Context, name string) error {
	op := fmt.Sprintf("tenant attribute delete %q", name)
	if name == "" {
		return fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodDelete, path: tenantAttributePath, query: url.Values{"name": {name}}, kind: kindWrite})
}
