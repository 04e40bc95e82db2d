package mgmt_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"runtime"
	"testing"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// wireCase is one client call and what must go on the wire for it
// (docs/descope-api.md section 9).
type wireCase struct {
	name   string
	do     func(ctx context.Context, c *mgmt.Client) (any, error)
	method string
	path   string
	query  string
	// body is the exact request body; "" means none at all.
	body  string
	reply string
	// want is the call's result, compared with reflect.DeepEqual when set.
	want any
}

var exported = map[string]any{"flowId": "sign-up-or-in", "metadata": map[string]any{"name": "Sign up or in"}, "contents": map[string]any{}}

var wireCases = []wireCase{
	{
		name: "tenant create",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return c.CreateTenant(ctx, &mgmt.Tenant{Name: "Acme", SelfProvisioningDomains: []string{"acme.com"},
				CustomAttributes: map[string]any{"tier": "gold"}})
		},
		method: "POST", path: "/v1/mgmt/tenant/create",
		body:  `{"customAttributes":{"tier":"gold"},"disabled":false,"enforceSSO":false,"enforceSSOExclusions":null,"id":"","name":"Acme","roleInheritance":"","selfProvisioningDomains":["acme.com"]}`,
		reply: `{"id":"T2generated"}`, want: "T2generated",
	},
	{
		name: "tenant create with id and parent",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return c.CreateTenant(ctx, &mgmt.Tenant{ID: "T2exampleTenant", Name: "Example Tenant", Parent: "T2parent"})
		},
		method: "POST", path: "/v1/mgmt/tenant/create",
		body:  `{"customAttributes":null,"disabled":false,"enforceSSO":false,"enforceSSOExclusions":null,"id":"T2exampleTenant","name":"Example Tenant","parent":"T2parent","roleInheritance":"","selfProvisioningDomains":null}`,
		reply: `{"id":"ignored"}`, want: "T2exampleTenant",
	},
	{
		name: "tenant load (flat response)",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			t, err := c.LoadTenant(ctx, "T2exampleTenant")
			if err != nil {
				return nil, err
			}
			return []any{t.ID, t.Name, t.Parent, t.CustomAttributes["n"], t.CreatedTime}, nil
		},
		method: "GET", path: "/v1/mgmt/tenant", query: "id=T2exampleTenant",
		reply: `{"id":"T2exampleTenant","name":"Example","parent":"","customAttributes":{"n":7},"createdTime":1726067547,"successors":[]}`,
		want:  []any{"T2exampleTenant", "Example", "", json.Number("7"), int32(1726067547)},
	},
	{
		name: "tenant load all",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			ts, err := c.LoadAllTenants(ctx)
			if err != nil {
				return nil, err
			}
			var ids []string
			for _, t := range ts {
				ids = append(ids, t.ID)
			}
			return ids, nil
		},
		method: "GET", path: "/v1/mgmt/tenant/all",
		reply: `{"tenants":[{"id":"a"},{"id":"b"}],"total":2}`, want: []string{"a", "b"},
	},
	{
		name: "tenant search",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			ts, err := c.SearchTenants(ctx, mgmt.TenantSearch{Names: []string{"Acme"}})
			return len(ts), err
		},
		method: "POST", path: "/v1/mgmt/tenant/search",
		body:  `{"authType":"","customAttributes":null,"tenantIds":null,"tenantNames":["Acme"],"tenantSelfProvisioningDomains":null}`,
		reply: `{"tenants":[{"id":"a","name":"Acme"}]}`, want: 1,
	},
	{
		name: "tenant update",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			// Parent is never sent on update.
			return nil, c.UpdateTenant(ctx, &mgmt.Tenant{ID: "T2exampleTenant", Name: "Example Tenant 2", EnforceSSO: true, Parent: "T2parent"})
		},
		method: "POST", path: "/v1/mgmt/tenant/update",
		body:  `{"customAttributes":null,"disabled":false,"enforceSSO":true,"enforceSSOExclusions":null,"id":"T2exampleTenant","name":"Example Tenant 2","roleInheritance":"","selfProvisioningDomains":null}`,
		reply: `{}`,
	},
	{
		// A tenant read from the API has its federated apps: an update,
		// which overwrites every field, sends them back.
		name: "tenant update keeps federated apps",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.UpdateTenant(ctx, &mgmt.Tenant{ID: "T2x", Name: "X", FederatedAppIDs: []string{"app1"}})
		},
		method: "POST", path: "/v1/mgmt/tenant/update",
		body:  `{"customAttributes":null,"disabled":false,"enforceSSO":false,"enforceSSOExclusions":null,"federatedAppIds":["app1"],"id":"T2x","name":"X","roleInheritance":"","selfProvisioningDomains":null}`,
		reply: `{}`,
	},
	{
		name: "tenant settings configure keeps the SSO setup suite",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.ConfigureTenantSettings(ctx, "acme", &mgmt.TenantSettings{SSOSetupSuiteSettings: map[string]any{"enabled": true}})
		},
		method: "POST", path: "/v1/mgmt/tenant/settings",
		body:  `{"JITDisabled":false,"authType":"","domains":null,"enableInactivity":false,"enabled":false,"inactivityTime":0,"inactivityTimeUnit":"","refreshTokenExpiration":0,"refreshTokenExpirationUnit":"","selfProvisioningDomains":null,"sessionTokenExpiration":0,"sessionTokenExpirationUnit":"","ssoSetupSuiteSettings":{"enabled":true},"stepupTokenExpiration":0,"stepupTokenExpirationUnit":"","tenantId":"acme"}`,
		reply: `{}`,
	},
	{
		name: "tenant delete",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.DeleteTenant(ctx, "T2exampleTenant", false)
		},
		method: "POST", path: "/v1/mgmt/tenant/delete",
		body: `{"cascade":false,"id":"T2exampleTenant"}`, reply: `{}`,
	},
	{
		name: "tenant delete cascade",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.DeleteTenant(ctx, "T2exampleTenant", true)
		},
		method: "POST", path: "/v1/mgmt/tenant/delete",
		body: `{"cascade":true,"id":"T2exampleTenant"}`, reply: ``,
	},
	{
		name: "tenant settings get",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			s, err := c.TenantSettings(ctx, "acme")
			if err != nil {
				return nil, err
			}
			return []any{s.SessionSettingsEnabled, s.SessionTokenExpiration, s.JITDisabled, s.Domains}, nil
		},
		method: "GET", path: "/v1/mgmt/tenant/settings", query: "id=acme",
		reply: `{"enabled":true,"sessionTokenExpiration":15,"JITDisabled":true,"domains":["acme.com"]}`,
		want:  []any{true, int64(15), true, []string{"acme.com"}},
	},
	{
		name: "tenant settings configure",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.ConfigureTenantSettings(ctx, "acme", &mgmt.TenantSettings{SessionSettingsEnabled: true,
				SessionTokenExpiration: 10, SessionTokenExpirationUnit: "minutes", Domains: []string{"acme.com"}})
		},
		method: "POST", path: "/v1/mgmt/tenant/settings",
		body: `{"JITDisabled":false,"authType":"","domains":["acme.com"],"enableInactivity":false,"enabled":true,` +
			`"inactivityTime":0,"inactivityTimeUnit":"","refreshTokenExpiration":0,"refreshTokenExpirationUnit":"",` +
			`"selfProvisioningDomains":null,"sessionTokenExpiration":10,"sessionTokenExpirationUnit":"minutes",` +
			`"stepupTokenExpiration":0,"stepupTokenExpirationUnit":"","tenantId":"acme"}`,
		reply: `{}`,
	},
	{
		name: "tenant update default roles",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.UpdateDefaultRoles(ctx, "acme", []string{"Viewer"})
		},
		method: "POST", path: "/v1/mgmt/tenant/updateDefaultRoles",
		body: `{"defaultRoles":["Viewer"],"id":"acme"}`, reply: `{}`,
	},
	{
		name: "flow list (empty body)",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			fs, err := c.ListFlows(ctx)
			if err != nil {
				return nil, err
			}
			return *fs[0], nil
		},
		method: "POST", path: "/v1/mgmt/flow/list",
		reply: `{"flows":[{"id":"sign-in","name":"Sign In","description":"d","disabled":false,"modifiedTime":"1700000000","dsl":{}}],"total":1}`,
		want:  mgmt.FlowMeta{ID: "sign-in", Name: "Sign In", Description: "d", ModifiedTime: "1700000000"},
	},
	{
		name:   "flow export (v2)",
		do:     func(ctx context.Context, c *mgmt.Client) (any, error) { return c.ExportFlow(ctx, "sign-up-or-in") },
		method: "POST", path: "/v2/mgmt/flow/export",
		body:  `{"flowId":"sign-up-or-in"}`,
		reply: `{"flow":{"flowId":"sign-up-or-in","contents":{}},"screens":[{"dropped":true}]}`,
		want:  map[string]any{"flowId": "sign-up-or-in", "contents": map[string]any{}},
	},
	{
		name: "flow import (v2)",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			err := c.ImportFlow(ctx, "sign-up-or-in-copy", exported)
			return exported["flowId"], err // the caller's map is left alone
		},
		method: "POST", path: "/v2/mgmt/flow/import",
		body:  `{"flow":{"contents":{},"flowId":"sign-up-or-in-copy","metadata":{"name":"Sign up or in"}}}`,
		reply: `{}`, want: "sign-up-or-in",
	},
	{
		name: "flow delete",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.DeleteFlows(ctx, []string{"sign-up-or-in-copy"})
		},
		method: "POST", path: "/v1/mgmt/flow/delete",
		body: `{"ids":["sign-up-or-in-copy"]}`, reply: `{}`,
	},
	{
		name:   "theme export (empty body)",
		do:     func(ctx context.Context, c *mgmt.Client) (any, error) { return c.ExportTheme(ctx) },
		method: "POST", path: "/v2/mgmt/theme/export",
		reply: `{"theme":{"styles":{"light":{}}}}`, want: map[string]any{"styles": map[string]any{"light": map[string]any{}}},
	},
	{
		name: "theme import",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.ImportTheme(ctx, map[string]any{"styles": map[string]any{"dark": map[string]any{}}, "componentsVersion": "1.2"})
		},
		method: "POST", path: "/v2/mgmt/theme/import",
		body: `{"theme":{"componentsVersion":"1.2","styles":{"dark":{}}}}`, reply: `{}`,
	},
	{
		name: "role load all",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			rs, err := c.LoadAllRoles(ctx)
			if err != nil {
				return nil, err
			}
			return *rs[0], nil
		},
		method: "GET", path: "/v1/mgmt/role/all",
		reply: `{"roles":[{"id":"ROL1","name":"Editor","description":"d","permissionNames":["edit"],"createdTime":1700000000,"tenantId":"t","default":true,"private":false}]}`,
		want:  mgmt.Role{ID: "ROL1", Name: "Editor", Description: "d", PermissionNames: []string{"edit"}, CreatedTime: 1700000000, TenantID: "t", Default: true},
	},
	{
		name: "role create",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.CreateRole(ctx, &mgmt.Role{Name: "Editor", Description: "can edit", PermissionNames: []string{"edit"}})
		},
		method: "POST", path: "/v1/mgmt/role/create",
		body:  `{"default":false,"description":"can edit","name":"Editor","permissionNames":["edit"],"private":false,"tenantId":""}`,
		reply: `{"id":"ROL1","name":"Editor"}`,
	},
	{
		name: "role update",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.UpdateRole(ctx, "Editor", "", &mgmt.Role{Name: "Editor2", Description: "desc", PermissionNames: []string{"edit"}, Default: true})
		},
		method: "POST", path: "/v1/mgmt/role/update",
		body:  `{"default":true,"description":"desc","name":"Editor","newName":"Editor2","permissionNames":["edit"],"private":false,"tenantId":""}`,
		reply: `{}`,
	},
	{
		name: "role search",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			rs, err := c.SearchRoles(ctx, mgmt.RoleSearch{RoleNames: []string{"Editor2"}})
			return len(rs), err
		},
		method: "POST", path: "/v1/mgmt/role/search",
		body: `{"roleNames":["Editor2"]}`, reply: `{"roles":[{"name":"Editor2"}]}`, want: 1,
	},
	{
		name:   "role delete",
		do:     func(ctx context.Context, c *mgmt.Client) (any, error) { return nil, c.DeleteRole(ctx, "Editor2", "") },
		method: "POST", path: "/v1/mgmt/role/delete",
		body: `{"name":"Editor2","tenantId":""}`, reply: `{}`,
	},
	{
		name: "role create batch",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.CreateRoles(ctx, []*mgmt.Role{{Name: "A"}, {Name: "B", TenantID: "t", Private: true}})
		},
		method: "POST", path: "/v1/mgmt/role/create/batch",
		body: `{"roles":[{"default":false,"description":"","name":"A","permissionNames":null,"private":false,"tenantId":""},` +
			`{"default":false,"description":"","name":"B","permissionNames":null,"private":true,"tenantId":"t"}]}`,
		reply: `{"roles":[]}`,
	},
	{
		name: "role update batch",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.UpdateRoles(ctx, []mgmt.RoleUpdate{{Name: "A", Role: &mgmt.Role{Name: "A2", PermissionNames: []string{}}}})
		},
		method: "POST", path: "/v1/mgmt/role/update/batch",
		body:  `{"roles":[{"default":false,"description":"","name":"A","newName":"A2","permissionNames":[],"private":false,"tenantId":""}]}`,
		reply: `{"roles":[]}`,
	},
	{
		name: "role delete batch",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.DeleteRoles(ctx, "t", []string{"A", "B"})
		},
		method: "POST", path: "/v1/mgmt/role/delete/batch",
		body: `{"roleNames":["A","B"],"tenantId":"t"}`, reply: `{}`,
	},
	{
		name: "permission load all",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			ps, err := c.LoadAllPermissions(ctx)
			if err != nil {
				return nil, err
			}
			return *ps[0], nil
		},
		method: "GET", path: "/v1/mgmt/permission/all",
		reply: `{"permissions":[{"name":"SSO Admin","description":"d","systemDefault":true}]}`,
		want:  mgmt.Permission{Name: "SSO Admin", Description: "d", SystemDefault: true},
	},
	{
		name: "permission create",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.CreatePermission(ctx, &mgmt.Permission{Name: "edit"})
		},
		method: "POST", path: "/v1/mgmt/permission/create",
		body: `{"description":"","name":"edit"}`, reply: `{}`,
	},
	{
		name: "permission update",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.UpdatePermission(ctx, "edit", &mgmt.Permission{Name: "write", Description: "may write"})
		},
		method: "POST", path: "/v1/mgmt/permission/update",
		body: `{"description":"may write","name":"edit","newName":"write"}`, reply: `{}`,
	},
	{
		name:   "permission delete",
		do:     func(ctx context.Context, c *mgmt.Client) (any, error) { return nil, c.DeletePermission(ctx, "write") },
		method: "POST", path: "/v1/mgmt/permission/delete",
		body: `{"name":"write"}`, reply: `{}`,
	},
	{
		name: "permission create batch",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.CreatePermissions(ctx, []*mgmt.Permission{{Name: "a", Description: "x"}, {Name: "b"}})
		},
		method: "POST", path: "/v1/mgmt/permission/create/batch",
		body: `{"permissions":[{"description":"x","name":"a"},{"description":"","name":"b"}]}`, reply: `{}`,
	},
	{
		name: "permission update batch",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.UpdatePermissions(ctx, []mgmt.PermissionUpdate{{Name: "a", Permission: &mgmt.Permission{Name: "a", Description: "y"}}})
		},
		method: "POST", path: "/v1/mgmt/permission/update/batch",
		body: `{"permissions":[{"description":"y","name":"a","newName":"a"}]}`, reply: `{}`,
	},
	{
		name: "permission delete batch",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.DeletePermissions(ctx, []string{"a", "b"})
		},
		method: "POST", path: "/v1/mgmt/permission/delete/batch",
		body: `{"names":["a","b"]}`, reply: `{}`,
	},
	{
		name:   "project update name",
		do:     func(ctx context.Context, c *mgmt.Client) (any, error) { return nil, c.UpdateProjectName(ctx, "Prod") },
		method: "POST", path: "/v1/mgmt/project/update/name",
		body: `{"name":"Prod"}`, reply: `{}`,
	},
	{
		name: "project update tags",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.UpdateProjectTags(ctx, []string{"prod", "eu"})
		},
		method: "POST", path: "/v1/mgmt/project/update/tags",
		body: `{"tags":["prod","eu"]}`, reply: `{}`,
	},
	{
		name:   "project snapshot export",
		do:     func(ctx context.Context, c *mgmt.Client) (any, error) { return c.ExportSnapshot(ctx) },
		method: "POST", path: "/v1/mgmt/project/snapshot/export",
		body: `{}`, reply: `{"files":{"project.json":{"name":"Prod"}}}`,
		want: map[string]any{"project.json": map[string]any{"name": "Prod"}},
	},
}

// TestWire checks every client call's method, path, query, headers and exact
// body against docs/descope-api.md section 9, after the licence handshake.
func TestWire(t *testing.T) {
	for _, tc := range wireCases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, func(req request, n int) reply {
				if n == 0 {
					return ok(`{"rateLimitTier":"tier2"}`)
				}
				return ok(tc.reply)
			})
			c := newClient(t, rec, func(cfg *mgmt.Config) { cfg.NoLicense = false; cfg.Version = "1.2.3" })
			got, err := tc.do(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("result = %#v, want %#v", got, tc.want)
			}
			reqs := rec.requests()
			if len(reqs) != 2 {
				t.Fatalf("requests = %v, want the licence handshake then one call", rec.paths())
			}
			if lic := reqs[0]; lic.Method != "GET" || lic.Path != "/v1/mgmt/license" || lic.Header.Get("X-Descope-License") != "" {
				t.Errorf("first request = %s %s (licence %q), want GET /v1/mgmt/license without a licence header",
					lic.Method, lic.Path, lic.Header.Get("X-Descope-License"))
			}
			req := reqs[1]
			if req.Method != tc.method || req.Path != tc.path || req.Query != tc.query {
				t.Errorf("request = %s %s?%s, want %s %s?%s", req.Method, req.Path, req.Query, tc.method, tc.path, tc.query)
			}
			if req.Body != tc.body {
				t.Errorf("body:\n got %s\nwant %s", req.Body, tc.body)
			}
			if tc.body == "" && req.ContentLength > 0 {
				t.Errorf("Content-Length = %d, want no body", req.ContentLength)
			}
			wantHeaders := map[string]string{
				"Authorization":            "Bearer " + testProjectID + ":" + testKey,
				"X-Descope-Project-Id":     testProjectID,
				"X-Descope-Sdk-Name":       "descope-run",
				"X-Descope-Sdk-Version":    "1.2.3",
				"X-Descope-Sdk-Go-Version": runtime.Version(),
				"X-Descope-License":        "tier2",
				"User-Agent":               "descope-run/1.2.3",
				"Content-Type":             "",
			}
			if tc.method == "POST" {
				wantHeaders["Content-Type"] = "application/json"
			}
			for k, want := range wantHeaders {
				if got := req.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// TestLicense checks that an explicit licence call is the handshake.
func TestLicense(t *testing.T) {
	rec := newRecorder(t, routes(map[string]reply{
		"GET /v1/mgmt/license":  ok(`{"rateLimitTier":"tier3"}`),
		"GET /v1/mgmt/role/all": ok(`{"roles":[]}`),
	}))
	c := newClient(t, rec, func(cfg *mgmt.Config) { cfg.NoLicense = false })
	ctx := context.Background()
	tier, err := c.License(ctx)
	if err != nil || tier != "tier3" {
		t.Fatalf("License() = %q, %v; want tier3", tier, err)
	}
	if _, err := c.LoadAllRoles(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /v1/mgmt/license", "GET /v1/mgmt/role/all"}
	if got := rec.paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
	if h := rec.requests()[1].Header.Get("X-Descope-License"); h != "tier3" {
		t.Errorf("licence header = %q, want tier3", h)
	}
}

// TestLicenseHandshakeOnce checks that concurrent first calls make one handshake.
func TestLicenseHandshakeOnce(t *testing.T) {
	rec := newRecorder(t, routes(map[string]reply{
		"GET /v1/mgmt/license":    ok(`{"rateLimitTier":"tier2"}`),
		"GET /v1/mgmt/role/all":   ok(`{"roles":[]}`),
		"GET /v1/mgmt/tenant/all": ok(`{"tenants":[]}`),
	}))
	c := newClient(t, rec, func(cfg *mgmt.Config) { cfg.NoLicense = false })
	done := make(chan error)
	for range 5 {
		go func() {
			_, err := c.LoadAllRoles(context.Background())
			done <- err
		}()
	}
	for range 5 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := rec.countPaths()["GET /v1/mgmt/license"]; got != 1 {
		t.Errorf("licence calls = %d, want 1", got)
	}
}

// TestLicenseFailureIgnored checks that a failed handshake is not repeated
// and leaves the licence header out.
func TestLicenseFailureIgnored(t *testing.T) {
	rec := newRecorder(t, routes(map[string]reply{
		"GET /v1/mgmt/tenant/all": ok(`{"tenants":[]}`),
	}))
	c := newClient(t, rec, func(cfg *mgmt.Config) { cfg.NoLicense = false })
	for range 2 {
		if _, err := c.LoadAllTenants(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"GET /v1/mgmt/license", "GET /v1/mgmt/tenant/all", "GET /v1/mgmt/tenant/all"}
	if got := rec.paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
	if h := rec.requests()[2].Header.Get("X-Descope-License"); h != "" {
		t.Errorf("licence header = %q, want none", h)
	}
}

// TestInvalidArguments checks that refused arguments send nothing.
func TestInvalidArguments(t *testing.T) {
	rec := newRecorder(t, routes(nil))
	c := newClient(t, rec)
	ctx := context.Background()
	calls := map[string]func() error{
		"tenant create without name": func() error { _, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: "x"}); return err },
		"tenant update without id":   func() error { return c.UpdateTenant(ctx, &mgmt.Tenant{Name: "x"}) },
		"tenant delete without id":   func() error { return c.DeleteTenant(ctx, "", false) },
		"tenant load without id":     func() error { _, err := c.LoadTenant(ctx, ""); return err },
		"flow export without id":     func() error { _, err := c.ExportFlow(ctx, ""); return err },
		"flow delete of nothing":     func() error { return c.DeleteFlows(ctx, nil) },
		"role delete batch of none":  func() error { return c.DeleteRoles(ctx, "", nil) },
		"role create without name":   func() error { return c.CreateRole(ctx, &mgmt.Role{}) },
		"permission delete batch":    func() error { return c.DeletePermissions(ctx, []string{}) },
		"project name empty":         func() error { return c.UpdateProjectName(ctx, "") },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, mgmt.ErrInvalidArgument) {
			t.Errorf("%s: error = %v, want ErrInvalidArgument", name, err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestBaseURLForProjectID(t *testing.T) {
	tests := []struct{ id, want string }{
		{"Puse12aAc4T2V93bddihGEx2Ryhc8e5Z", "https://api.use1.descope.com"},
		{"Peuc12aAc4T2V93bddihGEx2Ryhc8e5Z", "https://api.euc1.descope.com"},
		{"P2aAc4T2V93bddihGEx2Ryhc8e5Z", "https://api.descope.com"},
		{"", "https://api.descope.com"},
	}
	for _, tc := range tests {
		if got := mgmt.BaseURLForProjectID(tc.id); got != tc.want {
			t.Errorf("BaseURLForProjectID(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("DESCOPE_PROJECT_ID", "P1")
	t.Setenv("DESCOPE_MANAGEMENT_KEY", "K1")
	t.Setenv("DESCOPE_BASE_URL", "http://127.0.0.1:1")
	got := mgmt.ConfigFromEnv()
	if got.ProjectID != "P1" || got.ManagementKey != "K1" || got.BaseURL != "http://127.0.0.1:1" {
		t.Errorf("ConfigFromEnv() = %+v with key %q", got, got.ManagementKey)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     mgmt.Config
		wantURL string
		wantErr bool
	}{
		{"derived regional url", mgmt.Config{ProjectID: "Puse12aAc4T2V93bddihGEx2Ryhc8e5Z"}, "https://api.use1.descope.com", false},
		{"explicit url, trailing slash", mgmt.Config{ProjectID: "P1", BaseURL: "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080", false},
		{"no project", mgmt.Config{}, "", true},
		{"not a url", mgmt.Config{ProjectID: "P1", BaseURL: "ftp://x"}, "", true},
	}
	for _, tc := range tests {
		c, err := mgmt.New(tc.cfg)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: New error = %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if err == nil && c.BaseURL() != tc.wantURL {
			t.Errorf("%s: BaseURL = %q, want %q", tc.name, c.BaseURL(), tc.wantURL)
		}
	}
}

// TestAuthorizationWithoutKey checks the SDK's form without a management key.
func TestAuthorizationWithoutKey(t *testing.T) {
	rec := newRecorder(t, routes(map[string]reply{"GET /v1/mgmt/role/all": ok(`{}`)}))
	c := newClient(t, rec, func(cfg *mgmt.Config) { cfg.ManagementKey = "" })
	if _, err := c.LoadAllRoles(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.requests()[0].Header.Get("Authorization"); got != "Bearer "+testProjectID {
		t.Errorf("Authorization = %q", got)
	}
}

// TestDecodeError checks that a malformed 2xx body is an error, not retried.
func TestDecodeError(t *testing.T) {
	rec := newRecorder(t, routes(map[string]reply{
		"GET /v1/mgmt/tenant/all":     ok(`{"tenants":[{"createdTime":1700000000000}]}`),
		"POST /v1/mgmt/tenant/create": ok(``),
	}))
	c := newClient(t, rec)
	if _, err := c.LoadAllTenants(context.Background()); err == nil || mgmt.IsTransient(err) {
		t.Errorf("milliseconds createdTime: error = %v, want a permanent decode error", err)
	}
	if _, err := c.CreateTenant(context.Background(), &mgmt.Tenant{Name: "x"}); err == nil || mgmt.IsTransient(err) {
		t.Errorf("empty create body: error = %v, want a permanent decode error", err)
	}
	if n := len(rec.requests()); n != 2 {
		t.Errorf("%d requests, want 2 (no retry)", n)
	}
}

func TestStatusOf(t *testing.T) {
	err := errors.Join(errors.New("x"), &mgmt.Error{Status: http.StatusTeapot})
	if got := mgmt.StatusOf(err); got != http.StatusTeapot {
		t.Errorf("StatusOf = %d", got)
	}
}
