package mgmt

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/descope-run/descope-run/descope"
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

// Model returns a as a live descope.TenantAttribute, every field set.
func (a *TenantAttribute) Model() *descope.TenantAttribute {
	return &descope.TenantAttribute{
		Key:             a.Name,
		DisplayName:     descope.Ptr(a.DisplayName),
		Type:            a.Type,
		Options:         descope.Ptr(slices.Clone(nonNil(a.Options))),
		ViewPermissions: descope.Ptr(slices.Clone(nonNil(a.ViewPermissions))),
	}
}

// TenantAttributeFromModel returns the definition to write for want: its
// fields, and for those it leaves unset the live definition's (live may be
// nil), since POST overwrites the whole definition. A create without a
// display name uses the key.
func TenantAttributeFromModel(want, live *descope.TenantAttribute) *TenantAttribute {
	a := &TenantAttribute{Name: want.Key, DisplayName: want.Key, Type: want.Type, Options: []string{}, ViewPermissions: []string{}}
	if live != nil {
		a.DisplayName = cmp.Or(deref(live.DisplayName), want.Key)
		a.Options = slices.Clone(deref(live.Options))
		a.ViewPermissions = slices.Clone(deref(live.ViewPermissions))
	}
	if want.DisplayName != nil {
		a.DisplayName = *want.DisplayName
	}
	if want.Options != nil {
		a.Options = slices.Clone(*want.Options)
	}
	if want.ViewPermissions != nil {
		a.ViewPermissions = slices.Clone(*want.ViewPermissions)
	}
	a.Options, a.ViewPermissions = nonNil(a.Options), nonNil(a.ViewPermissions)
	return a
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
