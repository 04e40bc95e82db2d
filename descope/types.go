package descope

import (
	"slices"
	"strings"
)

// Kind names a kind of object in a Descope project, as users write it in
// own(kind) and as plans report it.
type Kind string

// The kinds descope-run manages.
const (
	KindProject    Kind = "project"
	KindTenant     Kind = "tenant"
	KindFlow       Kind = "flow"
	KindTheme      Kind = "theme"
	KindRole       Kind = "role"
	KindPermission Kind = "permission"
	KindSSO        Kind = "sso"
	// KindTenantAttribute is a tenant custom attribute definition.
	KindTenantAttribute Kind = "tenant_attribute"
)

// Kinds lists every kind in the order plans present them.
var Kinds = []Kind{KindProject, KindPermission, KindRole, KindTenantAttribute, KindTenant, KindSSO, KindFlow, KindTheme}

// OwnableKinds lists the kinds that own() accepts: those whose live objects a
// config may claim and so delete.
var OwnableKinds = []Kind{KindTenant, KindFlow, KindRole, KindPermission, KindSSO, KindTenantAttribute}

// Origin records where a declaration was made: its Starlark call stack,
// innermost frame first, each "file:line:col: in fn". Origins never reach the
// canonical JSON form, so moving a declaration does not change a plan.
type Origin []string

// Pos returns the innermost position ("file:line:col"), or "" when unknown.
func (o Origin) Pos() string {
	if len(o) == 0 {
		return ""
	}
	pos, _, _ := strings.Cut(o[0], ": in ")
	return pos
}

// Project is the project itself: its id, name and tags.
type Project struct {
	ID   string    `json:"id,omitempty"`
	Name *string   `json:"name,omitempty"`
	Tags *[]string `json:"tags,omitempty"`

	Origin Origin `json:"-"`
}

// Tenant is a Descope tenant. Field names in JSON are the Management API's
// wire names (docs/descope-api.md section 4.1).
type Tenant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Domains are the self-provisioning email domains (a set: order is not significant).
	Domains *[]string `json:"selfProvisioningDomains,omitempty"`
	// Attributes are custom attributes: values are string, number (int64 or
	// float64), bool, or []any of those.
	Attributes *map[string]any `json:"customAttributes,omitempty"`
	EnforceSSO *bool           `json:"enforceSSO,omitempty"`
	Disabled   *bool           `json:"disabled,omitempty"`
	// Parent is the parent tenant's id; "" is a top-level tenant. It is set on
	// create only: changing it replaces the tenant.
	Parent       *string         `json:"parent,omitempty"`
	DefaultRoles *[]string       `json:"defaultRoles,omitempty"`
	Settings     *TenantSettings `json:"settings,omitempty"`
	// Extra holds the fields of a live tenant that descope-run does not
	// manage (live state only): configs cannot set them and plans leave
	// them alone, but backups keep them, so a restore that creates the
	// tenant again gives them back.
	Extra *TenantExtra `json:"extra,omitempty"`

	Origin Origin `json:"-"`
}

// TenantExtra are a live tenant's unmanaged fields (see Tenant.Extra).
type TenantExtra struct {
	RoleInheritance      string   `json:"roleInheritance,omitempty"`
	EnforceSSOExclusions []string `json:"enforceSSOExclusions,omitempty"`
	FederatedAppIDs      []string `json:"federatedAppIds,omitempty"`
	// SSOSetupSuiteSettings is part of the tenant's settings; it is known
	// only when the settings were read.
	SSOSetupSuiteSettings map[string]any `json:"ssoSetupSuiteSettings,omitempty"`
}

// Flow is a flow and its v2 export document (docs/descope-api.md section 4.2):
// {flowId, metadata, contents, screens, references}.
type Flow struct {
	ID string `json:"id"`
	// Name is the flow's display name as listed by the API (live state only).
	Name string `json:"name,omitempty"`
	// Document is the v2 export document; nil in a live State when the flow
	// was listed but not exported.
	Document map[string]any `json:"document,omitempty"`
	// Src is the file the document was read from, relative to the workspace
	// root (desired state only).
	Src string `json:"src,omitempty"`

	Origin Origin `json:"-"`
}

// BuiltinFlows are the flows every project has and that are never deleted.
var BuiltinFlows = []string{"sign-in", "sign-up", "sign-up-or-in", "step-up"}

// IsBuiltinFlow reports whether id names a built-in flow.
func IsBuiltinFlow(id string) bool { return slices.Contains(BuiltinFlows, id) }

// Theme is the project theme, a v2 export document {styles, componentsVersion, references}.
type Theme struct {
	Document map[string]any `json:"document"`
	Src      string         `json:"src,omitempty"`

	Origin Origin `json:"-"`
}

// Role is a role, project-wide (Tenant "") or tenant-scoped. It is identified
// by (Tenant, Name).
type Role struct {
	Name        string    `json:"name"`
	Tenant      string    `json:"tenantId,omitempty"`
	Description *string   `json:"description,omitempty"`
	Permissions *[]string `json:"permissionNames,omitempty"`
	Default     *bool     `json:"default,omitempty"`
	Private     *bool     `json:"private,omitempty"`

	Origin Origin `json:"-"`
}

// Key returns the role's identity: "name" for a project role, "tenant/name"
// for a tenant role.
func (r *Role) Key() string {
	if r.Tenant == "" {
		return r.Name
	}
	return r.Tenant + "/" + r.Name
}

// Permission is a permission, identified by its name.
type Permission struct {
	Name        string  `json:"name"`
	Description *string `json:"description,omitempty"`
	// SystemDefault marks the preconfigured permissions (live state only).
	SystemDefault bool `json:"systemDefault,omitempty"`

	Origin Origin `json:"-"`
}

// PreconfiguredRoles and PreconfiguredPermissions exist in every new project
// (docs/descope-api.md section 8). Configs may name them without declaring them and
// descope-run never deletes them.
var (
	PreconfiguredRoles       = []string{"Tenant Admin"}
	PreconfiguredPermissions = []string{"Impersonate", "SSO Admin", "User Admin"}
)

// IsPreconfiguredPermission reports whether name is a preconfigured permission.
func IsPreconfiguredPermission(name string) bool {
	return slices.Contains(PreconfiguredPermissions, name)
}

// IsPreconfiguredRole reports whether a project role of this name is preconfigured.
func IsPreconfiguredRole(name string) bool { return slices.Contains(PreconfiguredRoles, name) }

// Ownership is a claim made with own(kind, match): live objects of Kind whose
// id matches the glob Match and that the config does not declare are deleted.
// Claims that no own() made (a restore's --prune, a script's p.delete or
// diff(prune = True)) say so in By.
type Ownership struct {
	Kind  Kind   `json:"kind"`
	Match string `json:"match"`

	// By is why the claim deletes, as a delete's reason shows it ("not in
	// the backup (--prune)"), followed by " at POS" when Origin has a
	// position; "" is an own() of a config.
	By     string `json:"-"`
	Origin Origin `json:"-"`
}

// Matches reports whether id falls under the claim. Match is a glob where '*'
// matches any run of characters and '?' one character.
func (o *Ownership) Matches(id string) bool { return globMatch(o.Match, id) }

// globMatch matches s against a pattern of literal characters, '*' and '?'.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
