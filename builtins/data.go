package builtins

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.starlark.net/lib/json"
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
	if err != nil {
		return nil, fmt.Errorf("%s: %s is not valid JSON: %w", b.Name(), path, err)
	}
	return v, nil
}

var jsonDecode = json.Module.Members["decode"].(*starlark.Builtin)

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
