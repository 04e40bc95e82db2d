package builtins

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"encoding/json"

	starjson "go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"gopkg.in/yaml.v3"
)

type reader struct{ files Files }

func (r *reader) read(thread *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (string, []byte, error) {
	if err := checkKwargs(fn, kwargs, "path"); err != nil {
		return "", nil, err
	}
	var p string
	if err := starlark.UnpackArgs(fn, args, kwargs, "path", &p); err != nil {
		return "", nil, err
	}
	path, data, err := r.files.Read(callerFile(thread), p)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", fn, err)
	}
	return path, data, nil
}

func (r *reader) readFile(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	_, data, err := r.read(thread, b.Name(), args, kwargs)
	if err != nil {
		return nil, err
	}
	return starlark.String(data), nil
}

func (r *reader) loadJSON(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	path, data, err := r.read(thread, b.Name(), args, kwargs)
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON(thread, data)
	if err == nil {
		err = duplicateJSONKey(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s is not valid JSON: %w", b.Name(), path, err)
	}
	return v, nil
}

// duplicateJSONKey reports the first object key that valid JSON data writes
// twice in one object, as YAML's decoder does for a mapping: encoding/json
// and json.decode keep the last value silently, so a key written twice is
// most likely an edit that did not take. It returns nil for malformed data,
// which the decoder reports.
func duplicateJSONKey(data []byte) error {
	type container struct {
		keys      map[string]int64 // an object's keys -> offset just past each; nil for an array
		expectKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []*container
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error the decoder reports
		}
		if tok == json.Delim('}') || tok == json.Delim(']') {
			stack = stack[:len(stack)-1]
			continue
		}
		var top *container
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil {
			if top.expectKey {
				key, _ := tok.(string)
				off := dec.InputOffset()
				if first, dup := top.keys[key]; dup {
					return fmt.Errorf("line %d: key %q already defined at line %d", lineAt(data, off), key, lineAt(data, first))
				}
				top.keys[key] = off
				top.expectKey = false
				continue
			}
			top.expectKey = true // after this value, the next key
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &container{keys: map[string]int64{}, expectKey: true})
		case json.Delim('['):
			stack = append(stack, &container{})
		}
	}
}

// lineAt returns the 1-based line of the byte just before offset off.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 1), int64(len(data)))
	return 1 + bytes.Count(data[:off-1], []byte{'\n'})
}

var jsonDecode = starjson.Module.Members["decode"].(*starlark.Builtin)

func decodeJSON(thread *starlark.Thread, data []byte) (starlark.Value, error) {
	v, err := starlark.Call(thread, jsonDecode, starlark.Tuple{starlark.String(data)}, nil)
	if err != nil {
		var ee *starlark.EvalError
		if errors.As(err, &ee) {
			return nil, errors.New(ee.Msg)
		}
		return nil, err
	}
	return v, nil
}

func (r *reader) loadYAML(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	path, data, err := r.read(thread, b.Name(), args, kwargs)
	if err != nil {
		return nil, err
	}
	docs, err := decodeYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", b.Name(), path, err)
	}
	if len(docs) == 1 {
		return docs[0], nil
	}
	return starlark.NewList(docs), nil
}

// decodeYAML decodes every document of a YAML stream. An empty stream is
// one None document.
func decodeYAML(data []byte) ([]starlark.Value, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []starlark.Value
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
		v, err := yamlToStarlark(&n)
		if err != nil {
			return nil, err
		}
		docs = append(docs, v)
	}
	if len(docs) == 0 {
		docs = append(docs, starlark.None)
	}
	return docs, nil
}

// YAMLModule is the Starlark module yaml: yaml.encode(x) and yaml.decode(s).
var YAMLModule = &starlarkstruct.Module{
	Name: "yaml",
	Members: starlark.StringDict{
		"encode": starlark.NewBuiltin("yaml.encode", yamlEncode),
		"decode": starlark.NewBuiltin("yaml.decode", yamlDecode),
	},
}

func yamlEncode(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &x); err != nil {
		return nil, err
	}
	v, err := ToGo(x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return starlark.String(out), nil
}

func yamlDecode(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var s string
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &s); err != nil {
		return nil, err
	}
	docs, err := decodeYAML([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if len(docs) == 1 {
		return docs[0], nil
	}
	return starlark.NewList(docs), nil
}
