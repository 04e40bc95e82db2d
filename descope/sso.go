package descope

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// SSO is one SSO configuration of a tenant (docs/descope-api.md section 4.8):
// the identity provider its members sign in through, by OIDC or SAML. A
// tenant may have several; each is identified by (Tenant, ID), and ID "" is
// the tenant's default configuration, the one the API works on when a call
// names no ssoId.
//
// Exactly one of OIDC and SAML is set in a desired State. In a live State
// the one that tenant.authType names as active is set (the API returns both
// objects, the inactive one with defaults), and neither when the
// configuration was created but never configured.
type SSO struct {
	Tenant string `json:"tenantId"`
	ID     string `json:"ssoId,omitempty"`
	// Name is the display name a configuration is created with. The API
	// neither returns nor renames it, so it is set on create only and never
	// compared (nil in a live State).
	Name *string `json:"displayName,omitempty"`
	// Domains are the email domains whose users sign in through this
	// configuration (a set). Every configure call replaces them, and a load
	// reports the union over the tenant's configurations (section 4.8.12).
	Domains *[]string `json:"domains,omitempty"`
	OIDC    *OIDC     `json:"oidc,omitempty"`
	SAML    *SAML     `json:"saml,omitempty"`

	Origin Origin `json:"-"`
}

// Key returns the configuration's identity: the tenant id for the default
// configuration, "tenant/ssoId" for another one.
func (s *SSO) Key() string { return SSOKey(s.Tenant, s.ID) }

// SSOKey returns the key of the SSO configuration id of tenant.
func SSOKey(tenant, id string) string {
	if id == "" {
		return tenant
	}
	return tenant + "/" + id
}

// Protocol returns "oidc" or "saml", the protocol s configures, or "none".
func (s *SSO) Protocol() string {
	switch {
	case s.OIDC != nil:
		return "oidc"
	case s.SAML != nil:
		return "saml"
	}
	return "none"
}

// RoleNames returns the names of the roles s maps groups to and gives by
// default, sorted and without duplicates.
func (s *SSO) RoleNames() []string {
	var names []string
	add := func(maps *[]RoleMapping, defaults *[]string) {
		for _, m := range deref(maps) {
			names = append(names, m.Role)
		}
		names = append(names, deref(defaults)...)
	}
	if o := s.OIDC; o != nil {
		add(o.RoleMappings, o.DefaultRoles)
	}
	if m := s.SAML; m != nil {
		add(m.RoleMappings, m.DefaultRoles)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// OIDC is an SSO configuration's OpenID Connect settings. JSON names are the
// wire names (docs/descope-api.md section 4.8.4); a nil field is unmanaged.
type OIDC struct {
	ClientID *string `json:"clientId,omitempty"`
	// ClientSecret is write-only: the API never returns it (section
	// 4.8.13), so it is nil in a live State.
	ClientSecret         *Secret        `json:"clientSecret,omitempty"`
	AuthURL              *string        `json:"authUrl,omitempty"`
	TokenURL             *string        `json:"tokenUrl,omitempty"`
	UserDataURL          *string        `json:"userDataUrl,omitempty"`
	JWKsURL              *string        `json:"JWKsUrl,omitempty"`
	Issuer               *string        `json:"issuer,omitempty"`
	Scope                *[]string      `json:"scope,omitempty"`
	RedirectURL          *string        `json:"redirectUrl,omitempty"`
	CallbackDomain       *string        `json:"callbackDomain,omitempty"`
	GrantType            *string        `json:"grantType,omitempty"`
	Prompt               *[]string      `json:"prompt,omitempty"`
	ManageProviderTokens *bool          `json:"manageProviderTokens,omitempty"`
	AttributeMapping     *Attrs         `json:"userAttrMapping,omitempty"`
	RoleMappings         *[]RoleMapping `json:"groupsMapping,omitempty"`
	DefaultRoles         *[]string      `json:"defaultSSORoles,omitempty"`
}

// SAML is an SSO configuration's SAML settings, given field by field or by
// the IdP's metadata URL. JSON names are the names the configure calls
// write (docs/descope-api.md section 4.8.5); loads return some under other
// names (idpSSOUrl, idpEntityId, idpCertificate, groupsMapping), which the
// client translates. A nil field is unmanaged.
type SAML struct {
	// MetadataURL is set when the configuration is made from the IdP's
	// metadata (section 4.8.6); the IdP's URL, entity id and certificate
	// then come from it.
	MetadataURL      *string        `json:"idpMetadataUrl,omitempty"`
	IdpURL           *string        `json:"idpUrl,omitempty"`
	EntityID         *string        `json:"entityId,omitempty"`
	IdpCert          *string        `json:"idpCert,omitempty"`
	RedirectURL      *string        `json:"redirectUrl,omitempty"`
	SPACSURL         *string        `json:"spACSUrl,omitempty"`
	SPEntityID       *string        `json:"spEntityId,omitempty"`
	AttributeMapping *Attrs         `json:"attributeMapping,omitempty"`
	RoleMappings     *[]RoleMapping `json:"roleMappings,omitempty"`
	DefaultRoles     *[]string      `json:"defaultSSORoles,omitempty"`
}

// ByMetadata reports whether s is configured from the IdP's metadata.
func (s *SAML) ByMetadata() bool { return s != nil && deref(s.MetadataURL) != "" }

// Attrs is an attribute mapping: a user attribute's wire name
// ("givenName") to the IdP's claim or attribute that fills it. Each key is
// managed on its own: keys a desired mapping leaves out are unmanaged.
type Attrs map[string]string

// RoleMapping gives the members of any of Groups (IdP groups) the role
// named Role: a project role, or a role of the configuration's tenant.
type RoleMapping struct {
	Groups []string `json:"groups"`
	Role   string   `json:"role"`
}

// AttributeField is one key of an attribute mapping: its keyword in a
// config's attribute_mapping and its wire name.
type AttributeField struct{ Keyword, Wire string }

// OIDCAttributes and SAMLAttributes are the user attributes an OIDC or SAML
// configuration maps (docs/descope-api.md section 4.8.1).
var (
	OIDCAttributes = []AttributeField{
		{"login_id", "loginId"}, {"name", "name"}, {"given_name", "givenName"},
		{"middle_name", "middleName"}, {"family_name", "familyName"}, {"email", "email"},
		{"verified_email", "verifiedEmail"}, {"username", "username"},
		{"phone_number", "phoneNumber"}, {"verified_phone", "verifiedPhone"}, {"picture", "picture"},
	}
	SAMLAttributes = []AttributeField{
		{"name", "name"}, {"given_name", "givenName"}, {"middle_name", "middleName"},
		{"family_name", "familyName"}, {"picture", "picture"}, {"email", "email"},
		{"phone_number", "phoneNumber"}, {"group", "group"},
	}
)

// OIDCGrantTypes and OIDCPrompts are the values grantType and prompt take.
var (
	OIDCGrantTypes = []string{"authorization_code", "implicit"}
	OIDCPrompts    = []string{"none", "login", "consent", "select_account"}
)

// normalizeSSO puts the set-like lists of s in canonical order.
func normalizeSSO(s *SSO) {
	sortSet(s.Domains)
	if o := s.OIDC; o != nil {
		sortSet(o.Scope)
		sortSet(o.Prompt)
		sortSet(o.DefaultRoles)
		normalizeMappings(o.RoleMappings)
	}
	if m := s.SAML; m != nil {
		sortSet(m.DefaultRoles)
		normalizeMappings(m.RoleMappings)
	}
}

// normalizeMappings sorts each mapping's groups, then the mappings by role
// and groups, in place.
func normalizeMappings(p *[]RoleMapping) {
	if p == nil {
		return
	}
	for i := range *p {
		(*p)[i].Groups = setCopy((*p)[i].Groups)
	}
	slices.SortFunc(*p, func(a, b RoleMapping) int {
		return cmp.Or(cmp.Compare(a.Role, b.Role), slices.Compare(a.Groups, b.Groups))
	})
}

// SensitiveValue is what a secret shows wherever it is printed.
const SensitiveValue = "(sensitive)"

// Secret is a sensitive value that a config names but never holds: the
// environment variable the value is read from, when a plan needs it. Its
// JSON form is {"env": NAME, "value": "(sensitive)"}, and it prints as
// "(sensitive)": the value is never in a State, a plan, a backup or a log.
type Secret struct {
	// Env names the environment variable.
	Env string
	// Send is set, for a plan, on a secret the plan sends although its
	// configuration exists (the API never returns a secret, so a plan
	// cannot compare it): --rotate-secrets, or a value whose fingerprint
	// differs from the one recorded when it was last sent. Reason says
	// which. Neither is part of the JSON form.
	Send   bool
	Reason string
}

type secretJSON struct {
	Env   string `json:"env"`
	Value string `json:"value"`
}

// MarshalJSON writes {"env": NAME, "value": "(sensitive)"}.
func (s *Secret) MarshalJSON() ([]byte, error) {
	return json.Marshal(secretJSON{Env: s.Env, Value: SensitiveValue})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var j secretJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	if j.Env == "" {
		return fmt.Errorf("secret: no environment variable named (want {\"env\": NAME})")
	}
	*s = Secret{Env: j.Env}
	return nil
}

// String returns "(sensitive)".
func (s *Secret) String() string { return SensitiveValue }

// Format prints "(sensitive)" for every verb.
func (s *Secret) Format(f fmt.State, _ rune) { io.WriteString(f, SensitiveValue) }

// SSOSecrets returns the SSO configurations of st that have a client
// secret, in key order.
func (st *State) SSOSecrets() []*SSO {
	var out []*SSO
	for _, s := range st.SSO {
		if s.OIDC != nil && s.OIDC.ClientSecret != nil {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *SSO) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

// SSOConfig returns the SSO configuration id of tenant, or nil.
func (st *State) SSOConfig(tenant, id string) *SSO {
	for _, s := range st.SSO {
		if s.Tenant == tenant && s.ID == id {
			return s
		}
	}
	return nil
}

// MayMatchSSO reports whether the claim may match an SSO configuration of
// tenant: its default one (key tenant) or another (key "tenant/ssoId"),
// whatever the ssoId. Reads use it to pick the tenants whose configurations
// an own("sso", ...) claim needs read.
func (o *Ownership) MayMatchSSO(tenant string) bool {
	return o.Kind == KindSSO && (o.Matches(tenant) || globPrefix(o.Match, tenant+"/"))
}

// globPrefix reports whether some string that starts with prefix matches
// pattern: whether the pattern can consume prefix, since whatever pattern
// is left can match some rest.
func globPrefix(pattern, prefix string) bool {
	states := map[int]bool{0: true} // positions in pattern reached
	closure := func(set map[int]bool) {
		for changed := true; changed; {
			changed = false
			for p := range set {
				if p < len(pattern) && pattern[p] == '*' && !set[p+1] {
					set[p+1], changed = true, true
				}
			}
		}
	}
	for i := 0; i < len(prefix); i++ {
		closure(states)
		next := map[int]bool{}
		for p := range states {
			if p >= len(pattern) {
				continue
			}
			switch c := pattern[p]; {
			case c == '*':
				next[p] = true
			case c == '?' || c == prefix[i]:
				next[p+1] = true
			}
		}
		if len(next) == 0 {
			return false
		}
		states = next
	}
	return true
}

// Clone returns a copy of s that shares no list, map or secret with it
// (strings behind pointers are shared: they are never changed in place).
func (s *SSO) Clone() *SSO {
	if s == nil {
		return nil
	}
	c := *s
	c.Domains = cloneStrings(s.Domains)
	if s.OIDC != nil {
		o := *s.OIDC
		o.Scope, o.Prompt, o.DefaultRoles = cloneStrings(o.Scope), cloneStrings(o.Prompt), cloneStrings(o.DefaultRoles)
		o.AttributeMapping, o.RoleMappings = cloneAttrs(o.AttributeMapping), cloneMappings(o.RoleMappings)
		if o.ClientSecret != nil {
			sec := *o.ClientSecret
			o.ClientSecret = &sec
		}
		c.OIDC = &o
	}
	if s.SAML != nil {
		m := *s.SAML
		m.DefaultRoles = cloneStrings(m.DefaultRoles)
		m.AttributeMapping, m.RoleMappings = cloneAttrs(m.AttributeMapping), cloneMappings(m.RoleMappings)
		c.SAML = &m
	}
	return &c
}

func cloneStrings(p *[]string) *[]string {
	if p == nil {
		return nil
	}
	c := slices.Clone(*p)
	return &c
}

func cloneAttrs(p *Attrs) *Attrs {
	if p == nil {
		return nil
	}
	c := maps.Clone(*p)
	return &c
}

func cloneMappings(p *[]RoleMapping) *[]RoleMapping {
	if p == nil {
		return nil
	}
	c := make([]RoleMapping, len(*p))
	for i, m := range *p {
		c[i] = RoleMapping{Groups: slices.Clone(m.Groups), Role: m.Role}
	}
	return &c
}
