package emulator

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestWireFieldNames pins the names of every field the emulator answers
// with to the lists of docs/descope-api.md (sections 4.1, 4.5 and 4.6), so
// that the emulator's reading of the contract is checked on its own and not
// only against the client's.
func TestWireFieldNames(t *testing.T) {
	_, c := newTest(t)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	tests := []struct {
		name string
		got  any
		want string
	}{
		{"tenant", c.get("/v1/mgmt/tenant?id=T2a"),
			"authType createdTime customAttributes defaultRoles disabled domains enforceSSO enforceSSOExclusions federatedAppIds id name parent roleInheritance selfProvisioningDomains successors"},
		{"tenant settings", c.get("/v1/mgmt/tenant/settings?id=T2a"),
			"JITDisabled authType domains enableInactivity enabled inactivityTime inactivityTimeUnit refreshTokenExpiration refreshTokenExpirationUnit selfProvisioningDomains sessionTokenExpiration sessionTokenExpirationUnit ssoSetupSuiteSettings stepupTokenExpiration stepupTokenExpirationUnit"},
		{"role", c.get("/v1/mgmt/role/all")["roles"].([]any)[0],
			"createdTime default description id name permissionNames private tenantId"},
		{"permission", c.get("/v1/mgmt/permission/all")["permissions"].([]any)[0],
			"description id name systemDefault"},
	}
	for _, tt := range tests {
		got := strings.Join(slices.Sorted(maps.Keys(tt.got.(map[string]any))), " ")
		if got != tt.want {
			t.Errorf("%s fields:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
