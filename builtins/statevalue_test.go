package builtins

import (
	"errors"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/descope"
)

// execTest evaluates src as a test file would see it (Test's names) on a
// thread whose declarations go to a scratch collector, and returns the
// error of the first failing statement.
func execTest(t *testing.T, src string) error {
	t.Helper()
	_, names := Test(NewCollector(), newFakeFiles(workspace), testVars())
	thread := &starlark.Thread{Name: "t_test.star"}
	SetCollector(thread, NewCollector())
	_, err := starlark.ExecFileOptions(fileOptions, thread, "t_test.star", src, names)
	return err
}

func TestStateValue(t *testing.T) {
	tests := []struct {
		name, src string
	}{
		{"empty", `
s = state()
assert.eq(type(s), "state")
assert.eq((s.tenants, s.roles, s.permissions, s.flows), ([], [], [], []))
assert.eq((s.project, s.theme), (None, None))
assert.eq(s.tenant("x"), None)
assert.eq(str(s), "state(0 permissions, 0 roles, 0 tenants, 0 flows)")
assert.eq(dir(s), ["flow", "flows", "permission", "permissions", "project", "role", "roles", "sso", "tenant", "tenant_attribute", "tenant_attributes", "tenants", "theme"])
`},
		{"objects in canonical order, as the values declarations return", `
b = tenant(id = "b", name = "B", domains = ["z.com", "a.com"])
a = tenant(id = "a", name = "A", parent = b)
s = state()
assert.eq([t.id for t in s.tenants], ["a", "b"])
assert.eq(s.tenant("b"), b)
assert.eq(s.tenant(b), b)
assert.eq(s.tenant("a").parent, "b")
assert.eq(s.tenant("b").domains, ["a.com", "z.com"])
assert.fails(lambda: s.tenants.append(1), "frozen")
`},
		{"every kind", `
project(id = "P2abc", name = "Prod", tags = ["x"])
permission("read", description = "Read")
role("viewer", permissions = ["read"])
t = tenant(id = "acme", name = "Acme")
role("viewer", tenant = t, private = True)
flow(id = "login", src = "flows/login.json")
theme(src = "theme.json")
s = state()
assert.eq((s.project.id, s.project.name, s.project.tags), ("P2abc", "Prod", ["x"]))
assert.eq(s.permission("read").description, "Read")
assert.eq(s.role("viewer").permissions, ["read"])
assert.eq(s.role("viewer", tenant = "acme").private, True)
assert.eq(s.role("viewer", tenant = t).tenant, "acme")
assert.eq(s.role("editor"), None)
assert.eq([r.tenant for r in s.roles], [None, "acme"])
assert.eq(s.flow("login").document["flowId"], "login")
assert.eq(s.flow("login").src, "flows/login.json")
assert.eq(s.theme.document["componentsVersion"], "1.0")
tier = tenant_attribute("tier", type = "number")
s2 = state()
assert.eq(s2.tenant_attribute("tier"), tier)
assert.eq(s2.tenant_attribute(tier).type, "number")
assert.eq(s2.tenant_attribute("nope"), None)
assert.eq([a.key for a in s2.tenant_attributes], ["tier"])
`},
		{"states compare by content", `
s1 = state()
tenant(id = "a", name = "A")
s2 = state()
assert.ne(s1, s2)
assert.eq(s2, state())
`},
		{"declared values compare by fields", `
a = tenant(id = "a", name = "A", domains = ["a.com"])
assert.eq(a, state().tenant("a"))
assert.true(a != permission("a"))
assert.fails(lambda: a < a, "not implemented")
`},
		{"check reports undeclared references", `
tenant(id = "a", name = "A", parent = "nowhere")
assert.eq(len(state().tenants), 1)
assert.fails(lambda: state(check = True), 'parent "nowhere" is not declared')
`},
		{"lookup arguments", `
assert.fails(lambda: state().tenant(1), "state.tenant: id must be a tenant or its id")
assert.fails(lambda: state().tenant(permission("p")), "must be a tenant or its id, not a permission")
assert.fails(lambda: state().role(), "missing argument for name")
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := execTest(t, tt.src); err != nil {
				t.Fatal(backtrace(err))
			}
		})
	}
}

// TestScratchCollector checks that SetCollector redirects declarations and
// that state() reads the thread's collector.
func TestScratchCollector(t *testing.T) {
	file, scratch := NewCollector(), NewCollector()
	_, names := Test(file, newFakeFiles(workspace), testVars())
	thread := &starlark.Thread{Name: "t"}
	SetCollector(thread, scratch)
	if _, err := starlark.ExecFileOptions(fileOptions, thread, "t.star", `tenant(id = "a", name = "A")`, names); err != nil {
		t.Fatal(err)
	}
	fs, _ := file.State()
	ss, _ := scratch.State()
	if len(fs.Tenants) != 0 || len(ss.Tenants) != 1 {
		t.Errorf("file collector has %d tenants, scratch %d; want 0 and 1", len(fs.Tenants), len(ss.Tenants))
	}
}

func TestAssertMessages(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"eq short", `assert.eq(1, 2)`, "assert.eq: got 1, want 2"},
		{"eq with msg", `assert.eq("a", "b", "the name")`, `assert.eq: the name: got "a", want "b"`},
		{"eq long", `assert.eq({"plan": "gold", "seats": 10, "tags": ["a", "b"]}, {"plan": "silver", "seats": 10, "tags": ["a", "c"], "x": 1})`,
			`assert.eq: values differ
    got:  {"plan": "gold", "seats": 10, "tags": ["a", "b"]}
    want: {"plan": "silver", "seats": 10, "tags": ["a", "c"], "x": 1}
    where:
      ["plan"]: got "gold", want "silver"
      ["tags"][1]: got "b", want "c"
      ["x"]: missing, want 1`},
		{"eq long lists of different lengths", `assert.eq(["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbb"], ["aaaaaaaaaaaaaaaaaaaa"])`,
			`assert.eq: values differ
    got:  ["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbb"]
    want: ["aaaaaaaaaaaaaaaaaaaa"]
    where:
      value: got 2 elements, want 1`},
		{"eq a field", `
tenant(id = "a", name = "A", domains = ["a.com"])
assert.eq(state().tenants[0].domains, ["b.com"])`, `assert.eq: got ["a.com"], want ["b.com"]`},
		{"ne", `assert.ne([1], [1])`, "assert.ne: got [1], want anything else"},
		{"true", `assert.true([], "the list is filled")`, "assert.true: the list is filled: got [], want a true value"},
		{"contains", `assert.contains(["a", "b"], "c")`, `assert.contains: ["a", "b"] does not contain "c"`},
		{"contains long", `assert.contains({"aaaaaaaaaaaaaaaaaaaaaaaaaa": 1, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 2}, "c")`,
			`assert.contains: dict not found
    in:   {"aaaaaaaaaaaaaaaaaaaaaaaaaa": 1, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 2}
    item: "c"`},
		{"fails did not fail", `assert.fails(lambda: 1, "boom")`, `assert.fails: lambda did not fail; want an error matching "boom"`},
		{"fails other error", `
def f():
    fail("bang")
assert.fails(f, "boom")`, `assert.fails: f failed with "fail: bang", want an error matching "boom"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := execTest(t, tt.src)
			var ae *AssertionError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an AssertionError", err)
			}
			if ae.Msg != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", ae.Msg, tt.want)
			}
		})
	}
}

// TestGotWantDeclared shows two tenants of the same id that differ: they
// print alike, so their differing fields are listed.
func TestGotWantDeclared(t *testing.T) {
	a := tenantValue(&descope.Tenant{ID: "a", Name: "A", Domains: &[]string{"a.com"}})
	b := tenantValue(&descope.Tenant{ID: "a", Name: "B", Domains: &[]string{"a.com"}})
	want := `values differ
    got:  tenant("a")
    want: tenant("a")
    where:
      .name: got "A", want "B"`
	if got := gotWant(a, b); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestAssertUsageErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{`assert.eq(1)`, "assert.eq: missing argument for want"},
		{`assert.contains(1, 1)`, "assert.contains: unknown binary op: int in int"},
		{`assert.fails(lambda: 1, "(")`, "assert.fails: pattern \"(\": error parsing regexp"},
		{`assert.fails(1, "x")`, "assert.fails: for parameter fn: got int, want callable"},
	}
	for _, tt := range tests {
		err := execTest(t, tt.src)
		var ae *AssertionError
		if err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want a usage error containing %q", tt.src, err, tt.want)
		}
	}
	if err := execTest(t, `assert.eq(assert.fails(lambda: fail("x"), "x"), "fail: x")`); err != nil {
		t.Errorf("fails returns the message: %v", backtrace(err))
	}
}
