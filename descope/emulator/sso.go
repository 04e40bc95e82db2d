package emulator

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/descope-run/descope-run/descope"
)

// SSO configurations of tenants (docs/descope-api.md section 4.8), with the
// emulator's choices where section 4.8.15 leaves the real API unknown
// (section 8, "SSO"):
//
//   - a configuration is keyed by (tenantId, ssoId); the default one has
//     ssoId "" and comes into being when something configures the tenant
//     without an ssoId; settings/new creates the others;
//   - each configure call replaces its protocol's whole object (fields left
//     out return to defaults) and the configuration's domains (left out:
//     cleared); an empty clientSecret keeps the stored one, and loads
//     return clientSecret "";
//   - loads return both saml and oidc, the inactive one as it was, and
//     tenant.authType names the configuration's protocol; tenant.domains is
//     the union over the tenant's configurations (and the domains set by
//     tenant settings);
//   - the SAML write names differ from the read names (idpUrl/idpSSOUrl,
//     entityId/idpEntityId, idpCert/idpCertificate,
//     roleMappings/groupsMapping, the top-level redirectUrl/saml.redirectUrl);
//   - role names in mappings and default roles must exist, as a project
//     role or one of the tenant's; a domain another tenant has is refused.
//
// The emulator keeps no secret: it records that a configuration has a
// client secret, and its journal keeps "(redacted)" in place of the value,
// so a local project's files never hold one.

// redactedSecret replaces a client secret in the journal; replaying it
// records that the configuration has one.
const redactedSecret = "(redacted)"

// ssoIDPattern is what a caller-chosen ssoId must match.
var ssoIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ssoConfig is one SSO configuration as the store keeps it.
type ssoConfig struct {
	Seq         uint64   `json:"seq"`
	ID          string   `json:"ssoId"`
	DisplayName string   `json:"displayName"`
	AuthType    string   `json:"authType"` // "none", "oidc" or "saml"
	Domains     []string `json:"domains"`
	SAML        samlJSON `json:"saml"`
	// OIDC holds everything but the secret (ClientSecret is always "");
	// HasClientSecret records that one was given.
	OIDC            oidcJSON `json:"oidc"`
	HasClientSecret bool     `json:"hasClientSecret"`
}

// The saml and oidc objects of a load (section 4.8.1), in their read form.
type (
	samlJSON struct {
		IdpEntityID                     string              `json:"idpEntityId"`
		IdpSSOURL                       string              `json:"idpSSOUrl"`
		IdpCertificate                  string              `json:"idpCertificate"`
		IdpMetadataURL                  string              `json:"idpMetadataUrl"`
		SPEntityID                      string              `json:"spEntityId"`
		SPACSURL                        string              `json:"spACSUrl"`
		SPCertificate                   string              `json:"spCertificate"`
		AttributeMapping                samlAttributesJSON  `json:"attributeMapping"`
		GroupsMapping                   []groupsMappingJSON `json:"groupsMapping"`
		DefaultSSORoles                 []string            `json:"defaultSSORoles"`
		GroupsPriority                  []string            `json:"groupsPriority"`
		RedirectURL                     string              `json:"redirectUrl"`
		FGAMappings                     map[string]any      `json:"fgaMappings"`
		ConfigFGATenantIDResourcePrefix string              `json:"configFGATenantIDResourcePrefix"`
		ConfigFGATenantIDResourceSuffix string              `json:"configFGATenantIDResourceSuffix"`
		LastSuccessTestTime             int64               `json:"lastSuccessTestTime"`
	}
	samlAttributesJSON struct {
		Name             string            `json:"name"`
		GivenName        string            `json:"givenName"`
		MiddleName       string            `json:"middleName"`
		FamilyName       string            `json:"familyName"`
		Picture          string            `json:"picture"`
		Email            string            `json:"email"`
		PhoneNumber      string            `json:"phoneNumber"`
		Group            string            `json:"group"`
		CustomAttributes map[string]string `json:"customAttributes"`
	}
	oidcJSON struct {
		Name                 string              `json:"name"`
		ClientID             string              `json:"clientId"`
		ClientSecret         string              `json:"clientSecret"`
		RedirectURL          string              `json:"redirectUrl"`
		AuthURL              string              `json:"authUrl"`
		TokenURL             string              `json:"tokenUrl"`
		UserDataURL          string              `json:"userDataUrl"`
		Scope                []string            `json:"scope"`
		JWKsURL              string              `json:"JWKsUrl"` // capital JWK, as on the wire
		UserAttrMapping      oidcAttributesJSON  `json:"userAttrMapping"`
		ManageProviderTokens bool                `json:"manageProviderTokens"`
		CallbackDomain       string              `json:"callbackDomain"`
		Prompt               []string            `json:"prompt"`
		GrantType            string              `json:"grantType"`
		Issuer               string              `json:"issuer"`
		GroupsMapping        []groupsMappingJSON `json:"groupsMapping"`
		DefaultSSORoles      []string            `json:"defaultSSORoles"`
		GroupsPriority       []string            `json:"groupsPriority"`
		FGAMappings          map[string]any      `json:"fgaMappings"`
		LastSuccessTestTime  int64               `json:"lastSuccessTestTime"`
	}
	oidcAttributesJSON struct {
		LoginID          string            `json:"loginId"`
		Name             string            `json:"name"`
		GivenName        string            `json:"givenName"`
		MiddleName       string            `json:"middleName"`
		FamilyName       string            `json:"familyName"`
		Email            string            `json:"email"`
		VerifiedEmail    string            `json:"verifiedEmail"`
		Username         string            `json:"username"`
		PhoneNumber      string            `json:"phoneNumber"`
		VerifiedPhone    string            `json:"verifiedPhone"`
		Picture          string            `json:"picture"`
		CustomAttributes map[string]string `json:"customAttributes"`
	}
	// groupsMappingJSON is a group mapping as loads return it, and as the
	// Go SDK writes OIDC's.
	groupsMappingJSON struct {
		Role   roleItemJSON `json:"role"`
		Groups []string     `json:"groups"`
	}
	roleItemJSON struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	// roleMappingJSON is a group mapping as SAML writes (and Node's OIDC)
	// take it.
	roleMappingJSON struct {
		Groups   []string `json:"groups"`
		RoleName string   `json:"roleName"`
	}
)

// ssoLoadJSON answers GET /v2/mgmt/sso/settings, and is an item of
// settings/all.
type ssoLoadJSON struct {
	Tenant tenantJSON `json:"tenant"`
	SAML   samlJSON   `json:"saml"`
	OIDC   oidcJSON   `json:"oidc"`
	SSOID  string     `json:"ssoId"`
}

// ssoAllJSON answers GET /v2/mgmt/sso/settings/all, with the capitalised
// key of the live API (section 4.8.2).
type ssoAllJSON struct {
	SSOSettings []ssoLoadJSON `json:"SSOSettings"`
}

// newSSOConfig returns a configuration with the defaults a load shows for
// one never configured (the Python SDK's example answer, section 4.8.1).
func newSSOConfig(id string) *ssoConfig {
	return &ssoConfig{ID: id, AuthType: "none", Domains: []string{}, SAML: defaultSAML(), OIDC: defaultOIDC()}
}

func defaultSAML() samlJSON {
	return samlJSON{
		AttributeMapping: samlAttributesJSON{CustomAttributes: map[string]string{}},
		GroupsMapping:    []groupsMappingJSON{}, DefaultSSORoles: []string{}, GroupsPriority: []string{},
		FGAMappings: map[string]any{},
	}
}

func defaultOIDC() oidcJSON {
	return oidcJSON{
		Scope: []string{}, Prompt: []string{}, GrantType: "authorization_code",
		UserAttrMapping: defaultOIDCAttributes(),
		GroupsMapping:   []groupsMappingJSON{}, DefaultSSORoles: []string{}, GroupsPriority: []string{},
		FGAMappings: map[string]any{},
	}
}

func defaultOIDCAttributes() oidcAttributesJSON {
	return oidcAttributesJSON{
		LoginID: "sub", Name: "name", GivenName: "given_name", MiddleName: "middle_name", FamilyName: "family_name",
		Email: "email", VerifiedEmail: "email_verified", PhoneNumber: "phone_number",
		VerifiedPhone: "phone_number_verified", Picture: "picture", CustomAttributes: map[string]string{},
	}
}

// ssoDomains returns the union of t's SSO domains: those set by tenant
// settings and those of each configuration, in that order, without
// duplicates (ignoring case).
func (t *tenant) ssoDomains() []string {
	out := slices.Clone(nonNil(t.Settings.Domains))
	for _, id := range sortedKeys(t.SSO) {
		for _, d := range t.SSO[id].Domains {
			if !slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, d) }) {
				out = append(out, d)
			}
		}
	}
	return out
}

// setSSODomains makes list the union of t's SSO domains, as tenant
// settings write it: each configuration keeps those of its domains that
// list has, and the tenant holds the rest.
func (st *store) setSSODomains(t *tenant, list []string) error {
	if err := st.domainConflict(t.ID, nil, list); err != nil {
		return err
	}
	st.indexDomains(t, false)
	in := func(d string) bool {
		return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, d) })
	}
	held := map[string]bool{}
	for _, c := range t.SSO {
		c.Domains = slices.DeleteFunc(c.Domains, func(d string) bool { return !in(d) })
		for _, d := range c.Domains {
			held[strings.ToLower(d)] = true
		}
	}
	t.Settings.Domains = slices.DeleteFunc(slices.Clone(nonNil(list)), func(d string) bool { return held[strings.ToLower(d)] })
	st.indexDomains(t, true)
	return nil
}

// ssoView renders configuration c of t as a load answers it.
func (st *store) ssoView(t *tenant, c *ssoConfig) ssoLoadJSON {
	view := st.tenantViews([]*tenant{t})[0]
	view.AuthType = c.AuthType
	out := ssoLoadJSON{Tenant: view, SAML: c.SAML, OIDC: c.OIDC, SSOID: c.ID}
	out.OIDC.ClientSecret = "" // never returned
	out.SAML.GroupsMapping = st.groupsMappingView(t, c.SAML.GroupsMapping)
	out.OIDC.GroupsMapping = st.groupsMappingView(t, c.OIDC.GroupsMapping)
	return out
}

// groupsMappingView fills in the ids of the roles that mappings name.
func (st *store) groupsMappingView(t *tenant, mappings []groupsMappingJSON) []groupsMappingJSON {
	out := make([]groupsMappingJSON, len(mappings))
	for i, m := range mappings {
		out[i] = groupsMappingJSON{Role: roleItemJSON{Name: m.Role.Name}, Groups: slices.Clone(m.Groups)}
		if r := st.defaultRole(t.ID, m.Role.Name); r != nil {
			out[i].Role.ID = r.ID
		}
	}
	return out
}

// ssoTenant returns the tenant a request names in its tenantId.
func (st *store) ssoTenant(id string) (*tenant, error) { return st.tenant("tenantId", id) }

// ssoConfigOf returns t's configuration id; for "" the default one, made
// when create says so; nil and 404 when it does not exist.
func ssoConfigOf(t *tenant, id string, create bool) (*ssoConfig, error) {
	if c := t.SSO[id]; c != nil {
		return c, nil
	}
	if id == "" && create {
		if t.SSO == nil {
			t.SSO = map[string]*ssoConfig{}
		}
		c := newSSOConfig("")
		t.SSO[""] = c
		return c, nil
	}
	if id == "" {
		return nil, notFound("SSO configuration of tenant", t.ID)
	}
	return nil, notFound("SSO configuration", t.ID+"/"+id)
}

func (e *Emulator) ssoLoad(c *call) (any, error) {
	t, err := e.st.ssoTenant(c.query.Get("tenantId"))
	if err != nil {
		return nil, err
	}
	id := c.query.Get("ssoId")
	cfg, err := ssoConfigOf(t, id, false)
	if err != nil && id == "" {
		// A tenant never configured answers with the defaults.
		cfg, err = newSSOConfig(""), nil
		cfg.AuthType = t.Settings.AuthType
	}
	if err != nil {
		return nil, err
	}
	return e.st.ssoView(t, cfg), nil
}

func (e *Emulator) ssoLoadAll(c *call) (any, error) {
	t, err := e.st.ssoTenant(c.query.Get("tenantId"))
	if err != nil {
		return nil, err
	}
	list := slices.Collect(maps.Values(t.SSO))
	newestFirst(list, func(c *ssoConfig) uint64 { return c.Seq })
	out := ssoAllJSON{SSOSettings: make([]ssoLoadJSON, len(list))}
	for i, cfg := range list {
		out.SSOSettings[i] = e.st.ssoView(t, cfg)
	}
	return out, nil
}

func (e *Emulator) ssoNew(c *call) (any, error) {
	var req struct {
		TenantID    string `json:"tenantId"`
		SSOID       string `json:"ssoId"`
		DisplayName string `json:"displayName"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	t, err := e.st.ssoTenant(req.TenantID)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.DisplayName) == "" {
		return nil, missingField("displayName")
	}
	id := req.SSOID
	switch {
	case id == "":
		for id == "" || t.SSO[id] != nil {
			id = e.ids.id("SSO", 25)
		}
	case !ssoIDPattern.MatchString(id):
		return nil, invalid("ssoId %q must be 1 to 64 letters, digits, '_' or '-'", id)
	case t.SSO[id] != nil:
		return nil, conflict("tenant %q already has the SSO configuration %q", t.ID, id)
	}
	cfg := newSSOConfig(id)
	cfg.DisplayName, cfg.Seq = req.DisplayName, e.st.next()
	if t.SSO == nil {
		t.SSO = map[string]*ssoConfig{}
	}
	t.SSO[id] = cfg
	return e.st.ssoView(t, cfg), nil
}

// ssoConfigureEnvelope is what every configure call carries beside its
// settings.
type ssoConfigureEnvelope struct {
	TenantID    string   `json:"tenantId"`
	SSOID       string   `json:"ssoId"`
	Domains     []string `json:"domains"`
	RedirectURL *string  `json:"redirectUrl"` // SAML only: the top-level redirect URL
}

// configure runs the part every configure call shares: it finds (or, for
// the default, makes) the configuration, checks its new domains and role
// names, and, once apply has set the protocol's object, sets the domains
// and the protocol.
func (e *Emulator) configure(env ssoConfigureEnvelope, roles []string, authType string, apply func(*ssoConfig)) error {
	t, err := e.st.ssoTenant(env.TenantID)
	if err != nil {
		return err
	}
	if env.SSOID != "" && t.SSO[env.SSOID] == nil {
		return notFound("SSO configuration", t.ID+"/"+env.SSOID)
	}
	if err := e.st.domainConflict(t.ID, nil, env.Domains); err != nil {
		return err
	}
	for _, r := range roles {
		if e.st.defaultRole(t.ID, r) == nil {
			return invalid("role %q is not a role of the project or of tenant %q", r, t.ID)
		}
	}
	cfg, err := ssoConfigOf(t, env.SSOID, true)
	if err != nil {
		return err
	}
	if cfg.Seq == 0 {
		cfg.Seq = e.st.next()
	}
	e.st.indexDomains(t, false)
	apply(cfg)
	cfg.AuthType, cfg.Domains = authType, nonNil(slices.Clone(env.Domains))
	t.Settings.AuthType = authType
	e.st.indexDomains(t, true)
	return nil
}

// oidcRequest is the body of POST /v1/mgmt/sso/oidc.
type oidcRequest struct {
	ssoConfigureEnvelope
	Settings *struct {
		oidcJSON
		// RoleMappings is the Node SDK's form of the group mapping.
		RoleMappings []roleMappingJSON `json:"roleMappings"`
	} `json:"settings"`
}

func (e *Emulator) ssoOIDC(c *call) (any, error) {
	var req oidcRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	s := req.Settings
	if s == nil {
		return nil, missingField("settings")
	}
	if s.GrantType != "" && s.GrantType != "authorization_code" && s.GrantType != "implicit" {
		return nil, invalid("settings.grantType %q is not one of \"authorization_code\", \"implicit\"", s.GrantType)
	}
	for _, p := range s.Prompt {
		if !slices.Contains([]string{"none", "login", "consent", "select_account"}, p) {
			return nil, invalid("settings.prompt %q is not one of \"none\", \"login\", \"consent\", \"select_account\"", p)
		}
	}
	mappings := slices.Clone(s.GroupsMapping)
	for _, m := range s.RoleMappings {
		mappings = append(mappings, groupsMappingJSON{Role: roleItemJSON{Name: m.RoleName}, Groups: m.Groups})
	}
	mappings, roles, err := e.st.resolveMappings(req.TenantID, mappings)
	if err != nil {
		return nil, err
	}
	if secret := s.ClientSecret; secret != "" && secret != redactedSecret {
		c.journal = redactSecret(c.body)
	}
	err = e.configure(req.ssoConfigureEnvelope, append(roles, s.DefaultSSORoles...), "oidc", func(cfg *ssoConfig) {
		o := s.oidcJSON
		def := defaultOIDC()
		if o.ClientSecret != "" {
			cfg.HasClientSecret = true
		}
		o.ClientSecret, o.LastSuccessTestTime = "", cfg.OIDC.LastSuccessTestTime
		o.GrantType = orDefault(o.GrantType, def.GrantType)
		o.UserAttrMapping = mergeOIDCAttributes(o.UserAttrMapping, def.UserAttrMapping)
		o.Scope, o.Prompt, o.GroupsMapping = nonNil(o.Scope), nonNil(o.Prompt), mappings
		o.DefaultSSORoles, o.GroupsPriority = nonNil(o.DefaultSSORoles), nonNil(o.GroupsPriority)
		o.FGAMappings = nonNilMap(o.FGAMappings)
		cfg.OIDC = o
	})
	if err != nil {
		return nil, err
	}
	return empty{}, nil
}

// samlSettingsRequest is the settings of POST /v1/mgmt/sso/saml and
// /v1/mgmt/sso/saml/metadata, with their write names.
type samlSettingsRequest struct {
	IdpURL                          string              `json:"idpUrl"`
	EntityID                        string              `json:"entityId"`
	IdpCert                         string              `json:"idpCert"`
	IdpMetadataURL                  string              `json:"idpMetadataUrl"`
	AttributeMapping                *samlAttributesJSON `json:"attributeMapping"`
	RoleMappings                    []roleMappingJSON   `json:"roleMappings"`
	DefaultSSORoles                 []string            `json:"defaultSSORoles"`
	GroupsPriority                  []string            `json:"groupsPriority"`
	FGAMappings                     map[string]any      `json:"fgaMappings"`
	ConfigFGATenantIDResourcePrefix string              `json:"configFGATenantIDResourcePrefix"`
	ConfigFGATenantIDResourceSuffix string              `json:"configFGATenantIDResourceSuffix"`
	SPACSURL                        string              `json:"spACSUrl"`
	SPEntityID                      string              `json:"spEntityId"`
}

type samlRequest struct {
	ssoConfigureEnvelope
	Settings *samlSettingsRequest `json:"settings"`
}

func (e *Emulator) ssoSAML(c *call) (any, error) { return e.configureSAML(c, false) }

func (e *Emulator) ssoSAMLMetadata(c *call) (any, error) { return e.configureSAML(c, true) }

// configureSAML serves both SAML configure calls: by metadata, the IdP's
// URL and certificate would come from the metadata, which the emulator does
// not fetch (they read back empty).
func (e *Emulator) configureSAML(c *call, byMetadata bool) (any, error) {
	var req samlRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	s := req.Settings
	if s == nil {
		return nil, missingField("settings")
	}
	required := []struct{ name, value string }{{"idpUrl", s.IdpURL}, {"entityId", s.EntityID}, {"idpCert", s.IdpCert}}
	if byMetadata {
		required = required[:0]
		required = append(required, struct{ name, value string }{"idpMetadataUrl", s.IdpMetadataURL})
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return nil, missingField("settings." + r.name)
		}
	}
	mappings := make([]groupsMappingJSON, len(s.RoleMappings))
	for i, m := range s.RoleMappings {
		mappings[i] = groupsMappingJSON{Role: roleItemJSON{Name: m.RoleName}, Groups: m.Groups}
	}
	mappings, roles, err := e.st.resolveMappings(req.TenantID, mappings)
	if err != nil {
		return nil, err
	}
	err = e.configure(req.ssoConfigureEnvelope, append(roles, s.DefaultSSORoles...), "saml", func(cfg *ssoConfig) {
		m := defaultSAML()
		m.IdpEntityID, m.SPACSURL, m.SPEntityID = s.EntityID, s.SPACSURL, s.SPEntityID
		if byMetadata {
			m.IdpMetadataURL = s.IdpMetadataURL
		} else {
			m.IdpSSOURL, m.IdpCertificate = s.IdpURL, s.IdpCert
		}
		if s.AttributeMapping != nil {
			m.AttributeMapping = *s.AttributeMapping
			if m.AttributeMapping.CustomAttributes == nil {
				m.AttributeMapping.CustomAttributes = map[string]string{}
			}
		}
		m.GroupsMapping = mappings
		m.DefaultSSORoles, m.GroupsPriority = nonNil(s.DefaultSSORoles), nonNil(s.GroupsPriority)
		m.FGAMappings = nonNilMap(s.FGAMappings)
		m.ConfigFGATenantIDResourcePrefix = s.ConfigFGATenantIDResourcePrefix
		m.ConfigFGATenantIDResourceSuffix = s.ConfigFGATenantIDResourceSuffix
		if req.RedirectURL != nil {
			m.RedirectURL = *req.RedirectURL
		}
		m.LastSuccessTestTime = cfg.SAML.LastSuccessTestTime
		cfg.SAML = m
	})
	if err != nil {
		return nil, err
	}
	return empty{}, nil
}

// resolveMappings checks the group mappings of a configure call of tenant
// id: each names a role (by name, or by id) and at least one group. It
// returns them with names only, and the names.
func (st *store) resolveMappings(id string, mappings []groupsMappingJSON) ([]groupsMappingJSON, []string, error) {
	out := make([]groupsMappingJSON, len(mappings))
	var names []string
	for i, m := range mappings {
		name := m.Role.Name
		if name == "" && m.Role.ID != "" {
			if r := st.Roles[m.Role.ID]; r != nil {
				name = r.Name
			}
		}
		if name == "" {
			return nil, nil, invalid("role mapping %d names no role", i)
		}
		if len(m.Groups) == 0 {
			return nil, nil, invalid("role mapping %d (role %q) has no groups", i, name)
		}
		out[i] = groupsMappingJSON{Role: roleItemJSON{Name: name}, Groups: slices.Clone(m.Groups)}
		names = append(names, name)
	}
	return out, names, nil
}

func (e *Emulator) ssoRedirect(c *call) (any, error) {
	var req struct {
		TenantID         string  `json:"tenantId"`
		SSOID            string  `json:"ssoId"`
		SAMLRedirectURL  *string `json:"samlRedirectUrl"`
		OAuthRedirectURL *string `json:"oauthRedirectUrl"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	t, err := e.st.ssoTenant(req.TenantID)
	if err != nil {
		return nil, err
	}
	if req.SAMLRedirectURL == nil && req.OAuthRedirectURL == nil {
		return nil, missingField("samlRedirectUrl")
	}
	cfg, err := ssoConfigOf(t, req.SSOID, true)
	if err != nil {
		return nil, err
	}
	if cfg.Seq == 0 {
		cfg.Seq = e.st.next()
	}
	if req.SAMLRedirectURL != nil {
		cfg.SAML.RedirectURL = *req.SAMLRedirectURL
	}
	if req.OAuthRedirectURL != nil {
		cfg.OIDC.RedirectURL = *req.OAuthRedirectURL
	}
	return empty{}, nil
}

func (e *Emulator) ssoDelete(c *call) (any, error) {
	t, err := e.st.ssoTenant(c.query.Get("tenantId"))
	if err != nil {
		return nil, err
	}
	id := c.query.Get("ssoId")
	if _, err := ssoConfigOf(t, id, false); err != nil {
		return nil, err
	}
	e.st.indexDomains(t, false)
	delete(t.SSO, id)
	if len(t.SSO) == 0 {
		t.Settings.AuthType = "none"
	}
	e.st.indexDomains(t, true)
	return empty{}, nil
}

// redactSecret returns body with settings.clientSecret replaced by
// redactedSecret, for the journal.
func redactSecret(body []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	var s map[string]json.RawMessage
	if json.Unmarshal(m["settings"], &s) != nil {
		return body
	}
	s["clientSecret"], _ = json.Marshal(redactedSecret)
	m["settings"], _ = json.Marshal(s)
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return bytes.TrimSpace(out)
}

func mergeOIDCAttributes(a, def oidcAttributesJSON) oidcAttributesJSON {
	a.LoginID = orDefault(a.LoginID, def.LoginID)
	a.Name = orDefault(a.Name, def.Name)
	a.GivenName = orDefault(a.GivenName, def.GivenName)
	a.MiddleName = orDefault(a.MiddleName, def.MiddleName)
	a.FamilyName = orDefault(a.FamilyName, def.FamilyName)
	a.Email = orDefault(a.Email, def.Email)
	a.VerifiedEmail = orDefault(a.VerifiedEmail, def.VerifiedEmail)
	a.Username = orDefault(a.Username, def.Username)
	a.PhoneNumber = orDefault(a.PhoneNumber, def.PhoneNumber)
	a.VerifiedPhone = orDefault(a.VerifiedPhone, def.VerifiedPhone)
	a.Picture = orDefault(a.Picture, def.Picture)
	if a.CustomAttributes == nil {
		a.CustomAttributes = map[string]string{}
	}
	return a
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// cloneSSO returns a deep copy of a tenant's configurations.
func cloneSSO(m map[string]*ssoConfig) map[string]*ssoConfig {
	if m == nil {
		return nil
	}
	out := make(map[string]*ssoConfig, len(m))
	for id, c := range m {
		cc := *c
		cc.Domains = slices.Clone(c.Domains)
		cc.SAML = cloneJSON(c.SAML)
		cc.OIDC = cloneJSON(c.OIDC)
		out[id] = &cc
	}
	return out
}

// cloneJSON copies v through its JSON form.
func cloneJSON[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic("emulator: copy: " + err.Error()) // the types are plain data
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic("emulator: copy: " + err.Error())
	}
	return out
}

// repairSSO replaces nil lists and maps in a configuration read from a
// state file.
func repairSSO(c *ssoConfig) {
	c.Domains = nonNil(c.Domains)
	def := defaultSAML()
	s := &c.SAML
	s.GroupsMapping, s.DefaultSSORoles, s.GroupsPriority = nonNil(s.GroupsMapping), nonNil(s.DefaultSSORoles), nonNil(s.GroupsPriority)
	s.FGAMappings = nonNilMap(s.FGAMappings)
	if s.AttributeMapping.CustomAttributes == nil {
		s.AttributeMapping.CustomAttributes = def.AttributeMapping.CustomAttributes
	}
	o := &c.OIDC
	o.Scope, o.Prompt, o.GroupsMapping = nonNil(o.Scope), nonNil(o.Prompt), nonNil(o.GroupsMapping)
	o.DefaultSSORoles, o.GroupsPriority = nonNil(o.DefaultSSORoles), nonNil(o.GroupsPriority)
	o.FGAMappings = nonNilMap(o.FGAMappings)
	if o.UserAttrMapping.CustomAttributes == nil {
		o.UserAttrMapping.CustomAttributes = map[string]string{}
	}
}

// The conversions below are the emulator's own reading of its
// configurations as descope.SSO, for State and Seed (see seed.go): what the
// loads of section 4.8.1 say, the active protocol's settings only.

// ssoModel returns configuration c of t as a live descope.SSO.
func (st *store) ssoModel(t *tenant, c *ssoConfig) *descope.SSO {
	m := &descope.SSO{Tenant: t.ID, ID: c.ID, Domains: descope.Ptr(slices.Clone(t.ssoDomains()))}
	mappings := func(list []groupsMappingJSON) *[]descope.RoleMapping {
		out := make([]descope.RoleMapping, len(list))
		for i, g := range list {
			out[i] = descope.RoleMapping{Groups: slices.Clone(g.Groups), Role: g.Role.Name}
		}
		return &out
	}
	switch c.AuthType {
	case "oidc":
		o := c.OIDC
		a := o.UserAttrMapping
		m.OIDC = &descope.OIDC{
			ClientID: descope.Ptr(o.ClientID), AuthURL: descope.Ptr(o.AuthURL), TokenURL: descope.Ptr(o.TokenURL),
			UserDataURL: descope.Ptr(o.UserDataURL), JWKsURL: descope.Ptr(o.JWKsURL), Issuer: descope.Ptr(o.Issuer),
			Scope: descope.Ptr(slices.Clone(o.Scope)), RedirectURL: descope.Ptr(o.RedirectURL),
			CallbackDomain: descope.Ptr(o.CallbackDomain), GrantType: descope.Ptr(o.GrantType),
			Prompt: descope.Ptr(slices.Clone(o.Prompt)), ManageProviderTokens: descope.Ptr(o.ManageProviderTokens),
			AttributeMapping: &descope.Attrs{
				"loginId": a.LoginID, "name": a.Name, "givenName": a.GivenName, "middleName": a.MiddleName,
				"familyName": a.FamilyName, "email": a.Email, "verifiedEmail": a.VerifiedEmail, "username": a.Username,
				"phoneNumber": a.PhoneNumber, "verifiedPhone": a.VerifiedPhone, "picture": a.Picture,
			},
			RoleMappings: mappings(o.GroupsMapping), DefaultRoles: descope.Ptr(slices.Clone(o.DefaultSSORoles)),
		}
	case "saml":
		s := c.SAML
		a := s.AttributeMapping
		m.SAML = &descope.SAML{
			MetadataURL: descope.Ptr(s.IdpMetadataURL), IdpURL: descope.Ptr(s.IdpSSOURL), EntityID: descope.Ptr(s.IdpEntityID),
			IdpCert: descope.Ptr(s.IdpCertificate), RedirectURL: descope.Ptr(s.RedirectURL),
			SPACSURL: descope.Ptr(s.SPACSURL), SPEntityID: descope.Ptr(s.SPEntityID),
			AttributeMapping: &descope.Attrs{
				"name": a.Name, "givenName": a.GivenName, "middleName": a.MiddleName, "familyName": a.FamilyName,
				"picture": a.Picture, "email": a.Email, "phoneNumber": a.PhoneNumber, "group": a.Group,
			},
			RoleMappings: mappings(s.GroupsMapping), DefaultRoles: descope.Ptr(slices.Clone(s.DefaultSSORoles)),
		}
	}
	return m
}

// seedSSO adds the configuration in to st, checked as the configure calls
// check it. Fields left nil take the defaults.
func seedSSO(st *store, in *descope.SSO) error {
	t, err := st.ssoTenant(in.Tenant)
	if err != nil {
		return err
	}
	if in.ID != "" && !ssoIDPattern.MatchString(in.ID) {
		return invalid("ssoId %q must be 1 to 64 letters, digits, '_' or '-'", in.ID)
	}
	if t.SSO[in.ID] != nil {
		return conflict("tenant %q already has the SSO configuration %q", t.ID, in.ID)
	}
	domains := derefSlice(in.Domains)
	if err := st.domainConflict(t.ID, nil, domains); err != nil {
		return err
	}
	mappings := func(list *[]descope.RoleMapping) ([]groupsMappingJSON, error) {
		out := []groupsMappingJSON{}
		for _, m := range derefSlice(list) {
			out = append(out, groupsMappingJSON{Role: roleItemJSON{Name: m.Role}, Groups: slices.Clone(m.Groups)})
		}
		out, _, err := st.resolveMappings(t.ID, out)
		return out, err
	}
	c := newSSOConfig(in.ID)
	c.Seq, c.DisplayName, c.Domains = st.next(), deref(in.Name), nonNil(domains)
	var roles []string
	switch {
	case in.OIDC != nil:
		o, d := in.OIDC, &c.OIDC
		c.AuthType, c.HasClientSecret = "oidc", o.ClientSecret != nil
		d.ClientID, d.AuthURL, d.TokenURL, d.UserDataURL = deref(o.ClientID), deref(o.AuthURL), deref(o.TokenURL), deref(o.UserDataURL)
		d.JWKsURL, d.Issuer, d.RedirectURL, d.CallbackDomain = deref(o.JWKsURL), deref(o.Issuer), deref(o.RedirectURL), deref(o.CallbackDomain)
		d.Scope, d.Prompt, d.ManageProviderTokens = nonNil(derefSlice(o.Scope)), nonNil(derefSlice(o.Prompt)), deref(o.ManageProviderTokens)
		d.GrantType = orDefault(deref(o.GrantType), d.GrantType)
		if o.AttributeMapping != nil {
			b, _ := json.Marshal(*o.AttributeMapping)
			var a oidcAttributesJSON
			if err := json.Unmarshal(b, &a); err != nil {
				return err
			}
			d.UserAttrMapping = mergeOIDCAttributes(a, d.UserAttrMapping)
		}
		if d.GroupsMapping, err = mappings(o.RoleMappings); err != nil {
			return err
		}
		d.DefaultSSORoles = nonNil(derefSlice(o.DefaultRoles))
		roles = d.DefaultSSORoles
		for _, g := range d.GroupsMapping {
			roles = append(roles, g.Role.Name)
		}
	case in.SAML != nil:
		s, d := in.SAML, &c.SAML
		c.AuthType = "saml"
		d.IdpMetadataURL, d.IdpSSOURL, d.IdpEntityID, d.IdpCertificate = deref(s.MetadataURL), deref(s.IdpURL), deref(s.EntityID), deref(s.IdpCert)
		d.RedirectURL, d.SPACSURL, d.SPEntityID = deref(s.RedirectURL), deref(s.SPACSURL), deref(s.SPEntityID)
		if s.AttributeMapping != nil {
			b, _ := json.Marshal(*s.AttributeMapping)
			if err := json.Unmarshal(b, &d.AttributeMapping); err != nil {
				return err
			}
		}
		if d.GroupsMapping, err = mappings(s.RoleMappings); err != nil {
			return err
		}
		d.DefaultSSORoles = nonNil(derefSlice(s.DefaultRoles))
		roles = d.DefaultSSORoles
		for _, g := range d.GroupsMapping {
			roles = append(roles, g.Role.Name)
		}
	}
	for _, r := range roles {
		if st.defaultRole(t.ID, r) == nil {
			return invalid("role %q is not a role of the project or of tenant %q", r, t.ID)
		}
	}
	st.indexDomains(t, false)
	if t.SSO == nil {
		t.SSO = map[string]*ssoConfig{}
	}
	t.SSO[in.ID] = c
	if c.AuthType != "none" {
		t.Settings.AuthType = c.AuthType
	}
	st.indexDomains(t, true)
	return nil
}
