package builtins

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/descope-run/descope-run/descope"
)

// A StateValue is a descope.State as Starlark code sees it: read-only, with
// the objects of each kind as the values their declarations return, so
// their fields are named like the keywords of tenant(), role(), ...
// (t.id, t.domains, r.permissions). Tests get one from state(); scripts get
// the same type for a live project and for eval(). Its Starlark surface:
//
//	s.project                       the project, or None
//	s.permissions                   list of permissions, sorted by name
//	s.roles                         list of roles, sorted by tenant then name
//	s.tenants                       list of tenants, sorted by id
//	s.flows                         list of flows, sorted by id
//	s.sso                           list of SSO configurations, sorted by tenant then id
//	s.tenant_attributes             list of tenant custom attribute definitions, sorted by key
//	s.theme                         the theme, or None
//	s.tenant(id)                    the tenant with that id, or None
//	s.role(name, tenant = None)     the role, project-wide or of a tenant (a tenant value or id), or None
//	s.permission(name)              the permission, or None
//	s.flow(id)                      the flow, or None
//	s.tenant_attribute(key)         the tenant custom attribute definition, or None
//
// Two states are equal (==) when their canonical JSON forms are: the same
// objects with the same fields, wherever they were declared.
type StateValue struct {
	state *descope.State

	project, theme starlark.Value
	lists          map[string]*starlark.List
	byKey          map[descope.Kind]map[string]*Declared
	// src is where the state was read from: a live project, whose
	// documents are fetched on first use, or a backup; nil for a config's
	// (see livestate.go).
	src *stateSource

	canonOnce sync.Once
	canon     []byte
	canonErr  error
}

var (
	_ starlark.HasAttrs   = (*StateValue)(nil)
	_ starlark.Comparable = (*StateValue)(nil)
	_ starlark.Comparable = (*Declared)(nil)
)

// stateAttrs are the fields and methods of a StateValue, sorted.
var stateAttrs = []string{"flow", "flows", "permission", "permissions", "project", "role", "roles", "sso", "tenant", "tenant_attribute", "tenant_attributes", "tenants", "theme"}

// NewStateValue returns the Starlark value of s. The value reads s as it is
// now: s must not change afterwards. Objects come in canonical order, so
// the caller normalizes s first (descope.State.Normalize).
func NewStateValue(s *descope.State) *StateValue {
	v := &StateValue{
		state:   s,
		project: starlark.None,
		theme:   starlark.None,
		lists:   make(map[string]*starlark.List, 4),
		byKey:   make(map[descope.Kind]map[string]*Declared, 4),
	}
	if s.Project != nil {
		v.project = projectValue(s.Project)
	}
	if s.Theme != nil {
		v.theme = themeValue(s.Theme)
	}
	v.lists["permissions"] = v.index(descope.KindPermission, mapSlice(s.Permissions, permissionValue))
	v.lists["roles"] = v.index(descope.KindRole, mapSlice(s.Roles, roleValue))
	v.lists["tenants"] = v.index(descope.KindTenant, mapSlice(s.Tenants, tenantValue))
	v.lists["flows"] = v.index(descope.KindFlow, mapSlice(s.Flows, flowValue))
	v.lists["sso"] = v.index(descope.KindSSO, mapSlice(s.SSO, ssoValue))
	v.lists["tenant_attributes"] = v.index(descope.KindTenantAttribute, mapSlice(s.TenantAttributes, tenantAttributeValue))
	return v
}

func mapSlice[T any](xs []*T, f func(*T) *Declared) []*Declared {
	out := make([]*Declared, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// index records the values of one kind by key and returns them as a frozen
// list.
func (v *StateValue) index(kind descope.Kind, items []*Declared) *starlark.List {
	m := make(map[string]*Declared, len(items))
	elems := make([]starlark.Value, len(items))
	for i, d := range items {
		m[d.key] = d
		elems[i] = d
	}
	v.byKey[kind] = m
	l := starlark.NewList(elems)
	l.Freeze()
	return l
}

// State returns the descope.State the value reads.
func (v *StateValue) State() *descope.State { return v.state }

func (v *StateValue) String() string {
	s := v.state
	return fmt.Sprintf("state(%d permissions, %d roles, %d tenants, %d flows)",
		len(s.Permissions), len(s.Roles), len(s.Tenants), len(s.Flows))
}
func (v *StateValue) Type() string          { return "state" }
func (v *StateValue) Freeze()               {}
func (v *StateValue) Truth() starlark.Bool  { return starlark.True }
func (v *StateValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: state") }
func (v *StateValue) AttrNames() []string   { return stateAttrs }

// Attr returns a field or a method of the state.
func (v *StateValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "project":
		return v.project, nil
	case "theme":
		return v.theme, nil
	case "permissions", "roles", "tenants", "flows", "sso", "tenant_attributes":
		return v.lists[name], nil
	case "tenant_attribute":
		return v.lookup("state.tenant_attribute", descope.KindTenantAttribute, "key"), nil
	case "tenant":
		return v.lookup("state.tenant", descope.KindTenant, "id"), nil
	case "permission":
		return v.lookup("state.permission", descope.KindPermission, "name"), nil
	case "flow":
		return v.lookup("state.flow", descope.KindFlow, "id"), nil
	case "role":
		return starlark.NewBuiltin("state.role", v.role), nil
	}
	return nil, nil // starlark reports "state has no .x field or method"
}

// lookup returns the method that finds an object of kind by its key.
func (v *StateValue) lookup(fn string, kind descope.Kind, param string) *starlark.Builtin {
	return starlark.NewBuiltin(fn, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var key starlark.Value
		if err := starlark.UnpackArgs(fn, args, kwargs, param, &key); err != nil {
			return nil, err
		}
		k, err := idOf(fn, param, kind, key)
		if err != nil {
			return nil, err
		}
		return v.get(kind, k), nil
	})
}

func (v *StateValue) role(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var tenant starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "tenant?", &tenant); err != nil {
		return nil, err
	}
	r := &descope.Role{Name: name}
	if tenant != starlark.None {
		var err error
		if r.Tenant, err = idOf(b.Name(), "tenant", descope.KindTenant, tenant); err != nil {
			return nil, err
		}
	}
	return v.get(descope.KindRole, r.Key()), nil
}

func (v *StateValue) get(kind descope.Kind, key string) starlark.Value {
	if d, ok := v.byKey[kind][key]; ok {
		return d
	}
	return starlark.None
}

// CompareSameType compares two states by their canonical JSON forms.
func (v *StateValue) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	w := y.(*StateValue)
	switch op {
	case syntax.EQL, syntax.NEQ:
		a, err := v.canonical()
		if err != nil {
			return false, err
		}
		b, err := w.canonical()
		if err != nil {
			return false, err
		}
		return bytes.Equal(a, b) == (op == syntax.EQL), nil
	}
	return false, fmt.Errorf("%s %s %s not implemented", v.Type(), op, w.Type())
}

func (v *StateValue) canonical() ([]byte, error) {
	v.canonOnce.Do(func() { v.canon, v.canonErr = v.state.CanonicalJSON() })
	return v.canon, v.canonErr
}

// CompareSameType makes two declared values equal (==) when they are of the
// same kind and key and every field is equal, as for structs.
func (d *Declared) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	o := y.(*Declared)
	switch op {
	case syntax.EQL, syntax.NEQ:
		eq, err := d.equal(o, depth)
		return eq == (op == syntax.EQL), err
	}
	return false, fmt.Errorf("%s %s %s not implemented", d.Type(), op, o.Type())
}

func (d *Declared) equal(o *Declared, depth int) (bool, error) {
	if d == o {
		return true, nil
	}
	if d.kind != o.kind || d.key != o.key || !slices.Equal(d.names, o.names) {
		return false, nil
	}
	for _, name := range d.names {
		x, _ := d.Attr(name)
		y, _ := o.Attr(name)
		if eq, err := starlark.EqualDepth(x, y, depth-1); err != nil || !eq {
			return false, err
		}
	}
	return true, nil
}

// The values of the declarations other than tenant (tenantValue): each
// field is named like the keyword that sets it.

func projectValue(p *descope.Project) *Declared {
	return fieldsOf(descope.KindProject, p.ID, p, map[string]starlark.Value{
		"id": optString(nonEmpty(p.ID)), "name": optString(p.Name), "tags": optList(p.Tags),
	})
}

func permissionValue(p *descope.Permission) *Declared {
	return fieldsOf(descope.KindPermission, p.Name, p, map[string]starlark.Value{
		"name": starlark.String(p.Name), "description": optString(p.Description),
	})
}

func roleValue(r *descope.Role) *Declared {
	return fieldsOf(descope.KindRole, r.Key(), r, map[string]starlark.Value{
		"name": starlark.String(r.Name), "description": optString(r.Description),
		"permissions": optList(r.Permissions), "tenant": optString(nonEmpty(r.Tenant)),
		"default": optBool(r.Default), "private": optBool(r.Private),
	})
}

// documentFields are the fields of a flow and of the theme: src is the
// file the document came from (None for a live object), document the
// export document itself, converted on first use.
var (
	flowFields  = []string{"document", "id", "src"}
	themeFields = []string{"document", "src"}
)

func flowValue(f *descope.Flow) *Declared {
	return newDeclared(descope.KindFlow, f.ID, f, flowFields, func(name string) starlark.Value {
		switch name {
		case "id":
			return starlark.String(f.ID)
		case "src":
			return optString(nonEmpty(f.Src))
		case "document":
			return documentValue(f.Document)
		}
		return nil
	})
}

func themeValue(t *descope.Theme) *Declared {
	return newDeclared(descope.KindTheme, "theme", t, themeFields, func(name string) starlark.Value {
		switch name {
		case "src":
			return optString(nonEmpty(t.Src))
		case "document":
			return documentValue(t.Document)
		}
		return nil
	})
}

func documentValue(doc map[string]any) starlark.Value {
	if doc == nil {
		return starlark.None
	}
	return FromGo(doc)
}
