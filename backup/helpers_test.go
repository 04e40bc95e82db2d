package backup

import (
	"bytes"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope"
)

const testProject = "P2test"

var testTime = time.Date(2025, 11, 26, 18, 45, 12, 345_000_000, time.UTC)

// sampleState returns a live state with every kind and most fields set,
// including nil optional fields as the API may leave them.
func sampleState() *descope.State {
	return &descope.State{
		Project: &descope.Project{ID: testProject, Name: descope.Ptr("Acme prod"), Tags: &[]string{"prod", "eu"}},
		Permissions: []*descope.Permission{
			{Name: "User Admin", Description: descope.Ptr("Manage users"), SystemDefault: true},
			{Name: "billing.read", Description: descope.Ptr("Read invoices <& co>")},
			{Name: "billing.write"},
		},
		Roles: []*descope.Role{
			{Name: "Tenant Admin", Description: descope.Ptr(""), Permissions: &[]string{"User Admin"}, Default: descope.Ptr(false), Private: descope.Ptr(false)},
			{Name: "billing", Tenant: "acme", Permissions: &[]string{"billing.write", "billing.read"}, Default: descope.Ptr(true)},
		},
		TenantAttributes: []*descope.TenantAttribute{
			{Key: "plan", DisplayName: descope.Ptr("Plan"), Type: "singleselect", Options: &[]string{"silver", "gold"}, ViewPermissions: &[]string{"billing.read"}},
			{Key: "seats", Type: "number"},
		},
		Tenants: []*descope.Tenant{
			{
				ID: "acme-eu", Name: "Acme EU", Parent: descope.Ptr("acme"),
				Settings: &descope.TenantSettings{SessionSettingsEnabled: descope.Ptr(false), AuthType: descope.Ptr("none")},
			},
			{
				ID: "acme", Name: "Acme Corp",
				Domains: &[]string{"acme.com", "acme.io"},
				Attributes: &map[string]any{
					"plan": "gold", "seats": int64(250), "ratio": 0.75, "beta": true,
					"regions": []any{"eu", "us"},
				},
				EnforceSSO: descope.Ptr(true), Disabled: descope.Ptr(false), Parent: descope.Ptr(""),
				DefaultRoles: &[]string{"viewer"},
				Settings:     fullSettings("sso.acme.com"),
			},
			{ID: "beta", Name: "Beta"},
		},
		// acme's and beta's SSO configurations were read; beta has none.
		SSO: []*descope.SSO{{
			Tenant: "acme", Domains: &[]string{"sso.acme.com"},
			OIDC: &descope.OIDC{ClientID: descope.Ptr("client"), Scope: &[]string{"openid"},
				RoleMappings: &[]descope.RoleMapping{{Groups: []string{"eng"}, Role: "billing"}}},
		}},
		SSOTenants: []string{"acme", "beta"},
		Flows: []*descope.Flow{
			{ID: "sign-in", Name: "Sign In", Document: flowDoc("sign-in", 2)},
			{ID: "onboarding", Name: "Onboarding", Document: flowDoc("onboarding", 3)},
		},
		Theme: &descope.Theme{Document: map[string]any{
			"componentsVersion": "1.2.3",
			"styles": map[string]any{
				"light": map[string]any{"primary": "#0055ff", "radius": 4.0},
				"dark":  map[string]any{"primary": "#3377ff", "radius": 4.0},
			},
			"references": map[string]any{},
		}},
	}
}

// fullSettings returns tenant settings with every field set.
func fullSettings(ssoDomain string) *descope.TenantSettings {
	return &descope.TenantSettings{
		Domains: &[]string{ssoDomain}, AuthType: descope.Ptr("saml"),
		SessionSettingsEnabled: descope.Ptr(true),
		RefreshTokenExpiration: descope.Ptr(int64(4)), RefreshTokenExpirationUnit: descope.Ptr("weeks"),
		SessionTokenExpiration: descope.Ptr(int64(10)), SessionTokenExpirationUnit: descope.Ptr("minutes"),
		StepupTokenExpiration: descope.Ptr(int64(5)), StepupTokenExpirationUnit: descope.Ptr("minutes"),
		EnableInactivity: descope.Ptr(true), InactivityTime: descope.Ptr(int64(30)), InactivityTimeUnit: descope.Ptr("minutes"),
		JITDisabled: descope.Ptr(false),
	}
}

// ids returns the ids of entries, in order.
func ids(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return out
}

// flowDoc returns a small v2 flow export document with n screens.
func flowDoc(id string, n int) map[string]any {
	screens := make([]any, n)
	tasks := map[string]any{}
	for i := range n {
		sid := id + "-screen-" + string(rune('a'+i))
		screens[i] = map[string]any{
			"id":   sid,
			"html": "<descope-button id=\"submit\">Continue &amp; go</descope-button>",
			"interactions": []any{
				map[string]any{"id": "submit", "type": "button", "next": float64(i + 1)},
			},
		}
		tasks[sid] = map[string]any{"type": "screen", "screenId": sid}
	}
	return map[string]any{
		"flowId":     id,
		"metadata":   map[string]any{"name": id, "version": 7.0, "disabled": false},
		"contents":   map[string]any{"startTask": id + "-screen-a", "tasks": tasks},
		"screens":    screens,
		"references": map[string]any{"connectors": []any{}},
	}
}

func testMeta() Metadata {
	return Metadata{
		ToolVersion: "v0.1.0-test",
		CreatedAt:   testTime.In(time.FixedZone("CET", 3600)), // written as UTC
		Operation:   OperationApply,
		Reason:      "plan prod.star",
		User:        "alice",
		GitCommit:   "0123456789abcdef0123456789abcdef01234567",
	}
}

// encoded returns the encoding of a backup of sampleState.
func encoded(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, New(testMeta(), sampleState())); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// canonical returns the canonical JSON of s.
func canonical(t testing.TB, s *descope.State) string {
	t.Helper()
	b, err := s.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
