package mgmt_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

func init() { wireCases = append(wireCases, ssoWireCases...) }

// ssoWireCases are the SSO calls as the Go SDK puts them on the wire
// (docs/descope-api.md section 4.8): v2 loads, the capitalised
// SSOSettings key, the SAML write names, DELETE with query parameters.
var ssoWireCases = []wireCase{
	{
		name: "sso load one",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			s, err := c.LoadSSO(ctx, "T2acme", "okta")
			if err != nil {
				return nil, err
			}
			return []any{s.SSOID, s.ActiveProtocol(), s.OIDC.ClientID, s.SAML.IdpSSOURL}, nil
		},
		method: "GET", path: "/v2/mgmt/sso/settings", query: "ssoId=okta&tenantId=T2acme",
		reply: `{"tenant":{"id":"T2acme","authType":"oidc","domains":["acme.com"]},"saml":{"idpSSOUrl":""},"oidc":{"clientId":"c1","clientSecret":""},"ssoId":"okta"}`,
		want:  []any{"okta", "oidc", "c1", ""},
	},
	{
		name: "sso load the default",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			s, err := c.LoadSSO(ctx, "T2acme", "")
			if err != nil {
				return nil, err
			}
			return s.ActiveProtocol(), nil
		},
		method: "GET", path: "/v2/mgmt/sso/settings", query: "tenantId=T2acme",
		reply: `{"tenant":{"authType":"saml"},"saml":{},"oidc":{},"ssoId":""}`, want: "saml",
	},
	{
		name: "sso load all (capitalised key)",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			all, err := c.LoadAllSSO(ctx, "T2acme")
			var ids []string
			for _, s := range all {
				ids = append(ids, s.SSOID)
			}
			return ids, err
		},
		method: "GET", path: "/v2/mgmt/sso/settings/all", query: "tenantId=T2acme",
		reply: `{"SSOSettings":[{"ssoId":"okta"},{"ssoId":""}]}`, want: []string{"okta", ""},
	},
	{
		name: "sso create",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			s, err := c.NewSSO(ctx, "T2acme", "okta", "Okta")
			if err != nil {
				return nil, err
			}
			return s.SSOID, nil
		},
		method: "POST", path: "/v1/mgmt/sso/settings/new",
		body:  `{"displayName":"Okta","ssoId":"okta","tenantId":"T2acme"}`,
		reply: `{"tenant":{"id":"T2acme"},"saml":{},"oidc":{},"ssoId":"okta"}`, want: "okta",
	},
	{
		name: "sso configure oidc (the SDK's struct order, empty fields left out)",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.ConfigureOIDC(ctx, "T2acme", "okta", &mgmt.OIDCSettings{
				ClientID: "c1", ClientSecret: "s", Scope: []string{"openid"}, UserAttrMapping: map[string]any{"email": "mail", "name": ""},
				GroupsMapping: []mgmt.GroupsMapping{{Role: mgmt.RoleItem{Name: "editor"}, Groups: []string{"eng"}}},
			}, []string{"acme.com"})
		},
		method: "POST", path: "/v1/mgmt/sso/oidc",
		body:  `{"domains":["acme.com"],"settings":{"clientId":"c1","clientSecret":"s","scope":["openid"],"userAttrMapping":{"email":"mail"},"groupsMapping":[{"role":{"name":"editor"},"groups":["eng"]}]},"ssoId":"okta","tenantId":"T2acme"}`,
		reply: `{}`,
	},
	{
		name: "sso configure saml (write names, nulls and empty strings sent)",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.ConfigureSAML(ctx, "T2acme", "", &mgmt.SAMLSettings{
				IdpSSOURL: "https://idp/sso", IdpEntityID: "urn:idp", IdpCertificate: "PEM", RedirectURL: "https://app",
				GroupsMapping: []mgmt.GroupsMapping{{Role: mgmt.RoleItem{ID: "ROL1", Name: "editor"}, Groups: []string{"ops"}}},
			}, nil)
		},
		method: "POST", path: "/v1/mgmt/sso/saml",
		body:  `{"domains":null,"redirectUrl":"https://app","settings":{"attributeMapping":null,"defaultSSORoles":null,"entityId":"urn:idp","groupsPriority":null,"idpCert":"PEM","idpUrl":"https://idp/sso","roleMappings":[{"groups":["ops"],"roleName":"editor"}],"spACSUrl":"","spEntityId":""},"tenantId":"T2acme"}`,
		reply: ``,
	},
	{
		name: "sso configure saml by metadata",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.ConfigureSAMLByMetadata(ctx, "T2acme", "adfs", &mgmt.SAMLSettings{
				IdpMetadataURL: "https://adfs/metadata.xml", AttributeMapping: map[string]any{"email": "mail"},
			}, []string{"acme.com"})
		},
		method: "POST", path: "/v1/mgmt/sso/saml/metadata",
		body:  `{"domains":["acme.com"],"redirectUrl":"","settings":{"attributeMapping":{"email":"mail"},"defaultSSORoles":null,"groupsPriority":null,"idpMetadataUrl":"https://adfs/metadata.xml","roleMappings":[],"spACSUrl":"","spEntityId":""},"ssoId":"adfs","tenantId":"T2acme"}`,
		reply: `{}`,
	},
	{
		name: "sso redirect URLs only",
		do: func(ctx context.Context, c *mgmt.Client) (any, error) {
			return nil, c.ConfigureSSORedirect(ctx, "T2acme", "okta", "", "https://app/cb")
		},
		method: "POST", path: "/v1/mgmt/sso/redirect",
		body:  `{"oauthRedirectUrl":"https://app/cb","ssoId":"okta","tenantId":"T2acme"}`,
		reply: `{}`,
	},
	{
		name:   "sso delete (DELETE, query parameters, no body)",
		do:     func(ctx context.Context, c *mgmt.Client) (any, error) { return nil, c.DeleteSSO(ctx, "T2acme", "okta") },
		method: "DELETE", path: "/v1/mgmt/sso/settings", query: "ssoId=okta&tenantId=T2acme",
		reply: `{}`,
	},
}

// TestContractSSO runs every SSO call against the emulator: each must be
// accepted, what the client reads must be what the emulator holds, and the
// client secret is never read back.
func TestContractSSO(t *testing.T) {
	srv := emulator.NewServer()
	defer srv.Close()
	c := emulatorClient(t, srv)
	ctx := context.Background()
	const secret = "contract-secret-8d1e"

	load := func(ssoID string) (*mgmt.SSOSettings, error) { return c.LoadSSO(ctx, "acme", ssoID) }
	steps := []struct {
		name string
		do   func() error
	}{
		{"tenant", func() error { _, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: "acme", Name: "Acme"}); return err }},
		{"role", func() error { return c.CreateRole(ctx, &mgmt.Role{Name: "editor"}) }},
		{"tenant role", func() error { return c.CreateRole(ctx, &mgmt.Role{Name: "local", TenantID: "acme"}) }},
		{"configure the default by OIDC (read, merge, write)", func() error {
			live, err := load("")
			if err != nil {
				return err
			}
			s := mgmt.MergeOIDC(live.OIDC, &descope.OIDC{
				ClientID: descope.Ptr("c1"), Issuer: descope.Ptr("https://idp"), Scope: &[]string{"openid", "email"},
				AttributeMapping: &descope.Attrs{"email": "mail"},
				RoleMappings:     &[]descope.RoleMapping{{Groups: []string{"eng"}, Role: "editor"}},
				DefaultRoles:     &[]string{"local"},
			})
			s.ClientSecret = secret
			return c.ConfigureOIDC(ctx, "acme", "", s, []string{"acme.com"})
		}},
		{"the secret is never read back", func() error {
			s, err := load("")
			if err == nil && (s.OIDC.ClientSecret != "" || s.ActiveProtocol() != "oidc") {
				err = fmt.Errorf("clientSecret %q, protocol %s", s.OIDC.ClientSecret, s.ActiveProtocol())
			}
			return err
		}},
		{"create another", func() error {
			s, err := c.NewSSO(ctx, "acme", "eu", "Acme EU")
			if err == nil && s.SSOID != "eu" {
				err = fmt.Errorf("ssoId = %q", s.SSOID)
			}
			return err
		}},
		{"configure it by SAML", func() error {
			live, err := load("eu")
			if err != nil {
				return err
			}
			return c.ConfigureSAML(ctx, "acme", "eu", mgmt.MergeSAML(live.SAML, &descope.SAML{
				IdpURL: descope.Ptr("https://idp/sso"), EntityID: descope.Ptr("urn:idp"), IdpCert: descope.Ptr("PEM"),
				RedirectURL: descope.Ptr("https://app/after"), AttributeMapping: &descope.Attrs{"givenName": "first"},
				RoleMappings: &[]descope.RoleMapping{{Groups: []string{"ops"}, Role: "local"}},
			}), []string{"acme.eu"})
		}},
		{"read SAML back under its read names", func() error {
			s, err := load("eu")
			if err != nil {
				return err
			}
			m := s.Model("acme")
			if m.SAML == nil || *m.SAML.IdpURL != "https://idp/sso" || *m.SAML.EntityID != "urn:idp" || *m.SAML.IdpCert != "PEM" ||
				*m.SAML.RedirectURL != "https://app/after" || (*m.SAML.RoleMappings)[0].Role != "local" || m.OIDC != nil {
				return fmt.Errorf("read back %+v", m.SAML)
			}
			return nil
		}},
		{"create a third, by metadata", func() error {
			if _, err := c.NewSSO(ctx, "acme", "adfs", "ADFS"); err != nil {
				return err
			}
			return c.ConfigureSAMLByMetadata(ctx, "acme", "adfs", mgmt.MergeSAML(nil, &descope.SAML{
				MetadataURL: descope.Ptr("https://adfs/metadata.xml"), EntityID: descope.Ptr("urn:adfs"),
			}), nil)
		}},
		{"redirect URLs", func() error { return c.ConfigureSSORedirect(ctx, "acme", "", "", "https://app/cb") }},
		{"load all", func() error {
			all, err := c.LoadAllSSO(ctx, "acme")
			if err != nil {
				return err
			}
			var ids []string
			for _, s := range all {
				ids = append(ids, s.SSOID)
			}
			if slices.Sort(ids); !slices.Equal(ids, []string{"", "adfs", "eu"}) {
				return fmt.Errorf("ids %q", ids)
			}
			return nil
		}},
		{"read state", func() error {
			s, err := c.ReadState(ctx, everything)
			if err == nil {
				sameState(t, s, srv.State())
				if len(s.SSO) != 3 || !slices.Equal(s.SSOTenants, []string{"acme"}) {
					err = fmt.Errorf("SSO %d, tenants read %v", len(s.SSO), s.SSOTenants)
				}
			}
			return err
		}},
		{"delete one", func() error { return c.DeleteSSO(ctx, "acme", "adfs") }},
		{"delete the default", func() error { return c.DeleteSSO(ctx, "acme", "") }},
		{"deleted", func() error {
			if _, err := load("adfs"); !mgmt.IsNotFound(err) {
				return fmt.Errorf("load after delete: %v, want not found", err)
			}
			return nil
		}},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	for _, r := range srv.Requests() {
		if (r.Status < 200 || r.Status > 299) && !(r.Status == http.StatusNotFound && r.Method == http.MethodGet) {
			t.Errorf("%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
		}
		if r.Method == http.MethodDelete && (len(r.Body) > 0 || r.Header.Get("Content-Type") != "") {
			t.Errorf("DELETE %s carried a body or a content type", r.Path)
		}
	}
	// The secret went out once, in the configure call that set it.
	sent := 0
	for _, r := range srv.Requests() {
		if strings.Contains(string(r.Body), secret) {
			sent++
		}
	}
	if sent != 1 {
		t.Errorf("the secret was sent %d times, want once", sent)
	}
}
