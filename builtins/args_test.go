package builtins

import (
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

func TestCheckDomain(t *testing.T) {
	tests := []struct {
		domain string
		why    string // "" for a valid domain
	}{
		{"acme.com", ""},
		{"a.io", ""},
		{"mail.eu.acme.co.uk", ""},
		{"xn--bcher-kva.example", ""},
		{"1-2.3a", ""},
		{"a-b-c.d-e", ""},
		{strings.Repeat("a", 63) + ".com", ""},
		{"", "empty"},
		{"https://acme.com", "a domain has no scheme"},
		{"ftp://x", "a domain has no scheme"},
		{"bob@acme.com", "a domain is the part after '@'"},
		{"Acme.com", "use lowercase"},
		{"acme.COM", "use lowercase"},
		{"ÀCME.com", "use lowercase"},
		{"localhost", "it needs a dot"},
		{"acme", "it needs a dot"},
		{"-acme.com", `label "-acme" is not letters, digits and inner hyphens`},
		{"acme-.com", `label "acme-" is not letters, digits and inner hyphens`},
		{"acme..com", `label "" is not letters, digits and inner hyphens`},
		{".acme.com", `label "" is not letters, digits and inner hyphens`},
		{"acme.com.", `label "" is not letters, digits and inner hyphens`},
		{"ac_me.com", `label "ac_me" is not letters, digits and inner hyphens`},
		{"ac me.com", `label "ac me" is not letters, digits and inner hyphens`},
		{"acme.com:443", `label "com:443" is not letters, digits and inner hyphens`},
		{"acme.com/x", `label "com/x" is not letters, digits and inner hyphens`},
		{"bücher.de", `label "bücher" is not letters, digits and inner hyphens`},
		{"*.acme.com", `label "*" is not letters, digits and inner hyphens`},
		{strings.Repeat("a", 64) + ".com", `label "` + strings.Repeat("a", 64) + `" is not letters, digits and inner hyphens`},
		{strings.Repeat("a.", 127) + "ab", "longer than 253 characters"},
		{strings.Repeat(strings.Repeat("a", 62)+".", 4) + "com", "longer than 253 characters"}, // 255
	}
	for _, tt := range tests {
		err := checkDomain("f", tt.domain)
		if tt.why == "" {
			if err != nil {
				t.Errorf("checkDomain(%q) = %v, want nil", tt.domain, err)
			}
			continue
		}
		want := `f: malformed domain "` + tt.domain + `": ` + tt.why + ` (write it like "acme.com")`
		if err == nil || err.Error() != want {
			t.Errorf("checkDomain(%q)\ngot  %v\nwant %s", tt.domain, err, want)
		}
	}

	// 253 characters is the limit.
	d253 := strings.Repeat("a", 60) + "." + strings.Repeat(strings.Repeat("a", 62)+".", 3) + "com"
	if len(d253) != 253 {
		t.Fatalf("len = %d", len(d253))
	}
	if err := checkDomain("f", d253); err != nil {
		t.Errorf("checkDomain(253 characters) = %v, want nil", err)
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		id   string
		want string // "" for a valid id
		bug  string
	}{
		{id: "acme", want: ""},
		{id: "T2abc_def-ghi.jkl:mno", want: ""},
		{id: "ünï", want: ""},
		{id: strings.Repeat("x", 100), want: ""},
		{id: strings.Repeat("é", 100), want: ""}, // 200 bytes, 100 characters
		{id: "", want: `f: id must not be empty`},
		{id: "a b", want: `f: id "a b" must not contain spaces or '/'`},
		{id: "a\tb", want: `f: id "a\tb" must not contain spaces or '/'`},
		{id: "a\rb", want: `f: id "a\rb" must not contain spaces or '/'`},
		{id: "ab\n", want: `f: id "ab\n" must not contain spaces or '/'`},
		{id: "a/b", want: `f: id "a/b" must not contain spaces or '/'`},
		{id: "/", want: `f: id "/" must not contain spaces or '/'`},
		{id: strings.Repeat("x", 101), want: `f: id "` + strings.Repeat("x", 101) + `" is longer than 100 characters`},
		{id: strings.Repeat("é", 101), want: `f: id "` + strings.Repeat("é", 101) + `" is longer than 100 characters`},
		{
			id: "a\x00b", want: `f: id "a\x00b" must be printable`,
		},
		{
			id: "a\u00a0b", want: `f: id "a\u00a0b" must not contain spaces or '/'`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if tt.bug != "" {
				t.Skip(tt.bug)
			}
			err := checkID("f", "id", tt.id)
			if tt.want == "" {
				if err != nil {
					t.Errorf("checkID(%q) = %v, want nil", tt.id, err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("checkID(%q)\ngot  %v\nwant %s", tt.id, err, tt.want)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		max  int
		want string
	}{
		{"Acme", 100, ""},
		{" padded ", 100, ""},
		{strings.Repeat("ñ", 10), 10, ""},
		{"", 100, "f: name must not be empty"},
		{" \t\n", 100, "f: name must not be empty"},
		{strings.Repeat("ñ", 11), 10, `f: name "` + strings.Repeat("ñ", 11) + `" is longer than 10 characters`},
	}
	for _, tt := range tests {
		err := checkName("f", "name", tt.name, tt.max)
		if got := errString(err); got != tt.want {
			t.Errorf("checkName(%q, %d) = %q, want %q", tt.name, tt.max, got, tt.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"same", "same", 0},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"settigns", "settings", 2},
		{"defualt_roles", "default_roles", 2},
		{"domain", "domains", 1},
		{"héllo", "hello", 1}, // runes, not bytes
		{"日本", "日本語", 1},
		{"Name", "name", 1}, // case-sensitive: nearest lowers both
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestNearest(t *testing.T) {
	params := tenantParams
	tests := []struct {
		name       string
		candidates []string
		want       string
	}{
		{"settigns", params, "settings"},
		{"setting", params, "settings"},
		{"defualt_roles", params, "default_roles"},
		{"domain", params, "domains"},
		{"NAME", params, "name"},
		{"iid", params, "id"},
		{"x", params, "id"}, // short names allow a distance of 2
		{"xyzzyxyzzy", params, ""},
		{"colour", params, ""},
		{"anything", nil, ""},
		{"", []string{"ab"}, "ab"},
		{"", []string{"abc"}, ""},
		// The allowed distance grows with the name: 1+len/2, at least 3.
		{"abcdefgh", []string{"abcdWXYZ"}, "abcdWXYZ"}, // distance 4 < 5
		{"abcdefgh", []string{"aVWXYZgh"}, ""},         // distance 5
		{"abc", []string{"xyz"}, ""},                   // distance 3
		{"abc", []string{"axy"}, "axy"},                // distance 2
		// Ties go to the first candidate; a closer one wins.
		{"ab", []string{"aX", "Xb"}, "aX"},
		{"ab", []string{"XY", "aX"}, "aX"},
		{"minute", []string{"seconds", "minutes", "hours"}, "minutes"},
	}
	for _, tt := range tests {
		if got := nearest(tt.name, tt.candidates); got != tt.want {
			t.Errorf("nearest(%q, %q) = %q, want %q", tt.name, tt.candidates, got, tt.want)
		}
	}
	// Nearest is the exported nearest.
	if got := Nearest("settigns", params); got != "settings" {
		t.Errorf("Nearest(settigns) = %q, want settings", got)
	}
}

func TestCheckKwargs(t *testing.T) {
	kw := func(names ...string) []starlark.Tuple {
		out := make([]starlark.Tuple, len(names))
		for i, n := range names {
			out[i] = starlark.Tuple{starlark.String(n), starlark.None}
		}
		return out
	}
	tests := []struct {
		kwargs []starlark.Tuple
		params []string
		want   string
	}{
		{nil, []string{"a"}, ""},
		{kw(), nil, ""},
		{kw("id", "name"), []string{"id", "name"}, ""},
		{kw("name", "id"), []string{"id", "name"}, ""},
		{kw("id", "settigns"), tenantParams, `tenant: unexpected keyword argument "settigns" (did you mean "settings"?); tenant accepts id, name, domains, attributes, enforce_sso, disabled, parent, default_roles, settings`},
		{kw("xyzzyxyzzy"), []string{"id", "name"}, `tenant: unexpected keyword argument "xyzzyxyzzy"; tenant accepts id, name`},
		{kw("x"), nil, `tenant: unexpected keyword argument "x"; tenant accepts `},
		// The first unknown keyword is reported.
		{kw("nmae", "iid"), []string{"id", "name"}, `tenant: unexpected keyword argument "nmae" (did you mean "name"?); tenant accepts id, name`},
	}
	for _, tt := range tests {
		err := checkKwargs("tenant", tt.kwargs, tt.params...)
		if got := errString(err); got != tt.want {
			t.Errorf("checkKwargs(%v, %q)\ngot  %q\nwant %q", tt.kwargs, tt.params, got, tt.want)
		}
	}
}

func TestOneOf(t *testing.T) {
	units := []string{"seconds", "minutes", "hours"}
	tests := []struct{ s, want string }{
		{"minutes", ""},
		{"minute", `f: unit "minute" is not one of "seconds", "minutes", "hours" (did you mean "minutes"?)`},
		{"Hours", `f: unit "Hours" is not one of "seconds", "minutes", "hours" (did you mean "hours"?)`},
		{"fortnights", `f: unit "fortnights" is not one of "seconds", "minutes", "hours"`},
		{"", `f: unit "" is not one of "seconds", "minutes", "hours"`},
	}
	for _, tt := range tests {
		if got := errString(oneOf("f", "unit", tt.s, units)); got != tt.want {
			t.Errorf("oneOf(%q)\ngot  %q\nwant %q", tt.s, got, tt.want)
		}
	}
}
