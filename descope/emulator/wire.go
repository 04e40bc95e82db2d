package emulator

// The emulator's answers as they travel on the wire, written from
// docs/descope-api.md (sections 4, 8 and 9) and not from descope-run's client
// (descope/mgmt): the client and the emulator are two independent readings of
// that contract, so a wrong JSON name on one side is caught by the contract
// tests instead of being shared. Every list, map and string is emitted, empty
// ones included ("parent":"", "successors":[]), as the live API does
// (section 6).

// tenantJSON is a tenant as GET /v1/mgmt/tenant, /v1/mgmt/tenant/all and
// /v1/mgmt/tenant/search answer it (section 4.1, "Tenant object fields").
type tenantJSON struct {
	ID                      string         `json:"id"`
	Name                    string         `json:"name"`
	SelfProvisioningDomains []string       `json:"selfProvisioningDomains"`
	CustomAttributes        map[string]any `json:"customAttributes"`
	AuthType                string         `json:"authType"`
	Domains                 []string       `json:"domains"`
	// CreatedTime is Unix seconds and fits an int32: the Go SDK decodes it
	// into one and fails on milliseconds (section 9, "A fidelity trap").
	CreatedTime          int32    `json:"createdTime"`
	EnforceSSO           bool     `json:"enforceSSO"`
	EnforceSSOExclusions []string `json:"enforceSSOExclusions"`
	Disabled             bool     `json:"disabled"`
	Parent               string   `json:"parent"`
	Successors           []string `json:"successors"`
	DefaultRoles         []string `json:"defaultRoles"`
	RoleInheritance      string   `json:"roleInheritance"`
	FederatedAppIDs      []string `json:"federatedAppIds"`
}

// tenantSettings are a tenant's settings as GET /v1/mgmt/tenant/settings
// answers them and POST /v1/mgmt/tenant/settings takes them (section 4.1,
// "TenantSettings fields"). The store keeps them in this form too.
// settings_test.go holds its fields to the domain's table of settings,
// descope.TenantSettingFields, by wire name.
type tenantSettings struct {
	SelfProvisioningDomains    []string `json:"selfProvisioningDomains"`
	Domains                    []string `json:"domains"`
	AuthType                   string   `json:"authType"`
	Enabled                    bool     `json:"enabled"`
	RefreshTokenExpiration     int64    `json:"refreshTokenExpiration"`
	RefreshTokenExpirationUnit string   `json:"refreshTokenExpirationUnit"`
	SessionTokenExpiration     int64    `json:"sessionTokenExpiration"`
	SessionTokenExpirationUnit string   `json:"sessionTokenExpirationUnit"`
	StepupTokenExpiration      int64    `json:"stepupTokenExpiration"`
	StepupTokenExpirationUnit  string   `json:"stepupTokenExpirationUnit"`
	EnableInactivity           bool     `json:"enableInactivity"`
	InactivityTime             int64    `json:"inactivityTime"`
	InactivityTimeUnit         string   `json:"inactivityTimeUnit"`
	JITDisabled                bool     `json:"JITDisabled"` // capital letters, as on the wire
	// SSOSetupSuiteSettings is {enabled, styleId, disabledFeatures{...}},
	// kept as the JSON object it is.
	SSOSetupSuiteSettings map[string]any `json:"ssoSetupSuiteSettings"`
}

// roleJSON is a role as role/all, role/search, role/create and the role
// batches answer it (section 4.5, "Role object").
type roleJSON struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	PermissionNames []string `json:"permissionNames"`
	CreatedTime     int32    `json:"createdTime"` // Unix seconds, as for tenants
	TenantID        string   `json:"tenantId"`
	Default         bool     `json:"default"`
	Private         bool     `json:"private"`
}

// permissionJSON is a permission as permission/all answers it (section
// 4.6): systemDefault marks the preconfigured ones.
type permissionJSON struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	SystemDefault bool   `json:"systemDefault"`
}
