package runtime

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/builtins"
	"github.com/descope-run/descope-run/descope"
)

// literalValues are data values export writes: every string of genText,
// characters from all over Unicode, and numbers at the edges.
func literalValues() []any {
	values := []any{
		nil, true, false, int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), int64(1<<53 + 1),
		0.1, -0.125, 2.5, 1e20, 1e21, 1.5e-7, 1e300, 5e-324, math.MaxFloat64, -1e-10,
		[]string{}, []string{"a", `"b"`}, []any{}, []any{"x", int64(1), 2.5, true},
		map[string]any{}, map[string]any{"k": "v", "n": int64(3), "l": []any{"a"}},
		map[string]any{"a": "x", "b": int64(1), "c": 2.5, "d": true, "e": []any{"y", "z"}, "f": "g h"},
		"0015g00000Acme01", "3d", "2024-01-01", "a - b", "Yes", "NULL", ".inf", "-5", "+5", "/path", "_x",
		"a@b", "日本語", "a b", "x ", "é", "e1", "E", "0b1", "0o7", "1e+3", "-", ".",
	}
	for _, s := range genText {
		values = append(values, s)
	}
	var b strings.Builder
	for r := rune(0); r <= utf8.MaxRune; r += 89 {
		if utf8.ValidRune(r) {
			b.WriteRune(r)
		}
		if b.Len() > 200 {
			values = append(values, b.String())
			b.Reset()
		}
	}
	for _, r := range []rune{0, 0x7f, 0x85, 0xa0, 0xad, 0x2028, 0x2029, 0xfeff, 0xfffd, 0x10ffff, 0x1f600} {
		values = append(values, "<"+string(r)+">")
	}
	return values
}

// canonical data form, for comparisons: JSON of what ToGo gives.
func dataJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStarLiteralReadsBack(t *testing.T) {
	for _, v := range literalValues() {
		src := oneLine(v)
		got, err := starlark.EvalOptions(builtins.FileOptions, &starlark.Thread{}, "literal", src, nil)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		data, err := builtins.ToGo(got)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if g, w := dataJSON(t, data), dataJSON(t, v); g != w {
			t.Errorf("%s reads back as %s, want %s", src, g, w)
		}
		if f, ok := v.(float64); ok {
			if _, isFloat := got.(starlark.Float); !isFloat || float64(got.(starlark.Float)) != f {
				t.Errorf("%s reads back as %s %v, want the float %v", src, got.Type(), got, f)
			}
		}
	}
}

func TestYAMLReadsBack(t *testing.T) {
	decode := builtins.YAMLModule.Members["decode"]
	for _, v := range literalValues() {
		var b strings.Builder
		b.WriteString("# a comment\n")
		writeYAMLEntry(&b, "- ", "key", v)
		doc := b.String()
		got, err := starlark.Call(&starlark.Thread{}, decode, starlark.Tuple{starlark.String(doc)}, nil)
		if err != nil {
			t.Errorf("%q: %v\n%s", v, err, doc)
			continue
		}
		data, err := builtins.ToGo(got)
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if g, w := dataJSON(t, data), dataJSON(t, []any{map[string]any{"key": v}}); g != w {
			t.Errorf("YAML %q reads back as %s, want %s", doc, g, w)
		}
	}
}

func TestWriteCall(t *testing.T) {
	tests := []struct {
		name string
		d    decl
		want string
	}{{
		name: "short call on one line",
		d:    decl{fn: "flow", args: []arg{{"id", "sign-in"}, {"src", "flows/sign-in.json"}}},
		want: "flow(id = \"sign-in\", src = \"flows/sign-in.json\")\n",
	}, {
		name: "positional argument",
		d:    decl{fn: "own", args: []arg{{"", "tenant"}, {"match", "cust-*"}}},
		want: "own(\"tenant\", match = \"cust-*\")\n",
	}, {
		name: "long call one keyword a line, long values broken",
		d: decl{fn: "tenant", args: []arg{
			{"id", "acme"}, {"name", "Acme Corporation"},
			{"domains", []string{"acme.com", "acme-corporation.example.com", "acme.co.uk", "acme.de", "acme-industries.example.org"}},
			{"attributes", map[string]any{"plan": "enterprise", "seats": int64(50)}},
		}},
		want: `tenant(
    id = "acme",
    name = "Acme Corporation",
    domains = [
        "acme.com",
        "acme-corporation.example.com",
        "acme.co.uk",
        "acme.de",
        "acme-industries.example.org",
    ],
    attributes = {"plan": "enterprise", "seats": 50},
)
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			writeCall(&b, tt.d)
			if got := b.String(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			formatted, err := FormatStar("main.star", []byte(b.String()))
			if err != nil {
				t.Fatal(err)
			}
			if string(formatted) != b.String() {
				t.Errorf("descope-run fmt changes it to:\n%s", formatted)
			}
		})
	}
}

func TestWriteComment(t *testing.T) {
	var b strings.Builder
	writeComment(&b, "", "Short.\n\n- a list item long enough to wrap: "+strings.Repeat("word ", 14))
	want := `# Short.
#
# - a list item long enough to wrap: word word word word word word word word
#   word word word word word word
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Ledgerly Production": "ledgerly-production",
		"  Acme -- EU  ":      "acme-eu",
		"客户":                  "project",
		"":                    "project",
		"Prod (v2)":           "prod-v2",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseKinds(t *testing.T) {
	got, err := ParseKinds([]string{"tenant", " flow", "tenant"})
	if err != nil || len(got) != 2 || got[0] != descope.KindTenant || got[1] != descope.KindFlow {
		t.Errorf("ParseKinds = %v, %v; want [tenant flow]", got, err)
	}
	_, err = ParseKinds([]string{"tenants"})
	want := `unknown kind "tenants" (did you mean "tenant"?): the kinds are project, permission, role, tenant_attribute, tenant, sso, flow, theme`
	if err == nil || err.Error() != want {
		t.Errorf("ParseKinds(tenants) error = %v, want %s", err, want)
	}
}

func TestTreeOrder(t *testing.T) {
	tn := func(id, parent string) *descope.Tenant { return &descope.Tenant{ID: id, Parent: &parent} }
	in := []*descope.Tenant{tn("b-1", "b"), tn("a", ""), tn("b", ""), tn("a-2", "a"), tn("a-1", "a"), tn("a-1-x", "a-1"), tn("orphan", "gone")}
	exported := map[string]bool{}
	for _, x := range in {
		exported[x.ID] = true
	}
	var got []string
	for _, x := range treeOrder(in, exported) {
		got = append(got, x.ID)
	}
	if want := "a a-1 a-1-x a-2 b b-1 orphan"; strings.Join(got, " ") != want {
		t.Errorf("treeOrder = %s, want %s", strings.Join(got, " "), want)
	}
}

func TestNoTenantMatched(t *testing.T) {
	tenants := func(ids ...string) []*descope.Tenant {
		var out []*descope.Tenant
		for _, id := range ids {
			out = append(out, &descope.Tenant{ID: id})
		}
		return out
	}
	tests := []struct {
		tenants []*descope.Tenant
		want    string
	}{
		{nil, `no tenant is exported: --match "x*" matches none, the project has no tenants`},
		{tenants("b", "a"), `no tenant is exported: --match "x*" matches none of the project's 2 tenants (a, b)`},
		{tenants("d", "c", "b", "a"), `no tenant is exported: --match "x*" matches none of the project's 4 tenants (a, b, c, ...)`},
	}
	for _, tt := range tests {
		if got := noTenantMatched("x*", tt.tenants); got != tt.want {
			t.Errorf("noTenantMatched(%d tenants) = %q, want %q", len(tt.tenants), got, tt.want)
		}
	}
}
