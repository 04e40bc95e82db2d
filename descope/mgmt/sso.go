package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/descope-run/descope-run/descope"
)

// The SSO calls of docs/descope-api.md section 4.8: load one or all of a
// tenant's configurations (v2), create one, configure it by OIDC, SAML or
// SAML metadata, set its redirect URLs, delete it (the one DELETE of the
// API). Loads return both a saml and an oidc object, the inactive one with
// defaults; tenant.authType says which is active. SAML writes and reads use
// different names (section 4.8.5); the types below are the read forms and
// the bodies are built with the write names.

// SSOSettings is one SSO configuration as GET /v2/mgmt/sso/settings
// returns it, and an item of settings/all.
type SSOSettings struct {
	Tenant *Tenant       `json:"tenant"`
	SAML   *SAMLSettings `json:"saml"`
	OIDC   *OIDCSettings `json:"oidc"`
	SSOID  string        `json:"ssoId"`
}

// SAMLSettings is the saml object of a load, with its read names.
type SAMLSettings struct {
	IdpEntityID                     string          `json:"idpEntityId"`
	IdpSSOURL                       string          `json:"idpSSOUrl"`
	IdpCertificate                  string          `json:"idpCertificate"`
	IdpMetadataURL                  string          `json:"idpMetadataUrl"`
	SPEntityID                      string          `json:"spEntityId"`
	SPACSURL                        string          `json:"spACSUrl"`
	SPCertificate                   string          `json:"spCertificate"`
	AttributeMapping                map[string]any  `json:"attributeMapping"`
	GroupsMapping                   []GroupsMapping `json:"groupsMapping"`
	DefaultSSORoles                 []string        `json:"defaultSSORoles"`
	GroupsPriority                  []string        `json:"groupsPriority"`
	RedirectURL                     string          `json:"redirectUrl"`
	FGAMappings                     map[string]any  `json:"fgaMappings"`
	ConfigFGATenantIDResourcePrefix string          `json:"configFGATenantIDResourcePrefix"`
	ConfigFGATenantIDResourceSuffix string          `json:"configFGATenantIDResourceSuffix"`
}

// OIDCSettings is the oidc object of a load; the same names configure it.
// ClientSecret is always empty in a load.
type OIDCSettings struct {
	Name                 string          `json:"name"`
	ClientID             string          `json:"clientId"`
	ClientSecret         string          `json:"clientSecret"`
	RedirectURL          string          `json:"redirectUrl"`
	AuthURL              string          `json:"authUrl"`
	TokenURL             string          `json:"tokenUrl"`
	UserDataURL          string          `json:"userDataUrl"`
	Scope                []string        `json:"scope"`
	JWKsURL              string          `json:"JWKsUrl"`
	UserAttrMapping      map[string]any  `json:"userAttrMapping"`
	ManageProviderTokens bool            `json:"manageProviderTokens"`
	CallbackDomain       string          `json:"callbackDomain"`
	Prompt               []string        `json:"prompt"`
	GrantType            string          `json:"grantType"`
	Issuer               string          `json:"issuer"`
	GroupsMapping        []GroupsMapping `json:"groupsMapping"`
	DefaultSSORoles      []string        `json:"defaultSSORoles"`
	GroupsPriority       []string        `json:"groupsPriority"`
	FGAMappings          map[string]any  `json:"fgaMappings"`
}

// GroupsMapping gives the members of Groups a role, as loads return it.
type GroupsMapping struct {
	Role   RoleItem `json:"role"`
	Groups []string `json:"groups"`
}

// RoleItem names a role in a group mapping.
type RoleItem struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ssoQuery is the query of a load or a delete: tenantId, and ssoId only when
// set, as the Go SDK sends them.
func ssoQuery(tenantID, ssoID string) url.Values {
	q := url.Values{"tenantId": {tenantID}}
	if ssoID != "" {
		q.Set("ssoId", ssoID)
	}
	return q
}

func ssoOp(verb, tenantID, ssoID string) string {
	return fmt.Sprintf("sso %s %q", verb, descope.SSOKey(tenantID, ssoID))
}

// LoadSSO returns the SSO configuration ssoID of tenantID ("" for the
// tenant's default one).
func (c *Client) LoadSSO(ctx context.Context, tenantID, ssoID string) (*SSOSettings, error) {
	op := ssoOp("load", tenantID, ssoID)
	if tenantID == "" {
		return nil, fmt.Errorf("%s: %w: empty tenant id", op, ErrInvalidArgument)
	}
	var s SSOSettings
	err := c.do(ctx, &call{op: op, method: http.MethodGet, path: "/v2/mgmt/sso/settings",
		query: ssoQuery(tenantID, ssoID), out: &s})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadAllSSO returns every SSO configuration of tenantID. The answer's key
// is the capitalised "SSOSettings" (section 4.8.2).
func (c *Client) LoadAllSSO(ctx context.Context, tenantID string) ([]*SSOSettings, error) {
	op := fmt.Sprintf("sso load all %q", tenantID)
	if tenantID == "" {
		return nil, fmt.Errorf("%s: %w: empty tenant id", op, ErrInvalidArgument)
	}
	var res struct {
		SSOSettings []*SSOSettings `json:"SSOSettings"`
	}
	err := c.do(ctx, &call{op: op, method: http.MethodGet, path: "/v2/mgmt/sso/settings/all",
		query: url.Values{"tenantId": {tenantID}}, out: &res})
	return res.SSOSettings, err
}

// NewSSO creates the configuration ssoID of tenantID with a display name
// and returns it; an empty ssoID lets the server choose one.
func (c *Client) NewSSO(ctx context.Context, tenantID, ssoID, displayName string) (*SSOSettings, error) {
	op := ssoOp("create", tenantID, ssoID)
	if tenantID == "" || displayName == "" {
		return nil, fmt.Errorf("%s: %w: empty tenant id or display name", op, ErrInvalidArgument)
	}
	var s SSOSettings
	cl := &call{op: op, method: http.MethodPost, path: "/v1/mgmt/sso/settings/new",
		body: map[string]any{"displayName": displayName, "ssoId": ssoID, "tenantId": tenantID},
		out:  &s, kind: kindCreate}
	if ssoID != "" {
		cl.landed = func(ctx context.Context) (bool, error) {
			got, err := c.LoadSSO(ctx, tenantID, ssoID)
			if IsNotFound(err) {
				return false, nil
			}
			if got != nil {
				s = *got
			}
			return err == nil, err
		}
	}
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return &s, nil
}

// ConfigureOIDC replaces the OIDC settings and the domains of configuration
// ssoID of tenantID (a nil domains clears them, section 4.8.12). The
// settings are sent as the Go SDK sends them, empty fields left out; an
// empty ClientSecret keeps the stored one.
func (c *Client) ConfigureOIDC(ctx context.Context, tenantID, ssoID string, s *OIDCSettings, domains []string) error {
	op := ssoOp("configure oidc", tenantID, ssoID)
	if tenantID == "" || s == nil {
		return fmt.Errorf("%s: %w: empty tenant id or settings", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/sso/oidc",
		body: ssoEnvelope(tenantID, ssoID, domains, oidcBody(s)), kind: kindWrite})
}

// ConfigureSAML replaces the SAML settings (given field by field), the
// redirect URL and the domains of configuration ssoID of tenantID. s is in
// its read form; the body uses the write names.
func (c *Client) ConfigureSAML(ctx context.Context, tenantID, ssoID string, s *SAMLSettings, domains []string) error {
	op := ssoOp("configure saml", tenantID, ssoID)
	if tenantID == "" || s == nil || s.IdpSSOURL == "" || s.IdpEntityID == "" || s.IdpCertificate == "" {
		return fmt.Errorf("%s: %w: empty tenant id, IdP URL, entity id or certificate", op, ErrInvalidArgument)
	}
	settings := samlCommonBody(s)
	settings["idpUrl"], settings["entityId"], settings["idpCert"] = s.IdpSSOURL, s.IdpEntityID, s.IdpCertificate
	body := ssoEnvelope(tenantID, ssoID, domains, settings)
	body["redirectUrl"] = s.RedirectURL
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/sso/saml", body: body, kind: kindWrite})
}

// ConfigureSAMLByMetadata replaces the SAML settings of configuration ssoID
// of tenantID with those of the IdP's metadata at s.IdpMetadataURL, and its
// redirect URL and domains.
func (c *Client) ConfigureSAMLByMetadata(ctx context.Context, tenantID, ssoID string, s *SAMLSettings, domains []string) error {
	op := ssoOp("configure saml by metadata", tenantID, ssoID)
	if tenantID == "" || s == nil || s.IdpMetadataURL == "" {
		return fmt.Errorf("%s: %w: empty tenant id or metadata URL", op, ErrInvalidArgument)
	}
	settings := samlCommonBody(s)
	settings["idpMetadataUrl"] = s.IdpMetadataURL
	if s.IdpEntityID != "" {
		settings["entityId"] = s.IdpEntityID
	}
	body := ssoEnvelope(tenantID, ssoID, domains, settings)
	body["redirectUrl"] = s.RedirectURL
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/sso/saml/metadata", body: body, kind: kindWrite})
}

// ConfigureSSORedirect sets the redirect URLs of configuration ssoID of
// tenantID, and nothing else: the SAML one, the OIDC one, or both (an
// empty one is left alone).
func (c *Client) ConfigureSSORedirect(ctx context.Context, tenantID, ssoID, samlURL, oidcURL string) error {
	op := ssoOp("configure redirect", tenantID, ssoID)
	if tenantID == "" || (samlURL == "" && oidcURL == "") {
		return fmt.Errorf("%s: %w: empty tenant id, or no redirect URL", op, ErrInvalidArgument)
	}
	body := map[string]any{"tenantId": tenantID}
	if samlURL != "" {
		body["samlRedirectUrl"] = samlURL
	}
	if oidcURL != "" {
		body["oauthRedirectUrl"] = oidcURL
	}
	if ssoID != "" {
		body["ssoId"] = ssoID
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/sso/redirect", body: body, kind: kindWrite})
}

// DeleteSSO deletes configuration ssoID of tenantID ("" the default one).
func (c *Client) DeleteSSO(ctx context.Context, tenantID, ssoID string) error {
	op := ssoOp("delete", tenantID, ssoID)
	if tenantID == "" {
		return fmt.Errorf("%s: %w: empty tenant id", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodDelete, path: "/v1/mgmt/sso/settings",
		query: ssoQuery(tenantID, ssoID), kind: kindDelete})
}

// ssoEnvelope is the body of a configure call around its settings; ssoId is
// sent only when set.
func ssoEnvelope(tenantID, ssoID string, domains []string, settings any) map[string]any {
	b := map[string]any{"domains": domains, "settings": settings, "tenantId": tenantID}
	if ssoID != "" {
		b["ssoId"] = ssoID
	}
	return b
}

// oidcWire is the settings of an OIDC configure call as the Go SDK
// marshals its SSOOIDCSettings: fields in its order, each omitted when
// empty ("", false, nil), so an empty clientSecret is not sent at all.
type oidcWire struct {
	Name                 string              `json:"name,omitempty"`
	ClientID             string              `json:"clientId,omitempty"`
	ClientSecret         string              `json:"clientSecret,omitempty"`
	RedirectURL          string              `json:"redirectUrl,omitempty"`
	AuthURL              string              `json:"authUrl,omitempty"`
	TokenURL             string              `json:"tokenUrl,omitempty"`
	UserDataURL          string              `json:"userDataUrl,omitempty"`
	Scope                []string            `json:"scope,omitempty"`
	JWKsURL              string              `json:"JWKsUrl,omitempty"`
	UserAttrMapping      *oidcAttributesWire `json:"userAttrMapping,omitempty"`
	ManageProviderTokens bool                `json:"manageProviderTokens,omitempty"`
	CallbackDomain       string              `json:"callbackDomain,omitempty"`
	Prompt               []string            `json:"prompt,omitempty"`
	GrantType            string              `json:"grantType,omitempty"`
	Issuer               string              `json:"issuer,omitempty"`
	GroupsMapping        []groupsMappingWire `json:"groupsMapping,omitempty"`
	DefaultSSORoles      []string            `json:"defaultSSORoles,omitempty"`
	GroupsPriority       []string            `json:"groupsPriority,omitempty"`
	FGAMappings          map[string]any      `json:"fgaMappings,omitempty"`
}

// oidcAttributesWire is the SDK's OIDCAttributeMapping, and the custom
// attributes the docs add.
type oidcAttributesWire struct {
	LoginID          string         `json:"loginId,omitempty"`
	Name             string         `json:"name,omitempty"`
	GivenName        string         `json:"givenName,omitempty"`
	MiddleName       string         `json:"middleName,omitempty"`
	FamilyName       string         `json:"familyName,omitempty"`
	Email            string         `json:"email,omitempty"`
	VerifiedEmail    string         `json:"verifiedEmail,omitempty"`
	Username         string         `json:"username,omitempty"`
	PhoneNumber      string         `json:"phoneNumber,omitempty"`
	VerifiedPhone    string         `json:"verifiedPhone,omitempty"`
	Picture          string         `json:"picture,omitempty"`
	CustomAttributes map[string]any `json:"customAttributes,omitempty"`
}

// samlAttributesWire is the SDK's AttributeMapping.
type samlAttributesWire struct {
	Name             string         `json:"name,omitempty"`
	GivenName        string         `json:"givenName,omitempty"`
	MiddleName       string         `json:"middleName,omitempty"`
	FamilyName       string         `json:"familyName,omitempty"`
	Picture          string         `json:"picture,omitempty"`
	Email            string         `json:"email,omitempty"`
	PhoneNumber      string         `json:"phoneNumber,omitempty"`
	Group            string         `json:"group,omitempty"`
	CustomAttributes map[string]any `json:"customAttributes,omitempty"`
}

// groupsMappingWire is the SDK's GroupsMapping: {role: {id?, name?}, groups}.
type groupsMappingWire struct {
	Role   roleItemWire `json:"role"`
	Groups []string     `json:"groups,omitempty"`
}

type roleItemWire struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// attrsWire decodes an attribute mapping (as loaded) into the wire struct
// T, or returns nil when it sets nothing.
func attrsWire[T any](m map[string]any) *T {
	kept := stringAttrs(m)
	if len(kept) == 0 {
		return nil
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return nil
	}
	var out T
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return &out
}

func oidcBody(s *OIDCSettings) *oidcWire {
	w := &oidcWire{
		Name: s.Name, ClientID: s.ClientID, ClientSecret: s.ClientSecret, RedirectURL: s.RedirectURL,
		AuthURL: s.AuthURL, TokenURL: s.TokenURL, UserDataURL: s.UserDataURL, Scope: s.Scope, JWKsURL: s.JWKsURL,
		UserAttrMapping: attrsWire[oidcAttributesWire](s.UserAttrMapping), ManageProviderTokens: s.ManageProviderTokens,
		CallbackDomain: s.CallbackDomain, Prompt: s.Prompt, GrantType: s.GrantType, Issuer: s.Issuer,
		DefaultSSORoles: s.DefaultSSORoles, GroupsPriority: s.GroupsPriority, FGAMappings: s.FGAMappings,
	}
	for _, m := range s.GroupsMapping {
		w.GroupsMapping = append(w.GroupsMapping, groupsMappingWire{Role: roleItemWire(m.Role), Groups: m.Groups})
	}
	return w
}

// samlCommonBody is what both SAML configure calls send besides the IdP,
// as the Go SDK sends it: roleMappings ([] when none), attributeMapping,
// spACSUrl, spEntityId, defaultSSORoles and groupsPriority always, the FGA
// fields only when set.
func samlCommonBody(s *SAMLSettings) map[string]any {
	mappings := make([]map[string]any, 0, len(s.GroupsMapping))
	for _, m := range s.GroupsMapping {
		mappings = append(mappings, map[string]any{"groups": m.Groups, "roleName": m.Role.Name})
	}
	b := map[string]any{
		"attributeMapping": attrsWire[samlAttributesWire](s.AttributeMapping),
		"defaultSSORoles":  s.DefaultSSORoles,
		"groupsPriority":   s.GroupsPriority,
		"roleMappings":     mappings,
		"spACSUrl":         s.SPACSURL,
		"spEntityId":       s.SPEntityID,
	}
	if len(s.FGAMappings) > 0 {
		b["fgaMappings"] = s.FGAMappings
	}
	if s.ConfigFGATenantIDResourcePrefix != "" {
		b["configFGATenantIDResourcePrefix"] = s.ConfigFGATenantIDResourcePrefix
	}
	if s.ConfigFGATenantIDResourceSuffix != "" {
		b["configFGATenantIDResourceSuffix"] = s.ConfigFGATenantIDResourceSuffix
	}
	return b
}

// stringAttrs returns the non-empty string values of an attribute mapping,
// and its customAttributes object when it has one.
func stringAttrs(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			if v != "" {
				out[k] = v
			}
		case map[string]any:
			if len(v) > 0 {
				out[k] = v
			}
		}
	}
	return out
}

// ActiveProtocol returns the protocol tenant.authType names: "oidc",
// "saml" or "none".
func (s *SSOSettings) ActiveProtocol() string {
	if s.Tenant != nil && (s.Tenant.AuthType == "oidc" || s.Tenant.AuthType == "saml") {
		return s.Tenant.AuthType
	}
	return "none"
}

// Model returns s as a live descope.SSO of tenantID: the active protocol's
// settings, every field set; no secret (the API returns none) and no
// display name (nor that). Domains are the tenant's, as the load reports
// them.
func (s *SSOSettings) Model(tenantID string) *descope.SSO {
	m := &descope.SSO{Tenant: tenantID, ID: s.SSOID, Domains: descope.Ptr([]string{})}
	if s.Tenant != nil {
		m.Domains = descope.Ptr(slices.Clone(nonNil(s.Tenant.Domains)))
	}
	switch s.ActiveProtocol() {
	case "oidc":
		o := s.OIDC
		if o == nil {
			o = &OIDCSettings{}
		}
		m.OIDC = &descope.OIDC{
			ClientID: descope.Ptr(o.ClientID), AuthURL: descope.Ptr(o.AuthURL), TokenURL: descope.Ptr(o.TokenURL),
			UserDataURL: descope.Ptr(o.UserDataURL), JWKsURL: descope.Ptr(o.JWKsURL), Issuer: descope.Ptr(o.Issuer),
			Scope: descope.Ptr(slices.Clone(nonNil(o.Scope))), RedirectURL: descope.Ptr(o.RedirectURL),
			CallbackDomain: descope.Ptr(o.CallbackDomain), GrantType: descope.Ptr(o.GrantType),
			Prompt: descope.Ptr(slices.Clone(nonNil(o.Prompt))), ManageProviderTokens: descope.Ptr(o.ManageProviderTokens),
			AttributeMapping: attrsModel(o.UserAttrMapping), RoleMappings: mappingsModel(o.GroupsMapping),
			DefaultRoles: descope.Ptr(slices.Clone(nonNil(o.DefaultSSORoles))),
		}
	case "saml":
		a := s.SAML
		if a == nil {
			a = &SAMLSettings{}
		}
		m.SAML = &descope.SAML{
			MetadataURL: descope.Ptr(a.IdpMetadataURL), IdpURL: descope.Ptr(a.IdpSSOURL), EntityID: descope.Ptr(a.IdpEntityID),
			IdpCert: descope.Ptr(a.IdpCertificate), RedirectURL: descope.Ptr(a.RedirectURL),
			SPACSURL: descope.Ptr(a.SPACSURL), SPEntityID: descope.Ptr(a.SPEntityID),
			AttributeMapping: attrsModel(a.AttributeMapping), RoleMappings: mappingsModel(a.GroupsMapping),
			DefaultRoles: descope.Ptr(slices.Clone(nonNil(a.DefaultSSORoles))),
		}
	}
	return m
}

// attrsModel keeps the string values of an attribute mapping (not its
// customAttributes).
func attrsModel(m map[string]any) *descope.Attrs {
	out := descope.Attrs{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return &out
}

func mappingsModel(list []GroupsMapping) *[]descope.RoleMapping {
	out := make([]descope.RoleMapping, len(list))
	for i, g := range list {
		out[i] = descope.RoleMapping{Groups: slices.Clone(nonNil(g.Groups)), Role: g.Role.Name}
	}
	return &out
}

// MergeOIDC returns the OIDC settings to write for d over live (the
// configuration's settings as loaded, nil for a new one): live with the
// fields d manages replaced. The secret is never merged: the caller sets
// ClientSecret when it sends one (an empty one keeps the stored secret).
func MergeOIDC(live *OIDCSettings, d *descope.OIDC) *OIDCSettings {
	var s OIDCSettings
	if live != nil {
		s = *live
		s.UserAttrMapping = cloneAttrs(live.UserAttrMapping)
	}
	s.ClientSecret = ""
	set(&s.ClientID, d.ClientID)
	set(&s.AuthURL, d.AuthURL)
	set(&s.TokenURL, d.TokenURL)
	set(&s.UserDataURL, d.UserDataURL)
	set(&s.JWKsURL, d.JWKsURL)
	set(&s.Issuer, d.Issuer)
	set(&s.Scope, d.Scope)
	set(&s.RedirectURL, d.RedirectURL)
	set(&s.CallbackDomain, d.CallbackDomain)
	set(&s.GrantType, d.GrantType)
	set(&s.Prompt, d.Prompt)
	set(&s.ManageProviderTokens, d.ManageProviderTokens)
	s.UserAttrMapping = mergeAttrs(s.UserAttrMapping, d.AttributeMapping)
	if d.RoleMappings != nil {
		s.GroupsMapping = mappingsWire(*d.RoleMappings)
	}
	set(&s.DefaultSSORoles, d.DefaultRoles)
	return &s
}

// MergeSAML returns the SAML settings to write for d over live (nil for a
// new configuration), in their read form: live with the fields d manages
// replaced.
func MergeSAML(live *SAMLSettings, d *descope.SAML) *SAMLSettings {
	var s SAMLSettings
	if live != nil {
		s = *live
		s.AttributeMapping = cloneAttrs(live.AttributeMapping)
	}
	set(&s.IdpMetadataURL, d.MetadataURL)
	set(&s.IdpSSOURL, d.IdpURL)
	set(&s.IdpEntityID, d.EntityID)
	set(&s.IdpCertificate, d.IdpCert)
	set(&s.RedirectURL, d.RedirectURL)
	set(&s.SPACSURL, d.SPACSURL)
	set(&s.SPEntityID, d.SPEntityID)
	s.AttributeMapping = mergeAttrs(s.AttributeMapping, d.AttributeMapping)
	if d.RoleMappings != nil {
		s.GroupsMapping = mappingsWire(*d.RoleMappings)
	}
	set(&s.DefaultSSORoles, d.DefaultRoles)
	return &s
}

func cloneAttrs(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// mergeAttrs sets the keys of d in m (made when nil).
func mergeAttrs(m map[string]any, d *descope.Attrs) map[string]any {
	if d == nil {
		return m
	}
	if m == nil {
		m = map[string]any{}
	}
	for k, v := range *d {
		m[k] = v
	}
	return m
}

func mappingsWire(ms []descope.RoleMapping) []GroupsMapping {
	out := make([]GroupsMapping, len(ms))
	for i, m := range ms {
		out[i] = GroupsMapping{Role: RoleItem{Name: m.Role}, Groups: slices.Clone(m.Groups)}
	}
	return out
}
