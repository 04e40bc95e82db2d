package runtime

import (
	"context"
	"fmt"
	"slices"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// sso returns what performs an SSO configuration's change
// (docs/descope-api.md section 4.8): a delete is one DELETE; a create makes
// the configuration (settings/new, unless it is the tenant's default one)
// and configures it; an update reads it, merges what the config manages
// onto what the API holds (a configure call replaces the protocol's whole
// object, and the domains), and configures it. The client secret is sent
// only when the plan carries it (Planned.secrets); otherwise it is left
// out, which keeps the stored one.
func (w *writer) sso(c *descope.Change) work {
	before, _ := c.Before.(*descope.SSO)
	after, _ := c.After.(*descope.SSO)
	if c.Action == descope.ActionDelete {
		return work{do: func(ctx context.Context) error { return w.c.DeleteSSO(ctx, before.Tenant, before.ID) }, calls: 1}
	}
	secret, send := w.secrets[c.Key]
	if c.Action == descope.ActionCreate {
		calls := 1
		if after.ID != "" {
			calls++
		}
		return work{do: func(ctx context.Context) error {
			if after.ID != "" {
				name := after.ID
				if after.Name != nil {
					name = *after.Name
				}
				if _, err := w.c.NewSSO(ctx, after.Tenant, after.ID, name); err != nil {
					return err
				}
			}
			return w.configureSSO(ctx, after, nil, secret, send)
		}, calls: calls}
	}
	return work{do: func(ctx context.Context) error {
		live, err := w.c.LoadSSO(ctx, after.Tenant, after.ID)
		if err != nil {
			return fmt.Errorf("read before update: %w", err)
		}
		return w.configureSSO(ctx, after, live, secret, send)
	}, calls: 2}
}

// configureSSO writes the settings of d's protocol, merged onto live's (nil
// for a new configuration), with d's domains or, when d leaves them unset,
// the ones live has.
func (w *writer) configureSSO(ctx context.Context, d *descope.SSO, live *mgmt.SSOSettings, secret string, send bool) error {
	var domains []string
	switch {
	case d.Domains != nil:
		domains = slices.Clone(*d.Domains)
	case live != nil && live.Tenant != nil:
		domains = slices.Clone(live.Tenant.Domains)
	}
	switch {
	case d.OIDC != nil:
		var base *mgmt.OIDCSettings
		if live != nil {
			base = live.OIDC
		}
		s := mgmt.MergeOIDC(base, d.OIDC)
		if send {
			s.ClientSecret = secret
		}
		return w.c.ConfigureOIDC(ctx, d.Tenant, d.ID, s, domains)
	case d.SAML != nil:
		var base *mgmt.SAMLSettings
		if live != nil {
			base = live.SAML
		}
		s := mgmt.MergeSAML(base, d.SAML)
		if samlByMetadata(d.SAML, s) {
			return w.c.ConfigureSAMLByMetadata(ctx, d.Tenant, d.ID, s, domains)
		}
		return w.c.ConfigureSAML(ctx, d.Tenant, d.ID, s, domains)
	}
	return fmt.Errorf("sso %q: no protocol to configure", d.Key())
}

// samlByMetadata says which SAML call configures d: by metadata when d
// names a metadata URL, field by field when it names the IdP's URL, and
// for a config that says neither, the way the configuration is made now
// (merged, the settings as they will be).
func samlByMetadata(d *descope.SAML, merged *mgmt.SAMLSettings) bool {
	switch {
	case d.MetadataURL != nil:
		return *d.MetadataURL != ""
	case d.IdpURL != nil:
		return false
	}
	return merged.IdpMetadataURL != ""
}
