package builtins

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"gopkg.in/yaml.v3"
)

// ToGo converts a Starlark value made of None, bool, int, float, string,
// list, tuple, dict (with string keys) and struct into plain Go data: nil,
// bool, int64, float64, string, []any and map[string]any.
func ToGo(v starlark.Value) (any, error) {
	switch v := v.(type) {
	case starlark.NoneType:
		return nil, nil
	case starlark.Bool:
		return bool(v), nil
	case starlark.Int:
		i, ok := v.Int64()
		if !ok {
			return nil, fmt.Errorf("integer %s does not fit in 64 bits", v)
		}
		return i, nil
	case starlark.Float:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("float %s has no JSON form", v)
		}
		return f, nil
	case starlark.String:
		return string(v), nil
	case *starlark.List:
		return seqToGo(v)
	case starlark.Tuple:
		return seqToGo(v)
	case *starlark.Dict:
		out := make(map[string]any, v.Len())
		for _, item := range v.Items() {
			k, ok := item[0].(starlark.String)
			if !ok {
				return nil, fmt.Errorf("dict key %s is a %s, want string", item[0], item[0].Type())
			}
			x, err := ToGo(item[1])
			if err != nil {
				return nil, fmt.Errorf("[%q]: %w", string(k), err)
			}
			out[string(k)] = x
		}
		return out, nil
	case *starlarkstruct.Struct:
		d := new(starlark.Dict)
		sd := make(starlark.StringDict)
		v.ToStringDict(sd)
		for _, k := range sd.Keys() {
			_ = d.SetKey(starlark.String(k), sd[k])
		}
		return ToGo(d)
	case *Vars:
		return ToGo(v.askAll())
	case goValuer:
		return v.goValue(), nil
	}
	return nil, fmt.Errorf("a %s cannot be converted to data", v.Type())
}

// goValuer is implemented by declared values (tenant, role, ...) that have a
// data form.
type goValuer interface{ goValue() any }

func seqToGo(seq starlark.Indexable) ([]any, error) {
	out := make([]any, seq.Len())
	for i := range out {
		x, err := ToGo(seq.Index(i))
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out[i] = x
	}
	return out, nil
}

// FromGo converts plain Go data (as produced by ToGo or encoding/json) into
// Starlark values. Maps become dicts with sorted keys.
func FromGo(v any) starlark.Value {
	switch v := v.(type) {
	case nil:
		return starlark.None
	case bool:
		return starlark.Bool(v)
	case int:
		return starlark.MakeInt(v)
	case int64:
		return starlark.MakeInt64(v)
	case int32:
		return starlark.MakeInt64(int64(v))
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return starlark.MakeInt64(int64(v))
		}
		return starlark.Float(v)
	case string:
		return starlark.String(v)
	case []string:
		out := make([]starlark.Value, len(v))
		for i, s := range v {
			out[i] = starlark.String(s)
		}
		return starlark.NewList(out)
	case []any:
		out := make([]starlark.Value, len(v))
		for i, x := range v {
			out[i] = FromGo(x)
		}
		return starlark.NewList(out)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := starlark.NewDict(len(v))
		for _, k := range keys {
			_ = d.SetKey(starlark.String(k), FromGo(v[k]))
		}
		return d
	}
	return starlark.String(fmt.Sprint(v))
}

// stringList unpacks a list or tuple of strings.
func stringList(fn, param string, v starlark.Value) ([]string, error) {
	seq, ok := v.(starlark.Indexable)
	if !ok || v.Type() == "string" {
		return nil, fmt.Errorf("%s: %s must be a list of strings, not %s", fn, param, v.Type())
	}
	out := make([]string, seq.Len())
	for i := range out {
		s, ok := starlark.AsString(seq.Index(i))
		if !ok {
			return nil, fmt.Errorf("%s: %s[%d] must be a string, not %s", fn, param, i, seq.Index(i).Type())
		}
		out[i] = s
	}
	return out, nil
}

// yamlToStarlark converts a decoded YAML node into Starlark values, keeping
// the key order of mappings as written. It refuses what yaml.v3 refuses when
// it decodes into Go values: a key written twice, an anchor that contains
// itself, and excessive aliasing (a "billion laughs" document). Merge keys
// ("<<: *base") are applied, explicit keys winning.
func yamlToStarlark(n *yaml.Node) (starlark.Value, error) {
	c := &yamlConverter{expanding: map[*yaml.Node]bool{}}
	return c.convert(n)
}

// maxAliasExpansion bounds the values that alias expansion may produce in
// one document.
const maxAliasExpansion = 100_000

type yamlConverter struct {
	expanding map[*yaml.Node]bool // anchors being expanded, to catch self-reference
	aliased   int                 // values produced through aliases so far
	inAlias   int                 // depth of alias expansion
}

var bigIntPlain = regexp.MustCompile(`^[-+]?[0-9]+$`)

func (c *yamlConverter) convert(n *yaml.Node) (starlark.Value, error) {
	if c.inAlias > 0 {
		if c.aliased++; c.aliased > maxAliasExpansion {
			return nil, fmt.Errorf("line %d: document contains excessive aliasing", n.Line)
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return starlark.None, nil
		}
		return c.convert(n.Content[0])
	case yaml.AliasNode:
		if c.expanding[n.Alias] {
			return nil, fmt.Errorf("line %d: anchor %q value contains itself", n.Line, n.Value)
		}
		c.expanding[n.Alias] = true
		c.inAlias++
		v, err := c.convert(n.Alias)
		c.inAlias--
		delete(c.expanding, n.Alias)
		return v, err
	case yaml.SequenceNode:
		out := make([]starlark.Value, len(n.Content))
		for i, item := range n.Content {
			v, err := c.convert(item)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return starlark.NewList(out), nil
	case yaml.MappingNode:
		return c.mapping(n)
	case yaml.ScalarNode:
		return yamlScalar(n)
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

func (c *yamlConverter) mapping(n *yaml.Node) (starlark.Value, error) {
	d := starlark.NewDict(len(n.Content) / 2)
	var merged map[string]bool // keys that came from a merge, once there is one
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.ShortTag() == "!!merge" {
			// Merged keys take the merge key's place and never replace a
			// key the mapping or an earlier merge already has; explicit
			// keys after it replace their values.
			if merged == nil {
				merged = map[string]bool{}
			}
			if err := c.merge(d, vn, merged); err != nil {
				return nil, err
			}
			continue
		}
		k, err := c.convert(kn)
		if err != nil {
			return nil, err
		}
		v, err := c.convert(vn)
		if err != nil {
			return nil, err
		}
		if _, found, _ := d.Get(k); found && !merged[k.String()] {
			return nil, fmt.Errorf("line %d: mapping key %s already defined at line %d", kn.Line, k, firstKeyLine(n, kn))
		}
		delete(merged, k.String())
		if err := d.SetKey(k, v); err != nil {
			return nil, fmt.Errorf("line %d: %w", kn.Line, err)
		}
	}
	return d, nil
}

// firstKeyLine returns the line of the first key of mapping n written like
// key (for the error about a key written twice).
func firstKeyLine(n, key *yaml.Node) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == key.Kind && k.Value == key.Value {
			return k.Line
		}
	}
	return key.Line
}

// merge applies a merge key's value, a mapping or a list of mappings,
// recording the keys it adds in merged.
func (c *yamlConverter) merge(d *starlark.Dict, m *yaml.Node, merged map[string]bool) error {
	sources := []*yaml.Node{m}
	if m.Kind == yaml.SequenceNode {
		sources = m.Content
	}
	for _, src := range sources {
		v, err := c.convert(src)
		if err != nil {
			return err
		}
		md, ok := v.(*starlark.Dict)
		if !ok {
			return fmt.Errorf("line %d: a merge key (<<) needs a mapping or a list of mappings", m.Line)
		}
		for _, item := range md.Items() {
			if _, found, _ := d.Get(item[0]); !found {
				_ = d.SetKey(item[0], item[1])
				merged[item[0].String()] = true
			}
		}
	}
	return nil
}

// yamlScalar converts a scalar by its resolved tag. An integer too big for
// 64 bits, which yaml.v3 resolves as a float, stays an exact integer.
func yamlScalar(n *yaml.Node) (starlark.Value, error) {
	switch n.ShortTag() {
	case "!!null":
		return starlark.None, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, err
		}
		return starlark.Bool(b), nil
	case "!!int":
		var i big.Int
		if _, ok := i.SetString(n.Value, 0); ok {
			return starlark.MakeBigInt(&i), nil
		}
		var x int64
		if err := n.Decode(&x); err != nil {
			return nil, err
		}
		return starlark.MakeInt64(x), nil
	case "!!float":
		if n.Style == 0 && bigIntPlain.MatchString(n.Value) {
			var i big.Int
			if _, ok := i.SetString(n.Value, 10); ok {
				return starlark.MakeBigInt(&i), nil
			}
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, err
		}
		return starlark.Float(f), nil
	}
	return starlark.String(n.Value), nil
}
