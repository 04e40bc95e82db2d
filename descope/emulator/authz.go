package emulator

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"
)

// view renders r for the wire (docs/descope-api.md section 4.5).
func (r *role) view() roleJSON {
	return roleJSON{
		ID:              r.ID,
		Name:            r.Name,
		Description:     r.Description,
		PermissionNames: r.PermissionNames,
		// Unix seconds, an int32 as on the real API (section 9).
		CreatedTime: int32(r.CreatedTime),
		TenantID:    r.TenantID,
		Default:     r.Default,
		Private:     r.Private,
	}
}

// rolesJSON is the answer of role/all, role/search and the role batches.
type rolesJSON struct {
	Roles []roleJSON `json:"roles"`
}

// roleViews renders roles in reverse creation order.
func roleViews(list []*role) rolesJSON {
	newestFirst(list, func(r *role) uint64 { return r.Seq })
	out := make([]roleJSON, len(list))
	for i, r := range list {
		out[i] = r.view()
	}
	return rolesJSON{out}
}

// roleRequest is a role in create, update and their batches. Update and
// delete name the role by id, or else by name within tenantId; a role found
// by id keeps its tenant whatever tenantId says. Update renames it to
// newName.
//
// It is not roleJSON: that type has no newName, and it has createdTime,
// which a request must ignore as an unknown field rather than type-check.
type roleRequest struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	NewName         string   `json:"newName"`
	Description     string   `json:"description"`
	PermissionNames []string `json:"permissionNames"`
	TenantID        string   `json:"tenantId"`
	Default         bool     `json:"default"`
	Private         bool     `json:"private"`
}

// scope describes a role's scope in messages.
func scope(tenantID string) string {
	if tenantID == "" {
		return "the project"
	}
	return "tenant " + `"` + tenantID + `"`
}

func (st *store) checkPermissions(names []string) error {
	for _, p := range names {
		if st.Permissions[p] == nil {
			return invalid("permission %q does not exist", p)
		}
	}
	return nil
}

// createRole adds the role req describes.
func (st *store) createRole(req roleRequest, now time.Time, ids *idSource) (*role, error) {
	if strings.TrimSpace(req.Name) == "" {
		return nil, missingField("name")
	}
	if req.TenantID != "" && st.Tenants[req.TenantID] == nil {
		return nil, invalid("tenant %q does not exist", req.TenantID)
	}
	if st.role(req.TenantID, req.Name) != nil {
		return nil, conflict("role %q already exists in %s", req.Name, scope(req.TenantID))
	}
	if err := st.checkPermissions(req.PermissionNames); err != nil {
		return nil, err
	}
	r := &role{Seq: st.next(), ID: st.newID(ids, "ROL"), Name: req.Name, Description: req.Description,
		PermissionNames: nonNil(req.PermissionNames), TenantID: req.TenantID, Default: req.Default,
		Private: req.Private, CreatedTime: now.Unix()}
	st.Roles[r.ID] = r
	return r, nil
}

// findRole returns the role named by id, or else by name within tenantID.
func (st *store) findRole(id, tenantID, name string) (*role, error) {
	if id != "" {
		if r := st.Roles[id]; r != nil {
			return r, nil
		}
		return nil, notFound("role", id)
	}
	if name == "" {
		return nil, missingField("name")
	}
	if r := st.role(tenantID, name); r != nil {
		return r, nil
	}
	return nil, notFound("role", name+" in "+scope(tenantID))
}

// updateRole overwrites a role: a description or permission list left out
// is cleared.
func (st *store) updateRole(req roleRequest) (*role, error) {
	r, err := st.findRole(req.ID, req.TenantID, req.Name)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.NewName) == "" {
		return nil, missingField("newName")
	}
	if other := st.role(r.TenantID, req.NewName); other != nil && other != r {
		return nil, conflict("role %q already exists in %s", req.NewName, scope(r.TenantID))
	}
	if err := st.checkPermissions(req.PermissionNames); err != nil {
		return nil, err
	}
	r.Name, r.Description, r.PermissionNames = req.NewName, req.Description, nonNil(req.PermissionNames)
	r.Default, r.Private = req.Default, req.Private
	return r, nil
}

// deleteRole deletes a role, and takes it out of the default roles that
// refer to it (see defaultRole).
func (st *store) deleteRole(r *role) {
	for _, t := range st.Tenants {
		t.DefaultRoleIDs = slices.DeleteFunc(t.DefaultRoleIDs, func(id string) bool { return id == r.ID })
	}
	delete(st.Roles, r.ID)
}

// renameIn replaces name by newName in list, or with newName "" removes it.
func renameIn(list []string, name, newName string) []string {
	i := slices.Index(list, name)
	switch {
	case i < 0:
	case newName == "":
		list = slices.Delete(list, i, i+1)
	default:
		list[i] = newName
	}
	return list
}

// createRoleOp is what role/create and its batch do to one role.
func (e *Emulator) createRoleOp(c *call) func(*store, roleRequest) (*role, error) {
	return func(st *store, req roleRequest) (*role, error) { return st.createRole(req, c.now, e.ids) }
}

func (e *Emulator) roleCreate(c *call) (any, error) { return e.writeRole(c, e.createRoleOp(c)) }
func (e *Emulator) roleUpdate(c *call) (any, error) { return e.writeRole(c, (*store).updateRole) }

func (e *Emulator) roleCreateBatch(c *call) (any, error) { return e.writeRoles(c, e.createRoleOp(c)) }
func (e *Emulator) roleUpdateBatch(c *call) (any, error) { return e.writeRoles(c, (*store).updateRole) }

// writeRole applies op to the role of the body; the answer is the role as
// op left it.
func (e *Emulator) writeRole(c *call, op func(*store, roleRequest) (*role, error)) (any, error) {
	var req roleRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	r, err := op(e.st, req)
	if err != nil {
		return nil, err
	}
	return r.view(), nil
}

// writeRoles applies op to each role of a batch body {"roles":[...]}, all
// or nothing; the answer is the roles as op left them.
func (e *Emulator) writeRoles(c *call, op func(*store, roleRequest) (*role, error)) (any, error) {
	var req struct {
		Roles []roleRequest `json:"roles"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	roles, err := applyBatch(e, "roles", req.Roles, op)
	if err != nil {
		return nil, err
	}
	return roleViews(roles), nil
}

func (e *Emulator) roleDelete(c *call) (any, error) {
	var req roleRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	r, err := e.st.findRole(req.ID, req.TenantID, req.Name)
	if err != nil {
		return nil, err
	}
	e.st.deleteRole(r)
	return empty{}, nil
}

func (e *Emulator) roleAll(*call) (any, error) {
	return roleViews(slices.Collect(maps.Values(e.st.Roles))), nil
}

// roleSearchRequest holds the filters of role/search. With tenantIds, only
// roles of those tenants match (and project roles with includeProjectRoles);
// without, roles of every scope do. roleNameLike and text match without
// regard to case; text searches names and descriptions.
type roleSearchRequest struct {
	TenantIDs           []string `json:"tenantIds"`
	RoleNames           []string `json:"roleNames"`
	RoleNameLike        string   `json:"roleNameLike"`
	PermissionNames     []string `json:"permissionNames"`
	RoleIDs             []string `json:"roleIds"`
	IncludeProjectRoles bool     `json:"includeProjectRoles"`
	Text                string   `json:"text"`
	Sort                []struct {
		Field string `json:"field"`
		Desc  bool   `json:"desc"`
	} `json:"sort"`
}

func (req *roleSearchRequest) matches(r *role) bool {
	containsFold := func(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) }
	switch {
	case len(req.TenantIDs) > 0 && !slices.Contains(req.TenantIDs, r.TenantID) && !(req.IncludeProjectRoles && r.TenantID == ""),
		len(req.RoleNames) > 0 && !slices.Contains(req.RoleNames, r.Name),
		len(req.RoleIDs) > 0 && !slices.Contains(req.RoleIDs, r.ID),
		len(req.PermissionNames) > 0 && !slices.ContainsFunc(req.PermissionNames, func(p string) bool { return slices.Contains(r.PermissionNames, p) }),
		req.RoleNameLike != "" && !containsFold(r.Name, req.RoleNameLike),
		req.Text != "" && !containsFold(r.Name, req.Text) && !containsFold(r.Description, req.Text):
		return false
	}
	return true
}

// roleSortKeys are the fields role/search sorts by.
var roleSortKeys = map[string]func(a, b *role) int{
	"id":          func(a, b *role) int { return cmp.Compare(a.ID, b.ID) },
	"name":        func(a, b *role) int { return cmp.Compare(a.Name, b.Name) },
	"description": func(a, b *role) int { return cmp.Compare(a.Description, b.Description) },
	"tenantId":    func(a, b *role) int { return cmp.Compare(a.TenantID, b.TenantID) },
	"createdTime": func(a, b *role) int { return cmp.Compare(a.CreatedTime, b.CreatedTime) },
}

func (e *Emulator) roleSearch(c *call) (any, error) {
	var req roleSearchRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	for _, s := range req.Sort {
		if roleSortKeys[s.Field] == nil {
			return nil, invalid("cannot sort roles by %q (use one of %s)", s.Field, strings.Join(sortedKeys(roleSortKeys), ", "))
		}
	}
	var found []*role
	for _, r := range e.st.Roles {
		if req.matches(r) {
			found = append(found, r)
		}
	}
	out := roleViews(nonNil(found))
	if len(req.Sort) > 0 {
		byID := make(map[string]*role, len(found))
		for _, r := range found {
			byID[r.ID] = r
		}
		slices.SortStableFunc(out.Roles, func(a, b roleJSON) int {
			for _, s := range req.Sort {
				if c := roleSortKeys[s.Field](byID[a.ID], byID[b.ID]); c != 0 {
					if s.Desc {
						return -c
					}
					return c
				}
			}
			return 0
		})
	}
	return out, nil
}

// batch runs fn on a copy of the store and keeps the copy only if fn
// succeeds, so that a batch is applied whole or not at all.
func (e *Emulator) batch(fn func(st *store) error) error {
	work := e.st.clone()
	if err := fn(work); err != nil {
		return err
	}
	e.st = work
	return nil
}

// applyBatch applies op to each item on a copy of the store, all or
// nothing; an error names the item ("roles[2]: ...").
func applyBatch[T, R any](e *Emulator, field string, items []T, op func(st *store, item T) (R, error)) ([]R, error) {
	if len(items) == 0 {
		return nil, missingField(field)
	}
	var out []R
	err := e.batch(func(st *store) error {
		for i, it := range items {
			r, err := op(st, it)
			if err != nil {
				return at(err, "%s[%d]", field, i)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// roleDeleteBatch deletes the named roles. With no names and no ids it
// deletes every role of every scope, as the real endpoint does
// (docs/descope-api.md section 4.5): the emulator logs that at warning level.
func (e *Emulator) roleDeleteBatch(c *call) (any, error) {
	var req struct {
		RoleNames []string `json:"roleNames"`
		TenantID  string   `json:"tenantId"`
		RoleIDs   []string `json:"roleIds"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.RoleNames) == 0 && len(req.RoleIDs) == 0 {
		e.logger.Warn("emulator: role/delete/batch with no filter deletes every role", "roles", len(e.st.Roles))
		for _, r := range e.st.Roles {
			e.st.deleteRole(r)
		}
		return empty{}, nil
	}
	return empty{}, e.batch(func(st *store) error {
		for i, name := range req.RoleNames {
			r, err := st.findRole("", req.TenantID, name)
			if err != nil {
				return at(err, "roleNames[%d]", i)
			}
			st.deleteRole(r)
		}
		for i, id := range req.RoleIDs {
			r, err := st.findRole(id, "", "")
			if err != nil {
				return at(err, "roleIds[%d]", i)
			}
			st.deleteRole(r)
		}
		return nil
	})
}

// permissionRequest is a permission in create, update and their batches.
// Update names the permission by name, or by id, and renames it to newName.
// It is not permissionJSON: that has no newName, and it has systemDefault,
// which a request cannot set and must ignore as an unknown field.
type permissionRequest struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	NewName     string `json:"newName"`
	Description string `json:"description"`
}

func (st *store) createPermission(req permissionRequest, ids *idSource) error {
	if strings.TrimSpace(req.Name) == "" {
		return missingField("name")
	}
	if st.Permissions[req.Name] != nil {
		return conflict("permission %q already exists", req.Name)
	}
	st.Permissions[req.Name] = &permission{Seq: st.next(), ID: st.newID(ids, "PRM"), Name: req.Name, Description: req.Description}
	return nil
}

func (st *store) findPermission(id, name string) (*permission, error) {
	if name != "" {
		if p := st.Permissions[name]; p != nil {
			return p, nil
		}
		return nil, notFound("permission", name)
	}
	if id == "" {
		return nil, missingField("name")
	}
	if p := st.permissionByID(id); p != nil {
		return p, nil
	}
	return nil, notFound("permission", id)
}

// updatePermission overwrites a permission; a rename follows into the roles
// that grant it.
func (st *store) updatePermission(req permissionRequest) error {
	p, err := st.findPermission(req.ID, req.Name)
	if err != nil {
		return err
	}
	if strings.TrimSpace(req.NewName) == "" {
		return missingField("newName")
	}
	if other := st.Permissions[req.NewName]; other != nil && other != p {
		return conflict("permission %q already exists", req.NewName)
	}
	if req.NewName != p.Name {
		st.renameGrant(p.Name, req.NewName)
		delete(st.Permissions, p.Name)
		p.Name = req.NewName
		st.Permissions[p.Name] = p
	}
	p.Description = req.Description
	return nil
}

// deletePermission deletes a permission and takes it out of every role.
func (st *store) deletePermission(p *permission) {
	st.renameGrant(p.Name, "")
	delete(st.Permissions, p.Name)
}

// renameGrant renames a permission in every role that grants it, or with
// newName "" takes it out.
func (st *store) renameGrant(name, newName string) {
	for _, r := range st.Roles {
		r.PermissionNames = renameIn(r.PermissionNames, name, newName)
	}
}

// createPermissionOp is what permission/create and its batch do to one
// permission.
func (e *Emulator) createPermissionOp(st *store, req permissionRequest) error {
	return st.createPermission(req, e.ids)
}

func (e *Emulator) permissionCreate(c *call) (any, error) {
	return e.writePermission(c, e.createPermissionOp)
}

func (e *Emulator) permissionUpdate(c *call) (any, error) {
	return e.writePermission(c, (*store).updatePermission)
}

func (e *Emulator) permissionCreateBatch(c *call) (any, error) {
	return e.writePermissions(c, e.createPermissionOp)
}

func (e *Emulator) permissionUpdateBatch(c *call) (any, error) {
	return e.writePermissions(c, (*store).updatePermission)
}

// writePermission applies op to the permission of the body.
func (e *Emulator) writePermission(c *call, op func(*store, permissionRequest) error) (any, error) {
	var req permissionRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	return empty{}, op(e.st, req)
}

// writePermissions applies op to each permission of a batch body
// {"permissions":[...]}, all or nothing.
func (e *Emulator) writePermissions(c *call, op func(*store, permissionRequest) error) (any, error) {
	var req struct {
		Permissions []permissionRequest `json:"permissions"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	_, err := applyBatch(e, "permissions", req.Permissions, func(st *store, p permissionRequest) (struct{}, error) {
		return struct{}{}, op(st, p)
	})
	return empty{}, err
}

func (e *Emulator) permissionDelete(c *call) (any, error) {
	var req permissionRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	p, err := e.st.findPermission(req.ID, req.Name)
	if err != nil {
		return nil, err
	}
	e.st.deletePermission(p)
	return empty{}, nil
}

// view renders p for the wire (docs/descope-api.md section 4.6).
func (p *permission) view() permissionJSON {
	return permissionJSON{ID: p.ID, Name: p.Name, Description: p.Description, SystemDefault: p.SystemDefault}
}

func (e *Emulator) permissionAll(*call) (any, error) {
	list := newestFirst(slices.Collect(maps.Values(e.st.Permissions)), func(p *permission) uint64 { return p.Seq })
	out := make([]permissionJSON, len(list))
	for i, p := range list {
		out[i] = p.view()
	}
	return struct {
		Permissions []permissionJSON `json:"permissions"`
	}{out}, nil
}

// permissionDeleteBatch deletes the named permissions. Unlike the role
// batch, it refuses an empty filter (400 E011002).
func (e *Emulator) permissionDeleteBatch(c *call) (any, error) {
	var req struct {
		Names []string `json:"names"`
		IDs   []string `json:"ids"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.Names) == 0 && len(req.IDs) == 0 {
		return nil, missingField("names")
	}
	return empty{}, e.batch(func(st *store) error {
		for i, name := range req.Names {
			p, err := st.findPermission("", name)
			if err != nil {
				return at(err, "names[%d]", i)
			}
			st.deletePermission(p)
		}
		for i, id := range req.IDs {
			p, err := st.findPermission(id, "")
			if err != nil {
				return at(err, "ids[%d]", i)
			}
			st.deletePermission(p)
		}
		return nil
	})
}
