package mgmt

// The Management API's objects as they travel on the wire
// (docs/descope-api.md sections 4 and 9). Field names are the wire names; lists,
// maps and strings are never omitted, because the live API emits them empty
// ("parent":"", "successors":[]) and the emulator serves these same types.

// Tenant is a tenant as GET /v1/mgmt/tenant and /v1/mgmt/tenant/all return it.
type Tenant struct {
	ID                      string         `json:"id"`
	Name                    string         `json:"name"`
	SelfProvisioningDomains []string       `json:"selfProvisioningDomains"`
	CustomAttributes        map[string]any `json:"customAttributes"`
	AuthType                string         `json:"authType"`
	Domains                 []string       `json:"domains"`
	// CreatedTime is in Unix seconds; int32 like the Go SDK, so a server
	// sending milliseconds fails here as it fails there.
	CreatedTime          int32    `json:"createdTime"`
	EnforceSSO           bool     `json:"enforceSSO"`
	EnforceSSOExclusions []string `json:"enforceSSOExclusions"`
	Disabled             bool     `json:"disabled"`
	// Parent is the parent tenant's id, "" for a top-level tenant.
	Parent string `json:"parent"`
	// Successors are the ids of the direct children.
	Successors      []string `json:"successors"`
	DefaultRoles    []string `json:"defaultRoles"`
	RoleInheritance string   `json:"roleInheritance"`
	FederatedAppIDs []string `json:"federatedAppIds"`
}

// TenantSettings are a tenant's session and SSO settings
// (GET and POST /v1/mgmt/tenant/settings).
type TenantSettings struct {
	SelfProvisioningDomains    []string `json:"selfProvisioningDomains"`
	Domains                    []string `json:"domains"`
	AuthType                   string   `json:"authType"`
	SessionSettingsEnabled     bool     `json:"enabled"`
	RefreshTokenExpiration     int64    `json:"refreshTokenExpiration"`
	RefreshTokenExpirationUnit string   `json:"refreshTokenExpirationUnit"`
	SessionTokenExpiration     int64    `json:"sessionTokenExpiration"`
	SessionTokenExpirationUnit string   `json:"sessionTokenExpirationUnit"`
	StepupTokenExpiration      int64    `json:"stepupTokenExpiration"`
	StepupTokenExpirationUnit  string   `json:"stepupTokenExpirationUnit"`
	EnableInactivity           bool     `json:"enableInactivity"`
	InactivityTime             int64    `json:"inactivityTime"`
	InactivityTimeUnit         string   `json:"inactivityTimeUnit"`
	JITDisabled                bool     `json:"JITDisabled"`
	// SSOSetupSuiteSettings is the SSO setup suite's configuration
	// ({enabled, styleId, disabledFeatures{...}}), kept as the JSON object
	// it is.
	SSOSetupSuiteSettings map[string]any `json:"ssoSetupSuiteSettings"`
}

// Role is a role as GET /v1/mgmt/role/all returns it. TenantID is "" for a
// project role.
type Role struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	PermissionNames []string `json:"permissionNames"`
	CreatedTime     int32    `json:"createdTime"`
	TenantID        string   `json:"tenantId"`
	Default         bool     `json:"default"`
	Private         bool     `json:"private"`
}

// Permission is a permission as GET /v1/mgmt/permission/all returns it.
// SystemDefault marks the preconfigured ones. Permissions are named by Name;
// ID is what the server generated.
type Permission struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	SystemDefault bool   `json:"systemDefault"`
}

// FlowMeta is an item of POST /v1/mgmt/flow/list.
type FlowMeta struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Disabled    bool   `json:"disabled"`
	// ModifiedTime is a string on the wire (a protobuf int64).
	ModifiedTime string `json:"modifiedTime,omitempty"`
}

// TenantSearch filters POST /v1/mgmt/tenant/search; an empty filter matches
// every tenant.
type TenantSearch struct {
	IDs                     []string
	Names                   []string
	SelfProvisioningDomains []string
	CustomAttributes        map[string]any
	AuthType                string
}

// RoleSearch filters POST /v1/mgmt/role/search.
type RoleSearch struct {
	TenantIDs           []string
	RoleNames           []string
	RoleNameLike        string
	PermissionNames     []string
	IncludeProjectRoles bool
}

// RoleUpdate is one role of a batch update: the role called Name in
// TenantID becomes Role (which may rename it).
type RoleUpdate struct {
	Name, TenantID string
	Role           *Role
}

// PermissionUpdate is one permission of a batch update: the permission
// called Name becomes Permission (which may rename it).
type PermissionUpdate struct {
	Name       string
	Permission *Permission
}
