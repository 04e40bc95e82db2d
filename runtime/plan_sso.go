package runtime

import (
	"fmt"
	"strings"

	"github.com/descope-run/descope-run/descope"
)

// ssoReadOptions says whose SSO configurations a plan of desired reads: the
// tenants of its declared configurations, and the tenants whose
// configurations its own("sso", ...) claims may match (one call each,
// docs/descope-api.md section 4.8.2).
func ssoReadOptions(desired *descope.State) (tenants []string, claims []*descope.Ownership) {
	for _, s := range desired.SSO {
		tenants = append(tenants, s.Tenant)
	}
	for _, o := range desired.Owns {
		if o.Kind == descope.KindSSO {
			claims = append(claims, o)
		}
	}
	return tenants, claims
}

// An UnknownSSORolesError is a plan whose SSO configurations map groups to
// (or give by default) roles that are neither declared nor live.
type UnknownSSORolesError struct {
	Roles []UnknownSSORole
}

// UnknownSSORole is one role name an SSO configuration uses but no role has.
type UnknownSSORole struct {
	SSO, Role, Pos string
	// Removed is set when the role is live but the plan deletes it.
	Removed bool
}

func (e *UnknownSSORolesError) Error() string {
	lines := make([]string, len(e.Roles))
	for i, r := range e.Roles {
		why := "is neither declared in this configuration nor a live role of the project or of the tenant"
		if r.Removed {
			why = "is deleted by this plan"
		}
		lines[i] = fmt.Sprintf("%s: sso %q: role %q %s (declare it with role(name=%q), or fix the name)",
			orDefault(r.Pos, "?"), r.SSO, r.Role, why, r.Role)
	}
	return strings.Join(lines, "\n")
}

// checkSSORoles checks that every role an SSO configuration of desired
// names (in its role mappings and default roles) exists once the plan p is
// applied: a role desired declares (project-wide or of the configuration's
// tenant), a preconfigured one, or a live one that p does not delete.
func checkSSORoles(live, desired *descope.State, p *descope.Plan) error {
	if len(desired.SSO) == 0 {
		return nil
	}
	removed := map[string]bool{}
	for _, c := range p.Changes {
		if r, ok := c.Before.(*descope.Role); ok && (c.Action == descope.ActionDelete || c.Action == descope.ActionReplace) {
			removed[r.Key()] = true
		}
	}
	exists := func(key string) (ok, gone bool) {
		tenant, name, scoped := strings.Cut(key, "/")
		if !scoped {
			tenant, name = "", key
		}
		if desired.Role(tenant, name) != nil || (tenant == "" && descope.IsPreconfiguredRole(name)) {
			return true, false
		}
		if live.Role(tenant, name) != nil {
			return !removed[key], removed[key]
		}
		return false, false
	}
	var unknown UnknownSSORolesError
	for _, s := range desired.SSO {
		for _, r := range s.RoleNames() {
			projectOK, projectGone := exists(r)
			tenantOK, tenantGone := exists(s.Tenant + "/" + r)
			if projectOK || tenantOK {
				continue
			}
			unknown.Roles = append(unknown.Roles, UnknownSSORole{SSO: s.Key(), Role: r, Pos: s.Origin.Pos(), Removed: projectGone || tenantGone})
		}
	}
	if len(unknown.Roles) > 0 {
		return &unknown
	}
	return nil
}

// touchedSSOTenants returns the ids of the tenants whose SSO configurations
// a plan may change or lose: those of its SSO changes, and the tenants it
// deletes or replaces. A pre-apply backup holds their configurations.
func touchedSSOTenants(p *descope.Plan) []string {
	var ids []string
	for _, c := range p.Changes {
		switch {
		case c.Kind == descope.KindSSO:
			if s, ok := c.After.(*descope.SSO); ok {
				ids = append(ids, s.Tenant)
			} else if s, ok := c.Before.(*descope.SSO); ok {
				ids = append(ids, s.Tenant)
			}
		case c.Kind == descope.KindTenant && c.Action != descope.ActionCreate && c.Action != descope.ActionUpdate:
			ids = append(ids, c.Key)
		}
	}
	return ids
}

// verifySSOTenants returns the tenants whose SSO configurations a
// verification reads again: those of the changes done (touched holds their
// step IDs) that touch SSO (see touchedSSOTenants).
func verifySSOTenants(p *descope.Plan, touched map[string]bool) []string {
	done := &descope.Plan{}
	for _, c := range p.Changes {
		if touched[c.ID] || touched[descope.DeleteStepID(c.ID)] {
			done.Changes = append(done.Changes, c)
		}
	}
	return touchedSSOTenants(done)
}
