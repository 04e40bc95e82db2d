package mgmt

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Request bodies are Go maps, as in the SDK, so that encoding/json writes
// their keys in alphabetical order and unset values as null or "".

// tenantBody is the body of tenant create and update
// (docs/descope-api.md section 9). parent is sent on create only, and only when
// set. federatedAppIds, which the Go SDK never sends, is sent when t has it
// (a tenant read from the API): update overwrites every field, and a
// read-merge-write must not clear it.
func tenantBody(t *Tenant, create bool) map[string]any {
	b := map[string]any{
		"customAttributes":        t.CustomAttributes,
		"disabled":                t.Disabled,
		"enforceSSO":              t.EnforceSSO,
		"enforceSSOExclusions":    t.EnforceSSOExclusions,
		"id":                      t.ID,
		"name":                    t.Name,
		"roleInheritance":         t.RoleInheritance,
		"selfProvisioningDomains": t.SelfProvisioningDomains,
	}
	if create && t.Parent != "" {
		b["parent"] = t.Parent
	}
	if t.FederatedAppIDs != nil {
		b["federatedAppIds"] = t.FederatedAppIDs
	}
	return b
}

// CreateTenant creates t and returns its id: t.ID when set, else the id the
// server generated. Parent is set here only: it cannot be updated.
func (c *Client) CreateTenant(ctx context.Context, t *Tenant) (string, error) {
	op := fmt.Sprintf("tenant create %q", cmp.Or(t.ID, t.Name))
	if t.Name == "" {
		return "", fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	var res struct {
		ID string `json:"id"`
	}
	cl := &call{op: op, method: http.MethodPost, path: "/v1/mgmt/tenant/create",
		body: tenantBody(t, true), out: &res, kind: kindCreate}
	cl.landed = func(ctx context.Context) (bool, error) {
		if t.ID != "" {
			_, err := c.LoadTenant(ctx, t.ID)
			if IsNotFound(err) {
				return false, nil
			}
			return err == nil, err
		}
		// Names are unique per project.
		found, err := c.SearchTenants(ctx, TenantSearch{Names: []string{t.Name}})
		for _, f := range found {
			if f.Name == t.Name {
				res.ID = f.ID
				return true, nil
			}
		}
		return false, err
	}
	if err := c.do(ctx, cl); err != nil {
		return "", err
	}
	if t.ID != "" {
		return t.ID, nil
	}
	return res.ID, nil
}

// UpdateTenant overwrites every field of tenant t.ID with t's (parent
// excepted): read, merge and write to leave the others alone.
func (c *Client) UpdateTenant(ctx context.Context, t *Tenant) error {
	op := fmt.Sprintf("tenant update %q", t.ID)
	if t.ID == "" || t.Name == "" {
		return fmt.Errorf("%s: %w: empty id or name", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/tenant/update",
		body: tenantBody(t, false), kind: kindWrite})
}

// DeleteTenant deletes tenant id; cascade also deletes the users and access
// keys that belong to it alone.
func (c *Client) DeleteTenant(ctx context.Context, id string, cascade bool) error {
	op := fmt.Sprintf("tenant delete %q", id)
	if id == "" {
		return fmt.Errorf("%s: %w: empty id", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/tenant/delete",
		body: map[string]any{"cascade": cascade, "id": id}, kind: kindDelete})
}

// LoadTenant returns tenant id. The response is the tenant itself, flat at
// the root, whatever the docs show (docs/descope-api.md section 4.1).
func (c *Client) LoadTenant(ctx context.Context, id string) (*Tenant, error) {
	op := fmt.Sprintf("tenant load %q", id)
	if id == "" {
		return nil, fmt.Errorf("%s: %w: empty id", op, ErrInvalidArgument)
	}
	var t Tenant
	err := c.do(ctx, &call{op: op, method: http.MethodGet, path: "/v1/mgmt/tenant",
		query: url.Values{"id": {id}}, out: &t, numbers: true})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// LoadAllTenants returns every tenant in one call.
func (c *Client) LoadAllTenants(ctx context.Context) ([]*Tenant, error) {
	var res struct {
		Tenants []*Tenant `json:"tenants"`
	}
	err := c.do(ctx, &call{op: "tenant load all", method: http.MethodGet, path: "/v1/mgmt/tenant/all",
		out: &res, numbers: true})
	return res.Tenants, err
}

// SearchTenants returns the tenants matching s.
func (c *Client) SearchTenants(ctx context.Context, s TenantSearch) ([]*Tenant, error) {
	var res struct {
		Tenants []*Tenant `json:"tenants"`
	}
	err := c.do(ctx, &call{op: "tenant search", method: http.MethodPost, path: "/v1/mgmt/tenant/search",
		body: map[string]any{
			"authType":                      s.AuthType,
			"customAttributes":              s.CustomAttributes,
			"tenantIds":                     s.IDs,
			"tenantNames":                   s.Names,
			"tenantSelfProvisioningDomains": s.SelfProvisioningDomains,
		},
		out: &res, numbers: true})
	return res.Tenants, err
}

// TenantSettings returns the settings of tenant id.
func (c *Client) TenantSettings(ctx context.Context, id string) (*TenantSettings, error) {
	op := fmt.Sprintf("tenant settings %q", id)
	if id == "" {
		return nil, fmt.Errorf("%s: %w: empty id", op, ErrInvalidArgument)
	}
	var s TenantSettings
	err := c.do(ctx, &call{op: op, method: http.MethodGet, path: "/v1/mgmt/tenant/settings",
		query: url.Values{"id": {id}}, out: &s})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// ConfigureTenantSettings overwrites every setting of tenant id with s's.
func (c *Client) ConfigureTenantSettings(ctx context.Context, id string, s *TenantSettings) error {
	op := fmt.Sprintf("tenant configure settings %q", id)
	if id == "" {
		return fmt.Errorf("%s: %w: empty id", op, ErrInvalidArgument)
	}
	body := s.body(id)
	// Settings read from the API carry the SSO setup suite's; the write
	// overwrites every field, so they are sent back.
	if s.SSOSetupSuiteSettings != nil {
		body["ssoSetupSuiteSettings"] = s.SSOSetupSuiteSettings
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/tenant/settings",
		body: body,
		kind: kindWrite})
}

// UpdateDefaultRoles sets the default roles (project role names) of tenant id.
func (c *Client) UpdateDefaultRoles(ctx context.Context, id string, roles []string) error {
	op := fmt.Sprintf("tenant update default roles %q", id)
	if id == "" {
		return fmt.Errorf("%s: %w: empty id", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/tenant/updateDefaultRoles",
		body: map[string]any{"defaultRoles": roles, "id": id}, kind: kindWrite})
}
