package builtins

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/descope"
)

// collect evaluates src as main.star and returns its Collector.
func collect(t *testing.T, src string) *Collector {
	t.Helper()
	c := NewCollector()
	if _, _, err := execStar(t, "main.star", src, c, newFakeFiles(workspace)); err != nil {
		t.Fatalf("main.star: %s", backtrace(err))
	}
	return c
}

// declErrors splits the error of State into its *DeclErrors.
func declErrors(t *testing.T, err error) []*DeclError {
	t.Helper()
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]*DeclError, len(errs))
	for i, e := range errs {
		de, ok := e.(*DeclError)
		if !ok {
			t.Fatalf("State error %d is a %T, want *DeclError: %v", i, e, e)
		}
		out[i] = de
	}
	return out
}

func TestStateReferenceErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // DeclError.Error(), in order
		bug  string
	}{
		{
			name: "parent not declared, with did-you-mean",
			src: `tenant(id = "acme", name = "Acme")
tenant(id = "acme-eu", name = "Acme EU", parent = "acmee")
`,
			want: []string{`main.star:2:7: tenant "acme-eu": parent "acmee" is not declared in this configuration (declare it with tenant(id="acmee", ...) or drop parent) (did you mean "acme"?)`},
		},
		{
			name: "parent not declared, nothing close",
			src:  `tenant(id = "a", name = "A", parent = "zzzzzzzzzz")` + "\n",
			want: []string{`main.star:1:7: tenant "a": parent "zzzzzzzzzz" is not declared in this configuration (declare it with tenant(id="zzzzzzzzzz", ...) or drop parent)`},
		},
		{
			name: "parent hint never names the tenant itself",
			src:  `tenant(id = "acme-eu", name = "Acme EU", parent = "acme-e")` + "\n",
			want: []string{`main.star:1:7: tenant "acme-eu": parent "acme-e" is not declared in this configuration (declare it with tenant(id="acme-e", ...) or drop parent)`},
		},
		{
			name: "parent declared later is fine",
			src: `tenant(id = "child", name = "C", parent = "root")
tenant(id = "root", name = "R")
`,
		},
		{
			name: "parent empty is top-level",
			src:  `tenant(id = "a", name = "A", parent = "")` + "\n",
		},
		{
			name: "parent cycle of two",
			src: `tenant(id = "a", name = "A", parent = "b")
tenant(id = "b", name = "B", parent = "a")
`,
			want: []string{
				`main.star:1:7: tenant "a": parent chain forms a cycle: a -> b -> a`,
				`main.star:2:7: tenant "b": parent chain forms a cycle: b -> a -> b`,
			},
		},
		{
			name: "parent cycle of three, with a tail that is not in it",
			src: `tenant(id = "tail", name = "T", parent = "a")
tenant(id = "a", name = "A", parent = "b")
tenant(id = "b", name = "B", parent = "c")
tenant(id = "c", name = "C", parent = "a")
tenant(id = "ok", name = "OK", parent = "tail")
`,
			want: []string{
				`main.star:2:7: tenant "a": parent chain forms a cycle: a -> b -> c -> a`,
				`main.star:3:7: tenant "b": parent chain forms a cycle: b -> c -> a -> b`,
				`main.star:4:7: tenant "c": parent chain forms a cycle: c -> a -> b -> c`,
			},
		},
		{
			name: "default role not declared",
			src: `role(name = "viewer")
tenant(id = "a", name = "A", default_roles = ["viewr", "viewer", "Tenant Admin"])
`,
			want: []string{`main.star:2:7: tenant "a": default role "viewr" is not a project role declared in this configuration (declare it with role(name="viewr")) (did you mean "viewer"?)`},
		},
		{
			name: "default role must be a project role",
			src: `tenant(id = "a", name = "A", default_roles = ["auditor"])
role(name = "auditor", tenant = "a")
`,
			want: []string{`main.star:1:7: tenant "a": default role "auditor" is not a project role declared in this configuration (declare it with role(name="auditor"))`},
		},
		{
			name: "role tenant not declared",
			src: `tenant(id = "acme", name = "Acme")
role(name = "auditor", tenant = "acm")
`,
			want: []string{`main.star:2:5: role "auditor": tenant "acm" is not declared in this configuration (did you mean "acme"?)`},
		},
		{
			name: "role permission neither declared nor preconfigured",
			src: `permission(name = "write")
role(name = "editor", permissions = ["wirte", "write", "SSO Admin"])
`,
			want: []string{`main.star:2:5: role "editor": permission "wirte" is neither declared in this configuration nor preconfigured by Descope (declare it with permission(name="wirte")) (did you mean "write"?)`},
		},
		{
			name: "role permission close to a preconfigured one",
			src: `tenant(id = "acme", name = "Acme")
role(name = "admin", tenant = "acme", permissions = ["User Admn"])
`,
			want: []string{`main.star:2:5: role "acme/admin": permission "User Admn" is neither declared in this configuration nor preconfigured by Descope (declare it with permission(name="User Admn")) (did you mean "User Admin"?)`},
		},
		{
			name: "preconfigured names need no declaration",
			src: `role(name = "r", permissions = ["Impersonate", "SSO Admin", "User Admin"])
tenant(id = "a", name = "A", default_roles = ["Tenant Admin"])
`,
		},
		{
			name: "preconfigured names are case-sensitive",
			src:  `tenant(id = "a", name = "A", default_roles = ["tenant admin"])` + "\n",
			want: []string{`main.star:1:7: tenant "a": default role "tenant admin" is not a project role declared in this configuration (declare it with role(name="tenant admin"))`},
		},
		{
			name: "every problem of one declaration, in order",
			src: `tenant(id = "tenant-a", name = "A", parent = "pppppppp", default_roles = ["x1", "x2"])
role(name = "r", tenant = "tenant-b", permissions = ["q"])
`,
			want: []string{
				`main.star:1:7: tenant "tenant-a": parent "pppppppp" is not declared in this configuration (declare it with tenant(id="pppppppp", ...) or drop parent)`,
				`main.star:1:7: tenant "tenant-a": default role "x1" is not a project role declared in this configuration (declare it with role(name="x1"))`,
				`main.star:1:7: tenant "tenant-a": default role "x2" is not a project role declared in this configuration (declare it with role(name="x2"))`,
				`main.star:2:5: role "r": tenant "tenant-b" is not declared in this configuration (did you mean "tenant-a"?)`,
				`main.star:2:5: role "tenant-b/r": permission "q" is neither declared in this configuration nor preconfigured by Descope (declare it with permission(name="q"))`,
			},
		},
		{
			name: "errors in declaration order across kinds",
			src: `role(name = "r", permissions = ["nope"])
tenant(id = "a", name = "A", parent = "ghost")
`,
			want: []string{
				`main.star:1:5: role "r": permission "nope" is neither declared in this configuration nor preconfigured by Descope (declare it with permission(name="nope"))`,
				`main.star:2:7: tenant "a": parent "ghost" is not declared in this configuration (declare it with tenant(id="ghost", ...) or drop parent)`,
			},
		},
		{
			name: "sso: tenant declared, settings it manages not declared twice, one configuration per domain",
			src: `tenant(id = "acme", name = "Acme", settings = {"domains": ["acme.com"], "auth_type": "oidc"})
tenant(id = "beta", name = "Beta", settings = {"session_token_expiration": 5})
sso("acme", oidc = oidc("c"))
sso("beta", domains = ["beta.com"], oidc = oidc("c"))
sso("beta", id = "two", domains = ["beta.com", "b.io"], oidc = oidc("c"))
sso("gama", oidc = oidc("c"))
`,
			want: []string{
				`main.star:3:4: sso "acme": tenant "acme" also declares settings.domains, which sso() manages (its protocol and domains); drop it from the tenant's settings`,
				`main.star:3:4: sso "acme": tenant "acme" also declares settings.auth_type, which sso() manages (its protocol and domains); drop it from the tenant's settings`,
				`main.star:5:4: sso "beta/two": domain "beta.com" is also a domain of sso "beta" (declared at main.star:4:4): a domain signs in through one configuration`,
				`main.star:6:4: sso "gama": tenant "gama" is not declared in this configuration (declare it with tenant(id="gama", ...))`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.bug != "" {
				t.Skip(tt.bug)
			}
			s, err := collect(t, tt.src).State()
			if s == nil {
				t.Fatal("State returned a nil state")
			}
			var got []string
			for _, de := range declErrors(t, err) {
				got = append(got, de.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("State errors:\ngot\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func TestDeclErrorOrigin(t *testing.T) {
	c := collect(t, `def customer(id, parent):
    return tenant(id = id, name = id.upper(), parent = parent)

def region(id):
    return customer(id, "nope")

region("acme-eu")
`)
	_, err := c.State()
	errs := declErrors(t, err)
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(errs), err)
	}
	want := descope.Origin{
		"main.star:2:18: in customer",
		"main.star:5:20: in region",
		"main.star:7:7: in <toplevel>",
	}
	if !reflect.DeepEqual(errs[0].Origin, want) {
		t.Errorf("Origin = %q, want %q", errs[0].Origin, want)
	}
	var de *DeclError
	if !errors.As(err, &de) || de != errs[0] {
		t.Errorf("errors.As(State error, *DeclError) = %v", de)
	}
	if got, want := errs[0].Error(), `main.star:2:18: tenant "acme-eu": parent "nope"`; !strings.HasPrefix(got, want) {
		t.Errorf("Error() = %q, want prefix %q", got, want)
	}
}

func TestDeclErrorWithoutOrigin(t *testing.T) {
	e := &DeclError{Msg: "m"}
	if got := e.Error(); got != "m" {
		t.Errorf("Error() = %q, want %q", got, "m")
	}
	e = &DeclError{Origin: descope.Origin{"a.star:1:2: in f", "b.star:3:4: in <toplevel>"}, Msg: "m"}
	if got := e.Error(); got != "a.star:1:2: m" {
		t.Errorf("Error() = %q, want %q", got, "a.star:1:2: m")
	}
}

func TestStateEmpty(t *testing.T) {
	s, err := NewCollector().State()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, &descope.State{}) {
		t.Errorf("State() = %+v, want empty", s)
	}
}

func TestStateCanonicalOrder(t *testing.T) {
	c := collect(t, `
project(id = "P2x", tags = ["prod", "eu", "prod"])
permission(name = "write")
permission(name = "Read")
permission(name = "admin")
tenant(id = "zeta", name = "Z", domains = ["z.io", "a.io", "z.io"], default_roles = ["viewer", "Tenant Admin", "viewer"], settings = {"domains": ["y.io", "b.io"]})
tenant(id = "Beta", name = "B")
tenant(id = "alpha", name = "A", parent = "zeta")
role(name = "viewer", permissions = ["write", "Read", "admin", "write"])
role(name = "admin", tenant = "zeta")
role(name = "admin")
role(name = "viewer", tenant = "alpha")
flow(id = "sign-up", src = "flows/login.json")
flow(id = "login", src = "flows/login.json")
own("tenant", match = "cust-*")
own("flow")
own("tenant")
own("role", "a*")
theme(src = "theme.json")
`)
	s, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	add := func(kind string, keys ...string) { got = append(got, kind+": "+strings.Join(keys, " ")) }
	add("tags", *s.Project.Tags...)
	var ks []string
	for _, p := range s.Permissions {
		ks = append(ks, p.Name)
	}
	add("permissions", ks...)
	ks = nil
	for _, r := range s.Roles {
		ks = append(ks, r.Key())
	}
	add("roles", ks...)
	add("role permissions", *s.Role("", "viewer").Permissions...)
	ks = nil
	for _, tn := range s.Tenants {
		ks = append(ks, tn.ID)
	}
	add("tenants", ks...)
	zeta := s.Tenant("zeta")
	add("domains", *zeta.Domains...)
	add("default roles", *zeta.DefaultRoles...)
	add("settings domains", *zeta.Settings.Domains...)
	ks = nil
	for _, f := range s.Flows {
		ks = append(ks, f.ID)
	}
	add("flows", ks...)
	ks = nil
	for _, o := range s.Owns {
		ks = append(ks, string(o.Kind)+":"+o.Match)
	}
	add("owns", ks...)
	want := []string{
		"tags: eu prod",
		"permissions: Read admin write",
		"roles: admin viewer alpha/viewer zeta/admin",
		"role permissions: Read admin write",
		"tenants: Beta alpha zeta",
		"domains: a.io z.io",
		"default roles: Tenant Admin viewer",
		"settings domains: b.io y.io",
		"flows: login sign-up",
		"owns: flow:* role:a* tenant:* tenant:cust-*",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("State order:\ngot\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	if s.Theme == nil || s.Theme.Src != "theme.json" || s.Theme.Origin.Pos() != "main.star:19:6" {
		t.Errorf("Theme = %+v", s.Theme)
	}
	if s.Project.ID != "P2x" || s.Project.Origin.Pos() != "main.star:2:8" {
		t.Errorf("Project = %+v", s.Project)
	}

	// State is repeatable.
	s2, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := s.CanonicalJSON()
	j2, _ := s2.CanonicalJSON()
	if string(j1) != string(j2) {
		t.Errorf("second State differs:\n%s\n%s", j1, j2)
	}
}

func TestStateTenantFields(t *testing.T) {
	c := collect(t, `tenant(
    id = "acme",
    name = "Acme",
    domains = ["acme.com"],
    attributes = {"s": "x", "n": 3, "f": 0.5, "b": True, "l": ["a", 1, 1.5, False]},
    enforce_sso = True,
    disabled = False,
    settings = {
        "domains": ["sso.acme.com"],
        "auth_type": "oidc",
        "session_settings_enabled": True,
        "session_token_expiration": 1,
        "session_token_expiration_unit": "seconds",
        "refresh_token_expiration": 2,
        "refresh_token_expiration_unit": "minutes",
        "stepup_token_expiration": 3,
        "stepup_token_expiration_unit": "hours",
        "enable_inactivity": False,
        "inactivity_time": 4,
        "inactivity_time_unit": "days",
        "jit_disabled": True,
    },
)
role(name = "r", description = "D", permissions = ["User Admin"], default = True, private = False)
permission(name = "p", description = "")
`)
	s, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	p := descope.Ptr[string]
	b := descope.Ptr[bool]
	n := descope.Ptr[int64]
	wantTenant := &descope.Tenant{
		ID:         "acme",
		Name:       "Acme",
		Domains:    &[]string{"acme.com"},
		Attributes: &map[string]any{"s": "x", "n": int64(3), "f": 0.5, "b": true, "l": []any{"a", int64(1), 1.5, false}},
		EnforceSSO: b(true),
		Disabled:   b(false),
		Settings: &descope.TenantSettings{
			Domains:                    &[]string{"sso.acme.com"},
			AuthType:                   p("oidc"),
			SessionSettingsEnabled:     b(true),
			SessionTokenExpiration:     n(1),
			SessionTokenExpirationUnit: p("seconds"),
			RefreshTokenExpiration:     n(2),
			RefreshTokenExpirationUnit: p("minutes"),
			StepupTokenExpiration:      n(3),
			StepupTokenExpirationUnit:  p("hours"),
			EnableInactivity:           b(false),
			InactivityTime:             n(4),
			InactivityTimeUnit:         p("days"),
			JITDisabled:                b(true),
		},
		Origin: descope.Origin{"main.star:1:7: in <toplevel>"},
	}
	if got := s.Tenant("acme"); !reflect.DeepEqual(got, wantTenant) {
		t.Errorf("tenant:\ngot  %s\nwant %s", dump(got), dump(wantTenant))
		if !reflect.DeepEqual(got.Settings, wantTenant.Settings) {
			t.Errorf("settings:\ngot  %s\nwant %s", dump(got.Settings), dump(wantTenant.Settings))
		}
	}
	wantRole := &descope.Role{Name: "r", Description: p("D"), Permissions: &[]string{"User Admin"}, Default: b(true), Private: b(false),
		Origin: descope.Origin{"main.star:24:5: in <toplevel>"}}
	if got := s.Role("", "r"); !reflect.DeepEqual(got, wantRole) {
		t.Errorf("role:\ngot  %s\nwant %s", dump(got), dump(wantRole))
	}
	wantPerm := &descope.Permission{Name: "p", Description: p(""), Origin: descope.Origin{"main.star:25:11: in <toplevel>"}}
	if got := s.Permission("p"); !reflect.DeepEqual(got, wantPerm) {
		t.Errorf("permission:\ngot  %s\nwant %s", dump(got), dump(wantPerm))
	}
}

func dump(v any) string { return fmt.Sprintf("%+v", deepDeref(v)) }

// deepDeref renders pointer fields by value, for readable failures.
func deepDeref(v any) any {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return rv.Interface()
	}
	m := make(map[string]any)
	for i := range rv.NumField() {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && f.IsNil() {
			continue
		}
		m[rv.Type().Field(i).Name] = deepDeref(f.Interface())
	}
	return m
}

// TestCollectorConcurrent declares from several goroutines at once, each on
// its own thread, through the builtins; some keys are declared by two
// goroutines, and exactly one of them must win. Run with -race.
func TestCollectorConcurrent(t *testing.T) {
	const workers, perWorker = 8, 50
	c := NewCollector()
	pre := Config(c, newFakeFiles(workspace), nil)
	call := func(thread *starlark.Thread, fn string, kwargs ...any) error {
		var kw []starlark.Tuple
		for i := 0; i < len(kwargs); i += 2 {
			kw = append(kw, starlark.Tuple{starlark.String(kwargs[i].(string)), FromGo(kwargs[i+1])})
		}
		_, err := starlark.Call(thread, pre[fn], nil, kw)
		return err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		dups int
	)
	for w := range workers {
		wg.Go(func() {
			thread := &starlark.Thread{Name: fmt.Sprint("worker", w)}
			for i := range perWorker {
				id := fmt.Sprintf("t-%d-%d", w, i)
				if err := call(thread, "tenant", "id", id, "name", id, "domains", []string{id + ".com"}); err != nil {
					t.Error(err)
				}
				if err := call(thread, "role", "name", "r", "tenant", id); err != nil {
					t.Error(err)
				}
				if err := call(thread, "permission", "name", fmt.Sprintf("p-%d-%d", w, i)); err != nil {
					t.Error(err)
				}
				// Every key below is declared by two workers.
				shared := fmt.Sprintf("shared-%d-%d", w/2, i)
				err := call(thread, "tenant", "id", shared, "name", "S")
				if err != nil {
					if !strings.Contains(err.Error(), `is declared twice`) {
						t.Error(err)
					}
					mu.Lock()
					dups++
					mu.Unlock()
				}
				if i%10 == 0 {
					// Reading the state while others declare is safe too.
					if _, err := c.State(); err != nil {
						t.Error(err)
					}
				}
			}
			if err := call(thread, "own", "kind", "tenant", "match", fmt.Sprintf("t-%d-*", w)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dups, workers/2*perWorker; got != want {
		t.Errorf("duplicate errors = %d, want %d", got, want)
	}
	if got, want := len(s.Tenants), workers*perWorker+workers/2*perWorker; got != want {
		t.Errorf("tenants = %d, want %d", got, want)
	}
	if got, want := len(s.Roles), workers*perWorker; got != want {
		t.Errorf("roles = %d, want %d", got, want)
	}
	if got, want := len(s.Permissions), workers*perWorker; got != want {
		t.Errorf("permissions = %d, want %d", got, want)
	}
	if got, want := len(s.Owns), workers; got != want {
		t.Errorf("owns = %d, want %d", got, want)
	}
	for i := 1; i < len(s.Tenants); i++ {
		if s.Tenants[i-1].ID >= s.Tenants[i].ID {
			t.Fatalf("tenants not sorted at %d: %q, %q", i, s.Tenants[i-1].ID, s.Tenants[i].ID)
		}
	}
}
