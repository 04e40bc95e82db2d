package runtime

// This file turns an exported project (exportModel) into the files of a
// workspace: main.star and its template module, data/tenants.yaml, the flow
// and theme documents, descope-run.yaml. Everything here is pure and
// deterministic: the same model gives the same bytes.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lineWidth is the width a generated line stays within when it can: a call
// or a literal that does not fit is broken one element a line. Comments
// wrap at commentWidth.
const (
	lineWidth    = 99
	commentWidth = 79
)

// starIndent is the indentation of a broken call or literal, as buildifier
// writes it.
const starIndent = "    "

// starLiteral writes v as a Starlark literal on one line. v is data as
// builtins.ToGo produces it, with []string and json.Number besides.
func starLiteral(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if v {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		b.WriteString(starString(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(starFloat(v))
	case json.Number:
		b.WriteString(v.String())
	case expr:
		b.WriteString(string(v))
	case []string:
		b.WriteByte('[')
		for i, s := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(starString(s))
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			starLiteral(b, x)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(starString(k))
			b.WriteString(": ")
			starLiteral(b, v[k])
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("export: no Starlark literal for %T", v))
	}
}

// starString quotes s as a Starlark string literal that reads back as s.
// Go's quoting is a subset of Starlark's: printable characters as they are,
// \n \t \" \\ and the like, \x for ASCII controls, \u and \U for other
// characters that do not print.
func starString(s string) string { return strconv.Quote(s) }

// starFloat writes f with the fewest digits that read back as f, always
// as a float (1.0, not 1). Data read from JSON has no NaN or infinity.
func starFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		panic(fmt.Sprintf("export: float %v has no literal", f))
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// oneLine returns v as a one-line Starlark literal.
func oneLine(v any) string {
	var b strings.Builder
	starLiteral(&b, v)
	return b.String()
}

// starValue writes v starting at column col of a line indented by indent:
// on one line when it fits, else a list or dict one element a line.
func starValue(b *strings.Builder, v any, indent string, col int) {
	s := oneLine(v)
	if col+len(s) <= lineWidth {
		b.WriteString(s)
		return
	}
	inner := indent + starIndent
	switch v := v.(type) {
	case map[string]any:
		if len(v) < 2 {
			break
		}
		b.WriteString("{\n")
		for _, k := range slices.Sorted(maps.Keys(v)) {
			key := starString(k) + ": "
			b.WriteString(inner + key)
			starValue(b, v[k], inner, len(inner)+len(key))
			b.WriteString(",\n")
		}
		b.WriteString(indent + "}")
		return
	case []any, []string:
		items := listItems(v)
		if len(items) < 2 {
			break
		}
		b.WriteString("[\n")
		for _, x := range items {
			b.WriteString(inner)
			starValue(b, x, inner, len(inner))
			b.WriteString(",\n")
		}
		b.WriteString(indent + "]")
		return
	}
	b.WriteString(s)
}

func listItems(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out
	}
	return nil
}

// arg is one argument of a declaration: a keyword argument, or a
// positional one when name is "".
type arg struct {
	name  string
	value any
}

// decl is a declaration to write: fn(name = value, ...), keywords in the
// order of fn's signature. A keyword left out is unmanaged.
type decl struct {
	fn   string
	args []arg
}

// get returns the value of keyword name and whether it is set.
func (d *decl) get(name string) (any, bool) {
	for _, a := range d.args {
		if a.name == name {
			return a.value, true
		}
	}
	return nil, false
}

// without returns d without the keywords named.
func (d decl) without(names ...string) decl {
	d.args = slices.DeleteFunc(slices.Clone(d.args), func(a arg) bool { return slices.Contains(names, a.name) })
	return d
}

// writeCall writes d as a call statement at the top level: on one line when
// it fits, else one keyword a line with a trailing comma.
func writeCall(b *strings.Builder, d decl) {
	parts := make([]string, len(d.args))
	for i, a := range d.args {
		parts[i] = keyword(a.name) + oneLine(a.value)
	}
	line := d.fn + "(" + strings.Join(parts, ", ") + ")"
	if len(line) <= lineWidth && !strings.Contains(line, "\n") {
		b.WriteString(line + "\n")
		return
	}
	b.WriteString(d.fn + "(\n")
	for _, a := range d.args {
		b.WriteString(starIndent + keyword(a.name))
		starValue(b, a.value, starIndent, len(starIndent)+len(keyword(a.name)))
		b.WriteString(",\n")
	}
	b.WriteString(")\n")
}

// keyword returns "name = ", or "" for a positional argument (name "").
func keyword(name string) string {
	if name == "" {
		return ""
	}
	return name + " = "
}

// writeComment writes text as # comment lines, wrapped at commentWidth; "\n"
// starts a paragraph.
func writeComment(b io.StringWriter, indent, text string) {
	for _, para := range strings.Split(text, "\n") {
		line := indent + "#"
		if para == "" {
			b.WriteString(line + "\n")
			continue
		}
		// A list item ("- ...") continues under its text.
		hang := ""
		if strings.HasPrefix(para, "- ") {
			hang = "  "
		}
		for i, w := range strings.Fields(para) {
			if i > 0 && len(line)+1+len(w) > commentWidth {
				b.WriteString(line + "\n")
				line = indent + "#" + hang
			}
			line += " " + w
		}
		b.WriteString(line + "\n")
	}
}

// YAML is written here rather than by yaml.v3's encoder, which takes time
// quadratic in the length of a sequence (ten seconds for 10,000 tenants).
// The writer is small because the data is: scalars, lists of scalars, and
// maps of those. Every string a plain scalar could misread is written
// double-quoted with Go's quoting, whose escapes are a subset of YAML's.

// yamlScalar returns a scalar as YAML reads it back.
func yamlScalar(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return starFloat(v)
	case json.Number:
		return v.String()
	case string:
		if yamlPlain(v) {
			return v
		}
		return strconv.Quote(v)
	}
	panic(fmt.Sprintf("export: no YAML scalar for %T", v))
}

// yamlPlain reports whether s can be written as a plain scalar, in block
// and flow context alike, that every YAML reader (1.1 and 1.2) reads as the
// string s. It is conservative: letters, digits and " ._-@/+" only, starting
// with a letter, a digit, '_' or '/', not ending with a space, not a word
// that reads as a boolean or null, and, when it starts with a digit,
// holding a letter that no number has.
func yamlPlain(s string) bool {
	if s == "" || strings.HasSuffix(s, " ") || yamlWords[strings.ToLower(s)] {
		return false
	}
	numberish := true
	for i, r := range s {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			if !strings.ContainsRune("abcdefoxABCDEFOX", r) {
				numberish = false
			}
		case r >= '0' && r <= '9', r == '_', r == '/':
		case r == ' ' || r == '.' || r == '-' || r == '@' || r == '+':
			if i == 0 {
				return false
			}
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			numberish = false
		default:
			return false
		}
	}
	return !(numberish && s[0] >= '0' && s[0] <= '9')
}

// yamlWords are the plain scalars some YAML reader takes for a boolean or
// null, in lowercase.
var yamlWords = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "y": true, "n": true, "null": true,
}

// yamlFlow returns v in flow style: a scalar, [a, b] or {k: v}.
func yamlFlow(v any) string {
	switch v := v.(type) {
	case []string, []any:
		items := listItems(v)
		parts := make([]string, len(items))
		for i, x := range items {
			parts[i] = yamlFlow(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = yamlScalar(k) + ": " + yamlFlow(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return yamlScalar(v)
}

// writeYAMLEntry writes one "key: value" line of a mapping at indent (the
// first line of a sequence item has "- " in its indent): scalars and lists
// in flow style, and maps too when short and flat, else one key a line
// under it.
func writeYAMLEntry(b *strings.Builder, indent, key string, v any) {
	b.WriteString(indent + yamlScalar(key) + ":")
	m, isMap := v.(map[string]any)
	if !isMap || len(m) == 0 || yamlFlat(m) {
		b.WriteString(" " + yamlFlow(v) + "\n")
		return
	}
	b.WriteString("\n")
	inner := strings.Repeat(" ", len(indent)+2)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		writeYAMLEntry(b, inner, k, m[k])
	}
}

// yamlFlat reports whether a map is written on one line: four keys at most,
// no nested map, 60 characters at most.
func yamlFlat(m map[string]any) bool {
	if len(m) > 4 {
		return false
	}
	for _, v := range m {
		if _, ok := v.(map[string]any); ok {
			return false
		}
	}
	return len(yamlFlow(m)) <= 60
}

// encodeDocument pretty-prints a flow or theme document: keys sorted, two
// spaces, no HTML escaping, numbers as the API wrote them.
func encodeDocument(doc map[string]any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("export: document: %w", err)
	}
	return b.Bytes(), nil
}
