package mgmt_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// liveProject answers the read endpoints with a small project.
func liveProject(req request, _ int) reply {
	switch req.Method + " " + req.Path {
	case "GET /v1/mgmt/tenant/all":
		return ok(`{"tenants":[
			{"id":"acme","name":"Acme","selfProvisioningDomains":["b.com","a.com"],"customAttributes":{"n":3,"f":1.5,"l":[1,"x"]},
			 "parent":"","successors":["acme-eu"],"enforceSSO":true,"disabled":false,"defaultRoles":["Viewer"],"createdTime":1700000000},
			{"id":"acme-eu","name":"Acme EU","parent":"acme"},
			{"id":"beta","name":"Beta","selfProvisioningDomains":[],"customAttributes":{}}]}`)
	case "GET /v1/mgmt/role/all":
		return ok(`{"roles":[{"name":"Viewer","permissionNames":["view"]},{"name":"Tenant Admin","description":"admin","permissionNames":["User Admin","SSO Admin"]},
			{"name":"Local","tenantId":"acme","private":true}]}`)
	case "GET /v1/mgmt/permission/all":
		return ok(`{"permissions":[{"name":"view","description":"may view"},{"name":"SSO Admin","systemDefault":true}]}`)
	case "POST /v1/mgmt/flow/list":
		return ok(`{"flows":[{"id":"sign-in","name":"Sign In"},{"id":"custom","name":"Custom"}],"total":2}`)
	case "POST /v2/mgmt/flow/export":
		var body struct{ FlowID string }
		json.Unmarshal([]byte(req.Body), &body)
		return ok(`{"flow":{"flowId":"` + body.FlowID + `","contents":{}}}`)
	case "POST /v2/mgmt/theme/export":
		return ok(`{"theme":{"styles":{}}}`)
	case "GET /v1/mgmt/tenant/settings":
		return ok(`{"domains":["sso.acme.com"],"enabled":true,"sessionTokenExpiration":10,"sessionTokenExpirationUnit":"minutes"}`)
	case "POST /v1/mgmt/project/snapshot/export":
		return ok(`{"files":{"project.json":{"name":"Prod","tags":["eu"]},"flows/x.json":"aGk="}}`)
	case "GET /v1/mgmt/tenant/attribute":
		switch req.Query {
		case "name=n":
			return ok(`{"name":"n","displayName":"N","type":"number","options":null,"viewPermissions":["view"]}`)
		case "name=region":
			return ok(`{"name":"region","displayName":"Region","type":"singleselect","options":["us","eu"]}`)
		case "name=f", "name=l":
			return ok(`{"name":"` + strings.TrimPrefix(req.Query, "name=") + `","displayName":"x","type":"string"}`)
		}
	}
	return reply{status: 404, body: `{"errorCode":"E011004"}`}
}

func TestReadState(t *testing.T) {
	rec := newRecorder(t, liveProject)
	c := newClient(t, rec)
	got, err := c.ReadState(context.Background(), mgmt.ReadOptions{
		Flows:            []string{"custom", "not-live", "custom"},
		Settings:         []string{"acme", "ghost"},
		TenantAttributes: []string{"region", "undefined", "n"},
		Theme:            true,
		Project:          true,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCalls := map[string]int{
		"GET /v1/mgmt/tenant/all":               1,
		"GET /v1/mgmt/role/all":                 1,
		"GET /v1/mgmt/permission/all":           1,
		"POST /v1/mgmt/flow/list":               1,
		"POST /v2/mgmt/flow/export":             1,
		"POST /v2/mgmt/theme/export":            1,
		"GET /v1/mgmt/tenant/settings":          1,
		"POST /v1/mgmt/project/snapshot/export": 1,
		// The keys the tenants use (n, f, l) and those asked for, once each.
		"GET /v1/mgmt/tenant/attribute": 5,
	}
	if calls := rec.countPaths(); !reflect.DeepEqual(calls, wantCalls) {
		t.Errorf("calls = %v, want %v", calls, wantCalls)
	}
	for _, r := range rec.requests() {
		if r.Path == "/v1/mgmt/tenant/settings" && r.Query != "id=acme" {
			t.Errorf("settings read for %q, want acme only", r.Query)
		}
	}
	empty := []string{}
	want := &descope.State{
		Project: &descope.Project{ID: testProjectID, Name: descope.Ptr("Prod"), Tags: descope.Ptr([]string{"eu"})},
		Permissions: []*descope.Permission{
			{Name: "view", Description: descope.Ptr("may view")},
			{Name: "SSO Admin", Description: descope.Ptr(""), SystemDefault: true},
		},
		Roles: []*descope.Role{
			{Name: "Viewer", Description: descope.Ptr(""), Permissions: descope.Ptr([]string{"view"}), Default: descope.Ptr(false), Private: descope.Ptr(false)},
			{Name: "Tenant Admin", Description: descope.Ptr("admin"), Permissions: descope.Ptr([]string{"SSO Admin", "User Admin"}), Default: descope.Ptr(false), Private: descope.Ptr(false)},
			{Name: "Local", Tenant: "acme", Description: descope.Ptr(""), Permissions: &empty, Default: descope.Ptr(false), Private: descope.Ptr(true)},
		},
		Tenants: []*descope.Tenant{
			{
				ID: "acme", Name: "Acme", Domains: descope.Ptr([]string{"a.com", "b.com"}),
				Attributes: descope.Ptr(map[string]any{"n": int64(3), "f": 1.5, "l": []any{int64(1), "x"}}),
				EnforceSSO: descope.Ptr(true), Disabled: descope.Ptr(false), Parent: descope.Ptr(""),
				DefaultRoles: descope.Ptr([]string{"Viewer"}),
				Settings: &descope.TenantSettings{
					Domains: descope.Ptr([]string{"sso.acme.com"}), AuthType: descope.Ptr(""), SessionSettingsEnabled: descope.Ptr(true),
					RefreshTokenExpiration: descope.Ptr(int64(0)), RefreshTokenExpirationUnit: descope.Ptr(""),
					SessionTokenExpiration: descope.Ptr(int64(10)), SessionTokenExpirationUnit: descope.Ptr("minutes"),
					StepupTokenExpiration: descope.Ptr(int64(0)), StepupTokenExpirationUnit: descope.Ptr(""),
					EnableInactivity: descope.Ptr(false), InactivityTime: descope.Ptr(int64(0)), InactivityTimeUnit: descope.Ptr(""),
					JITDisabled: descope.Ptr(false),
				},
			},
			{
				ID: "acme-eu", Name: "Acme EU", Domains: &empty, Attributes: descope.Ptr(map[string]any{}),
				EnforceSSO: descope.Ptr(false), Disabled: descope.Ptr(false), Parent: descope.Ptr("acme"), DefaultRoles: &empty,
			},
			{
				ID: "beta", Name: "Beta", Domains: &empty, Attributes: descope.Ptr(map[string]any{}),
				EnforceSSO: descope.Ptr(false), Disabled: descope.Ptr(false), Parent: descope.Ptr(""), DefaultRoles: &empty,
			},
		},
		Flows: []*descope.Flow{
			{ID: "sign-in", Name: "Sign In"},
			{ID: "custom", Name: "Custom", Document: map[string]any{"flowId": "custom", "contents": map[string]any{}}},
		},
		Theme: &descope.Theme{Document: map[string]any{"styles": map[string]any{}}},
		TenantAttributes: []*descope.TenantAttribute{
			{Key: "f", DisplayName: descope.Ptr("x"), Type: "string", Options: &empty, ViewPermissions: &empty},
			{Key: "l", DisplayName: descope.Ptr("x"), Type: "string", Options: &empty, ViewPermissions: &empty},
			{Key: "n", DisplayName: descope.Ptr("N"), Type: "number", Options: &empty, ViewPermissions: descope.Ptr([]string{"view"})},
			{Key: "region", DisplayName: descope.Ptr("Region"), Type: "singleselect", Options: descope.Ptr([]string{"eu", "us"}), ViewPermissions: &empty},
		},
	}
	want.Normalize()
	if !reflect.DeepEqual(got, want) {
		g, _ := got.CanonicalJSON()
		w, _ := want.CanonicalJSON()
		t.Errorf("state:\n got %s\nwant %s", g, w)
	}
	// Typed values matter beyond the JSON form: attributes are int64 or float64.
	if v := (*got.Tenant("acme").Attributes)["n"]; v != int64(3) {
		t.Errorf("attribute n = %#v, want int64(3)", v)
	}
}

func TestReadStateMinimalAndAll(t *testing.T) {
	tests := []struct {
		name  string
		opts  mgmt.ReadOptions
		calls map[string]int
	}{
		{
			name: "fixed calls only",
			calls: map[string]int{"GET /v1/mgmt/tenant/all": 1, "GET /v1/mgmt/role/all": 1,
				"GET /v1/mgmt/permission/all": 1, "POST /v1/mgmt/flow/list": 1, "GET /v1/mgmt/tenant/attribute": 3},
		},
		{
			name: "every flow and every tenant's settings",
			opts: mgmt.ReadOptions{AllFlows: true, AllSettings: true, Concurrency: 2},
			calls: map[string]int{"GET /v1/mgmt/tenant/all": 1, "GET /v1/mgmt/role/all": 1,
				"GET /v1/mgmt/permission/all": 1, "POST /v1/mgmt/flow/list": 1,
				"POST /v2/mgmt/flow/export": 2, "GET /v1/mgmt/tenant/settings": 3, "GET /v1/mgmt/tenant/attribute": 3},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, liveProject)
			s, err := newClient(t, rec).ReadState(context.Background(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if calls := rec.countPaths(); !reflect.DeepEqual(calls, tc.calls) {
				t.Errorf("calls = %v, want %v", calls, tc.calls)
			}
			if s.Project != nil || s.Theme != nil {
				t.Errorf("project %v, theme %v: not asked for", s.Project, s.Theme)
			}
		})
	}
}

func TestReadStateError(t *testing.T) {
	rec := newRecorder(t, func(req request, n int) reply {
		if req.Path == "/v1/mgmt/role/all" {
			return reply{status: 403, body: `{"errorCode":"E011003","errorDescription":"Forbidden"}`}
		}
		return liveProject(req, n)
	})
	_, err := newClient(t, rec).ReadState(context.Background(), mgmt.ReadOptions{})
	if !mgmt.IsAuth(err) || !strings.HasPrefix(err.Error(), "read project "+testProjectID+": role load all: ") {
		t.Errorf("error = %v", err)
	}
}

func TestMergeTenant(t *testing.T) {
	live := &mgmt.Tenant{ID: "acme", Name: "Acme", SelfProvisioningDomains: []string{"a.com"}, RoleInheritance: "userOnly",
		EnforceSSOExclusions: []string{"U1"}, Disabled: true, Parent: "root", CustomAttributes: map[string]any{"x": 1}}
	got := mgmt.MergeTenant(live, &descope.Tenant{ID: "acme", Name: "Acme Inc", Domains: &[]string{}, EnforceSSO: descope.Ptr(true)})
	want := &mgmt.Tenant{ID: "acme", Name: "Acme Inc", SelfProvisioningDomains: []string{}, RoleInheritance: "userOnly",
		EnforceSSOExclusions: []string{"U1"}, Disabled: true, EnforceSSO: true, Parent: "root", CustomAttributes: map[string]any{"x": 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeTenant = %+v, want %+v", got, want)
	}
	if live.Name != "Acme" {
		t.Error("MergeTenant changed live")
	}
	created := mgmt.TenantFromModel(&descope.Tenant{ID: "eu", Name: "EU", Parent: descope.Ptr("acme")})
	if !reflect.DeepEqual(*created, mgmt.Tenant{ID: "eu", Name: "EU", Parent: "acme"}) {
		t.Errorf("TenantFromModel = %+v", created)
	}
}

func TestMergeRoleAndSettings(t *testing.T) {
	live := &mgmt.Role{ID: "ROL1", Name: "Editor", Description: "d", PermissionNames: []string{"a"}, Default: true}
	got := mgmt.MergeRole(live, &descope.Role{Name: "Editor", Permissions: &[]string{"b"}})
	want := &mgmt.Role{ID: "ROL1", Name: "Editor", Description: "d", PermissionNames: []string{"b"}, Default: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeRole = %+v, want %+v", got, want)
	}
	s := mgmt.MergeSettings(&mgmt.TenantSettings{AuthType: "saml", InactivityTime: 5},
		&descope.TenantSettings{InactivityTime: descope.Ptr(int64(9)), Domains: &[]string{"x.com"}})
	if !reflect.DeepEqual(*s, mgmt.TenantSettings{AuthType: "saml", InactivityTime: 9, Domains: []string{"x.com"}}) {
		t.Errorf("MergeSettings = %+v", *s)
	}
	p := mgmt.PermissionFromModel(&descope.Permission{Name: "view", Description: descope.Ptr("v")})
	if *p != (mgmt.Permission{Name: "view", Description: "v"}) {
		t.Errorf("PermissionFromModel = %+v", *p)
	}
}
