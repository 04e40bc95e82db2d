package emulator

import "net/url"

// SSO setup-suite admin links: POST /v2/mgmt/tenant/adminlinks/sso/generate
// and /v1/mgmt/tenant/adminlinks/sso/revoke (docs/descope-api.md section
// 4.1). What the emulator relies on, from the official Go SDK (v1.30.0,
// descope/internal/mgmt/tenant.go GenerateSSOConfigurationLink and
// RevokeSSOConfigurationLink, descope/types.go
// GenerateSSOConfigurationLinkResponse):
//
//   - generate takes {tenantId, expireTime (seconds), ssoId, email,
//     templateId} (v1.30 adds actorId) and answers
//     {"adminSSOConfigurationLink": "..."};
//   - revoke takes {tenantId, ssoId} and answers {}.
//
// The tenant must exist (404 otherwise). The link points nowhere real (a
// host under .invalid); the emulator keeps no record of it, so revoke
// succeeds for any link of an existing tenant.

// adminLinkBase is the base of the links the emulator hands out.
const adminLinkBase = "https://sso-setup.emulator.descope-run.invalid/"

func (e *Emulator) adminLinkGenerate(c *call) (any, error) {
	var req struct {
		TenantID   string `json:"tenantId"`
		ExpireTime int64  `json:"expireTime"`
		SSOID      string `json:"ssoId"`
		Email      string `json:"email"`
		TemplateID string `json:"templateId"`
		ActorID    string `json:"actorId"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if _, err := e.st.tenant("tenantId", req.TenantID); err != nil {
		return nil, err
	}
	if req.ExpireTime < 0 {
		return nil, invalid("expireTime %d is negative", req.ExpireTime)
	}
	q := url.Values{"t": {e.draws.hex(32)}}
	if req.SSOID != "" {
		q.Set("ssoId", req.SSOID)
	}
	return map[string]string{"adminSSOConfigurationLink": adminLinkBase + url.PathEscape(req.TenantID) + "?" + q.Encode()}, nil
}

func (e *Emulator) adminLinkRevoke(c *call) (any, error) {
	var req struct {
		TenantID string `json:"tenantId"`
		SSOID    string `json:"ssoId"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if _, err := e.st.tenant("tenantId", req.TenantID); err != nil {
		return nil, err
	}
	return empty{}, nil
}
