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
	attrs map[string]starlark.Value
	data  any
}

var (
	_ starlark.HasAttrs = (*Declared)(nil)
	_ goValuer          = (*Declared)(nil)
)

func newDeclared(kind descope.Kind, key string, data any, attrs map[string]starlark.Value) *Declared {
	for k, v := range attrs {
		if v == nil {
			attrs[k] = starlark.None
		} else {
			v.Freeze()
		}
	}
	return &Declared{kind: kind, key: key, attrs: attrs, data: data}
}

func (d *Declared) String() string       { return fmt.Sprintf("%s(%q)", d.kind, d.key) }
func (d *Declared) Type() string         { return string(d.kind) }
func (d *Declared) Freeze()              {}
func (d *Declared) Truth() starlark.Bool { return starlark.True }
func (d *Declared) Hash() (uint32, error) {
	return starlark.String(string(d.kind) + ":" + d.key).Hash()
}
func (d *Declared) goValue() any { return d.key }

// Attr returns the named field, or None for an optional field left unset.
func (d *Declared) Attr(name string) (starlark.Value, error) {
	if v, ok := d.attrs[name]; ok {
		return v, nil
	}
	return nil, nil // starlark reports "has no .x field or method"
}

// AttrNames lists the readable fields.
func (d *Declared) AttrNames() []string {
	names := make([]string, 0, len(d.attrs))
	for k := range d.attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

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
