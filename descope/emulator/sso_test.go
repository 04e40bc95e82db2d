package emulator

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ssoSetup makes tenant acme with a project role "editor".
func ssoSetup(t *testing.T, c *tclient) {
	t.Helper()
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "acme", "name": "Acme"})
	c.post("/v1/mgmt/role/create", map[string]any{"name": "editor"})
}

func TestSSOLoadQuirks(t *testing.T) {
	_, c := newTest(t)
	ssoSetup(t, c)
	// A tenant never configured answers with both objects, defaulted.
	got := c.get("/v2/mgmt/sso/settings?tenantId=acme")
	oidc, saml := got["oidc"].(map[string]any), got["saml"].(map[string]any)
	if oidc["grantType"] != "authorization_code" || saml["idpSSOUrl"] != "" || got["ssoId"] != "" {
		t.Errorf("defaults: %v", got)
	}
	if at := got["tenant"].(map[string]any)["authType"]; at != "none" {
		t.Errorf("authType = %v, want none", at)
	}
	if all := c.get("/v2/mgmt/sso/settings/all?tenantId=acme"); len(all["SSOSettings"].([]any)) != 0 {
		t.Errorf("settings/all of a tenant never configured: %v", all)
	}

	c.post("/v1/mgmt/sso/oidc", map[string]any{
		"tenantId": "acme", "domains": []string{"acme.com"},
		"settings": map[string]any{
			"clientId": "c1", "clientSecret": "s3cr3t", "issuer": "https://idp",
			"groupsMapping": []any{map[string]any{"role": map[string]any{"name": "editor"}, "groups": []string{"eng"}}},
		},
	})
	c.post("/v1/mgmt/sso/settings/new", map[string]any{"tenantId": "acme", "ssoId": "eu", "displayName": "EU"})
	c.post("/v1/mgmt/sso/saml", map[string]any{
		"tenantId": "acme", "ssoId": "eu", "redirectUrl": "https://app/after", "domains": []string{"acme.eu"},
		"settings": map[string]any{
			"idpUrl": "https://idp/sso", "entityId": "urn:idp", "idpCert": "PEM",
			"roleMappings": []any{map[string]any{"groups": []string{"ops"}, "roleName": "editor"}},
		},
	})

	// The capitalised key; newest first; each item with its tenant, both
	// objects and its ssoId.
	all := c.get("/v2/mgmt/sso/settings/all?tenantId=acme")
	items := all["SSOSettings"].([]any)
	if len(items) != 2 {
		t.Fatalf("SSOSettings has %d items, want 2: %v", len(items), all)
	}
	eu, def := items[0].(map[string]any), items[1].(map[string]any)
	if eu["ssoId"] != "eu" || def["ssoId"] != "" {
		t.Fatalf("order or ids: %v, %v", eu["ssoId"], def["ssoId"])
	}
	// SAML reads back under its read names.
	s := eu["saml"].(map[string]any)
	for k, want := range map[string]any{"idpSSOUrl": "https://idp/sso", "idpEntityId": "urn:idp", "idpCertificate": "PEM", "redirectUrl": "https://app/after"} {
		if s[k] != want {
			t.Errorf("saml.%s = %v, want %v", k, s[k], want)
		}
	}
	gm := s["groupsMapping"].([]any)[0].(map[string]any)
	if role := gm["role"].(map[string]any); role["name"] != "editor" || !strings.HasPrefix(role["id"].(string), "ROL") {
		t.Errorf("saml.groupsMapping role = %v, want the role's id and name", role)
	}
	for _, k := range []string{"idpUrl", "entityId", "idpCert", "roleMappings"} {
		if _, ok := s[k]; ok {
			t.Errorf("saml has the write name %q", k)
		}
	}
	// Each item's authType is its own protocol; domains are the union.
	for _, it := range []struct {
		item map[string]any
		want string
	}{{eu, "saml"}, {def, "oidc"}} {
		tn := it.item["tenant"].(map[string]any)
		if tn["authType"] != it.want {
			t.Errorf("%v: authType = %v, want %s", it.item["ssoId"], tn["authType"], it.want)
		}
		if d := strs(tn["domains"]); !slices.Equal(d, []string{"acme.com", "acme.eu"}) {
			t.Errorf("domains = %v, want the union", tn["domains"])
		}
	}
	// The secret is never returned.
	if sec := def["oidc"].(map[string]any)["clientSecret"]; sec != "" {
		t.Errorf("clientSecret = %q, want \"\"", sec)
	}
	// Tenant reads show the union too.
	if d := c.get("/v1/mgmt/tenant/settings?id=acme")["domains"]; len(d.([]any)) != 2 {
		t.Errorf("tenant settings domains = %v, want both", d)
	}
}

// strs returns a decoded list of strings.
func strs(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func TestSSOWriteRules(t *testing.T) {
	_, c := newTest(t)
	ssoSetup(t, c)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "other", "name": "Other"})
	c.post("/v1/mgmt/sso/oidc", map[string]any{"tenantId": "other", "domains": []string{"taken.com"}, "settings": map[string]any{"clientId": "x"}})

	oidc := func(ssoID string, settings map[string]any, domains ...string) reply {
		body := map[string]any{"tenantId": "acme", "settings": settings, "domains": domains}
		if ssoID != "" {
			body["ssoId"] = ssoID
		}
		return c.do(http.MethodPost, "/v1/mgmt/sso/oidc", body)
	}
	wantError(t, oidc("ghost", map[string]any{"clientId": "x"}), 404, CodeInvalidArguments, `SSO configuration "acme/ghost" not found`)
	wantError(t, oidc("", map[string]any{"clientId": "x"}, "taken.com"), 400, CodeInvalidArguments, `belongs to tenant "other"`)
	wantError(t, oidc("", map[string]any{"defaultSSORoles": []string{"nope"}}), 400, CodeInvalidArguments, `role "nope" is not a role`)
	wantError(t, oidc("", map[string]any{"grantType": "password"}), 400, CodeInvalidArguments, "grantType")
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/sso/oidc", map[string]any{"tenantId": "acme"}), 400, CodeMissingArguments, "settings")
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/sso/saml", map[string]any{"tenantId": "acme", "settings": map[string]any{"idpUrl": "u"}}),
		400, CodeMissingArguments, "settings.entityId")
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/sso/saml/metadata", map[string]any{"tenantId": "acme", "settings": map[string]any{}}),
		400, CodeMissingArguments, "settings.idpMetadataUrl")
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/sso/settings/new", map[string]any{"tenantId": "acme", "ssoId": "x"}), 400, CodeMissingArguments, "displayName")

	// settings/new: a generated ssoId, then 409 on a taken one.
	got := c.post("/v1/mgmt/sso/settings/new", map[string]any{"tenantId": "acme", "ssoId": "", "displayName": "Gen"})
	if id, _ := got["ssoId"].(string); id == "" {
		t.Errorf("settings/new without ssoId: no id generated: %v", got)
	}
	c.post("/v1/mgmt/sso/settings/new", map[string]any{"tenantId": "acme", "ssoId": "eu", "displayName": "EU"})
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/sso/settings/new", map[string]any{"tenantId": "acme", "ssoId": "eu", "displayName": "EU"}),
		409, CodeValidation, "already has")

	// A configure replaces the protocol's object and the domains; an empty
	// secret keeps the stored one.
	if r := oidc("eu", map[string]any{"clientId": "a", "clientSecret": "one", "issuer": "https://i"}, "acme.com"); r.status != 200 {
		t.Fatalf("configure: %d %s", r.status, r.body)
	}
	if r := oidc("eu", map[string]any{"clientId": "b"}); r.status != 200 {
		t.Fatalf("configure: %d %s", r.status, r.body)
	}
	load := c.get("/v2/mgmt/sso/settings?tenantId=acme&ssoId=eu")
	o := load["oidc"].(map[string]any)
	if o["clientId"] != "b" || o["issuer"] != "" || len(load["tenant"].(map[string]any)["domains"].([]any)) != 0 {
		t.Errorf("after the second configure: %v", load)
	}
	if !c.e.st.Tenants["acme"].SSO["eu"].HasClientSecret {
		t.Error("the stored secret was cleared by a configure without one")
	}

	// Redirect URLs alone.
	c.post("/v1/mgmt/sso/redirect", map[string]any{"tenantId": "acme", "ssoId": "eu", "oauthRedirectUrl": "https://app/cb"})
	if got := c.get("/v2/mgmt/sso/settings?tenantId=acme&ssoId=eu")["oidc"].(map[string]any)["redirectUrl"]; got != "https://app/cb" {
		t.Errorf("redirectUrl = %v", got)
	}

	// Delete is a DELETE with query parameters; GET and POST on that path
	// are the deprecated calls, not served.
	if r := c.do(http.MethodPost, "/v1/mgmt/sso/settings", map[string]any{"tenantId": "acme"}); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /v1/mgmt/sso/settings: status %d, want 405", r.status)
	}
	c.ok(http.MethodDelete, "/v1/mgmt/sso/settings?tenantId=acme&ssoId=eu", nil)
	wantError(t, c.do(http.MethodGet, "/v2/mgmt/sso/settings?tenantId=acme&ssoId=eu", nil), 404, CodeInvalidArguments, "not found")
	wantError(t, c.do(http.MethodDelete, "/v1/mgmt/sso/settings?tenantId=acme", nil), 404, CodeInvalidArguments, "not found")
}

// TestSSOSecretNeverStored checks that a local project's files (the state
// file and its journal) never hold a client secret, and that the journal
// replays to a configuration that has one.
func TestSSOSecretNeverStored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.json")
	e, err := Open(WithStateFile(path), WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	c := &tclient{t: t, e: e, http: &http.Client{Transport: e.Transport()}, base: "http://emulator.test"}
	ssoSetup(t, c)
	const secret = "do-not-write-me-3f9a"
	c.post("/v1/mgmt/sso/oidc", map[string]any{"tenantId": "acme", "settings": map[string]any{"clientId": "c", "clientSecret": secret}})
	check := func() {
		for _, p := range []string{path, path + journalSuffix} {
			data, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if strings.Contains(string(data), secret) {
				t.Errorf("%s holds the client secret", filepath.Base(p))
			}
		}
	}
	check()
	e2, err := Open(WithStateFile(path), WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !e2.st.Tenants["acme"].SSO[""].HasClientSecret {
		t.Error("the replayed configuration has no client secret")
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	check()
}

func TestSSOSeedAndState(t *testing.T) {
	e, c := newTest(t)
	ssoSetup(t, c)
	c.post("/v1/mgmt/sso/saml/metadata", map[string]any{
		"tenantId": "acme", "domains": []string{"acme.com"},
		"settings": map[string]any{"idpMetadataUrl": "https://idp/metadata", "entityId": "urn:idp", "defaultSSORoles": []string{"editor"}},
	})
	s := e.State()
	if len(s.SSO) != 1 || s.SSO[0].SAML == nil || *s.SSO[0].SAML.MetadataURL != "https://idp/metadata" || s.SSO[0].OIDC != nil {
		t.Fatalf("State SSO = %+v", s.SSO)
	}
	before, err := s.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	e2, _ := newTest(t)
	if err := e2.Seed(s); err != nil {
		t.Fatal(err)
	}
	after, err := e2.State().CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	// Ids and times differ between projects; the SSO part must not.
	if a, b := ssoPart(string(before)), ssoPart(string(after)); a != b {
		t.Errorf("seeding the state gives other SSO configurations:\n%s\nwant\n%s", b, a)
	}
}

// ssoPart returns the "sso" section of a canonical state.
func ssoPart(s string) string {
	i := strings.Index(s, `"sso": [`)
	if i < 0 {
		return ""
	}
	return s[i:]
}
