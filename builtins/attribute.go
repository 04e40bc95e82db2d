package builtins

import (
	"fmt"
	"slices"
	"strings"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/descope"
)

// This file defines tenant_attribute(), the declaration of a tenant custom
// attribute definition (descope.TenantAttribute), and the checks that tie
// tenants' attributes to the definitions a config declares.

var tenantAttributeParams = []string{"key", "name", "type", "options", "view_permissions"}

// tenantAttribute implements
//
//	tenant_attribute(key, name=None, type="string", options=None, view_permissions=None)
//
// key is the machine name tenants use in attributes; name the display name
// (the key when the definition is created without one); type one of
// descope.TenantAttributeTypes; options the choices of a singleselect or
// multiselect; view_permissions the permissions a user needs to see it.
// Unset name, options and view_permissions are unmanaged.
func (d *declarer) tenantAttribute(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, tenantAttributeParams...); err != nil {
		return nil, err
	}
	var key string
	typ := descope.TenantAttributeTypes[0]
	var name, options, viewPerms starlark.Value
	if err := starlark.UnpackArgs(fn, args, kwargs, "key", &key, "name??", &name, "type?", &typ,
		"options??", &options, "view_permissions??", &viewPerms); err != nil {
		return nil, err
	}
	if !descope.TenantAttributeKeyPattern.MatchString(key) {
		return nil, fmt.Errorf("%s: key %q must be 1 to 20 letters, digits, '_' or '-' (the attribute's machine name)", fn, key)
	}
	if err := oneOf(fn, "type", typ, descope.TenantAttributeTypes); err != nil {
		return nil, err
	}
	a := &descope.TenantAttribute{Key: key, Type: typ, Origin: originOf(thread)}
	if name != nil {
		s, ok := starlark.AsString(name)
		if !ok {
			return nil, fmt.Errorf("%s: name must be a string, not %s", fn, name.Type())
		}
		if err := checkName(fn, "name", s, 254); err != nil {
			return nil, err
		}
		a.DisplayName = &s
	}
	if options != nil {
		if !descope.IsSelectType(typ) {
			return nil, fmt.Errorf("%s: options are the choices of a singleselect or multiselect attribute, and %q is of type %q", fn, key, typ)
		}
		os, err := stringList(fn, "options", options)
		if err != nil {
			return nil, err
		}
		for i, o := range os {
			if strings.TrimSpace(o) == "" {
				return nil, fmt.Errorf("%s: options[%d] must not be empty", fn, i)
			}
		}
		a.Options = &os
	}
	if viewPerms != nil {
		ps, err := stringList(fn, "view_permissions", viewPerms)
		if err != nil {
			return nil, err
		}
		a.ViewPermissions = &ps
	}
	if err := d.collector(thread).addTenantAttribute(a); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return tenantAttributeValue(a), nil
}

// tenantAttributeValue is the value of a definition: its fields are named
// like the keywords of tenant_attribute().
func tenantAttributeValue(a *descope.TenantAttribute) *Declared {
	return fieldsOf(descope.KindTenantAttribute, a.Key, a, map[string]starlark.Value{
		"key": starlark.String(a.Key), "name": optString(a.DisplayName), "type": starlark.String(a.Type),
		"options": optList(a.Options), "view_permissions": optList(a.ViewPermissions),
	})
}

func (c *Collector) addTenantAttribute(a *descope.TenantAttribute) error {
	return declareKeyed(c, "tenant_attribute", c.attributes, &c.order.attributes, a.Key, a,
		func(a *descope.TenantAttribute) descope.Origin { return a.Origin })
}

// checkTenantAttributes checks the declared definitions: their view
// permissions are declared or preconfigured. Tenants' values are not
// checked against a definition's type or options: Descope does not say
// that it checks them (docs/descope-api.md section 8), and a live project
// that holds other values must export to a config that evaluates.
func (c *Collector) checkTenantAttributes(s *descope.State, fail func(decl any, o descope.Origin, format string, args ...any)) {
	for _, a := range s.TenantAttributes {
		for _, p := range deref2(a.ViewPermissions) {
			if _, ok := c.permissions[p]; !ok && !descope.IsPreconfiguredPermission(p) {
				known := append(slices.Clone(c.order.permissions), descope.PreconfiguredPermissions...)
				fail(a, a.Origin, "tenant_attribute %q: view permission %q is neither declared in this configuration nor preconfigured by Descope (declare it with permission(name=%q))%s",
					a.Key, p, p, didYouMean(p, known))
			}
		}
	}
}

func deref2[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}
