package mgmt

import (
	"context"
	"fmt"
	"net/http"
)

// roleName names a role in errors: "name", or "tenant/name" for a tenant role.
func roleName(name, tenantID string) string {
	if tenantID == "" {
		return name
	}
	return tenantID + "/" + name
}

func roleBody(r *Role) map[string]any {
	return map[string]any{
		"default":         r.Default,
		"description":     r.Description,
		"name":            r.Name,
		"permissionNames": r.PermissionNames,
		"private":         r.Private,
		"tenantId":        r.TenantID,
	}
}

func roleUpdateBody(name, tenantID string, r *Role) map[string]any {
	return map[string]any{
		"default":         r.Default,
		"description":     r.Description,
		"name":            name,
		"newName":         r.Name,
		"permissionNames": r.PermissionNames,
		"private":         r.Private,
		"tenantId":        tenantID,
	}
}

// rolesExist reads every role and reports whether all of want exist.
func (c *Client) rolesExist(ctx context.Context, want ...*Role) (bool, error) {
	roles, err := c.LoadAllRoles(ctx)
	if err != nil {
		return false, err
	}
	have := make(map[string]bool, len(roles))
	for _, r := range roles {
		have[roleName(r.Name, r.TenantID)] = true
	}
	for _, r := range want {
		if !have[roleName(r.Name, r.TenantID)] {
			return false, nil
		}
	}
	return true, nil
}

// CreateRole creates r (a project role when r.TenantID is "").
func (c *Client) CreateRole(ctx context.Context, r *Role) error {
	op := fmt.Sprintf("role create %q", roleName(r.Name, r.TenantID))
	if r.Name == "" {
		return fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/role/create",
		body: roleBody(r), kind: kindCreate,
		landed: func(ctx context.Context) (bool, error) { return c.rolesExist(ctx, r) }})
}

// UpdateRole overwrites role name of tenantID with r; r.Name is the new name.
// A role cannot move to another tenant.
func (c *Client) UpdateRole(ctx context.Context, name, tenantID string, r *Role) error {
	op := fmt.Sprintf("role update %q", roleName(name, tenantID))
	if name == "" || r.Name == "" {
		return fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/role/update",
		body: roleUpdateBody(name, tenantID, r), kind: kindWrite})
}

// DeleteRole deletes role name of tenantID ("" for a project role).
func (c *Client) DeleteRole(ctx context.Context, name, tenantID string) error {
	op := fmt.Sprintf("role delete %q", roleName(name, tenantID))
	if name == "" {
		return fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/role/delete",
		body: map[string]any{"name": name, "tenantId": tenantID}, kind: kindDelete})
}

// LoadAllRoles returns every role, project and tenant ones, in one call.
func (c *Client) LoadAllRoles(ctx context.Context) ([]*Role, error) {
	var res struct {
		Roles []*Role `json:"roles"`
	}
	err := c.do(ctx, &call{op: "role load all", method: http.MethodGet, path: "/v1/mgmt/role/all", out: &res})
	return res.Roles, err
}

// SearchRoles returns the roles matching s. Unset filters are left out of
// the request, as the SDK's omitempty struct does.
func (c *Client) SearchRoles(ctx context.Context, s RoleSearch) ([]*Role, error) {
	body := map[string]any{}
	setNonEmpty := func(key string, v []string) {
		if len(v) > 0 {
			body[key] = v
		}
	}
	setNonEmpty("tenantIds", s.TenantIDs)
	setNonEmpty("roleNames", s.RoleNames)
	setNonEmpty("permissionNames", s.PermissionNames)
	if s.RoleNameLike != "" {
		body["roleNameLike"] = s.RoleNameLike
	}
	if s.IncludeProjectRoles {
		body["includeProjectRoles"] = true
	}
	var res struct {
		Roles []*Role `json:"roles"`
	}
	err := c.do(ctx, &call{op: "role search", method: http.MethodPost, path: "/v1/mgmt/role/search",
		body: body, out: &res})
	return res.Roles, err
}

// CreateRoles creates roles in one call.
func (c *Client) CreateRoles(ctx context.Context, roles []*Role) error {
	op := fmt.Sprintf("role create batch of %d", len(roles))
	if len(roles) == 0 {
		return fmt.Errorf("%s: %w: no roles", op, ErrInvalidArgument)
	}
	list := make([]map[string]any, len(roles))
	for i, r := range roles {
		if r.Name == "" {
			return fmt.Errorf("%s: %w: role %d has an empty name", op, ErrInvalidArgument, i)
		}
		list[i] = roleBody(r)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/role/create/batch",
		body: map[string]any{"roles": list}, kind: kindCreate,
		landed: func(ctx context.Context) (bool, error) { return c.rolesExist(ctx, roles...) }})
}

// UpdateRoles overwrites several roles in one call.
func (c *Client) UpdateRoles(ctx context.Context, updates []RoleUpdate) error {
	op := fmt.Sprintf("role update batch of %d", len(updates))
	if len(updates) == 0 {
		return fmt.Errorf("%s: %w: no roles", op, ErrInvalidArgument)
	}
	list := make([]map[string]any, len(updates))
	for i, u := range updates {
		if u.Name == "" || u.Role == nil || u.Role.Name == "" {
			return fmt.Errorf("%s: %w: update %d has an empty name", op, ErrInvalidArgument, i)
		}
		list[i] = roleUpdateBody(u.Name, u.TenantID, u.Role)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/role/update/batch",
		body: map[string]any{"roles": list}, kind: kindWrite})
}

// DeleteRoles deletes the roles names of tenantID in one call. At least one
// name is required: the API deletes every role when the list is empty.
func (c *Client) DeleteRoles(ctx context.Context, tenantID string, names []string) error {
	op := fmt.Sprintf("role delete batch %q", names)
	if len(names) == 0 {
		return fmt.Errorf("%s: %w: no names (an empty list would delete every role)", op, ErrInvalidArgument)
	}
	for _, n := range names {
		if n == "" {
			return fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
		}
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/role/delete/batch",
		body: map[string]any{"roleNames": names, "tenantId": tenantID}, kind: kindDelete})
}

// permissionsExist reads every permission and reports whether all of names exist.
func (c *Client) permissionsExist(ctx context.Context, names ...string) (bool, error) {
	perms, err := c.LoadAllPermissions(ctx)
	if err != nil {
		return false, err
	}
	have := make(map[string]bool, len(perms))
	for _, p := range perms {
		have[p.Name] = true
	}
	for _, n := range names {
		if !have[n] {
			return false, nil
		}
	}
	return true, nil
}

// CreatePermission creates p.
func (c *Client) CreatePermission(ctx context.Context, p *Permission) error {
	op := fmt.Sprintf("permission create %q", p.Name)
	if p.Name == "" {
		return fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/permission/create",
		body: map[string]any{"description": p.Description, "name": p.Name}, kind: kindCreate,
		landed: func(ctx context.Context) (bool, error) { return c.permissionsExist(ctx, p.Name) }})
}

// UpdatePermission overwrites permission name with p; p.Name is the new name.
func (c *Client) UpdatePermission(ctx context.Context, name string, p *Permission) error {
	op := fmt.Sprintf("permission update %q", name)
	if name == "" || p.Name == "" {
		return fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/permission/update",
		body: map[string]any{"description": p.Description, "name": name, "newName": p.Name}, kind: kindWrite})
}

// DeletePermission deletes permission name.
func (c *Client) DeletePermission(ctx context.Context, name string) error {
	op := fmt.Sprintf("permission delete %q", name)
	if name == "" {
		return fmt.Errorf("%s: %w: empty name", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/permission/delete",
		body: map[string]any{"name": name}, kind: kindDelete})
}

// LoadAllPermissions returns every permission in one call.
func (c *Client) LoadAllPermissions(ctx context.Context) ([]*Permission, error) {
	var res struct {
		Permissions []*Permission `json:"permissions"`
	}
	err := c.do(ctx, &call{op: "permission load all", method: http.MethodGet, path: "/v1/mgmt/permission/all", out: &res})
	return res.Permissions, err
}

// CreatePermissions creates perms in one call.
func (c *Client) CreatePermissions(ctx context.Context, perms []*Permission) error {
	op := fmt.Sprintf("permission create batch of %d", len(perms))
	if len(perms) == 0 {
		return fmt.Errorf("%s: %w: no permissions", op, ErrInvalidArgument)
	}
	list := make([]map[string]any, len(perms))
	names := make([]string, len(perms))
	for i, p := range perms {
		if p.Name == "" {
			return fmt.Errorf("%s: %w: permission %d has an empty name", op, ErrInvalidArgument, i)
		}
		list[i] = map[string]any{"description": p.Description, "name": p.Name}
		names[i] = p.Name
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/permission/create/batch",
		body: map[string]any{"permissions": list}, kind: kindCreate,
		landed: func(ctx context.Context) (bool, error) { return c.permissionsExist(ctx, names...) }})
}

// UpdatePermissions overwrites several permissions in one call.
func (c *Client) UpdatePermissions(ctx context.Context, updates []PermissionUpdate) error {
	op := fmt.Sprintf("permission update batch of %d", len(updates))
	if len(updates) == 0 {
		return fmt.Errorf("%s: %w: no permissions", op, ErrInvalidArgument)
	}
	list := make([]map[string]any, len(updates))
	for i, u := range updates {
		if u.Name == "" || u.Permission == nil || u.Permission.Name == "" {
			return fmt.Errorf("%s: %w: update %d has an empty name", op, ErrInvalidArgument, i)
		}
		list[i] = map[string]any{"description": u.Permission.Description, "name": u.Name, "newName": u.Permission.Name}
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/permission/update/batch",
		body: map[string]any{"permissions": list}, kind: kindWrite})
}

// DeletePermissions deletes the permissions names (at least one) in one call.
func (c *Client) DeletePermissions(ctx context.Context, names []string) error {
	op := fmt.Sprintf("permission delete batch %q", names)
	if len(names) == 0 {
		return fmt.Errorf("%s: %w: no names", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/permission/delete/batch",
		body: map[string]any{"names": names}, kind: kindDelete})
}
