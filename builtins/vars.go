package builtins

import (
	"fmt"
	"slices"
	"sync"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Vars is the predeclared `vars`: a frozen dict of the config's variables
// that records which names the config reads, so that a --var the config
// never reads (a misspelt name, say) can be reported rather than ignored.
// It behaves as a read-only dict: vars["k"], vars.get("k"), "k" in vars,
// iteration, keys(), items(), values(), len(), vars | {...}, **vars.
// Reading every entry at once (iteration, items(), a conversion to data)
// counts as reading every name.
type Vars struct {
	d *starlark.Dict

	mu    sync.Mutex
	asked map[string]bool // names read, present or not
	all   bool            // every name was read at once
}

var (
	_ starlark.IterableMapping = (*Vars)(nil)
	_ starlark.Sequence        = (*Vars)(nil)
	_ starlark.HasAttrs        = (*Vars)(nil)
	_ starlark.HasBinary       = (*Vars)(nil)
	_ starlark.HasSetKey       = (*Vars)(nil)
)

// NewVars returns d, frozen, as the config's vars (nil: no vars).
func NewVars(d *starlark.Dict) *Vars {
	if d == nil {
		d = new(starlark.Dict)
	}
	d.Freeze()
	return &Vars{d: d, asked: map[string]bool{}}
}

// Unread returns the given names that the config has not read, in order.
func (v *Vars) Unread(names []string) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.all {
		return nil
	}
	var out []string
	for _, n := range names {
		if !v.asked[n] {
			out = append(out, n)
		}
	}
	return out
}

// Asked returns the sorted names the config read, present or not.
func (v *Vars) Asked() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]string, 0, len(v.asked))
	for n := range v.asked {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (v *Vars) ask(k starlark.Value) {
	if s, ok := k.(starlark.String); ok {
		v.mu.Lock()
		v.asked[string(s)] = true
		v.mu.Unlock()
	}
}

func (v *Vars) askAll() *starlark.Dict {
	v.mu.Lock()
	v.all = true
	v.mu.Unlock()
	return v.d
}

func (v *Vars) String() string        { return v.d.String() }
func (v *Vars) Type() string          { return "dict" }
func (v *Vars) Freeze()               {}
func (v *Vars) Truth() starlark.Bool  { return v.d.Truth() }
func (v *Vars) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: dict") }
func (v *Vars) Len() int              { return v.d.Len() }

// Get implements vars[k] and k in vars.
func (v *Vars) Get(k starlark.Value) (starlark.Value, bool, error) {
	v.ask(k)
	return v.d.Get(k)
}

// SetKey fails as on any frozen dict.
func (v *Vars) SetKey(k, x starlark.Value) error { return v.d.SetKey(k, x) }

func (v *Vars) Iterate() starlark.Iterator { return v.askAll().Iterate() }
func (v *Vars) Items() []starlark.Tuple    { return v.askAll().Items() }
func (v *Vars) AttrNames() []string        { return v.d.AttrNames() }
func (v *Vars) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	if side == starlark.Left {
		return starlark.Binary(op, v.askAll(), y)
	}
	return starlark.Binary(op, y, v.askAll())
}

// Attr returns the dict's methods; get records the name it reads, keys,
// items and values read every name, and the others fail as on any frozen
// dict.
func (v *Vars) Attr(name string) (starlark.Value, error) {
	switch name {
	case "get":
		return starlark.NewBuiltin("get", func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var key, dflt starlark.Value = nil, starlark.None
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &key, &dflt); err != nil {
				return nil, err
			}
			x, found, err := v.Get(key)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", b.Name(), err)
			}
			if !found {
				return dflt, nil
			}
			return x, nil
		}), nil
	case "keys", "items", "values":
		return v.askAll().Attr(name)
	}
	return v.d.Attr(name)
}
