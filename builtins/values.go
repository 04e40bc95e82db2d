package builtins

import (
	"fmt"
	"sort"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/descope"
)

// Declared is the Starlark value a declaration returns: a read-only view of
// the declared object. Its fields are readable (t.id, t.name) and a tenant
// is accepted wherever a tenant id is expected (parent = t).
type Declared struct {
	kind  descope.Kind
	key   string
	names []string
	// attr computes a field on demand: most declared values are never read,
	// and building every field up front is a fifth of a big config's time.
	attr func(name string) starlark.Value
	// obj is the declared object (*descope.Tenant, *descope.Flow, ...), for
	// scripts that pass the value on to apply() or diff().
	obj any
	// src is the state the value was read from (a live project, a
	// backup), nil for a declaration; a live flow's or theme's document is
	// fetched on first use.
	src *stateSource
}

var (
	_ starlark.HasAttrs = (*Declared)(nil)
	_ goValuer          = (*Declared)(nil)
)

// newDeclared returns the value of the declaration of obj, whose fields
// are names (sorted), computed by attr.
func newDeclared(kind descope.Kind, key string, obj any, names []string, attr func(string) starlark.Value) *Declared {
	return &Declared{kind: kind, key: key, obj: obj, names: names, attr: attr}
}

// fieldsOf builds a Declared from fields computed up front, for the small
// declarations.
func fieldsOf(kind descope.Kind, key string, obj any, attrs map[string]starlark.Value) *Declared {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	return newDeclared(kind, key, obj, names, func(name string) starlark.Value { return attrs[name] })
}

func (d *Declared) String() string       { return fmt.Sprintf("%s(%q)", d.kind, d.key) }
func (d *Declared) Type() string         { return string(d.kind) }
func (d *Declared) Freeze()              {}
func (d *Declared) Truth() starlark.Bool { return starlark.True }
func (d *Declared) Hash() (uint32, error) {
	return starlark.String(string(d.kind) + ":" + d.key).Hash()
}
func (d *Declared) goValue() any { return d.key }

// Attr returns the named field, frozen, or None for an optional field left
// unset.
func (d *Declared) Attr(name string) (starlark.Value, error) {
	i := sort.SearchStrings(d.names, name)
	if i == len(d.names) || d.names[i] != name {
		return nil, nil // starlark reports "has no .x field or method"
	}
	if d.src != nil && name == "document" {
		return d.src.documentValue(d)
	}
	v := d.attr(name)
	if v == nil {
		return starlark.None, nil
	}
	v.Freeze()
	return v, nil
}

// AttrNames lists the readable fields.
func (d *Declared) AttrNames() []string { return d.names }

// idOf accepts either a string id or a declared value of the wanted kind.
func idOf(fn, param string, kind descope.Kind, v starlark.Value) (string, error) {
	switch v := v.(type) {
	case starlark.String:
		return string(v), nil
	case *Declared:
		if v.kind == kind {
			return v.key, nil
		}
		return "", fmt.Errorf("%s: %s must be a %s or its id, not a %s", fn, param, kind, v.kind)
	}
	return "", fmt.Errorf("%s: %s must be a %s or its id (a string), not %s", fn, param, kind, v.Type())
}

func optString(p *string) starlark.Value {
	if p == nil {
		return starlark.None
	}
	return starlark.String(*p)
}

func optBool(p *bool) starlark.Value {
	if p == nil {
		return starlark.None
	}
	return starlark.Bool(*p)
}

func optList(p *[]string) starlark.Value {
	if p == nil {
		return starlark.None
	}
	return FromGo(*p)
}
