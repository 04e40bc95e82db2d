package emulator

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// as returns a client of the same emulator that names project id.
func (c *tclient) as(id string) *tclient {
	return &tclient{t: c.t, e: c.e, http: c.http, base: c.base, project: id}
}

// Clone, delete and list act on the emulator's projects, with the bodies
// the Go SDK sends (no body for delete and list).
func TestProjectCloneDeleteList(t *testing.T) {
	e, c := newTest(t)
	c.post("/v1/mgmt/permission/create", map[string]any{"name": "edit"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor", "permissionNames": []string{"edit"}})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Local", "tenantId": "T2a"})

	cloned := c.post("/v1/mgmt/project/clone", `{"name":"Staging","environment":"","tags":["qa"]}`)
	id, _ := cloned["projectId"].(string)
	if !strings.HasPrefix(id, "P") || len(id) != 28 || cloned["projectName"] != "Staging" || !reflect.DeepEqual(cloned["tags"], []any{"qa"}) {
		t.Fatalf("clone answered %v", cloned)
	}
	list := func(c *tclient) []string { return names(t, c.post("/v1/mgmt/projects/list", nil)["projects"], "id") }
	if got := list(c); !slices.Equal(got, []string{id, e.ProjectID()}) {
		t.Errorf("projects/list = %v, want the clone then the project", got)
	}
	// A company-level key: the key alone, no project id.
	company := http.Header{"Authorization": {"Bearer " + e.ManagementKey()}, "X-Descope-Project-Id": {""}, "Content-Type": {"application/json"}}
	r, err := c.request(http.MethodPost, "/v1/mgmt/projects/list", nil, company)
	if err != nil || r.status != http.StatusOK || len(r.json(t)["projects"].([]any)) != 2 {
		t.Errorf("projects/list with the company key: %v %d %s", err, r.status, r.body)
	}
	r, _ = c.request(http.MethodGet, "/v1/mgmt/tenant/all", nil, company)
	wantError(t, r, http.StatusUnauthorized, CodeValidation, "no management key")

	// The clone has the configuration, not the tenants (nor their roles).
	s := c.as(id)
	if got := names(t, s.get("/v1/mgmt/role/all")["roles"], "name"); !slices.Equal(got, []string{"Editor", "Tenant Admin"}) {
		t.Errorf("the clone's roles = %v, want the project roles", got)
	}
	if n := len(s.get("/v1/mgmt/tenant/all")["tenants"].([]any)); n != 0 {
		t.Errorf("the clone has %d tenants, want none", n)
	}
	s.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2b", "name": "B"})
	if n := len(c.get("/v1/mgmt/tenant/all")["tenants"].([]any)); n != 1 {
		t.Errorf("a write to the clone reached the project: %d tenants", n)
	}
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/project/clone", `{"name":"X","environment":"dev"}`), http.StatusBadRequest, CodeInvalidArguments, "environment")

	s.post("/v1/mgmt/project/delete", nil)
	wantError(t, s.do(http.MethodGet, "/v1/mgmt/tenant/all", nil), http.StatusNotFound, "E011008", "not found")
	if got := list(c); !slices.Equal(got, []string{e.ProjectID()}) {
		t.Errorf("projects/list after the delete = %v", got)
	}
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/project/delete", nil), http.StatusBadRequest, "E073008", "Cannot delete last project")
}

// A snapshot exported from one project and imported into another gives
// it the same configuration; the import replaces every kind it has files
// for and leaves tenants alone.
func TestSnapshotExportImport(t *testing.T) {
	_, src := newTest(t)
	src.post("/v1/mgmt/project/update/name", map[string]any{"name": "Source"})
	src.post("/v1/mgmt/project/update/tags", map[string]any{"tags": []string{"prod"}})
	src.post("/v1/mgmt/permission/create", map[string]any{"name": "edit", "description": "Edit"})
	src.post("/v1/mgmt/role/create", map[string]any{"name": "Editor", "permissionNames": []string{"edit"}, "default": true})
	src.post("/v2/mgmt/flow/import", map[string]any{"flow": map[string]any{"flowId": "onboard", "metadata": map[string]any{"name": "Onboard"},
		"contents": map[string]any{"startTask": "1"}, "screens": []any{map[string]any{"screenId": "s1", "contents": map[string]any{"x": 1}}}}})
	src.post("/v2/mgmt/theme/import", map[string]any{"theme": map[string]any{"styles": map[string]any{"light": map[string]any{"primary": "#111"}}}})
	src.post("/v1/mgmt/tenant/attribute", map[string]any{"name": "plan", "displayName": "Plan", "type": "singleselect", "options": []string{"gold"}})
	files := src.post("/v1/mgmt/project/snapshot/export", map[string]any{})["files"]

	dstEmu, dst := newTest(t)
	dst.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2keep", "name": "Keep"})
	dst.post("/v2/mgmt/flow/import", map[string]any{"flow": map[string]any{"flowId": "stale", "contents": map[string]any{}}})
	if v := dst.post("/v1/mgmt/project/snapshot/validate", map[string]any{"files": files}); v["ok"] != true || len(v["failures"].([]any)) != 0 {
		t.Fatalf("validate of an exported snapshot: %v", v)
	}
	// The Go SDK's ImportSnapshotRequest: files, inputSecrets left out.
	dst.post("/v1/mgmt/project/snapshot/import", map[string]any{"files": files})

	config := func(s *descope.State) string {
		s.Project.ID, s.Tenants = "", nil
		for _, f := range s.Flows { // volatile on every import
			delete(f.Document["metadata"].(map[string]any), "fingerprint")
			delete(f.Document["metadata"].(map[string]any), "version")
		}
		b, _ := s.CanonicalJSON()
		return string(b)
	}
	if got, want := config(dstEmu.State()), config(src.e.State()); got != want {
		t.Errorf("imported configuration differs:\n got %s\nwant %s", got, want)
	}
	if dstEmu.State().Tenant("T2keep") == nil {
		t.Error("the import deleted a tenant")
	}
	if got := dst.get("/v1/mgmt/tenant/attribute?name=plan"); got["type"] != "singleselect" {
		t.Errorf("imported tenant attribute definition: %v", got)
	}
}

// Validate reports every failure an import would stop at; import refuses
// the snapshot and changes nothing.
func TestSnapshotValidate(t *testing.T) {
	e, c := newTest(t)
	before, _ := e.State().CanonicalJSON()
	files := map[string]any{
		"flows/f/metadata.json":          map[string]any{"name": "F", "screens": []any{"s1"}},
		"flows/f/contents.json":          map[string]any{},
		"flows/g/metadata.json":          map[string]any{"name": "G"},
		"styles/theme.json":              map[string]any{"componentsVersion": "1"},
		"authorization/roles.json":       map[string]any{"roles": []any{map[string]any{"name": "R", "permissionNames": []any{"nope"}}}},
		"authorization/permissions.json": map[string]any{"permissions": []any{}},
		"connectors/http.json":           map[string]any{"ignored": true},
	}
	v := c.post("/v1/mgmt/project/snapshot/validate", map[string]any{"files": files, "inputSecrets": map[string]any{"connectors": []any{}}})
	var failures []string
	for _, f := range v["failures"].([]any) {
		failures = append(failures, f.(string))
	}
	want := []string{"project.json is missing", "styles/theme.json: The styles field is required", "flows/f/screen-s1.json is missing (flows/f/metadata.json lists the screen)", "flows/g/contents.json is missing"}
	if v["ok"] != false || !slices.Equal(failures, want) {
		t.Errorf("validate failures:\n got %q\nwant %q", failures, want)
	}
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/project/snapshot/import", map[string]any{"files": files}), http.StatusBadRequest, CodeInvalidArguments, "project.json is missing")

	// Once the files are whole, the role's permission is what is missing.
	files["project.json"] = map[string]any{"name": "P"}
	files["styles/theme.json"] = map[string]any{"styles": map[string]any{}}
	files["flows/f/screen-s1.json"] = map[string]any{"screenId": "s1"}
	files["flows/g/contents.json"] = map[string]any{}
	v = c.post("/v1/mgmt/project/snapshot/validate", map[string]any{"files": files})
	if got := v["failures"].([]any); v["ok"] != false || len(got) != 1 || !strings.Contains(got[0].(string), `permission "nope" does not exist`) {
		t.Errorf("validate failures = %v, want the role's unknown permission", got)
	}
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/project/snapshot/import", map[string]any{"files": files}), http.StatusBadRequest, CodeInvalidArguments, "nope")
	if after, _ := e.State().CanonicalJSON(); string(after) != string(before) {
		t.Error("a refused import changed the project")
	}
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/project/snapshot/import", map[string]any{}), http.StatusBadRequest, CodeMissingArguments, "files")
}

// Management flows run (synchronously or not) with the bodies the Go SDK
// and the Python SDK send; the emulator checks the flow and answers an
// empty output.
func TestManagementFlowRun(t *testing.T) {
	_, c := newTest(t)
	c.post("/v2/mgmt/flow/import", map[string]any{"flow": map[string]any{"flowId": "sync-crm", "metadata": map[string]any{"management": true}, "contents": map[string]any{}}})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})

	out := c.post("/v1/mgmt/flow/run", `{"flowId":"sync-crm","options":{"input":{"k":"v"},"tenant":"T2a"}}`)
	if !reflect.DeepEqual(out, map[string]any{"output": map[string]any{}}) {
		t.Errorf("run answered %v", out)
	}
	c.post("/v1/mgmt/flow/run", `{"flowId":"sync-crm","options":null}`)                   // Go, nil options
	c.post("/v1/mgmt/flow/run", `{"flowId":"sync-crm","input":{"k":"v"},"preview":true}`) // Python
	started := c.post("/v1/mgmt/flow/async/run", `{"flowId":"sync-crm","options":{"input":{}}}`)
	id, _ := started["executionId"].(string)
	if id == "" {
		t.Fatalf("async/run answered %v", started)
	}
	if got := c.post("/v1/mgmt/flow/async/result", map[string]any{"executionId": id}); !reflect.DeepEqual(got, map[string]any{"output": map[string]any{}}) {
		t.Errorf("async/result answered %v", got)
	}
	for _, tt := range []struct {
		path, body string
		status     int
		message    string
	}{
		{"/v1/mgmt/flow/run", `{"flowId":"nope"}`, 400, "Failed getting flow"},
		{"/v1/mgmt/flow/run", `{"flowId":"sign-in"}`, 400, "not a management flow"},
		{"/v1/mgmt/flow/run", `{"flowId":"sync-crm","options":{"tenant":"T2nope"}}`, 400, "T2nope"},
		{"/v1/mgmt/flow/async/run", `{}`, 400, "flowId field is required"},
		{"/v1/mgmt/flow/async/result", `{"executionId":"nope"}`, 404, "not found"},
	} {
		r := c.do(http.MethodPost, tt.path, tt.body)
		if r.status != tt.status || !strings.Contains(string(r.body), tt.message) {
			t.Errorf("%s %s: %d %s, want %d with %q", tt.path, tt.body, r.status, r.body, tt.status, tt.message)
		}
	}
}

// SSO admin links are generated and revoked for a tenant that exists.
func TestSSOAdminLinks(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	link := c.post("/v2/mgmt/tenant/adminlinks/sso/generate", `{"actorId":"","email":"","expireTime":3600,"ssoId":"","templateId":"","tenantId":"T2a"}`)
	if l, _ := link["adminSSOConfigurationLink"].(string); !strings.HasPrefix(l, adminLinkBase+"T2a?") {
		t.Errorf("generate answered %v", link)
	}
	c.post("/v1/mgmt/tenant/adminlinks/sso/revoke", `{"ssoId":"","tenantId":"T2a"}`)
	wantError(t, c.do(http.MethodPost, "/v2/mgmt/tenant/adminlinks/sso/generate", `{"tenantId":"T2nope","expireTime":60}`), http.StatusNotFound, CodeInvalidArguments, "T2nope")
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/adminlinks/sso/revoke", `{"tenantId":""}`), http.StatusBadRequest, CodeMissingArguments, "tenantId")
}
