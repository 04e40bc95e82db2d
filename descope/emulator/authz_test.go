package emulator

import (
	"bytes"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestRoleCreateUpdateDelete(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/permission/create", map[string]any{"name": "edit", "description": "Edit things"})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	created := c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor", "description": "can edit", "permissionNames": []string{"edit"}})
	if id, _ := created["id"].(string); !strings.HasPrefix(id, "ROL") || created["name"] != "Editor" {
		t.Errorf("create answered %v: want the role, with a ROL id", created)
	}
	// The same name in another scope is another role.
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor", "tenantId": "T2a"})
	// Update by name: a full overwrite.
	c.post("/v1/mgmt/role/update", map[string]any{"name": "Editor", "newName": "Writer", "default": true})
	// Update by id.
	c.post("/v1/mgmt/role/update", map[string]any{"id": created["id"], "newName": "Author", "description": "writes", "permissionNames": []string{"edit"}})
	got := c.post("/v1/mgmt/role/search", map[string]any{"roleIds": []any{created["id"]}})["roles"].([]any)[0].(map[string]any)
	if got["name"] != "Author" || got["description"] != "writes" || got["default"] != false || len(got["permissionNames"].([]any)) != 1 {
		t.Errorf("role after updates = %v", got)
	}
	c.post("/v1/mgmt/role/delete", map[string]any{"name": "Author", "tenantId": ""})
	c.post("/v1/mgmt/role/delete", map[string]any{"name": "Editor", "tenantId": "T2a"})
	if got := names(t, c.get("/v1/mgmt/role/all")["roles"], "name"); !slices.Equal(got, []string{"Tenant Admin"}) {
		t.Errorf("roles after deletes = %v", got)
	}
}

func TestRoleSearch(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/permission/create", map[string]any{"name": "edit"})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor", "permissionNames": []string{"edit"}, "description": "Edits pages"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Viewer", "tenantId": "T2a"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Auditor", "tenantId": "T2a"})
	tests := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"all", map[string]any{}, []string{"Auditor", "Viewer", "Editor", "Tenant Admin"}},
		{"tenant", map[string]any{"tenantIds": []string{"T2a"}}, []string{"Auditor", "Viewer"}},
		{"tenant and project", map[string]any{"tenantIds": []string{"T2a"}, "includeProjectRoles": true}, []string{"Auditor", "Viewer", "Editor", "Tenant Admin"}},
		{"names", map[string]any{"roleNames": []string{"Viewer", "Editor"}}, []string{"Viewer", "Editor"}},
		{"like", map[string]any{"roleNameLike": "IT"}, []string{"Auditor", "Editor"}},
		{"permission", map[string]any{"permissionNames": []string{"edit"}}, []string{"Editor"}},
		{"text", map[string]any{"text": "pages"}, []string{"Editor"}},
		{"sort by name", map[string]any{"sort": []any{map[string]any{"field": "name"}}}, []string{"Auditor", "Editor", "Tenant Admin", "Viewer"}},
		{"sort by name desc", map[string]any{"sort": []any{map[string]any{"field": "name", "desc": true}}}, []string{"Viewer", "Tenant Admin", "Editor", "Auditor"}},
	}
	for _, tt := range tests {
		if got := names(t, c.post("/v1/mgmt/role/search", tt.filter)["roles"], "name"); !slices.Equal(got, tt.want) {
			t.Errorf("%s: search = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRoleBatchesAreAtomic(t *testing.T) {
	_, c := newTest(t)
	r := c.do(http.MethodPost, "/v1/mgmt/role/create/batch", map[string]any{"roles": []any{
		map[string]any{"name": "A"}, map[string]any{"name": "B", "permissionNames": []string{"nope"}},
	}})
	wantError(t, r, http.StatusBadRequest, CodeInvalidArguments, "roles[1]: permission")
	if got := names(t, c.get("/v1/mgmt/role/all")["roles"], "name"); !slices.Equal(got, []string{"Tenant Admin"}) {
		t.Errorf("a failed batch left roles: %v", got)
	}
	created := c.post("/v1/mgmt/role/create/batch", map[string]any{"roles": []any{map[string]any{"name": "A"}, map[string]any{"name": "B"}}})
	if got := names(t, created["roles"], "name"); !slices.Equal(got, []string{"B", "A"}) {
		t.Errorf("create batch answered %v", got)
	}
	r = c.do(http.MethodPost, "/v1/mgmt/role/create/batch", map[string]any{"roles": []any{map[string]any{"name": "C"}, map[string]any{"name": "C"}}})
	wantError(t, r, http.StatusConflict, CodeValidation, "roles[1]")
	// A failed update batch undoes its renames, in default roles too.
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "T"})
	c.post("/v1/mgmt/tenant/updateDefaultRoles", map[string]any{"id": "T2a", "defaultRoles": []string{"A"}})
	r = c.do(http.MethodPost, "/v1/mgmt/role/update/batch", map[string]any{"roles": []any{
		map[string]any{"name": "A", "newName": "A2"}, map[string]any{"name": "nope", "newName": "x"},
	}})
	wantError(t, r, http.StatusNotFound, CodeInvalidArguments, "roles[1]")
	if got := names(t, wrapIDs(c.get("/v1/mgmt/tenant?id=T2a")["defaultRoles"]), "id"); !slices.Equal(got, []string{"A"}) {
		t.Errorf("default roles after a failed batch = %v, want [A]", got)
	}
	updated := c.post("/v1/mgmt/role/update/batch", map[string]any{"roles": []any{
		map[string]any{"name": "A", "newName": "A2"}, map[string]any{"name": "B", "newName": "B2"},
	}})
	if got := names(t, updated["roles"], "name"); !slices.Equal(got, []string{"B2", "A2"}) {
		t.Errorf("update batch answered %v", got)
	}
	r = c.do(http.MethodPost, "/v1/mgmt/role/delete/batch", map[string]any{"roleNames": []string{"A2", "nope"}})
	wantError(t, r, http.StatusNotFound, CodeInvalidArguments, "roleNames[1]")
	c.post("/v1/mgmt/role/delete/batch", map[string]any{"roleNames": []string{"A2"}, "tenantId": ""})
	if got := names(t, c.get("/v1/mgmt/role/all")["roles"], "name"); !slices.Equal(got, []string{"B2", "Tenant Admin"}) {
		t.Errorf("roles after batch delete = %v", got)
	}
}

func TestRoleBatchDeleteWithoutFilterDeletesEveryRole(t *testing.T) {
	var log bytes.Buffer
	_, c := newTest(t, WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Viewer", "tenantId": "T2a"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor"})
	c.post("/v1/mgmt/role/delete/batch", map[string]any{"roleNames": nil, "tenantId": "", "roleIds": []string{}})
	if got := c.get("/v1/mgmt/role/all")["roles"].([]any); len(got) != 0 {
		t.Errorf("roles left: %v", got)
	}
	if !strings.Contains(log.String(), "deletes every role") {
		t.Errorf("no warning logged: %q", log.String())
	}
}

func TestPermissionRenameAndDeleteFollowIntoRoles(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/permission/create/batch", map[string]any{"permissions": []any{
		map[string]any{"name": "read"}, map[string]any{"name": "write", "description": "w"},
	}})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor", "permissionNames": []string{"read", "write", "User Admin"}})
	c.post("/v1/mgmt/permission/update", map[string]any{"name": "read", "newName": "view", "description": "v"})
	c.post("/v1/mgmt/permission/delete", map[string]any{"name": "write"})
	role := c.post("/v1/mgmt/role/search", map[string]any{"roleNames": []string{"Editor"}})["roles"].([]any)[0].(map[string]any)
	if got := names(t, wrapIDs(role["permissionNames"]), "id"); !slices.Equal(got, []string{"view", "User Admin"}) {
		t.Errorf("role permissions = %v, want [view User Admin]", got)
	}
	perms := c.get("/v1/mgmt/permission/all")["permissions"].([]any)
	if p := perms[0].(map[string]any); p["name"] != "view" || p["description"] != "v" || p["systemDefault"] != false {
		t.Errorf("renamed permission = %v", p)
	}
	c.post("/v1/mgmt/permission/update/batch", map[string]any{"permissions": []any{map[string]any{"name": "view", "newName": "see"}}})
	r := c.do(http.MethodPost, "/v1/mgmt/permission/delete/batch", map[string]any{"names": []string{"see", "nope"}})
	wantError(t, r, http.StatusNotFound, CodeInvalidArguments, "names[1]")
	c.post("/v1/mgmt/permission/delete/batch", map[string]any{"names": []string{"see"}})
	if got := len(c.get("/v1/mgmt/permission/all")["permissions"].([]any)); got != 3 {
		t.Errorf("%d permissions left, want the 3 preconfigured", got)
	}
}

func TestProjectNameTagsAndSnapshot(t *testing.T) {
	e, c := newTest(t)
	c.post("/v1/mgmt/project/update/name", map[string]any{"name": "Staging"})
	c.post("/v1/mgmt/project/update/tags", map[string]any{"tags": []string{"eu", "staging"}})
	for _, body := range []any{`{}`, `{"format":"plain"}`} {
		files := c.post("/v1/mgmt/project/snapshot/export", body)["files"].(map[string]any)
		project := files["project.json"].(map[string]any)
		if project["name"] != "Staging" || len(project["tags"].([]any)) != 2 {
			t.Errorf("project.json = %v", project)
		}
	}
	if p := e.State().Project; *p.Name != "Staging" || !slices.Equal(*p.Tags, []string{"eu", "staging"}) || p.ID != e.ProjectID() {
		t.Errorf("State().Project = %+v", p)
	}
}
