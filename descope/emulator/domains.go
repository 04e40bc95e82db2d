package emulator

import "strings"

// A domain belongs to one tenant at most, compared without regard to case.
//
// For SSO domains (the settings' domains) that is what the API facts say:
// a project-level switch lets several tenants share an SSO domain, so by
// default they cannot (docs/descope-api.md section 4.8.12). For
// self-provisioning domains no source says (section 5); the emulator
// applies the same rule, as it is strict where the real API might be
// (section 8), and a sign-up's email domain picks the tenant it joins, which
// two tenants cannot both be. A tenant may have a domain as both kinds.

// domainKinds name the two lists in keys and messages.
const (
	selfProvisioning = "self-provisioning domain"
	ssoDomain        = "SSO domain"
)

func domainKey(kind, d string) string { return kind + "\x00" + strings.ToLower(d) }

// domainConflict reports a domain of selfProv or sso that a tenant other
// than id has, as 400 E011004.
func (st *store) domainConflict(id string, selfProv, sso []string) error {
	for _, l := range []struct {
		kind    string
		domains []string
	}{{selfProvisioning, selfProv}, {ssoDomain, sso}} {
		for _, d := range l.domains {
			if owner, ok := st.domainOwners[domainKey(l.kind, d)]; ok && owner != id {
				return invalid("%s %q belongs to tenant %q: a domain belongs to one tenant (remove it there first)", l.kind, d, owner)
			}
		}
	}
	return nil
}

// indexDomains records t as the owner of its domains, or with add false
// forgets them.
func (st *store) indexDomains(t *tenant, add bool) {
	for _, l := range []struct {
		kind    string
		domains []string
	}{{selfProvisioning, t.Settings.SelfProvisioningDomains}, {ssoDomain, t.ssoDomains()}} {
		for _, d := range l.domains {
			k := domainKey(l.kind, d)
			switch {
			case add:
				st.domainOwners[k] = t.ID
			case st.domainOwners[k] == t.ID:
				delete(st.domainOwners, k)
			}
		}
	}
}

// setDomains replaces t's domains, refusing any that another tenant has.
func (st *store) setDomains(t *tenant, selfProv, sso []string) error {
	if err := st.domainConflict(t.ID, selfProv, sso); err != nil {
		return err
	}
	st.indexDomains(t, false)
	t.Settings.SelfProvisioningDomains, t.Settings.Domains = nonNil(selfProv), nonNil(sso)
	st.indexDomains(t, true)
	return nil
}
