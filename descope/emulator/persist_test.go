package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestStateFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".descope-run", "local.json")
	e1, err := Open(WithStateFile(path), WithRateLimit(0, 0), WithProject("P2roundtrip", "K2givenKeyNeverWritten"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file after Open: %v, mode %v; want it created 0600", err, fi.Mode())
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %v, want 0700", fi.Mode().Perm())
	}
	c := &tclient{t: t, e: e1, http: &http.Client{Transport: e1.Transport()}, base: "http://emulator.test"}
	c.post("/v1/mgmt/project/update/name", map[string]any{"name": "Local"})
	c.post("/v1/mgmt/permission/create", map[string]any{"name": "edit"})
	c.define("n", "big")
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2p", "name": "P", "customAttributes": map[string]any{"n": 1.5, "big": 12345678901234567}})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2c", "name": "C", "parent": "T2p"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "Editor", "permissionNames": []string{"edit"}, "tenantId": "T2c"})
	c.post("/v1/mgmt/tenant/updateDefaultRoles", map[string]any{"id": "T2c", "defaultRoles": []string{"Editor"}})
	c.post("/v1/mgmt/tenant/settings", map[string]any{"tenantId": "T2p", "enabled": true, "sessionTokenExpiration": 5, "sessionTokenExpirationUnit": "minutes"})
	c.post("/v2/mgmt/flow/import", map[string]any{"flow": map[string]any{"flowId": "custom", "contents": map[string]any{"n": 1}}})
	c.post("/v2/mgmt/theme/import", map[string]any{"theme": map[string]any{"styles": map[string]any{"light": map[string]any{}}}})
	loadBefore := c.do(http.MethodGet, "/v1/mgmt/tenant/all", nil).body

	if err := e1.Flush(); err != nil {
		t.Fatal(err)
	}
	e2, err := Open(WithStateFile(path), WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if e2.ProjectID() != e1.ProjectID() {
		t.Errorf("project id %s after reload, want %s", e2.ProjectID(), e1.ProjectID())
	}
	a, _ := e1.State().CanonicalJSON()
	b, _ := e2.State().CanonicalJSON()
	if !bytes.Equal(a, b) {
		t.Errorf("state differs after reload:\n%s\n%s", a, b)
	}
	c2 := &tclient{t: t, e: e2, http: &http.Client{Transport: e2.Transport()}, base: "http://emulator.test"}
	if loadAfter := c2.do(http.MethodGet, "/v1/mgmt/tenant/all", nil).body; !bytes.Equal(loadBefore, loadAfter) {
		t.Errorf("tenant/all differs after reload:\n%s\n%s", loadBefore, loadAfter)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(e1.ManagementKey())) {
		t.Error("the state file holds the management key given with WithProject")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 2 {
		t.Errorf("state directory holds %d files, want the state file and its journal (no temporary files left)", len(entries))
	}
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "local.json")
	e, err := Open(WithStateFile(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(WithStateFile(path), WithProject("P2other", "K2key")); err == nil || !strings.Contains(err.Error(), e.ProjectID()) {
		t.Errorf("Open with another project id: err = %v, want a mismatch naming %s", err, e.ProjectID())
	}
	if _, err := Open(WithStateFile(path), WithProject(e.ProjectID(), "K2key")); err != nil {
		t.Errorf("Open with the same project id: %v", err)
	}
	tests := []struct{ name, content, want string }{
		{"corrupt", "{", "unexpected EOF"},
		{"old format", `{"formatVersion":99}`, "format version 99"},
	}
	for _, tt := range tests {
		bad := filepath.Join(dir, tt.name+".json")
		if err := os.WriteFile(bad, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(WithStateFile(bad)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: New did not panic", tt.name)
				}
			}()
			New(WithStateFile(bad))
		}()
	}
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(WithStateFile(filepath.Join(notDir, "local.json"))); err == nil {
		t.Error("Open under a regular file: no error")
	}
}

func TestPersistFailureIs500(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	e, c := newTest(t, WithStateFile(path))
	_ = e.jr.f.Close() // every write to the journal now fails
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"name": "A"}), http.StatusInternalServerError, "E010500", "journal")
	c.get("/v1/mgmt/tenant/all") // reads do not persist
}

// A format 1 state file held default roles by name: reading it resolves
// them as a set of default roles does, and the next write is the current
// format.
func TestStateFileFormat1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	v1 := `{"formatVersion": 1, "projectId": "P2old", "name": "Old",
	  "tenants": {"T2a": {"seq": 1, "id": "T2a", "name": "A", "selfProvisioningDomains": ["a.com"], "defaultRoles": ["Editor", "Local", "gone"]}},
	  "roles": {
	    "ROLe": {"seq": 2, "id": "ROLe", "name": "Editor"},
	    "ROLt": {"seq": 3, "id": "ROLt", "name": "Editor", "tenantId": "T2a"},
	    "ROLl": {"seq": 4, "id": "ROLl", "name": "Local", "tenantId": "T2a"}}}`
	if err := os.WriteFile(path, []byte(v1), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Open(WithStateFile(path), WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got := *e.State().Tenant("T2a").DefaultRoles; !slices.Equal(got, []string{"Editor", "Local"}) {
		t.Errorf("default roles read from format 1 = %v, want [Editor Local]", got)
	}
	c := &tclient{t: t, e: e, http: &http.Client{Transport: e.Transport()}, base: "http://emulator.test"}
	c.post("/v1/mgmt/role/delete", map[string]any{"name": "Editor", "tenantId": "T2a"})
	if got := *e.State().Tenant("T2a").DefaultRoles; !slices.Equal(got, []string{"Editor", "Local"}) {
		t.Errorf("default roles after deleting the tenant's Editor = %v: the name meant the project role", got)
	}
	if got := *e.State().Tenant("T2a").Domains; !slices.Equal(got, []string{"a.com"}) {
		t.Errorf("self-provisioning domains read from format 1 = %v, want [a.com]", got)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte(`"formatVersion": 4`)) || bytes.Contains(raw, []byte(`"defaultRoles"`)) {
		t.Errorf("state file after a write is not format 3:\n%s", raw)
	}
}

// A format 2 state file held a tenant's self-provisioning domains beside
// its settings: reading it moves them into the settings, where tenant loads
// and settings reads both find them, and the next write is format 3.
func TestStateFileFormat2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	v2 := `{"formatVersion": 2, "projectId": "P2old", "name": "Old",
	  "tenants": {"T2a": {"seq": 1, "id": "T2a", "name": "A", "selfProvisioningDomains": ["a.com"],
	    "settings": {"domains": ["sso.a.com"], "authType": "saml", "JITDisabled": true}}}}`
	if err := os.WriteFile(path, []byte(v2), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Open(WithStateFile(path), WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	c := &tclient{t: t, e: e, http: &http.Client{Transport: e.Transport()}, base: "http://emulator.test"}
	for _, path := range []string{"/v1/mgmt/tenant?id=T2a", "/v1/mgmt/tenant/settings?id=T2a"} {
		if got := c.get(path)["selfProvisioningDomains"]; !reflect.DeepEqual(got, []any{"a.com"}) {
			t.Errorf("%s: selfProvisioningDomains = %v, want [a.com]", path, got)
		}
	}
	if s := c.get("/v1/mgmt/tenant/settings?id=T2a"); s["authType"] != "saml" || s["JITDisabled"] != true {
		t.Errorf("settings read from format 2 = %v", s)
	}
	c.post("/v1/mgmt/project/update/name", map[string]any{"name": "New"})
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	var file struct {
		Format  int `json:"formatVersion"`
		Tenants map[string]map[string]any
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	tenant := file.Tenants["T2a"]
	settings, _ := tenant["settings"].(map[string]any)
	if _, beside := tenant["selfProvisioningDomains"]; file.Format != 4 || beside || !reflect.DeepEqual(settings["selfProvisioningDomains"], []any{"a.com"}) {
		t.Errorf("state file after a write is not format 3 with the domains in the settings:\n%s", raw)
	}
}
