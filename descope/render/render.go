// Package render shows a descope.Plan to people and to programs: Text writes
// the Terraform-like review a user approves, Markdown the same review for a
// pull request comment, JSON the versioned, deterministic record that tools
// and saved plans read. Text and Markdown summarise creates and flow and
// theme documents (descope.SummarizeDocument) unless asked for every field;
// JSON always has every field.
//
// Both mask secrets the same way: a field whose path names a secret
// (descope.FieldChange.Sensitive), and every value under a sensitive key
// (descope.IsSensitiveKey) anywhere in a document, an attribute map or an
// object, is shown as "(sensitive)".
//
// The package only formats: it imports descope and nothing else of the
// project, and never decides about colour or terminals (the caller does).
package render

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/descope-run/descope-run/descope"
)

// Masked replaces a secret's value in every rendering.
const Masked = "(sensitive)"

// plain returns v as a generic JSON value (maps, slices, strings,
// json.Number, bools, nil), secrets masked. Objects are encoded by their JSON
// tags, so a *descope.Tenant becomes its wire form.
func plain(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("render: encode %T: %w", v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("render: decode %T: %w", v, err)
	}
	return mask(out), nil
}

// mask replaces, in place, the value of every sensitive key in a generic
// JSON value.
func mask(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e != nil && descope.IsSensitiveKey(k) {
				v[k] = Masked
			} else {
				v[k] = mask(e)
			}
		}
	case []any:
		for i, e := range v {
			v[i] = mask(e)
		}
	}
	return v
}

// fieldValues returns the before and after values of a field change as
// generic JSON values, masked; a sensitive field masks both whole.
func fieldValues(f descope.FieldChange) (before, after any, err error) {
	if f.Sensitive {
		if f.Before != nil {
			before = Masked
		}
		if f.After != nil {
			after = Masked
		}
		return before, after, nil
	}
	if before, err = plain(f.Before); err != nil {
		return nil, nil, err
	}
	after, err = plain(f.After)
	return before, after, err
}

// encode returns the JSON text of a generic value: compact, or indented with
// indent when indent is not "". HTML characters are not escaped.
func encode(v any, prefix, indent string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, indent)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("render: encode: %w", err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// actions returns the plan's actions in the Terraform style: a replace is a
// delete then a create.
func actions(a descope.Action) []string {
	if a == descope.ActionReplace {
		return []string{string(descope.ActionDelete), string(descope.ActionCreate)}
	}
	return []string{string(a)}
}
