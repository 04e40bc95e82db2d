package builtins

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/descope"
)

// This file defines the SSO declarations (docs/design.md section 8a):
//
//	def sso(tenant, id = None, name = None, domains = None, *, oidc = None, saml = None, saml_metadata = None)
//	def oidc(client_id, client_secret = None, auth_url = None, token_url = None, user_data_url = None,
//	         jwks_url = None, issuer = None, scope = None, redirect_url = None, callback_domain = None,
//	         grant_type = None, prompt = None, manage_provider_tokens = None, attribute_mapping = None,
//	         role_mappings = None, default_roles = None)
//	def saml(idp_url, entity_id, idp_cert, attribute_mapping = None, role_mappings = None,
//	         default_roles = None, redirect_url = None, sp_acs_url = None, sp_entity_id = None)
//	def saml_metadata(url, entity_id = None, attribute_mapping = None, role_mappings = None,
//	                  default_roles = None, redirect_url = None, sp_acs_url = None, sp_entity_id = None)
//	def secret(env)
//
// sso declares one SSO configuration of a declared tenant: its default one
// (id None) or another one (id, created with name as its display name). It
// takes exactly one of oidc, saml and saml_metadata, each the value of the
// builtin of that name. A role mapping is {"groups": [...], "role": NAME};
// mappings and default_roles name roles (project roles or the tenant's own),
// which the plan checks exist, declared or live. attribute_mapping maps
// user attributes (keys like "given_name") to the IdP's claims. secret(env)
// names the environment variable that holds the OIDC client secret: the
// value is read when a plan needs it and never shown.

var (
	// ssoIDPattern is what the emulator accepts as a caller-chosen ssoId
	// (docs/descope-api.md section 8).
	ssoIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	envPattern   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

var ssoParams = []string{"tenant", "id", "name", "domains", "oidc", "saml", "saml_metadata"}

func (d *declarer) sso(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, ssoParams...); err != nil {
		return nil, err
	}
	var tenant, id, name, domains, oidcV, samlV, metaV starlark.Value
	if err := starlark.UnpackArgs(fn, args, kwargs, "tenant", &tenant, "id??", &id, "name??", &name,
		"domains??", &domains, "oidc??", &oidcV, "saml??", &samlV, "saml_metadata??", &metaV); err != nil {
		return nil, err
	}
	s := &descope.SSO{Origin: originOf(thread)}
	var err error
	if s.Tenant, err = idOf(fn, "tenant", descope.KindTenant, tenant); err != nil {
		return nil, err
	}
	if err := checkID(fn, "tenant", s.Tenant); err != nil {
		return nil, err
	}
	if id != nil {
		str, ok := starlark.AsString(id)
		if !ok {
			return nil, fmt.Errorf("%s: id must be a string, not %s", fn, id.Type())
		}
		if !ssoIDPattern.MatchString(str) {
			return nil, fmt.Errorf("%s: id %q must be 1 to 64 letters, digits, '_' or '-' (leave it out for the tenant's default configuration)", fn, str)
		}
		s.ID = str
	}
	if name != nil {
		str, ok := starlark.AsString(name)
		if !ok {
			return nil, fmt.Errorf("%s: name must be a string, not %s", fn, name.Type())
		}
		if s.ID == "" {
			return nil, fmt.Errorf("%s: name is the display name of a configuration created with an id; the default configuration (no id) has none", fn)
		}
		if err := checkName(fn, "name", str, 100); err != nil {
			return nil, err
		}
		s.Name = &str
	}
	if domains != nil {
		if s.Domains, err = domainList(fn, "domains", domains); err != nil {
			return nil, err
		}
	}
	given := 0
	for _, p := range []struct {
		param string
		v     starlark.Value
	}{{"oidc", oidcV}, {"saml", samlV}, {"saml_metadata", metaV}} {
		if p.v == nil {
			continue
		}
		given++
		pv, ok := p.v.(*protocolValue)
		if !ok || pv.kind != p.param {
			return nil, fmt.Errorf("%s: %s must be %s(...), not %s", fn, p.param, p.param, p.v.Type())
		}
		s.OIDC, s.SAML = pv.oidc, pv.saml
	}
	if given != 1 {
		return nil, fmt.Errorf("%s: give exactly one of oidc = oidc(...), saml = saml(...) and saml_metadata = saml_metadata(...), not %d", fn, given)
	}
	if err := d.collector(thread).addSSO(s); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return ssoValue(s), nil
}

// protocolValue is the value of oidc(), saml() and saml_metadata(): the
// settings, for sso() to take; its fields are the keywords given.
type protocolValue struct {
	kind  string // "oidc", "saml" or "saml_metadata"
	oidc  *descope.OIDC
	saml  *descope.SAML
	attrs map[string]starlark.Value
}

var _ starlark.HasAttrs = (*protocolValue)(nil)

func (p *protocolValue) String() string        { return p.kind + "(...)" }
func (p *protocolValue) Type() string          { return p.kind }
func (p *protocolValue) Freeze()               {}
func (p *protocolValue) Truth() starlark.Bool  { return starlark.True }
func (p *protocolValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: %s", p.kind) }

// Attr returns a keyword's value, or None for one not given.
func (p *protocolValue) Attr(name string) (starlark.Value, error) {
	if v, ok := p.attrs[name]; ok {
		return v, nil
	}
	if slices.Contains(p.AttrNames(), name) {
		return starlark.None, nil
	}
	return nil, nil
}

// AttrNames lists the keywords of the builtin that made p.
func (p *protocolValue) AttrNames() []string {
	var names []string
	switch p.kind {
	case "oidc":
		names = paramNames(oidcParams)
	case "saml":
		names = paramNames(samlParams)
	default:
		names = paramNames(samlMetadataParams)
	}
	slices.Sort(names)
	return names
}

// param is one keyword of oidc(), saml() or saml_metadata().
type param[T any] struct {
	name     string
	required bool
	set      func(fn string, x *T, v starlark.Value) error
}

func paramNames[T any](ps []param[T]) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name
	}
	return out
}

// unpackParams unpacks the arguments of a protocol builtin into x, by the
// table ps: positional arguments in table order, required ones first.
func unpackParams[T any](fn string, args starlark.Tuple, kwargs []starlark.Tuple, ps []param[T], x *T) (map[string]starlark.Value, error) {
	names := paramNames(ps)
	if err := checkKwargs(fn, kwargs, names...); err != nil {
		return nil, err
	}
	vals := make([]starlark.Value, len(ps))
	pairs := make([]any, 0, 2*len(ps))
	for i, p := range ps {
		suffix := "??"
		if p.required {
			suffix = ""
		}
		pairs = append(pairs, p.name+suffix, &vals[i])
	}
	if err := starlark.UnpackArgs(fn, args, kwargs, pairs...); err != nil {
		return nil, err
	}
	given := map[string]starlark.Value{}
	for i, p := range ps {
		if vals[i] == nil || (vals[i] == starlark.None && !p.required) {
			continue
		}
		if err := p.set(fn, x, vals[i]); err != nil {
			return nil, err
		}
		given[p.name] = vals[i]
	}
	return given, nil
}

func strParam[T any](name string, required, url bool, field func(*T) **string) param[T] {
	return param[T]{name: name, required: required, set: func(fn string, x *T, v starlark.Value) error {
		s, ok := starlark.AsString(v)
		if !ok {
			return fmt.Errorf("%s: %s must be a string, not %s", fn, name, v.Type())
		}
		if required && strings.TrimSpace(s) == "" {
			return fmt.Errorf("%s: %s must not be empty", fn, name)
		}
		if url && s != "" && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
			return fmt.Errorf("%s: %s %q must be an http or https URL", fn, name, s)
		}
		*field(x) = &s
		return nil
	}}
}

func boolParam[T any](name string, field func(*T) **bool) param[T] {
	return param[T]{name: name, set: func(fn string, x *T, v starlark.Value) (err error) {
		*field(x), err = optBoolArg(fn, name, v)
		return err
	}}
}

func listParam[T any](name string, allowed []string, field func(*T) **[]string) param[T] {
	return param[T]{name: name, set: func(fn string, x *T, v starlark.Value) error {
		list, err := stringList(fn, name, v)
		if err != nil {
			return err
		}
		for _, s := range list {
			if allowed != nil {
				if err := oneOf(fn, name+" value", s, allowed); err != nil {
					return err
				}
			} else if s == "" {
				return fmt.Errorf("%s: %s must not hold an empty string", fn, name)
			}
		}
		*field(x) = &list
		return nil
	}}
}

func enumParam[T any](name string, allowed []string, field func(*T) **string) param[T] {
	return param[T]{name: name, set: func(fn string, x *T, v starlark.Value) error {
		s, ok := starlark.AsString(v)
		if !ok {
			return fmt.Errorf("%s: %s must be a string, not %s", fn, name, v.Type())
		}
		if err := oneOf(fn, name, s, allowed); err != nil {
			return err
		}
		*field(x) = &s
		return nil
	}}
}

// attrsParam takes attribute_mapping: a dict from the attribute keywords of
// fields to strings.
func attrsParam[T any](fields []descope.AttributeField, field func(*T) **descope.Attrs) param[T] {
	const name = "attribute_mapping"
	keywords := make([]string, len(fields))
	for i, f := range fields {
		keywords[i] = f.Keyword
	}
	return param[T]{name: name, set: func(fn string, x *T, v starlark.Value) error {
		dict, ok := v.(*starlark.Dict)
		if !ok {
			return fmt.Errorf("%s: %s must be a dict, not %s", fn, name, v.Type())
		}
		out := descope.Attrs{}
	items:
		for _, item := range dict.Items() {
			k, _ := starlark.AsString(item[0])
			for _, f := range fields {
				if f.Keyword != k {
					continue
				}
				s, ok := starlark.AsString(item[1])
				if !ok {
					return fmt.Errorf("%s: %s[%q] must be a string (the IdP's claim or attribute), not %s", fn, name, k, item[1].Type())
				}
				out[f.Wire] = s
				continue items
			}
			return fmt.Errorf("%s: unknown %s key %s%s; the keys are %s", fn, name, item[0], didYouMean(k, keywords), strings.Join(keywords, ", "))
		}
		*field(x) = &out
		return nil
	}}
}

// mappingsParam takes role_mappings: a list of {"groups": [...], "role": NAME}.
func mappingsParam[T any](field func(*T) **[]descope.RoleMapping) param[T] {
	const name = "role_mappings"
	return param[T]{name: name, set: func(fn string, x *T, v starlark.Value) error {
		seq, ok := v.(starlark.Indexable)
		if !ok || v.Type() == "string" {
			return fmt.Errorf("%s: %s must be a list of {\"groups\": [...], \"role\": NAME}, not %s", fn, name, v.Type())
		}
		out := make([]descope.RoleMapping, seq.Len())
		for i := range out {
			at := fmt.Sprintf("%s[%d]", name, i)
			dict, ok := seq.Index(i).(*starlark.Dict)
			if !ok {
				return fmt.Errorf("%s: %s must be a dict {\"groups\": [...], \"role\": NAME}, not %s", fn, at, seq.Index(i).Type())
			}
			for _, k := range dict.Keys() {
				ks, _ := starlark.AsString(k)
				if ks != "groups" && ks != "role" {
					return fmt.Errorf("%s: %s has an unknown key %s%s; a role mapping has \"groups\" and \"role\"", fn, at, k, didYouMean(ks, []string{"groups", "role"}))
				}
			}
			role, _, _ := dict.Get(starlark.String("role"))
			r, ok := role.(starlark.String)
			if !ok || r == "" {
				return fmt.Errorf("%s: %s[\"role\"] must be a role name (a non-empty string)", fn, at)
			}
			groups, _, _ := dict.Get(starlark.String("groups"))
			if groups == nil {
				return fmt.Errorf("%s: %s has no \"groups\" (the IdP groups whose members get role %q)", fn, at, string(r))
			}
			gs, err := stringList(fn, at+`["groups"]`, groups)
			if err != nil {
				return err
			}
			if len(gs) == 0 {
				return fmt.Errorf("%s: %s[\"groups\"] is empty: a mapping needs at least one group", fn, at)
			}
			out[i] = descope.RoleMapping{Groups: gs, Role: string(r)}
		}
		*field(x) = &out
		return nil
	}}
}

// secretParam takes client_secret: a secret(), never a literal.
func secretParam[T any](name string, field func(*T) **descope.Secret) param[T] {
	return param[T]{name: name, set: func(fn string, x *T, v starlark.Value) error {
		s, ok := v.(*secretValue)
		if !ok {
			return fmt.Errorf("%s: %s must be secret(\"ENV_VAR\"), not %s: a secret is read from the environment, never written in a config", fn, name, v.Type())
		}
		*field(x) = &descope.Secret{Env: s.env}
		return nil
	}}
}

type (
	oidcT = descope.OIDC
	samlT = descope.SAML
)

var oidcParams = []param[oidcT]{
	strParam("client_id", true, false, func(o *oidcT) **string { return &o.ClientID }),
	secretParam("client_secret", func(o *oidcT) **descope.Secret { return &o.ClientSecret }),
	strParam("auth_url", false, true, func(o *oidcT) **string { return &o.AuthURL }),
	strParam("token_url", false, true, func(o *oidcT) **string { return &o.TokenURL }),
	strParam("user_data_url", false, true, func(o *oidcT) **string { return &o.UserDataURL }),
	strParam("jwks_url", false, true, func(o *oidcT) **string { return &o.JWKsURL }),
	strParam("issuer", false, false, func(o *oidcT) **string { return &o.Issuer }),
	listParam("scope", nil, func(o *oidcT) **[]string { return &o.Scope }),
	strParam("redirect_url", false, true, func(o *oidcT) **string { return &o.RedirectURL }),
	strParam("callback_domain", false, false, func(o *oidcT) **string { return &o.CallbackDomain }),
	enumParam("grant_type", descope.OIDCGrantTypes, func(o *oidcT) **string { return &o.GrantType }),
	listParam("prompt", descope.OIDCPrompts, func(o *oidcT) **[]string { return &o.Prompt }),
	boolParam("manage_provider_tokens", func(o *oidcT) **bool { return &o.ManageProviderTokens }),
	attrsParam(descope.OIDCAttributes, func(o *oidcT) **descope.Attrs { return &o.AttributeMapping }),
	mappingsParam(func(o *oidcT) **[]descope.RoleMapping { return &o.RoleMappings }),
	listParam("default_roles", nil, func(o *oidcT) **[]string { return &o.DefaultRoles }),
}

// samlCommon are the keywords saml() and saml_metadata() share.
var samlCommon = []param[samlT]{
	attrsParam(descope.SAMLAttributes, func(s *samlT) **descope.Attrs { return &s.AttributeMapping }),
	mappingsParam(func(s *samlT) **[]descope.RoleMapping { return &s.RoleMappings }),
	listParam("default_roles", nil, func(s *samlT) **[]string { return &s.DefaultRoles }),
	strParam("redirect_url", false, true, func(s *samlT) **string { return &s.RedirectURL }),
	strParam("sp_acs_url", false, true, func(s *samlT) **string { return &s.SPACSURL }),
	strParam("sp_entity_id", false, false, func(s *samlT) **string { return &s.SPEntityID }),
}

var (
	samlParams = append([]param[samlT]{
		strParam("idp_url", true, true, func(s *samlT) **string { return &s.IdpURL }),
		strParam("entity_id", true, false, func(s *samlT) **string { return &s.EntityID }),
		strParam("idp_cert", true, false, func(s *samlT) **string { return &s.IdpCert }),
	}, samlCommon...)
	samlMetadataParams = append([]param[samlT]{
		strParam("url", true, true, func(s *samlT) **string { return &s.MetadataURL }),
		strParam("entity_id", false, false, func(s *samlT) **string { return &s.EntityID }),
	}, samlCommon...)
)

func oidcBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	o := &descope.OIDC{}
	given, err := unpackParams(b.Name(), args, kwargs, oidcParams, o)
	if err != nil {
		return nil, err
	}
	return &protocolValue{kind: "oidc", oidc: o, attrs: given}, nil
}

func samlBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s := &descope.SAML{}
	given, err := unpackParams(b.Name(), args, kwargs, samlParams, s)
	if err != nil {
		return nil, err
	}
	return &protocolValue{kind: "saml", saml: s, attrs: given}, nil
}

func samlMetadataBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s := &descope.SAML{}
	given, err := unpackParams(b.Name(), args, kwargs, samlMetadataParams, s)
	if err != nil {
		return nil, err
	}
	return &protocolValue{kind: "saml_metadata", saml: s, attrs: given}, nil
}

// secretValue is the value of secret(env): the name of the environment
// variable, never the value, which only the host reads.
type secretValue struct{ env string }

var _ goValuer = (*secretValue)(nil)

func (s *secretValue) String() string        { return fmt.Sprintf("secret(%q)", s.env) }
func (s *secretValue) Type() string          { return "secret" }
func (s *secretValue) Freeze()               {}
func (s *secretValue) Truth() starlark.Bool  { return starlark.True }
func (s *secretValue) Hash() (uint32, error) { return starlark.String(s.env).Hash() }
func (s *secretValue) goValue() any          { return descope.SensitiveValue }

// MarshalJSON makes json.encode show a secret as "(sensitive)".
func (s *secretValue) MarshalJSON() ([]byte, error) { return json.Marshal(descope.SensitiveValue) }

func secretBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, "env"); err != nil {
		return nil, err
	}
	var env string
	if err := starlark.UnpackArgs(fn, args, kwargs, "env", &env); err != nil {
		return nil, err
	}
	if !envPattern.MatchString(env) {
		return nil, fmt.Errorf("%s: %q is not an environment variable name (letters, digits and '_', not starting with a digit)", fn, env)
	}
	return &secretValue{env: env}, nil
}

var ssoFields = []string{"domains", "id", "name", "oidc", "protocol", "saml", "saml_metadata", "tenant"}

// ssoValue is the value sso() returns. Its protocol's field (oidc, saml or
// saml_metadata) holds the settings with their wire names; the others are None.
func ssoValue(s *descope.SSO) *Declared {
	return newDeclared(descope.KindSSO, s.Key(), s, ssoFields, func(name string) starlark.Value {
		switch name {
		case "tenant":
			return starlark.String(s.Tenant)
		case "id":
			return optString(nonEmpty(s.ID))
		case "name":
			return optString(s.Name)
		case "domains":
			return optList(s.Domains)
		case "protocol":
			if s.SAML.ByMetadata() {
				return starlark.String("saml_metadata")
			}
			return starlark.String(s.Protocol())
		case "oidc":
			if s.OIDC != nil {
				return settingsValue(s.OIDC)
			}
		case "saml":
			if s.SAML != nil && !s.SAML.ByMetadata() {
				return settingsValue(s.SAML)
			}
		case "saml_metadata":
			if s.SAML.ByMetadata() {
				return settingsValue(s.SAML)
			}
		}
		return starlark.None
	})
}

// settingsValue is the data form of OIDC or SAML settings (wire names, the
// secret shown as "(sensitive)").
func settingsValue(v any) starlark.Value {
	m, err := plainJSON(v)
	if err != nil {
		return starlark.None
	}
	if o, ok := m["clientSecret"]; ok && o != nil {
		m["clientSecret"] = descope.SensitiveValue
	}
	return FromGo(m)
}

// plainJSON returns v's JSON form as a map.
func plainJSON(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b, &m)
	return m, err
}
