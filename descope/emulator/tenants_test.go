package emulator

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestTenantCreateAndLoadFlat(t *testing.T) {
	clock := newFakeClock()
	_, c := newTest(t, WithClock(clock.Now))
	c.define("tier", "seats", "beta", "regions")
	id := c.post("/v1/mgmt/tenant/create", map[string]any{
		"name": "Acme", "selfProvisioningDomains": []string{"acme.com"},
		"customAttributes": map[string]any{"tier": "gold", "seats": 10, "beta": true, "regions": []any{"eu", "us"}},
	})["id"].(string)
	if len(id) != 28 || id[:2] != "T2" {
		t.Errorf("generated id %q: want T2 + 26 characters", id)
	}
	got := c.get("/v1/mgmt/tenant?id=" + id)
	if _, wrapped := got["tenant"]; wrapped {
		t.Fatalf("load wraps the tenant in \"tenant\"; the wire form is flat: %v", got)
	}
	if got["id"] != id || got["name"] != "Acme" {
		t.Errorf("load = %v", got)
	}
	if got, want := got["createdTime"], float64(clock.Now().Unix()); got != want {
		t.Errorf("createdTime = %v, want %v (Unix seconds)", got, want)
	}
	attrs := got["customAttributes"].(map[string]any)
	if attrs["tier"] != "gold" || attrs["seats"] != float64(10) || attrs["beta"] != true || len(attrs["regions"].([]any)) != 2 {
		t.Errorf("customAttributes = %v", attrs)
	}
}

func TestCreatedTimeIsSecondsInInt32Range(t *testing.T) {
	_, c := newTest(t)
	id := c.post("/v1/mgmt/tenant/create", map[string]any{"name": "Acme"})["id"].(string)
	ct := c.get("/v1/mgmt/tenant?id=" + id)["createdTime"].(float64)
	if ct > math.MaxInt32 || ct < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("createdTime = %v: want Unix seconds that fit an int32", ct)
	}
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor"})
	for _, r := range c.get("/v1/mgmt/role/all")["roles"].([]any) {
		if ct := r.(map[string]any)["createdTime"].(float64); ct > math.MaxInt32 {
			t.Errorf("role createdTime = %v does not fit an int32", ct)
		}
	}
}

func TestEmptyFieldsAreEmitted(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2acme", "name": "Acme"})
	r := c.do(http.MethodGet, "/v1/mgmt/tenant?id=T2acme", nil)
	for _, want := range []string{
		`"parent":""`, `"successors":[]`, `"selfProvisioningDomains":[]`, `"customAttributes":{}`,
		`"domains":[]`, `"enforceSSOExclusions":[]`, `"defaultRoles":[]`, `"roleInheritance":""`, `"disabled":false`,
	} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("load lacks %s: %s", want, r.body)
		}
	}
}

func TestTenantCreateWithID(t *testing.T) {
	_, c := newTest(t)
	if got := c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2mine", "name": "Mine"})["id"]; got != "T2mine" {
		t.Errorf("create with id answered id %v", got)
	}
}

func TestTenantUpdateIsFullOverwriteWithoutParent(t *testing.T) {
	_, c := newTest(t)
	c.define("a", "b")
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2p", "name": "Parent"})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2other", "name": "Other"})
	c.post("/v1/mgmt/tenant/create", map[string]any{
		"id": "T2c", "name": "Child", "parent": "T2p", "selfProvisioningDomains": []string{"c.com"},
		"customAttributes": map[string]any{"a": "b"}, "enforceSSO": true, "roleInheritance": "userOnly",
	})
	c.post("/v1/mgmt/tenant/update", map[string]any{"id": "T2c", "name": "Child 2", "parent": "T2other", "disabled": true})
	got := c.get("/v1/mgmt/tenant?id=T2c")
	if got["name"] != "Child 2" || got["disabled"] != true {
		t.Errorf("update not applied: %v", got)
	}
	if got["parent"] != "T2p" {
		t.Errorf("parent = %v: update must not change the parent", got["parent"])
	}
	if len(got["selfProvisioningDomains"].([]any)) != 0 || len(got["customAttributes"].(map[string]any)) != 0 ||
		got["enforceSSO"] != false || got["roleInheritance"] != "" {
		t.Errorf("fields left out of an update must be cleared: %v", got)
	}
}

func TestTenantDeleteRefusedWhileSubTenantsExist(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2p", "name": "Parent"})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2c1", "name": "Child 1", "parent": "T2p"})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2c2", "name": "Child 2", "parent": "T2p"})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2g", "name": "Grandchild", "parent": "T2c1"})
	if got := c.get("/v1/mgmt/tenant?id=T2p")["successors"]; !slices.Equal(names(t, wrapIDs(got), "id"), []string{"T2c2", "T2c1"}) {
		t.Errorf("successors = %v, want the direct children, newest first", got)
	}
	for _, cascade := range []bool{false, true} {
		r := c.do(http.MethodPost, "/v1/mgmt/tenant/delete", map[string]any{"id": "T2p", "cascade": cascade})
		wantError(t, r, http.StatusBadRequest, CodeInvalidArguments, "sub-tenants")
	}
	for _, id := range []string{"T2g", "T2c1", "T2c2", "T2p"} {
		c.post("/v1/mgmt/tenant/delete", map[string]any{"id": id, "cascade": false})
	}
	if n := len(c.get("/v1/mgmt/tenant/all")["tenants"].([]any)); n != 0 {
		t.Errorf("%d tenants left", n)
	}
}

// wrapIDs turns a list of ids into a list of {"id":...} objects, for names.
func wrapIDs(list any) any {
	var out []any
	for _, id := range list.([]any) {
		out = append(out, map[string]any{"id": id})
	}
	return out
}

func TestTenantDeleteTakesItsRoles(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Local", "tenantId": "T2a"})
	c.post("/v1/mgmt/tenant/delete", map[string]any{"id": "T2a"})
	if got := names(t, c.get("/v1/mgmt/role/all")["roles"], "name"); slices.Contains(got, "Local") {
		t.Errorf("roles after deleting their tenant: %v", got)
	}
}

func TestListsAreInReverseCreationOrder(t *testing.T) {
	_, c := newTest(t)
	for _, id := range []string{"T2b", "T2a", "T2c"} {
		c.post("/v1/mgmt/tenant/create", map[string]any{"id": id, "name": id})
		c.post("/v1/mgmt/permission/create", map[string]any{"name": "p-" + id})
		c.post("/v1/mgmt/role/create", map[string]any{"name": "r-" + id})
		c.post("/v2/mgmt/flow/import", map[string]any{"flow": map[string]any{"flowId": "f-" + id, "contents": map[string]any{}}})
	}
	tests := []struct {
		name string
		list any
		key  string
		want []string
	}{
		{"tenant/all", c.get("/v1/mgmt/tenant/all")["tenants"], "id", []string{"T2c", "T2a", "T2b"}},
		{"tenant/search", c.post("/v1/mgmt/tenant/search", map[string]any{})["tenants"], "id", []string{"T2c", "T2a", "T2b"}},
		{"role/all", c.get("/v1/mgmt/role/all")["roles"], "name", []string{"r-T2c", "r-T2a", "r-T2b", "Tenant Admin"}},
		{"role/search", c.post("/v1/mgmt/role/search", map[string]any{})["roles"], "name", []string{"r-T2c", "r-T2a", "r-T2b", "Tenant Admin"}},
		{"permission/all", c.get("/v1/mgmt/permission/all")["permissions"], "name",
			[]string{"p-T2c", "p-T2a", "p-T2b", "User Admin", "SSO Admin", "Impersonate"}},
		{"flow/list", c.post("/v1/mgmt/flow/list", nil)["flows"], "id",
			[]string{"f-T2c", "f-T2a", "f-T2b", "step-up", "sign-in", "sign-up", "sign-up-or-in"}},
	}
	for _, tt := range tests {
		if got := names(t, tt.list, tt.key); !slices.Equal(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTenantSearch(t *testing.T) {
	_, c := newTest(t)
	c.define("tier", "seats")
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A", "selfProvisioningDomains": []string{"a.com"},
		"customAttributes": map[string]any{"tier": "gold", "seats": 5}})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2b", "name": "B", "parent": "T2a",
		"customAttributes": map[string]any{"tier": "silver"}})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2c", "name": "C", "authType": "saml"})
	c.post("/v1/mgmt/tenant/settings", map[string]any{"tenantId": "T2c", "domains": []string{"sso.c.com"}, "authType": "saml"})
	tests := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"none", map[string]any{}, []string{"T2c", "T2b", "T2a"}},
		{"nulls", map[string]any{"tenantIds": nil, "tenantNames": nil, "customAttributes": nil, "authType": ""}, []string{"T2c", "T2b", "T2a"}},
		{"ids", map[string]any{"tenantIds": []string{"T2a", "T2c", "T2zz"}}, []string{"T2c", "T2a"}},
		{"names", map[string]any{"tenantNames": []string{"B"}}, []string{"T2b"}},
		{"domains ignore case", map[string]any{"tenantSelfProvisioningDomains": []string{"A.COM"}}, []string{"T2a"}},
		{"sso domains", map[string]any{"tenantSSODomains": []string{"sso.c.com"}}, []string{"T2c"}},
		{"auth type", map[string]any{"authType": "saml"}, []string{"T2c"}},
		{"attribute", map[string]any{"customAttributes": map[string]any{"tier": "gold"}}, []string{"T2a"}},
		{"attribute number", map[string]any{"customAttributes": map[string]any{"seats": 5}}, []string{"T2a"}},
		{"attribute any of", map[string]any{"customAttributes": map[string]any{"tier": []string{"gold", "silver"}}}, []string{"T2b", "T2a"}},
		{"parent", map[string]any{"parentTenantId": "T2a"}, []string{"T2b"}},
		{"top level", map[string]any{"topLevelOnly": true}, []string{"T2c", "T2a"}},
		{"and", map[string]any{"topLevelOnly": true, "tenantNames": []string{"B", "C"}}, []string{"T2c"}},
		{"nothing", map[string]any{"tenantNames": []string{"Z"}}, []string{}},
	}
	for _, tt := range tests {
		got := names(t, c.post("/v1/mgmt/tenant/search", tt.filter)["tenants"], "id")
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: search = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTenantSettings(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A", "selfProvisioningDomains": []string{"a.com"}, "enforceSSO": true})
	got := c.get("/v1/mgmt/tenant/settings?id=T2a")
	for _, k := range []string{"selfProvisioningDomains", "domains", "authType", "enabled", "refreshTokenExpiration",
		"refreshTokenExpirationUnit", "sessionTokenExpiration", "sessionTokenExpirationUnit", "stepupTokenExpiration",
		"stepupTokenExpirationUnit", "enableInactivity", "inactivityTime", "inactivityTimeUnit", "JITDisabled"} {
		if _, ok := got[k]; !ok {
			t.Errorf("settings lack %s: %v", k, got)
		}
	}
	// Overwrite: every field is replaced, self-provisioning domains included.
	c.post("/v1/mgmt/tenant/settings", map[string]any{
		"tenantId": "T2a", "domains": []string{"sso.a.com"}, "authType": "oidc", "enabled": true,
		"sessionTokenExpiration": 30, "sessionTokenExpirationUnit": "minutes", "JITDisabled": true,
	})
	got = c.get("/v1/mgmt/tenant/settings?id=T2a")
	if got["authType"] != "oidc" || got["enabled"] != true || got["sessionTokenExpiration"] != float64(30) ||
		got["JITDisabled"] != true || got["refreshTokenExpiration"] != float64(0) || len(got["selfProvisioningDomains"].([]any)) != 0 {
		t.Errorf("settings after overwrite = %v", got)
	}
	tenant := c.get("/v1/mgmt/tenant?id=T2a")
	if tenant["authType"] != "oidc" || !slices.Equal(names(t, wrapIDs(tenant["domains"]), "id"), []string{"sso.a.com"}) {
		t.Errorf("tenant after settings = %v", tenant)
	}
	if tenant["enforceSSO"] != true {
		t.Error("settings without enforceSSO changed enforceSSO")
	}
	c.post("/v1/mgmt/tenant/settings", map[string]any{"tenantId": "T2a", "enforceSSO": false})
	if c.get("/v1/mgmt/tenant?id=T2a")["enforceSSO"] != false {
		t.Error("settings with enforceSSO false did not change it")
	}
}

func TestTenantDefaultRoles(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Viewer"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Local", "tenantId": "T2a"})
	c.post("/v1/mgmt/tenant/updateDefaultRoles", map[string]any{"id": "T2a", "defaultRoles": []string{"Viewer", "Local", "Tenant Admin"}})
	roles := func() []string { return names(t, wrapIDs(c.get("/v1/mgmt/tenant?id=T2a")["defaultRoles"]), "id") }
	if got := roles(); !slices.Equal(got, []string{"Viewer", "Local", "Tenant Admin"}) {
		t.Errorf("defaultRoles = %v", got)
	}
	c.post("/v1/mgmt/role/update", map[string]any{"name": "Viewer", "newName": "Reader"})
	c.post("/v1/mgmt/role/delete", map[string]any{"name": "Local", "tenantId": "T2a"})
	if got := roles(); !slices.Equal(got, []string{"Reader", "Tenant Admin"}) {
		t.Errorf("defaultRoles after a rename and a delete = %v", got)
	}
	r := c.do(http.MethodPost, "/v1/mgmt/tenant/updateDefaultRoles", map[string]any{"id": "T2a", "defaultRoles": []string{"Nope"}})
	wantError(t, r, http.StatusBadRequest, CodeInvalidArguments, `"Nope"`)
}

// A default role is the role its name meant when it was set: the project
// role when the name is both a project role and one of the tenant's roles.
// Writes to other roles of the same name leave it alone, in any order.
func TestTenantDefaultRolesFollowTheirRole(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2b", "name": "B"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor", "tenantId": "T2a"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Local", "tenantId": "T2b"})
	c.post("/v1/mgmt/tenant/updateDefaultRoles", map[string]any{"id": "T2a", "defaultRoles": []string{"Editor"}})
	c.post("/v1/mgmt/tenant/updateDefaultRoles", map[string]any{"id": "T2b", "defaultRoles": []string{"Editor", "Local"}})
	roles := func(id string) []string {
		return names(t, wrapIDs(c.get("/v1/mgmt/tenant?id=" + id)["defaultRoles"]), "id")
	}
	// The tenant role of the same name is not T2a's default role.
	c.post("/v1/mgmt/role/delete", map[string]any{"name": "Editor", "tenantId": "T2a"})
	if got := roles("T2a"); !slices.Equal(got, []string{"Editor"}) {
		t.Errorf("T2a after deleting its own Editor role = %v, want [Editor] (the project role)", got)
	}
	// A tenant role created later with the project role's name does not
	// take its place.
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor", "tenantId": "T2b"})
	c.post("/v1/mgmt/role/update", map[string]any{"name": "Editor", "newName": "Writer"})
	if got := roles("T2b"); !slices.Equal(got, []string{"Writer", "Local"}) {
		t.Errorf("T2b after renaming the project role = %v, want [Writer Local]", got)
	}
	c.post("/v1/mgmt/role/delete", map[string]any{"name": "Writer"})
	for id, want := range map[string][]string{"T2a": {}, "T2b": {"Local"}} {
		if got := roles(id); !slices.Equal(got, want) {
			t.Errorf("%s after deleting the project role = %v, want %v", id, got, want)
		}
	}
	// With no project role of its name, a tenant role can be a default role.
	c.post("/v1/mgmt/tenant/updateDefaultRoles", map[string]any{"id": "T2b", "defaultRoles": []string{"Editor", "Local"}})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor"})
	c.post("/v1/mgmt/role/delete", map[string]any{"name": "Editor", "tenantId": "T2b"})
	if got := roles("T2b"); !slices.Equal(got, []string{"Local"}) {
		t.Errorf("T2b after deleting its own Editor role = %v, want [Local]", got)
	}
}

// A domain belongs to one tenant, for each kind (self-provisioning, SSO),
// compared without regard to case; a tenant may have a domain as both.
func TestDomainBelongsToOneTenant(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A", "selfProvisioningDomains": []string{"a.com"}})
	c.post("/v1/mgmt/tenant/settings", map[string]any{"tenantId": "T2a", "selfProvisioningDomains": []string{"a.com"}, "domains": []string{"a.com", "sso.a.com"}})
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"id": "T2b", "name": "B", "selfProvisioningDomains": []string{"A.com"}}),
		http.StatusBadRequest, CodeInvalidArguments, `self-provisioning domain "A.com" belongs to tenant "T2a"`)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2b", "name": "B", "selfProvisioningDomains": []string{"b.com"}})
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/update", map[string]any{"id": "T2b", "name": "B", "selfProvisioningDomains": []string{"b.com", "a.com"}}),
		http.StatusBadRequest, CodeInvalidArguments, `belongs to tenant "T2a"`)
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/settings", map[string]any{"tenantId": "T2b", "domains": []string{"sso.a.com"}}),
		http.StatusBadRequest, CodeInvalidArguments, `SSO domain "sso.a.com" belongs to tenant "T2a"`)
	if got := c.get("/v1/mgmt/tenant?id=T2b"); got["name"] != "B" || fmt.Sprint(got["selfProvisioningDomains"]) != "[b.com]" {
		t.Errorf("a refused update changed the tenant: %v", got)
	}
	// Once A lets go of a domain, B may take it.
	c.post("/v1/mgmt/tenant/update", map[string]any{"id": "T2a", "name": "A"})
	c.post("/v1/mgmt/tenant/update", map[string]any{"id": "T2b", "name": "B", "selfProvisioningDomains": []string{"a.com"}})
	c.post("/v1/mgmt/tenant/delete", map[string]any{"id": "T2a"})
	c.post("/v1/mgmt/tenant/settings", map[string]any{"tenantId": "T2b", "selfProvisioningDomains": []string{"a.com"}, "domains": []string{"sso.a.com"}})
}
