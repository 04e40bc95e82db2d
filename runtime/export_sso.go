package runtime

// This file exports SSO configurations (ExportOptions.SSO): one sso()
// declaration each, its protocol's settings in an oidc(), saml() or
// saml_metadata() call, and an OIDC client secret as a secret() of a
// variable named after the configuration, since the API never returns the
// value. A plan of the export sends no secret: the configurations exist,
// and no fingerprint says the value changed.

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/builtins"
	"github.com/descope-run/descope-run/descope"
)

// ssoDecls declares the live SSO configurations of the exported tenants.
func (a *adopter) ssoDecls() error {
	if !a.kinds[descope.KindSSO] || !a.opts.SSO {
		return nil
	}
	perTenant := map[string]int{}
	for _, s := range a.live.SSO {
		perTenant[s.Tenant]++
	}
	var secrets []string
	for _, s := range a.live.SSO {
		what := fmt.Sprintf("sso %q", s.Key())
		if !a.tenants[s.Tenant] {
			continue // its tenant is not exported (noted there, or not selected)
		}
		head := []arg{{"", s.Tenant}}
		if s.ID != "" {
			head = append(head, arg{"id", s.ID})
		}
		var optional []arg
		switch {
		case s.Domains == nil:
		case perTenant[s.Tenant] > 1:
			a.note("%s: domains left unmanaged: the API reports tenant %q's SSO domains for all its %d configurations together",
				what, s.Tenant, perTenant[s.Tenant])
		default:
			optional = append(optional, arg{"domains", slices.Clone(*s.Domains)})
		}
		proto, required, protoOptional, ok := protocolArgs(s)
		if !ok {
			a.note("%s is not exported: it has no protocol configured yet", what)
			continue
		}
		if s.OIDC != nil {
			env := secretEnvName(s)
			required = append(required, arg{"client_secret", expr(fmt.Sprintf("secret(%s)", starString(env)))})
			secrets = append(secrets, env)
		}
		d, ok := a.declareSSO(what, s.Tenant, head, optional, proto, required, protoOptional)
		if ok {
			a.m.sso = append(a.m.sso, d)
		}
	}
	if len(secrets) > 0 {
		a.note("OIDC client secrets are read from %s when a plan sends one (the API never returns them): "+
			"set them before a plan creates a configuration or runs with --rotate-secrets", strings.Join(secrets, ", "))
	}
	return nil
}

// protocolArgs returns the protocol builtin of live configuration s and its
// arguments: those it requires, and the others s sets (empty values are
// left out, unmanaged).
func protocolArgs(s *descope.SSO) (fn string, required, optional []arg, ok bool) {
	str := func(name string, p *string) {
		if v := deref(p); v != "" {
			optional = append(optional, arg{name, v})
		}
	}
	list := func(name string, p *[]string) {
		if p != nil && len(*p) > 0 {
			optional = append(optional, arg{name, slices.Clone(*p)})
		}
	}
	mappings := func(p *[]descope.RoleMapping) {
		if p == nil || len(*p) == 0 {
			return
		}
		var out []any
		for _, m := range *p {
			out = append(out, map[string]any{"groups": slices.Clone(m.Groups), "role": m.Role})
		}
		optional = append(optional, arg{"role_mappings", out})
	}
	attrs := func(p *descope.Attrs, fields []descope.AttributeField) {
		if p == nil {
			return
		}
		m := map[string]any{}
		for _, f := range fields {
			if v := (*p)[f.Wire]; v != "" {
				m[f.Keyword] = v
			}
		}
		if len(m) > 0 {
			optional = append(optional, arg{"attribute_mapping", m})
		}
	}
	switch {
	case s.OIDC != nil:
		o := s.OIDC
		required = []arg{{"", deref(o.ClientID)}}
		str("auth_url", o.AuthURL)
		str("token_url", o.TokenURL)
		str("user_data_url", o.UserDataURL)
		str("jwks_url", o.JWKsURL)
		str("issuer", o.Issuer)
		list("scope", o.Scope)
		str("redirect_url", o.RedirectURL)
		str("callback_domain", o.CallbackDomain)
		str("grant_type", o.GrantType)
		list("prompt", o.Prompt)
		if deref(o.ManageProviderTokens) {
			optional = append(optional, arg{"manage_provider_tokens", true})
		}
		attrs(o.AttributeMapping, descope.OIDCAttributes)
		mappings(o.RoleMappings)
		list("default_roles", o.DefaultRoles)
		return "oidc", required, optional, true
	case s.SAML != nil:
		m := s.SAML
		fn = "saml"
		if m.ByMetadata() {
			fn = "saml_metadata"
			required = []arg{{"", *m.MetadataURL}}
			str("entity_id", m.EntityID)
		} else {
			required = []arg{{"", deref(m.IdpURL)}, {"", deref(m.EntityID)}, {"", deref(m.IdpCert)}}
		}
		attrs(m.AttributeMapping, descope.SAMLAttributes)
		mappings(m.RoleMappings)
		list("default_roles", m.DefaultRoles)
		str("redirect_url", m.RedirectURL)
		str("sp_acs_url", m.SPACSURL)
		str("sp_entity_id", m.SPEntityID)
		return fn, required, optional, true
	}
	return "", nil, nil, false
}

// envUnsafe are the characters a variable name cannot hold.
var envUnsafe = regexp.MustCompile(`[^A-Z0-9_]+`)

// secretEnvName returns the variable an exported configuration's client
// secret is read from: its key in capitals, "_OIDC_SECRET" after it
// ("cust-acme/okta" gives CUST_ACME_OKTA_OIDC_SECRET).
func secretEnvName(s *descope.SSO) string {
	name := envUnsafe.ReplaceAllString(strings.ToUpper(s.Key()), "_")
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "SSO_" + name
	}
	return strings.Trim(name, "_") + "_OIDC_SECRET"
}

// declareSSO returns the sso() declaration of a configuration of tenant,
// checked by evaluating it as the exported config will: with every keyword,
// or else with those the builtins accept one by one (a note for each
// other). ok is false, with a note, when even the required keywords fail.
func (a *adopter) declareSSO(what, tenant string, head, optional []arg, proto string, required, protoOptional []arg) (decl, bool) {
	build := func(sso []arg, p []arg) decl {
		return decl{fn: "sso", args: append(slices.Concat(head, sso), arg{proto, nestedCall(decl{fn: proto, args: p}, len(proto))})}
	}
	full := build(optional, slices.Concat(required, protoOptional))
	if checkSSO(tenant, full) == nil {
		return full, true
	}
	if err := checkSSO(tenant, build(nil, required)); err != nil {
		a.note("%s is not exported: %s", what, err)
		return decl{}, false
	}
	var keptSSO, keptProto []arg
	for _, x := range optional {
		if err := checkSSO(tenant, build([]arg{x}, required)); err != nil {
			a.note("%s: %s left unmanaged: %s", what, x.name, err)
			continue
		}
		keptSSO = append(keptSSO, x)
	}
	for _, x := range protoOptional {
		if err := checkSSO(tenant, build(nil, append(slices.Clone(required), x))); err != nil {
			a.note("%s: %s.%s left unmanaged: %s", what, proto, x.name, err)
			continue
		}
		keptProto = append(keptProto, x)
	}
	return build(keptSSO, slices.Concat(required, keptProto)), true
}

// nestedCall returns d as an expression that stands as the value of a
// keyword of kwLen characters in a broken call (indented once): on one
// line when it fits, else one argument a line, indented under it.
func nestedCall(d decl, kwLen int) expr {
	var b strings.Builder
	writeCall(&b, d)
	text := strings.TrimSuffix(b.String(), "\n")
	if !strings.Contains(text, "\n") && len(starIndent)+kwLen+3+len(text)+1 > lineWidth {
		// It fits at the start of a line but not after the keyword.
		var broken strings.Builder
		broken.WriteString(d.fn + "(\n")
		for _, x := range d.args {
			broken.WriteString(starIndent + keyword(x.name))
			starValue(&broken, x.value, starIndent, len(starIndent)+len(keyword(x.name)))
			broken.WriteString(",\n")
		}
		text = broken.String() + ")"
	}
	return expr(strings.ReplaceAll(text, "\n", "\n"+starIndent))
}

// checkSSO evaluates the sso() declaration d of a configuration of tenant
// (declared first) and returns its error as the builtins word it.
func checkSSO(tenant string, d decl) error {
	var src strings.Builder
	writeCall(&src, decl{fn: "tenant", args: []arg{{"id", tenant}, {"name", "-"}}})
	writeCall(&src, d)
	predeclared := builtins.Config(builtins.NewCollector(), nil, nil)
	thread := &starlark.Thread{Name: "export check"}
	_, err := starlark.ExecFileOptions(fileOptions, thread, "export-check.star", src.String(), predeclared)
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		return errors.New(ee.Msg)
	}
	return err
}
