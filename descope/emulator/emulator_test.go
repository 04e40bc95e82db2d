package emulator

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestDefaultProjectIDAndKey(t *testing.T) {
	e := New()
	if !regexp.MustCompile(`^P[A-Za-z0-9]{27}$`).MatchString(e.ProjectID()) {
		t.Errorf("ProjectID() = %q, want P + 27 letters and digits", e.ProjectID())
	}
	if len(e.ProjectID()) >= 32 {
		t.Errorf("ProjectID() = %q is 32+ characters: SDKs would derive a regional URL", e.ProjectID())
	}
	if !strings.HasPrefix(e.ManagementKey(), "K") {
		t.Errorf("ManagementKey() = %q, want a K prefix", e.ManagementKey())
	}
	if New().ProjectID() == e.ProjectID() {
		t.Error("two emulators without WithSeed got the same project id")
	}
}

func TestWithSeedIsDeterministic(t *testing.T) {
	run := func() (string, string, string) {
		e, c := newTest(t, WithSeed(42))
		id := c.post("/v1/mgmt/tenant/create", map[string]any{"name": "Acme"})["id"].(string)
		return e.ProjectID(), e.ManagementKey(), id
	}
	p1, k1, t1 := run()
	p2, k2, t2 := run()
	if p1 != p2 || k1 != k2 || t1 != t2 {
		t.Errorf("same seed, different results: (%s %s %s) vs (%s %s %s)", p1, k1, t1, p2, k2, t2)
	}
}

func TestWithProject(t *testing.T) {
	_, c := newTest(t, WithProject("P2abcdefghijklmnopqrstuvwxyz", "K2secret"))
	if got := c.e.ProjectID(); got != "P2abcdefghijklmnopqrstuvwxyz" {
		t.Errorf("ProjectID() = %q", got)
	}
	c.get("/v1/mgmt/license")
}

func TestNewProjectContents(t *testing.T) {
	_, c := newTest(t)
	flows := c.post("/v1/mgmt/flow/list", nil)
	got := names(t, flows["flows"], "id")
	slices.Sort(got)
	if want := []string{"sign-in", "sign-up", "sign-up-or-in", "step-up"}; !slices.Equal(got, want) {
		t.Errorf("flows = %v, want %v", got, want)
	}
	roles := names(t, c.get("/v1/mgmt/role/all")["roles"], "name")
	if !slices.Equal(roles, []string{"Tenant Admin"}) {
		t.Errorf("roles = %v, want [Tenant Admin]", roles)
	}
	perms := c.get("/v1/mgmt/permission/all")["permissions"].([]any)
	var pnames []string
	for _, p := range perms {
		p := p.(map[string]any)
		pnames = append(pnames, p["name"].(string))
		if p["systemDefault"] != true {
			t.Errorf("permission %v: systemDefault = %v, want true", p["name"], p["systemDefault"])
		}
	}
	slices.Sort(pnames)
	if want := []string{"Impersonate", "SSO Admin", "User Admin"}; !slices.Equal(pnames, want) {
		t.Errorf("permissions = %v, want %v", pnames, want)
	}
	theme := c.post("/v2/mgmt/theme/export", nil)["theme"].(map[string]any)
	styles, _ := theme["styles"].(map[string]any)
	if styles["light"] == nil || styles["dark"] == nil || theme["componentsVersion"] == nil || theme["references"] == nil {
		t.Errorf("default theme lacks styles.light, styles.dark, componentsVersion or references: %v", theme)
	}
	if got := c.get("/v1/mgmt/license"); got["rateLimitTier"] != "tier2" {
		t.Errorf("license = %v, want rateLimitTier tier2", got)
	}
}

func TestBuiltinFlowDocuments(t *testing.T) {
	_, c := newTest(t)
	for _, id := range builtinFlows {
		doc := c.post("/v2/mgmt/flow/export", map[string]any{"flowId": id})["flow"].(map[string]any)
		if doc["flowId"] != id {
			t.Errorf("%s: flowId = %v", id, doc["flowId"])
		}
		meta, _ := doc["metadata"].(map[string]any)
		contents, _ := doc["contents"].(map[string]any)
		screens, _ := doc["screens"].([]any)
		if meta["name"] == nil || contents["startTask"] == nil || contents["tasks"] == nil || len(screens) == 0 || doc["references"] == nil {
			t.Errorf("%s: not a v2 document with metadata.name, contents{startTask,tasks}, screens and references: %v", id, doc)
		}
		for _, s := range screens {
			s := s.(map[string]any)
			if s["screenId"] == nil || s["interactions"] == nil || s["contents"] == nil {
				t.Errorf("%s: screen lacks screenId, interactions or contents: %v", id, s)
			}
		}
	}
}

func TestRequestLog(t *testing.T) {
	e, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"name": "Acme"})
	c.do(http.MethodGet, "/v1/mgmt/tenant?id=nope", nil)
	reqs := e.Requests()
	if len(reqs) != 2 {
		t.Fatalf("len(Requests()) = %d, want 2", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v1/mgmt/tenant/create" || string(r.Body) != `{"name":"Acme"}` || r.Status != 200 ||
		r.Header.Get("X-Descope-Project-Id") != e.ProjectID() {
		t.Errorf("Requests()[0] = %+v", r)
	}
	if r := reqs[1]; r.Query != "id=nope" || r.Status != 404 {
		t.Errorf("Requests()[1]: Query %q Status %d, want id=nope 404", r.Query, r.Status)
	}
	e.ResetRequests()
	if n := len(e.Requests()); n != 0 {
		t.Errorf("after ResetRequests, %d requests", n)
	}
}

func TestRequestLogLimit(t *testing.T) {
	e, c := newTest(t, WithRequestLogLimit(2))
	for range 5 {
		c.get("/v1/mgmt/license")
	}
	if n := len(e.Requests()); n != 2 {
		t.Errorf("len(Requests()) = %d, want 2", n)
	}
}

func TestUnknownEndpointAndMethod(t *testing.T) {
	_, c := newTest(t)
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/nope", "{}"), http.StatusNotFound, CodeBadRequest, "no such endpoint")
	r := c.do(http.MethodGet, "/v1/mgmt/tenant/create", nil)
	wantError(t, r, http.StatusMethodNotAllowed, CodeBadRequest, "use POST")
	if got := r.header.Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
}
