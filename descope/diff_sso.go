package descope

import (
	"fmt"
	"maps"
	"slices"
)

// ssoSpec returns how Diff treats SSO configurations. Their domains compare
// with what the API reports for them (see ssoLiveDomains), which depends on
// the other configurations desired declares.
func ssoSpec(desired *State) kindSpec[SSO] {
	declared := map[string]map[string]bool{} // tenant -> the domains its configurations declare
	for _, s := range desired.SSO {
		if s.Domains == nil {
			continue
		}
		if declared[s.Tenant] == nil {
			declared[s.Tenant] = map[string]bool{}
		}
		for _, dom := range *s.Domains {
			declared[s.Tenant][dom] = true
		}
	}
	return kindSpec[SSO]{
		kind:    KindSSO,
		key:     (*SSO).Key,
		origin:  func(s *SSO) Origin { return s.Origin },
		builtin: func(*SSO) bool { return false },
		compare: func(live, want *SSO) (fields, Action, string) {
			return compareSSO(live, want, declared[want.Tenant])
		},
	}
}

// compareSSO compares an SSO configuration field by field: its protocol
// ("authType"), domains, and the settings of the protocol want sets. A
// change of protocol compares want's settings with empty ones. The client
// secret, which the API never returns, is a change on create, on a change
// of protocol, and when the plan sends it anyway (Secret.Send).
func compareSSO(live, want *SSO, declared map[string]bool) (fields, Action, string) {
	f, l, action := start(live)
	proto := want.Protocol()
	switched := live != nil && l.Protocol() != proto
	switch {
	case f.create:
		f.change("authType", nil, proto)
		scalar(&f, "displayName", nil, want.Name)
	case switched:
		f.change("authType", l.Protocol(), proto)
	default:
		f.unchanged++
	}
	set(&f, "domains", ssoLiveDomains(live, want, declared), want.Domains)
	fresh := f.create || switched // the protocol's settings start empty
	var secret *Secret
	switch {
	case want.OIDC != nil:
		lo := l.OIDC
		if lo == nil || switched {
			lo = &OIDC{}
		}
		oidcFields(&f, lo, want.OIDC)
		secret = want.OIDC.ClientSecret
	case want.SAML != nil:
		ls := l.SAML
		if ls == nil || switched {
			ls = &SAML{}
		}
		samlFields(&f, ls, want.SAML)
	}
	reason := ""
	if secret != nil && (fresh || secret.Send) {
		var before any
		if !f.create {
			before = SensitiveValue // write-only: never read back
		}
		f.change("oidc.clientSecret", before, secret)
		if !fresh {
			reason = secret.Reason
		}
	}
	return f, action, reason
}

// ssoLiveDomains returns the domains to compare with want's: what the API
// reports for the live configuration, which is the union over the tenant's
// configurations (docs/descope-api.md section 4.8.12). Of that union, a
// configuration is taken to hold the domains it declares and those no
// configuration of the tenant declares; the domains another declared
// configuration holds are that one's. With one configuration per tenant
// that is the whole union; with several, the plan is empty when the union
// is the declared domains.
func ssoLiveDomains(live, want *SSO, declared map[string]bool) *[]string {
	if live == nil || live.Domains == nil || want.Domains == nil {
		return nil
	}
	var own []string
	for _, d := range *live.Domains {
		if !declared[d] || slices.Contains(*want.Domains, d) {
			own = append(own, d)
		}
	}
	return &own
}

func oidcFields(f *fields, l, w *OIDC) {
	scalar(f, "oidc.clientId", l.ClientID, w.ClientID)
	scalar(f, "oidc.authUrl", l.AuthURL, w.AuthURL)
	scalar(f, "oidc.tokenUrl", l.TokenURL, w.TokenURL)
	scalar(f, "oidc.userDataUrl", l.UserDataURL, w.UserDataURL)
	scalar(f, "oidc.JWKsUrl", l.JWKsURL, w.JWKsURL)
	scalar(f, "oidc.issuer", l.Issuer, w.Issuer)
	set(f, "oidc.scope", l.Scope, w.Scope)
	scalar(f, "oidc.redirectUrl", l.RedirectURL, w.RedirectURL)
	scalar(f, "oidc.callbackDomain", l.CallbackDomain, w.CallbackDomain)
	scalar(f, "oidc.grantType", l.GrantType, w.GrantType)
	set(f, "oidc.prompt", l.Prompt, w.Prompt)
	scalar(f, "oidc.manageProviderTokens", l.ManageProviderTokens, w.ManageProviderTokens)
	attrFields(f, "oidc.userAttrMapping", l.AttributeMapping, w.AttributeMapping)
	mappingFields(f, "oidc.groupsMapping", l.RoleMappings, w.RoleMappings)
	set(f, "oidc.defaultSSORoles", l.DefaultRoles, w.DefaultRoles)
}

func samlFields(f *fields, l, w *SAML) {
	scalar(f, "saml.idpMetadataUrl", l.MetadataURL, w.MetadataURL)
	scalar(f, "saml.idpUrl", l.IdpURL, w.IdpURL)
	scalar(f, "saml.entityId", l.EntityID, w.EntityID)
	scalar(f, "saml.idpCert", l.IdpCert, w.IdpCert)
	scalar(f, "saml.redirectUrl", l.RedirectURL, w.RedirectURL)
	scalar(f, "saml.spACSUrl", l.SPACSURL, w.SPACSURL)
	scalar(f, "saml.spEntityId", l.SPEntityID, w.SPEntityID)
	attrFields(f, "saml.attributeMapping", l.AttributeMapping, w.AttributeMapping)
	mappingFields(f, "saml.roleMappings", l.RoleMappings, w.RoleMappings)
	set(f, "saml.defaultSSORoles", l.DefaultRoles, w.DefaultRoles)
}

// attrFields compares the keys an attribute mapping sets, each its own
// field ("oidc.userAttrMapping.email"); a key want leaves out is unmanaged
// (the API fills it with a default).
func attrFields(f *fields, path string, live, want *Attrs) {
	if want == nil {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(*want)) {
		var l *string
		if live != nil {
			if v, ok := (*live)[k]; ok {
				l = &v
			}
		}
		w := (*want)[k]
		scalar(f, path+"."+k, l, &w)
	}
}

// mappingFields compares role mappings as a whole, without regard to
// order.
func mappingFields(f *fields, path string, live, want *[]RoleMapping) {
	if want == nil {
		return
	}
	w := mappingsCopy(*want)
	if f.create {
		f.change(path, nil, w)
		return
	}
	l := mappingsCopy(deref(live))
	if slices.EqualFunc(l, w, func(a, b RoleMapping) bool { return a.Role == b.Role && slices.Equal(a.Groups, b.Groups) }) {
		f.unchanged++
		return
	}
	f.change(path, l, w)
}

// mappingsCopy returns a normalized copy of ms, never nil.
func mappingsCopy(ms []RoleMapping) []RoleMapping {
	out := make([]RoleMapping, len(ms))
	for i, m := range ms {
		out[i] = RoleMapping{Groups: slices.Clone(m.Groups), Role: m.Role}
	}
	normalizeMappings(&out)
	return out
}

// cascadeTenantSSO accounts for what the API does when it deletes a tenant:
// it deletes the tenant's SSO configurations with it. For each tenant the
// plan deletes or replaces, a declared configuration of that tenant is
// created again after the replace, and an undeclared one that is not
// deleted already is deleted explicitly, first, so that the plan shows every
// configuration the change removes.
func (d *differ) cascadeTenantSSO(live *State) {
	gone := d.removedTenants()
	if len(gone) == 0 {
		return
	}
	byID := make(map[string]*Change, len(d.plan.Changes))
	for _, c := range d.plan.Changes {
		byID[c.ID] = c
	}
	dropped := map[string]bool{}
	for _, s := range live.SSO {
		tc := gone[s.Tenant]
		if tc == nil {
			continue
		}
		id := ChangeID(KindSSO, s.Key())
		reason := cascadeReason(tc, s.Tenant, "SSO configurations")
		if want := d.desired.SSOConfig(s.Tenant, s.ID); want != nil {
			f, _, _ := compareSSO(nil, want, nil)
			c := byID[id]
			if c == nil {
				c = &Change{ID: id, Kind: KindSSO, Key: s.Key(), After: want, Origin: want.Origin}
				d.add(c)
			}
			c.Action, c.Before, c.Fields, c.UnchangedFields = ActionCreate, nil, f.list, 0
			c.Reason = "created again: " + reason
			continue
		}
		if c := byID[id]; c != nil {
			continue // already deleted under an own() claim
		}
		d.add(&Change{ID: id, Kind: KindSSO, Key: s.Key(), Action: ActionDelete, Before: s, Reason: reason, Origin: tc.Origin})
		dropped[s.Key()] = true
	}
	d.unmanaged[KindSSO] = slices.DeleteFunc(d.unmanaged[KindSSO], func(k string) bool { return dropped[k] })
}

// removedTenants returns the plan's tenant deletes and replaces so far, by
// tenant id.
func (d *differ) removedTenants() map[string]*Change {
	gone := map[string]*Change{}
	for _, c := range d.plan.Changes {
		if c.Kind == KindTenant && (c.Action == ActionDelete || c.Action == ActionReplace) {
			gone[c.Key] = c
		}
	}
	return gone
}

// cascadeReason says why tc, a tenant's delete or replace, removes its
// objects of a kind (what).
func cascadeReason(tc *Change, tenant, what string) string {
	verb := "deleted"
	if tc.Action == ActionReplace {
		verb = "replaced"
	}
	return fmt.Sprintf("tenant %q is %s, and Descope deletes a tenant's %s with the tenant", tenant, verb, what)
}
