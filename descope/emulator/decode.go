package emulator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// decodeBody decodes a request body into v. An empty body (or a bare null) is
// accepted only where emptyOK says so. Unknown fields are ignored and null is
// accepted for every field; anything that is not JSON, or a field of the
// wrong JSON type, is 400 E011001. Numbers inside untyped values (documents,
// custom attributes) stay json.Number, so they survive exactly.
func decodeBody(body []byte, emptyOK bool, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		if emptyOK {
			return nil
		}
		return badRequest("the request body is empty: this endpoint expects a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badRequest("%s", describeJSONError(err, reflect.TypeOf(v)))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("the request body is not valid JSON: unexpected data after the top-level object")
	}
	return nil
}

// describeJSONError turns a decoding error into a message that names the
// field, in the request's own terms rather than Go's; t is the type decoded
// into.
func describeJSONError(err error, t reflect.Type) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return fmt.Sprintf("the request body must be %s, not %s", jsonKind(typeErr.Type), typeErr.Value)
		}
		return fmt.Sprintf("the %s field must be %s, not %s", requestPath(t, typeErr.Field), jsonKind(typeErr.Type), typeErr.Value)
	}
	return "the request body is not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

// requestPath returns the path of a field that failed to decode into t
// ("flow.metadata.name") without the Go names encoding/json puts in it for
// the embedded structs on the way ("tenantSettings.enabled"), which the
// request does not have.
func requestPath(t reflect.Type, path string) string {
	var out []string
	for name := range strings.SplitSeq(path, ".") {
		for t != nil && slices.Contains([]reflect.Kind{reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map}, t.Kind()) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			out, t = append(out, name), nil
			continue
		}
		if f, ok := t.FieldByName(name); ok && f.Anonymous {
			t = f.Type
			continue
		}
		out, t = append(out, name), jsonFieldType(t, name)
	}
	return strings.Join(out, ".")
}

// jsonFieldType returns the type of the field of struct t that encodes as
// name, or nil.
func jsonFieldType(t reflect.Type, name string) reflect.Type {
	for _, f := range reflect.VisibleFields(t) {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && !f.Anonymous && cmp.Or(tag, f.Name) == name {
			return f.Type
		}
	}
	return nil
}

// jsonKind names the JSON type that a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "an object"
	}
}

// kindOf names the JSON type of a decoded value.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case json.Number, float64, int, int64:
		return "number"
	case []any:
		return "array"
	default:
		return "object"
	}
}

// checkAttributes validates custom attribute values: a string, number,
// boolean, or a list of those.
func checkAttributes(field string, attrs map[string]any) error {
	for _, k := range sortedKeys(attrs) {
		v := attrs[k]
		if list, ok := v.([]any); ok {
			for _, x := range list {
				if !isScalar(x) {
					return badRequest("the %s.%s field must hold strings, numbers or booleans, not %s", field, k, kindOf(x))
				}
			}
			continue
		}
		if !isScalar(v) {
			return badRequest("the %s.%s field must be a string, number, boolean or list of those, not %s", field, k, kindOf(v))
		}
	}
	return nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, json.Number:
		return true
	}
	return false
}

// object reads doc[key] as a JSON object: absent or null gives an empty
// object, another type is 400 E011001.
func object(doc map[string]any, key, field string) (map[string]any, error) {
	switch v := doc[key].(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return v, nil
	default:
		return nil, badRequest("the %s field must be an object, not %s", field, kindOf(v))
	}
}

// str reads doc[key] as a string: absent or null gives "", another type is
// 400 E011001.
func str(doc map[string]any, key, field string) (string, error) {
	switch v := doc[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", badRequest("the %s field must be a string, not %s", field, kindOf(v))
	}
}

// deepCopy copies a decoded JSON value. Numbers stay as they are.
func deepCopy(v any) any { return walk(v, func(x any) any { return x }) }

// plain copies a decoded JSON value into the types descope.State uses:
// json.Number becomes int64 when it is a whole number that fits, else
// float64.
func plain(v any) any {
	return walk(v, func(x any) any {
		n, ok := x.(json.Number)
		if !ok {
			return x
		}
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i
		}
		f, _ := n.Float64()
		return f
	})
}

// walk copies the objects and lists of a decoded JSON value and passes
// every other value through leaf.
func walk(v any, leaf func(any) any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = walk(x, leaf)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = walk(x, leaf)
		}
		return l
	default:
		return leaf(v)
	}
}

// unmarshal decodes JSON into v, keeping untyped numbers as json.Number.
func unmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// fromPlain converts a value from descope.State (Go numbers, []string, and
// so on) into decoded-JSON form, by a JSON round trip. It fails on values
// JSON cannot hold.
func fromPlain(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = unmarshal(b, &out)
	return out, err
}
