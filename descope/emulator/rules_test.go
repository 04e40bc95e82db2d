package emulator

// Tests of docs/descope-api.md section 8, rule by rule, and of the exact requests
// the Go SDK sends (section 9).

import (
	"net/http"
	"testing"
)

func TestAuthFailures(t *testing.T) {
	e, c := newTest(t)
	good := "Bearer " + e.ProjectID() + ":" + e.ManagementKey()
	tests := []struct {
		name    string
		header  http.Header
		message string
	}{
		{"no headers", http.Header{}, "Authorization header is missing"},
		{"basic scheme", http.Header{"Authorization": {"Basic abc"}, "X-Descope-Project-Id": {e.ProjectID()}}, "must be"},
		{"no key", http.Header{"Authorization": {"Bearer " + e.ProjectID()}, "X-Descope-Project-Id": {e.ProjectID()}}, "no management key"},
		{"empty key", http.Header{"Authorization": {"Bearer " + e.ProjectID() + ":"}, "X-Descope-Project-Id": {e.ProjectID()}}, "no management key"},
		{"other project", http.Header{"Authorization": {"Bearer P2other:" + e.ManagementKey()}, "X-Descope-Project-Id": {e.ProjectID()}}, "another project"},
		{"wrong key", http.Header{"Authorization": {"Bearer " + e.ProjectID() + ":K2wrong"}, "X-Descope-Project-Id": {e.ProjectID()}}, "invalid management key"},
		{"no project header", http.Header{"Authorization": {good}}, "X-Descope-Project-Id header is missing"},
		{"other project header", http.Header{"Authorization": {good}, "X-Descope-Project-Id": {"P2other"}}, "another project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/v1/mgmt/tenant/all", "/v1/mgmt/license"} {
				r, err := c.request(http.MethodGet, path, nil, tt.header)
				if err != nil {
					t.Fatal(err)
				}
				wantError(t, r, http.StatusUnauthorized, CodeValidation, tt.message)
			}
		})
	}
}

func TestHeaderNamesAreCaseInsensitive(t *testing.T) {
	e, c := newTest(t)
	// Set directly, not canonicalised, as a careless client might.
	header := http.Header{
		"authorization":        {"Bearer " + e.ProjectID() + ":" + e.ManagementKey()},
		"x-descope-project-id": {e.ProjectID()},
	}
	r, err := c.request(http.MethodGet, "/v1/mgmt/license", nil, header)
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("lower-case header names: status %d, err %v: %s", r.status, err, r.body)
	}
	srv := NewServer(WithProject(e.ProjectID(), e.ManagementKey()))
	defer srv.Close()
	sc := &tclient{t: t, e: srv.Emulator, http: srv.Client(), base: srv.URL}
	if r, err := sc.request(http.MethodGet, "/v1/mgmt/license", nil, header); err != nil || r.status != http.StatusOK {
		t.Fatalf("lower-case header names over a socket: status %d, err %v: %s", r.status, err, r.body)
	}
}

func TestValidationErrors(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2dup", "name": "Dup"})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2other", "name": "Other"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Dup"})
	c.post("/v1/mgmt/permission/create", map[string]any{"name": "Dup"})
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code, message      string
	}{
		// Not JSON, or the wrong JSON type: 400 E011001.
		{"not JSON", "POST", "/v1/mgmt/tenant/create", `{"name":`, 400, CodeBadRequest, "not valid JSON"},
		{"trailing data", "POST", "/v1/mgmt/tenant/create", `{"name":"a"} x`, 400, CodeBadRequest, "not valid JSON"},
		{"array body", "POST", "/v1/mgmt/tenant/create", `[]`, 400, CodeBadRequest, "must be an object"},
		{"empty body", "POST", "/v1/mgmt/tenant/create", nil, 400, CodeBadRequest, "body is empty"},
		{"name a number", "POST", "/v1/mgmt/tenant/create", `{"name":5}`, 400, CodeBadRequest, "the name field must be a string, not number"},
		{"domains a string", "POST", "/v1/mgmt/tenant/create", `{"name":"a","selfProvisioningDomains":"a.com"}`, 400, CodeBadRequest, "selfProvisioningDomains field must be a list"},
		{"enforceSSO a string", "POST", "/v1/mgmt/tenant/update", `{"id":"T2dup","name":"a","enforceSSO":"yes"}`, 400, CodeBadRequest, "enforceSSO field must be a boolean"},
		{"attribute an object", "POST", "/v1/mgmt/tenant/create", `{"name":"a","customAttributes":{"x":{"y":1}}}`, 400, CodeBadRequest, "customAttributes.x"},
		{"flow not an object", "POST", "/v2/mgmt/flow/import", `{"flow":"x"}`, 400, CodeBadRequest, "flow field must be an object"},
		{"flow metadata a list", "POST", "/v2/mgmt/flow/import", `{"flow":{"flowId":"f","metadata":[]}}`, 400, CodeBadRequest, "metadata field must be an object"},
		{"screens not a list", "POST", "/v2/mgmt/flow/import", `{"flow":{"flowId":"f","screens":{}}}`, 400, CodeBadRequest, "screens field must be a list"},
		{"ids a string", "POST", "/v1/mgmt/flow/list", `{"ids":"sign-in"}`, 400, CodeBadRequest, "ids field must be a list"},
		{"setting a string", "POST", "/v1/mgmt/tenant/settings", `{"tenantId":"T2dup","enabled":"yes"}`, 400, CodeBadRequest, "the enabled field must be a boolean, not string"},
		{"batch role field", "POST", "/v1/mgmt/role/create/batch", `{"roles":[{"name":"x","default":1}]}`, 400, CodeBadRequest, "the roles.default field must be a boolean, not number"},

		// A required field missing or empty: 400 E011002, the live wording.
		{"tenant create no name", "POST", "/v1/mgmt/tenant/create", `{"name":""}`, 400, CodeMissingArguments, "The name field is required"},
		{"tenant create blank name", "POST", "/v1/mgmt/tenant/create", `{"name":"  "}`, 400, CodeMissingArguments, "The name field is required"},
		{"tenant update no id", "POST", "/v1/mgmt/tenant/update", `{"id":"","name":"a"}`, 400, CodeMissingArguments, "The id field is required"},
		{"tenant update no name", "POST", "/v1/mgmt/tenant/update", `{"id":"T2dup","name":""}`, 400, CodeMissingArguments, "The name field is required"},
		{"tenant delete no id", "POST", "/v1/mgmt/tenant/delete", `{"id":""}`, 400, CodeMissingArguments, "The id field is required"},
		{"tenant load no id", "GET", "/v1/mgmt/tenant", nil, 400, CodeMissingArguments, "The id field is required"},
		{"settings no id", "GET", "/v1/mgmt/tenant/settings", nil, 400, CodeMissingArguments, "The id field is required"},
		{"settings set no tenantId", "POST", "/v1/mgmt/tenant/settings", `{}`, 400, CodeMissingArguments, "The tenantId field is required"},
		{"default roles no id", "POST", "/v1/mgmt/tenant/updateDefaultRoles", `{"defaultRoles":[]}`, 400, CodeMissingArguments, "The id field is required"},
		{"flow export no id", "POST", "/v2/mgmt/flow/export", `{}`, 400, CodeMissingArguments, "The flowId field is required"},
		{"flow import no flow", "POST", "/v2/mgmt/flow/import", `{}`, 400, CodeMissingArguments, "The flow field is required"},
		{"flow import no flowId", "POST", "/v2/mgmt/flow/import", `{"flow":{}}`, 400, CodeMissingArguments, "The flowId field is required"},
		{"flow import no contents", "POST", "/v2/mgmt/flow/import", `{"flow":{"flowId":"f"}}`, 400, CodeMissingArguments, "The contents field is required"},
		{"flow import no screenId", "POST", "/v2/mgmt/flow/import", `{"flow":{"flowId":"f","screens":[{}]}}`, 400, CodeMissingArguments, "The screens[0].screenId field is required"},
		{"flow delete no ids", "POST", "/v1/mgmt/flow/delete", `{"ids":[]}`, 400, CodeMissingArguments, "The ids field is required"},
		{"theme import no theme", "POST", "/v2/mgmt/theme/import", `{}`, 400, CodeMissingArguments, "The theme field is required"},
		{"theme import no styles", "POST", "/v2/mgmt/theme/import", `{"theme":{}}`, 400, CodeMissingArguments, "The styles field is required"},
		{"role create no name", "POST", "/v1/mgmt/role/create", `{"name":""}`, 400, CodeMissingArguments, "The name field is required"},
		{"role update no name", "POST", "/v1/mgmt/role/update", `{"newName":"x"}`, 400, CodeMissingArguments, "The name field is required"},
		{"role update no newName", "POST", "/v1/mgmt/role/update", `{"name":"Dup"}`, 400, CodeMissingArguments, "The newName field is required"},
		{"role batch empty", "POST", "/v1/mgmt/role/create/batch", `{"roles":[]}`, 400, CodeMissingArguments, "The roles field is required"},
		{"permission create no name", "POST", "/v1/mgmt/permission/create", `{}`, 400, CodeMissingArguments, "The name field is required"},
		{"permission update no newName", "POST", "/v1/mgmt/permission/update", `{"name":"Dup"}`, 400, CodeMissingArguments, "The newName field is required"},
		{"permission batch delete empty", "POST", "/v1/mgmt/permission/delete/batch", `{"names":null}`, 400, CodeMissingArguments, "The names field is required"},
		{"project name empty", "POST", "/v1/mgmt/project/update/name", `{"name":""}`, 400, CodeMissingArguments, "The name field is required"},

		// A value out of range: 400 E011004.
		{"role inheritance", "POST", "/v1/mgmt/tenant/create", `{"name":"a","roleInheritance":"all"}`, 400, CodeInvalidArguments, "roleInheritance"},
		{"auth type", "POST", "/v1/mgmt/tenant/create", `{"name":"a","authType":"ldap"}`, 400, CodeInvalidArguments, "authType"},
		{"unknown parent", "POST", "/v1/mgmt/tenant/create", `{"name":"a","parent":"T2nope"}`, 400, CodeInvalidArguments, `parent tenant "T2nope" does not exist`},
		{"unknown flow export", "POST", "/v2/mgmt/flow/export", `{"flowId":"nope"}`, 400, CodeInvalidArguments, `flow "nope" does not exist`},
		{"bad flow id", "POST", "/v2/mgmt/flow/import", `{"flow":{"flowId":"a b"}}`, 400, CodeInvalidArguments, "letters, digits"},
		{"role unknown permission", "POST", "/v1/mgmt/role/create", `{"name":"R","permissionNames":["nope"]}`, 400, CodeInvalidArguments, `permission "nope" does not exist`},
		{"role update unknown permission", "POST", "/v1/mgmt/role/update", `{"name":"Dup","newName":"Dup","permissionNames":["nope"]}`, 400, CodeInvalidArguments, `permission "nope" does not exist`},
		{"role unknown tenant", "POST", "/v1/mgmt/role/create", `{"name":"R","tenantId":"T2nope"}`, 400, CodeInvalidArguments, `tenant "T2nope" does not exist`},
		{"role search sort", "POST", "/v1/mgmt/role/search", `{"sort":[{"field":"colour"}]}`, 400, CodeInvalidArguments, "cannot sort"},
		{"settings unit", "POST", "/v1/mgmt/tenant/settings", `{"tenantId":"T2dup","sessionTokenExpirationUnit":"fortnights"}`, 400, CodeInvalidArguments, "sessionTokenExpirationUnit"},
		{"settings negative", "POST", "/v1/mgmt/tenant/settings", `{"tenantId":"T2dup","inactivityTime":-1}`, 400, CodeInvalidArguments, "negative"},
		{"tag too long", "POST", "/v1/mgmt/project/update/tags", `{"tags":["0123456789012345678901234567890123456789012345678901"]}`, 400, CodeInvalidArguments, "1 to 50"},
		{"empty tag", "POST", "/v1/mgmt/project/update/tags", `{"tags":[""]}`, 400, CodeInvalidArguments, "1 to 50"},
		{"snapshot format", "POST", "/v1/mgmt/project/snapshot/export", `{"format":"zip"}`, 400, CodeInvalidArguments, "format"},

		// Not found on load, update or delete: 404 E011004.
		{"tenant load", "GET", "/v1/mgmt/tenant?id=T2nope", nil, 404, CodeInvalidArguments, `tenant "T2nope" not found`},
		{"tenant update", "POST", "/v1/mgmt/tenant/update", `{"id":"T2nope","name":"a"}`, 404, CodeInvalidArguments, "not found"},
		{"tenant delete", "POST", "/v1/mgmt/tenant/delete", `{"id":"T2nope"}`, 404, CodeInvalidArguments, "not found"},
		{"tenant settings", "GET", "/v1/mgmt/tenant/settings?id=T2nope", nil, 404, CodeInvalidArguments, "not found"},
		{"tenant settings set", "POST", "/v1/mgmt/tenant/settings", `{"tenantId":"T2nope"}`, 404, CodeInvalidArguments, "not found"},
		{"tenant default roles", "POST", "/v1/mgmt/tenant/updateDefaultRoles", `{"id":"T2nope"}`, 404, CodeInvalidArguments, "not found"},
		{"role update", "POST", "/v1/mgmt/role/update", `{"name":"Nope","newName":"x"}`, 404, CodeInvalidArguments, "not found"},
		{"role update by id", "POST", "/v1/mgmt/role/update", `{"id":"ROLnope","newName":"x"}`, 404, CodeInvalidArguments, "not found"},
		{"role delete", "POST", "/v1/mgmt/role/delete", `{"name":"Nope","tenantId":""}`, 404, CodeInvalidArguments, "not found"},
		{"role delete wrong scope", "POST", "/v1/mgmt/role/delete", `{"name":"Dup","tenantId":"T2dup"}`, 404, CodeInvalidArguments, "not found"},
		{"permission update", "POST", "/v1/mgmt/permission/update", `{"name":"Nope","newName":"x"}`, 404, CodeInvalidArguments, "not found"},
		{"permission delete", "POST", "/v1/mgmt/permission/delete", `{"name":"Nope"}`, 404, CodeInvalidArguments, "not found"},
		{"flow delete", "POST", "/v1/mgmt/flow/delete", `{"ids":["nope"]}`, 404, CodeInvalidArguments, "not found"},

		// A create whose id or name exists: 409 E011003.
		{"tenant id", "POST", "/v1/mgmt/tenant/create", `{"id":"T2dup","name":"Another"}`, 409, CodeValidation, `tenant "T2dup" already exists`},
		{"tenant name", "POST", "/v1/mgmt/tenant/create", `{"name":"Dup"}`, 409, CodeValidation, `already has the name "Dup"`},
		{"tenant rename onto a name", "POST", "/v1/mgmt/tenant/update", `{"id":"T2other","name":"Dup"}`, 409, CodeValidation, "already has the name"},
		{"role", "POST", "/v1/mgmt/role/create", `{"name":"Dup"}`, 409, CodeValidation, `role "Dup" already exists in the project`},
		{"role rename onto a name", "POST", "/v1/mgmt/role/update", `{"name":"Dup","newName":"Tenant Admin"}`, 409, CodeValidation, "already exists"},
		{"permission", "POST", "/v1/mgmt/permission/create", `{"name":"Dup"}`, 409, CodeValidation, `permission "Dup" already exists`},
		{"permission rename onto a name", "POST", "/v1/mgmt/permission/update", `{"name":"Dup","newName":"Impersonate"}`, 409, CodeValidation, "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, c.do(tt.method, tt.path, tt.body), tt.status, tt.code, tt.message)
		})
	}
}

func TestEmptyBodyAccepted(t *testing.T) {
	_, c := newTest(t)
	for _, path := range []string{"/v1/mgmt/flow/list", "/v2/mgmt/theme/export"} {
		for _, body := range []any{nil, "{}", "null", " \n"} {
			if r := c.do(http.MethodPost, path, body); r.status != http.StatusOK {
				t.Errorf("POST %s with body %q: status %d: %s", path, body, r.status, r.body)
			}
		}
	}
	got := c.post("/v1/mgmt/flow/list", map[string]any{"ids": []string{"sign-in", "nope"}})
	if ids := names(t, got["flows"], "id"); len(ids) != 1 || ids[0] != "sign-in" || got["total"] != float64(1) {
		t.Errorf(`flow/list {"ids":["sign-in","nope"]} = %v`, got)
	}
	if got := c.post("/v1/mgmt/flow/list", map[string]any{"ids": []string{}}); got["total"] != float64(4) {
		t.Errorf(`flow/list {"ids":[]}: total = %v, want 4`, got["total"])
	}
}

func TestNullFieldsAccepted(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", `{"id":null,"name":"A","selfProvisioningDomains":null,"customAttributes":null,"enforceSSOExclusions":null,"parent":null,"federatedAppIds":null,"disabled":null,"enforceSSO":null,"roleInheritance":null,"authType":null}`)
	id := names(t, c.get("/v1/mgmt/tenant/all")["tenants"], "id")[0]
	c.post("/v1/mgmt/tenant/update", `{"id":"`+id+`","name":"A","selfProvisioningDomains":null,"customAttributes":null}`)
	c.post("/v1/mgmt/tenant/settings", `{"tenantId":"`+id+`","domains":null,"ssoSetupSuiteSettings":null,"enforceSSOExclusions":null}`)
	c.post("/v1/mgmt/tenant/updateDefaultRoles", `{"id":"`+id+`","defaultRoles":null}`)
	c.post("/v1/mgmt/tenant/search", `{"tenantIds":null,"customAttributes":null}`)
	c.post("/v1/mgmt/role/create", `{"name":"R","permissionNames":null,"tenantId":null,"description":null}`)
	c.post("/v1/mgmt/role/update", `{"name":"R","newName":"R","permissionNames":null,"id":null}`)
	c.post("/v1/mgmt/role/search", `{"tenantIds":null,"roleNames":null,"sort":null}`)
	c.post("/v1/mgmt/project/update/tags", `{"tags":null}`)
	c.post("/v1/mgmt/flow/list", `{"ids":null}`)
	c.post("/v2/mgmt/flow/import", `{"flow":{"flowId":"f","metadata":null,"contents":{},"screens":null,"references":null}}`)
	doc := c.post("/v2/mgmt/flow/export", `{"flowId":"f"}`)["flow"].(map[string]any)
	if _, ok := doc["screens"].([]any); !ok {
		t.Errorf("a null screens list did not come back as []: %v", doc)
	}
	tenant := c.get("/v1/mgmt/tenant?id=" + id)
	if tenant["selfProvisioningDomains"] == nil || tenant["customAttributes"] == nil || tenant["parent"] != "" {
		t.Errorf("null fields did not come back empty: %v", tenant)
	}
}

func TestUnknownFieldsIgnored(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", `{"name":"A","id":"T2a","colour":"blue","nested":{"x":[1,2]}}`)
	c.post("/v1/mgmt/role/create", `{"name":"R","futureField":true}`)
}

// TestGoSDKRequests replays the requests section 9 of docs/descope-api.md
// recorded from the Go SDK, byte for byte, and checks the answers parse as
// the SDK parses them.
func TestGoSDKRequests(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", `{"id":"T2parent","name":"Parent"}`)
	c.define("tier")
	steps := []struct {
		method, path, body string
		check              func(map[string]any) bool
	}{
		{"GET", "/v1/mgmt/license", "", func(m map[string]any) bool { return m["rateLimitTier"] == "tier2" }},
		{"POST", "/v1/mgmt/tenant/create", `{"customAttributes":{"tier":"gold"},"disabled":false,"enforceSSO":false,"enforceSSOExclusions":null,"id":"","name":"Acme","roleInheritance":"","selfProvisioningDomains":["acme.com"]}`,
			func(m map[string]any) bool { return m["id"] != "" && m["id"] != nil }},
		{"POST", "/v1/mgmt/tenant/create", `{"customAttributes":null,"disabled":false,"enforceSSO":false,"enforceSSOExclusions":null,"id":"T2exampleTenant","name":"Example Tenant","parent":"T2parent","roleInheritance":"","selfProvisioningDomains":null}`,
			func(m map[string]any) bool { return m["id"] == "T2exampleTenant" }},
		{"GET", "/v1/mgmt/tenant?id=T2exampleTenant", "", func(m map[string]any) bool { return m["id"] == "T2exampleTenant" && m["parent"] == "T2parent" }},
		{"GET", "/v1/mgmt/tenant/all", "", func(m map[string]any) bool { return len(m["tenants"].([]any)) == 3 }},
		{"POST", "/v1/mgmt/tenant/search", `{"authType":"","customAttributes":null,"tenantIds":null,"tenantNames":["Acme"],"tenantSelfProvisioningDomains":null}`,
			func(m map[string]any) bool { return len(m["tenants"].([]any)) == 1 }},
		{"POST", "/v1/mgmt/tenant/update", `{"customAttributes":null,"disabled":false,"enforceSSO":true,"enforceSSOExclusions":null,"id":"T2exampleTenant","name":"Example Tenant 2","roleInheritance":"","selfProvisioningDomains":null}`, nil},
		{"POST", "/v1/mgmt/tenant/delete", `{"cascade":false,"id":"T2exampleTenant"}`, nil},
		{"POST", "/v1/mgmt/flow/list", "", func(m map[string]any) bool { return len(m["flows"].([]any)) == 4 }},
		{"POST", "/v2/mgmt/flow/export", `{"flowId":"sign-up-or-in"}`, func(m map[string]any) bool { return m["flow"].(map[string]any)["flowId"] == "sign-up-or-in" }},
		{"POST", "/v2/mgmt/flow/import", `{"flow":{"flowId":"sign-up-or-in-copy","metadata":{"name":"Copy"},"contents":{},"screens":[],"references":{}}}`, nil},
		{"POST", "/v1/mgmt/flow/delete", `{"ids":["sign-up-or-in-copy"]}`, nil},
		{"POST", "/v2/mgmt/theme/export", "", func(m map[string]any) bool { return m["theme"] != nil }},
		{"POST", "/v2/mgmt/theme/import", `{"theme":{"styles":{"light":{},"dark":{}},"componentsVersion":"1.0.0","references":{}}}`, nil},
		{"GET", "/v1/mgmt/role/all", "", func(m map[string]any) bool { return len(m["roles"].([]any)) == 1 }},
		{"POST", "/v1/mgmt/permission/create", `{"description":"","name":"edit"}`, nil},
		{"POST", "/v1/mgmt/role/create", `{"default":false,"description":"can edit","name":"Editor","permissionNames":["edit"],"private":false,"tenantId":""}`,
			func(m map[string]any) bool { return m["name"] == "Editor" }},
		{"POST", "/v1/mgmt/role/update", `{"default":true,"description":"desc","name":"Editor","newName":"Editor2","permissionNames":["edit"],"private":false,"tenantId":""}`, nil},
		{"POST", "/v1/mgmt/role/search", `{"roleNames":["Editor2"]}`, func(m map[string]any) bool {
			r := m["roles"].([]any)
			return len(r) == 1 && r[0].(map[string]any)["default"] == true
		}},
		{"POST", "/v1/mgmt/role/delete", `{"name":"Editor2","tenantId":""}`, nil},
		{"POST", "/v1/mgmt/tenant/delete", `{"cascade":true,"id":"T2parent"}`, nil},
	}
	for _, s := range steps {
		var body any
		if s.body != "" {
			body = s.body
		}
		got := c.ok(s.method, s.path, body)
		if s.check != nil && !s.check(got) {
			t.Errorf("%s %s answered %v", s.method, s.path, got)
		}
	}
}
