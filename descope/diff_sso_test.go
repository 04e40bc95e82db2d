package descope

import (
	"fmt"
	"strings"
	"testing"
)

// liveOIDC is a live OIDC configuration as the client reads it: every field
// set, the secret absent.
func liveOIDC(tenant, id string, domains ...string) *SSO {
	return &SSO{
		Tenant: tenant, ID: id, Domains: &domains,
		OIDC: &OIDC{
			ClientID: Ptr("client"), AuthURL: Ptr("https://idp/auth"), TokenURL: Ptr(""), UserDataURL: Ptr(""),
			JWKsURL: Ptr(""), Issuer: Ptr("https://idp"), Scope: &[]string{"openid"}, RedirectURL: Ptr(""),
			CallbackDomain: Ptr(""), GrantType: Ptr("authorization_code"), Prompt: &[]string{},
			ManageProviderTokens: Ptr(false),
			AttributeMapping:     &Attrs{"loginId": "sub", "email": "email"},
			RoleMappings:         &[]RoleMapping{{Groups: []string{"b", "a"}, Role: "editor"}},
			DefaultRoles:         &[]string{},
		},
	}
}

func TestDiffSSO(t *testing.T) {
	tenant := &Tenant{ID: "acme", Name: "Acme", Parent: Ptr("")}
	tenants := func() []*Tenant { return []*Tenant{tenant} }
	secret := func(send bool) *Secret {
		return &Secret{Env: "ACME_SECRET", Send: send, Reason: "rotated (--rotate-secrets)"}
	}
	runPlanCases(t, []planCase{
		{
			name: "create shows the protocol, the name, the domains and the secret",
			live: &State{Tenants: tenants()},
			desired: &State{Tenants: tenants(), SSO: []*SSO{{
				Tenant: "acme", ID: "okta", Name: Ptr("Okta"), Domains: &[]string{"acme.com"},
				OIDC: &OIDC{ClientID: Ptr("c1"), ClientSecret: secret(false), Scope: &[]string{"openid", "email"}},
			}}},
			want: []string{
				"create sso:acme/okta",
				`  authType: absent -> "oidc"`,
				`  displayName: absent -> "Okta"`,
				`  domains: absent -> ["acme.com"]`,
				`  oidc.clientId: absent -> "c1"`,
				`  oidc.scope: absent -> ["email","openid"]`,
				`  oidc.clientSecret: absent -> {"env":"ACME_SECRET","value":"(sensitive)"} (sensitive)`,
			},
		},
		{
			name: "equal: the secret is not compared, attribute keys left out are unmanaged, mappings ignore order",
			live: &State{Tenants: tenants(), SSO: []*SSO{liveOIDC("acme", "", "acme.com")}},
			desired: &State{Tenants: tenants(), SSO: []*SSO{{
				Tenant: "acme", Domains: &[]string{"acme.com"},
				OIDC: &OIDC{ClientID: Ptr("client"), ClientSecret: secret(false),
					AttributeMapping: &Attrs{"email": "email"},
					RoleMappings:     &[]RoleMapping{{Groups: []string{"a", "b"}, Role: "editor"}}},
			}}},
			want: nil,
		},
		{
			name: "a secret to send is an update with the runtime's reason",
			live: &State{Tenants: tenants(), SSO: []*SSO{liveOIDC("acme", "")}},
			desired: &State{Tenants: tenants(), SSO: []*SSO{{
				Tenant: "acme", OIDC: &OIDC{ClientID: Ptr("client"), ClientSecret: secret(true)},
			}}},
			want: []string{
				"update sso:acme",
				`  oidc.clientSecret: "(sensitive)" -> {"env":"ACME_SECRET","value":"(sensitive)"} (sensitive)`,
				"  (2 unchanged)",
				"  # rotated (--rotate-secrets)",
			},
		},
		{
			name: "a change of protocol compares with empty settings",
			live: &State{Tenants: tenants(), SSO: []*SSO{liveOIDC("acme", "")}},
			desired: &State{Tenants: tenants(), SSO: []*SSO{{
				Tenant: "acme", SAML: &SAML{IdpURL: Ptr("https://idp/saml"), EntityID: Ptr("urn:idp"), IdpCert: Ptr("PEM"),
					AttributeMapping: &Attrs{"email": "mail"}},
			}}},
			want: []string{
				"update sso:acme",
				`  authType: "oidc" -> "saml"`,
				`  saml.idpUrl: "" -> "https://idp/saml"`,
				`  saml.entityId: "" -> "urn:idp"`,
				`  saml.idpCert: "" -> "PEM"`,
				`  saml.attributeMapping.email: "" -> "mail"`,
			},
		},
		{
			name: "several configurations: each holds the union less what the others declare",
			live: &State{Tenants: tenants(), SSO: []*SSO{
				liveOIDC("acme", "", "a.com", "b.com", "c.com"), liveOIDC("acme", "eu", "a.com", "b.com", "c.com"),
			}},
			desired: &State{Tenants: tenants(), SSO: []*SSO{
				{Tenant: "acme", Domains: &[]string{"a.com"}, OIDC: &OIDC{}},
				{Tenant: "acme", ID: "eu", Domains: &[]string{"b.com"}, OIDC: &OIDC{}},
			}},
			want: []string{
				"update sso:acme",
				`  domains: ["a.com","c.com"] -> ["a.com"]`,
				"  (1 unchanged)",
				"update sso:acme/eu",
				`  domains: ["b.com","c.com"] -> ["b.com"]`,
				"  (1 unchanged)",
			},
		},
		{
			name:    "owned configurations are deleted, others listed as unmanaged",
			live:    &State{Tenants: tenants(), SSO: []*SSO{liveOIDC("acme", ""), liveOIDC("acme", "old")}},
			desired: &State{Tenants: tenants(), Owns: []*Ownership{own(KindSSO, "acme/*")}},
			want: []string{
				"delete sso:acme/old",
				`  # owned by own("sso", "acme/*") at main.star:2:4`,
				"unmanaged sso: acme",
			},
		},
		{
			name: "created after the tenant and the roles it maps, deleted before the roles",
			live: &State{Roles: []*Role{{Name: "old"}}, SSO: nil},
			desired: &State{
				Roles:   []*Role{{Name: "editor"}, {Name: "local", Tenant: "acme"}},
				Tenants: []*Tenant{{ID: "acme", Name: "Acme"}},
				SSO: []*SSO{{Tenant: "acme", OIDC: &OIDC{
					RoleMappings: &[]RoleMapping{{Groups: []string{"g"}, Role: "editor"}}, DefaultRoles: &[]string{"local"},
				}}},
				Owns: []*Ownership{own(KindRole, "*")},
			},
			want: []string{
				"create role:editor",
				"delete role:old",
				`  # owned by own("role", "*") at main.star:2:4`,
				"create tenant:acme",
				`  name: absent -> "Acme"`,
				"create role:acme/local",
				"  after tenant:acme",
				"create sso:acme",
				`  authType: absent -> "oidc"`,
				`  oidc.groupsMapping: absent -> [{"groups":["g"],"role":"editor"}]`,
				`  oidc.defaultSSORoles: absent -> ["local"]`,
				"  after role:acme/local, role:editor, tenant:acme",
			},
		},
		{
			name: "a tenant's delete deletes its configurations first; its replace creates the declared ones again",
			live: &State{
				Tenants: []*Tenant{{ID: "gone", Name: "Gone", Parent: Ptr("")}, {ID: "moved", Name: "Moved", Parent: Ptr("")}, {ID: "p", Name: "P", Parent: Ptr("")}},
				SSO:     []*SSO{liveOIDC("gone", ""), liveOIDC("moved", ""), liveOIDC("moved", "x")},
			},
			desired: &State{
				Tenants: []*Tenant{{ID: "moved", Name: "Moved", Parent: Ptr("p")}, {ID: "p", Name: "P"}},
				SSO:     []*SSO{{Tenant: "moved", OIDC: &OIDC{ClientID: Ptr("client")}}},
				Owns:    []*Ownership{own(KindTenant, "*")},
			},
			want: []string{
				"delete sso:gone",
				`  # tenant "gone" is deleted, and Descope deletes a tenant's SSO configurations with the tenant`,
				"delete sso:moved/x",
				`  # tenant "moved" is replaced, and Descope deletes a tenant's SSO configurations with the tenant`,
				"delete tenant:gone",
				`  # owned by own("tenant", "*") at main.star:2:4`,
				"  after sso:gone",
				"replace tenant:moved",
				`  parent: "" -> "p"`,
				"  (1 unchanged)",
				`  # the parent changes from none (top level) to "p", and the API sets a tenant's parent only when it creates the tenant; the delete also drops its users' membership and its SSO configuration`,
				"  after sso:moved/x",
				"create sso:moved",
				`  authType: absent -> "oidc"`,
				`  oidc.clientId: absent -> "client"`,
				`  # created again: tenant "moved" is replaced, and Descope deletes a tenant's SSO configurations with the tenant`,
				"  after tenant:moved",
			},
		},
	})
}

func TestSecretNeverPrinted(t *testing.T) {
	s := &Secret{Env: "X"}
	for _, got := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s), s.String()} {
		if strings.Trim(strings.ReplaceAll(got, SensitiveValue, ""), " ") != "" {
			t.Errorf("printed %q, want only %q", got, SensitiveValue)
		}
	}
}
