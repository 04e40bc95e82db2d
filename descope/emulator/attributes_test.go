package emulator

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// A tenant's custom attribute keys must be defined first; definitions are
// made, read and deleted as the Terraform provider does.
func TestTenantAttributeDefinitions(t *testing.T) {
	_, c := newTest(t)
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A", "customAttributes": map[string]any{"plan": "gold"}}),
		http.StatusBadRequest, CodeInvalidArguments, `tenant custom attribute "plan" is not defined in the project`)
	c.post("/v1/mgmt/tenant/attribute", map[string]any{"name": "plan", "displayName": "Plan", "type": "singleselect", "options": []string{"gold", "silver"}})
	got := c.get("/v1/mgmt/tenant/attribute?name=plan")
	want := map[string]any{"name": "plan", "displayName": "Plan", "type": "singleselect", "options": []any{"gold", "silver"}, "viewPermissions": []any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GET answered %v, want %v", got, want)
	}
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A", "customAttributes": map[string]any{"plan": "gold"}})
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/update", map[string]any{"id": "T2a", "name": "A", "customAttributes": map[string]any{"plan": "gold", "region": "eu"}}),
		http.StatusBadRequest, CodeInvalidArguments, `"region" is not defined`)
	// The same name overwrites.
	c.post("/v1/mgmt/tenant/attribute", map[string]any{"name": "plan", "displayName": "Tier", "type": "string"})
	if got := c.get("/v1/mgmt/tenant/attribute?name=plan"); got["displayName"] != "Tier" || got["type"] != "string" {
		t.Errorf("after an overwrite: %v", got)
	}
	wantError(t, c.do(http.MethodDelete, "/v1/mgmt/tenant/attribute?name=plan", nil), http.StatusBadRequest, CodeInvalidArguments, `in use by tenant "T2a"`)
	c.post("/v1/mgmt/tenant/update", map[string]any{"id": "T2a", "name": "A"})
	c.ok(http.MethodDelete, "/v1/mgmt/tenant/attribute?name=plan", nil)
	wantError(t, c.do(http.MethodGet, "/v1/mgmt/tenant/attribute?name=plan", nil), http.StatusNotFound, CodeInvalidArguments, "plan")

	for _, tt := range []struct {
		body    map[string]any
		code    string
		message string
	}{
		{map[string]any{"displayName": "X", "type": "string"}, CodeMissingArguments, "The name field is required"},
		{map[string]any{"name": "a b", "displayName": "X", "type": "string"}, CodeInvalidArguments, "letters, digits"},
		{map[string]any{"name": "abcdefghijklmnopqrstu", "displayName": "X", "type": "string"}, CodeInvalidArguments, "longer than 20"},
		{map[string]any{"name": "x", "type": "string"}, CodeMissingArguments, "The displayName field is required"},
		{map[string]any{"name": "x", "displayName": "X", "type": "text"}, CodeInvalidArguments, `type "text"`},
	} {
		wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/attribute", tt.body), http.StatusBadRequest, tt.code, tt.message)
	}
}

// A seeded project's keys are defined; WithAttributesDefinedOnUse defines
// a key when a tenant first uses it.
func TestAttributesDefinedBySeedAndOnUse(t *testing.T) {
	e, c := newTest(t)
	if err := e.Seed(&descope.State{Tenants: []*descope.Tenant{{ID: "T2a", Name: "A", Attributes: &map[string]any{"seats": int64(5)}}}}); err != nil {
		t.Fatal(err)
	}
	if got := c.get("/v1/mgmt/tenant/attribute?name=seats"); got["type"] != "number" {
		t.Errorf("seeded definition %v, want type number", got)
	}
	_, loose := newTest(t, WithAttributesDefinedOnUse())
	loose.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A", "customAttributes": map[string]any{"beta": true, "regions": []any{"eu"}}})
	for name, typ := range map[string]string{"beta": "boolean", "regions": "multiselect"} {
		if got := loose.get("/v1/mgmt/tenant/attribute?name=" + name); got["type"] != typ {
			t.Errorf("%s defined on use as %v, want type %s", name, got, typ)
		}
	}
}

// A state file from before definitions were kept gets one for each key its
// tenants use: what was accepted then stays valid.
func TestStateFileFormat3DefinesUsedKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	v3 := `{"formatVersion": 3, "projectId": "P2old", "name": "Old",
	  "tenants": {"T2a": {"seq": 1, "id": "T2a", "name": "A", "customAttributes": {"plan": "gold", "seats": 3}}}}`
	if err := os.WriteFile(path, []byte(v3), 0o600); err != nil {
		t.Fatal(err)
	}
	_, c := openClient(t, path)
	for name, typ := range map[string]string{"plan": "string", "seats": "number"} {
		if got := c.get("/v1/mgmt/tenant/attribute?name=" + name); got["type"] != typ {
			t.Errorf("%s: %v, want a definition of type %s", name, got, typ)
		}
	}
	c.post("/v1/mgmt/tenant/update", map[string]any{"id": "T2a", "name": "A", "customAttributes": map[string]any{"plan": "silver"}})
}
