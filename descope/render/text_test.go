package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

var ownedAt = descope.Origin{"main.star:3:1: in <toplevel>"}

func text(t *testing.T, p *descope.Plan, opts TextOptions) string {
	t.Helper()
	var b strings.Builder
	if err := Text(&b, p, opts); err != nil {
		t.Fatalf("Text: %v", err)
	}
	return b.String()
}

func checkText(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestTextEmptyPlan(t *testing.T) {
	tests := []struct {
		name string
		plan *descope.Plan
		opts TextOptions
		want string
	}{
		{
			name: "nothing at all",
			plan: descope.Diff(nil, nil),
			want: "No changes. The project matches the configuration.\n",
		},
		{
			name: "header and one unmanaged object",
			plan: &descope.Plan{Unmanaged: map[descope.Kind][]string{descope.KindFlow: {"sign-in"}}},
			opts: TextOptions{Header: "Target: local project (.descope-run/local.json)\n"},
			want: `Target: local project (.descope-run/local.json)

No changes. The project matches the configuration.
1 live object is not managed by this configuration (--show-unmanaged lists them).
A new Descope project starts with it (the built-in flow); it is left alone.
`,
		},
		{
			name: "unmanaged objects listed",
			plan: &descope.Plan{Unmanaged: map[descope.Kind][]string{
				descope.KindFlow:   {"sign-in", "sign-up"},
				descope.KindTenant: {"acme"},
				descope.KindTheme:  {"theme"},
			}},
			opts: TextOptions{ShowUnmanaged: true},
			want: `No changes. The project matches the configuration.

4 live objects are not managed by this configuration:
  tenant "acme"
  flow "sign-in" (preconfigured)
  flow "sign-up" (preconfigured)
  theme (preconfigured)
3 of them come with every new Descope project (the built-in flows and the theme) and are left alone.
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkText(t, text(t, tt.plan, tt.opts), tt.want) })
	}
}

// TestTextActions shows each action with every field (Full).
func TestTextActions(t *testing.T) {
	tests := []struct {
		name          string
		live, desired *descope.State
		want          string
	}{
		{
			name: "create a tenant shows its set fields",
			desired: &descope.State{Tenants: []*descope.Tenant{{
				ID: "acme", Name: "Acme", Domains: &[]string{"acme.com"}, Attributes: &map[string]any{"tier": "gold"},
				Settings: &descope.TenantSettings{SessionTokenExpiration: descope.Ptr(int64(30))},
			}}},
			want: `Actions are marked with these symbols:
  + create

  + tenant "acme"
      + name: "Acme"
      + selfProvisioningDomains: ["acme.com"]
      + customAttributes.tier: "gold"
      + settings.sessionTokenExpiration: 30

Plan: 1 to add, 0 to change, 0 to delete.
`,
		},
		{
			name: "update a tenant hides the unchanged fields",
			live: &descope.State{Tenants: []*descope.Tenant{{
				ID: "acme", Name: "Acme", Disabled: descope.Ptr(false), Attributes: &map[string]any{"tier": "gold", "old": 1.0},
				Settings: &descope.TenantSettings{SessionTokenExpiration: descope.Ptr(int64(60)), SessionTokenExpirationUnit: descope.Ptr("minutes")},
			}}},
			desired: &descope.State{Tenants: []*descope.Tenant{{
				ID: "acme", Name: "Acme", Disabled: descope.Ptr(true), Attributes: &map[string]any{"tier": "gold"},
				Settings: &descope.TenantSettings{SessionTokenExpiration: descope.Ptr(int64(120)), SessionTokenExpirationUnit: descope.Ptr("minutes")},
			}}},
			want: `Actions are marked with these symbols:
  ~ update in place

  ~ tenant "acme"
      - customAttributes.old: 1
      ~ disabled: false -> true
      ~ settings.sessionTokenExpiration: 60 -> 120
      # (3 unchanged fields hidden)

Plan: 0 to add, 1 to change, 0 to delete.
`,
		},
		{
			name: "delete a flow gives the claim",
			live: &descope.State{Flows: []*descope.Flow{{ID: "old"}, {ID: "sign-in"}}},
			desired: &descope.State{Owns: []*descope.Ownership{
				{Kind: descope.KindFlow, Match: "*", Origin: ownedAt},
			}},
			want: `Actions are marked with these symbols:
  - delete

  - flow "old"
      # owned by own("flow", "*") at main.star:3:1

1 live object is not managed by this configuration (--show-unmanaged lists them).
A new Descope project starts with it (the built-in flow); it is left alone.
Plan: 0 to add, 0 to change, 1 to delete.
`,
		},
		{
			name: "replace a role says why",
			live: &descope.State{Roles: []*descope.Role{{Name: "Editor", Permissions: &[]string{"edit"}}}},
			desired: &descope.State{
				Roles: []*descope.Role{{Name: "Editor", Tenant: "acme", Permissions: &[]string{"edit"}}},
				Owns:  []*descope.Ownership{{Kind: descope.KindRole, Match: "*", Origin: ownedAt}},
			},
			want: `Actions are marked with these symbols:
-/+ delete, then create again (replace)

-/+ role "acme/Editor"
      # the role moves from the project to tenant "acme", and the API cannot change a role's tenant; the old role is owned by own("role", "*") at main.star:3:1
      ~ tenantId: "" -> "acme"
      # (1 unchanged field hidden)

Plan: 1 to add, 0 to change, 1 to delete.
`,
		},
		{
			name:    "create a permission",
			desired: &descope.State{Permissions: []*descope.Permission{{Name: "edit", Description: descope.Ptr("Can edit")}}},
			want: `Actions are marked with these symbols:
  + create

  + permission "edit"
      + description: "Can edit"

Plan: 1 to add, 0 to change, 0 to delete.
`,
		},
		{
			name: "update a flow task and screen",
			live: &descope.State{Flows: []*descope.Flow{{ID: "onboard", Document: map[string]any{
				"metadata": map[string]any{"name": "Onboard", "version": 3.0},
				"contents": map[string]any{"tasks": map[string]any{"3": map[string]any{"arguments": map[string]any{"url": map[string]any{"value": "https://a"}}}}},
				"screens":  []any{map[string]any{"screenId": "login", "contents": map[string]any{"title": "Log in"}}},
			}}}},
			desired: &descope.State{Flows: []*descope.Flow{{ID: "onboard", Document: map[string]any{
				"metadata": map[string]any{"name": "Onboard"},
				"contents": map[string]any{"tasks": map[string]any{"3": map[string]any{"arguments": map[string]any{"url": map[string]any{"value": "https://b"}}}}},
				"screens":  []any{map[string]any{"screenId": "login", "contents": map[string]any{"title": "Sign in"}}},
			}}}},
			want: `Actions are marked with these symbols:
  ~ update in place

  ~ flow "onboard"
      ~ contents.tasks.3.arguments.url.value: "https://a" -> "https://b"
      ~ screens.login.contents.title: "Log in" -> "Sign in"
      # (2 unchanged fields hidden)

Plan: 0 to add, 1 to change, 0 to delete.
`,
		},
		{
			name:    "update the theme and the project",
			live:    &descope.State{Project: &descope.Project{ID: "P1", Name: descope.Ptr("dev")}, Theme: &descope.Theme{Document: map[string]any{"styles": map[string]any{"primary": "#000"}}}},
			desired: &descope.State{Project: &descope.Project{ID: "P1", Name: descope.Ptr("prod")}, Theme: &descope.Theme{Document: map[string]any{"styles": map[string]any{"primary": "#fff"}}}},
			want: `Actions are marked with these symbols:
  ~ update in place

  ~ project
      ~ name: "dev" -> "prod"

  ~ theme
      ~ styles.primary: "#000" -> "#fff"

Plan: 0 to add, 2 to change, 0 to delete.
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkText(t, text(t, descope.Diff(tt.live, tt.desired), TextOptions{Full: true}), tt.want)
		})
	}
}

// mixedPlan has a delete, a replace, a create and an update.
func mixedPlan() *descope.Plan {
	live := &descope.State{Tenants: []*descope.Tenant{
		{ID: "acme", Name: "Acme", Parent: descope.Ptr("")},
		{ID: "cust-old", Name: "Old"},
		{ID: "beta", Name: "Beta", Attributes: &map[string]any{"apiKey": "live-key"}},
	}}
	desired := &descope.State{
		Tenants: []*descope.Tenant{
			{ID: "acme", Parent: descope.Ptr("holding")},
			{ID: "holding", Name: "Holding"},
			{ID: "beta", Name: "Beta Inc", Attributes: &map[string]any{"apiKey": "new-key"}},
		},
		Owns: []*descope.Ownership{{Kind: descope.KindTenant, Match: "cust-*", Origin: ownedAt}},
	}
	return descope.Diff(live, desired)
}

func TestTextDeletesFirstAndSecretsMasked(t *testing.T) {
	checkText(t, text(t, mixedPlan(), TextOptions{Header: "Target: project P2abc"}), `Target: project P2abc

Actions are marked with these symbols:
  - delete
-/+ delete, then create again (replace)
  + create
  ~ update in place

  - tenant "cust-old"
      # owned by own("tenant", "cust-*") at main.star:3:1

  ~ tenant "beta"
      ~ name: "Beta" -> "Beta Inc"
      ~ customAttributes.apiKey: (sensitive) -> (sensitive)

  + tenant "holding": name "Holding"

-/+ tenant "acme"
      # the parent changes from none (top level) to "holding", and the API sets a tenant's parent only when it creates the tenant; the delete also drops its users' membership and its SSO configuration
      ~ parent: "" -> "holding"

Plan: 2 to add, 1 to change, 2 to delete.
`)
}

func TestTextColor(t *testing.T) {
	const (
		r = "\x1b[31m"
		g = "\x1b[32m"
		y = "\x1b[33m"
		b = "\x1b[1m"
		z = "\x1b[0m"
	)
	want := `Actions are marked with these symbols:
  ` + r + `-` + z + ` delete
` + r + `-` + z + `/` + g + `+` + z + ` delete, then create again (replace)
  ` + g + `+` + z + ` create
  ` + y + `~` + z + ` update in place

  ` + r + `-` + z + ` ` + r + `tenant "cust-old"` + z + `
      # owned by own("tenant", "cust-*") at main.star:3:1

  ` + y + `~` + z + ` tenant "beta"
      ` + y + `~` + z + ` name: "Beta" -> "Beta Inc"
      ` + y + `~` + z + ` customAttributes.apiKey: (sensitive) -> (sensitive)

  ` + g + `+` + z + ` tenant "holding": name "Holding"

` + r + `-` + z + `/` + g + `+` + z + ` tenant "acme"
      # the parent changes from none (top level) to "holding", and the API sets a tenant's parent only when it creates the tenant; the delete also drops its users' membership and its SSO configuration
      ` + y + `~` + z + ` parent: "" -> "holding"

` + b + `Plan: 2 to add, 1 to change, 2 to delete.` + z + `
`
	p := mixedPlan()
	checkText(t, text(t, p, TextOptions{Color: true}), want)
	if plain := text(t, p, TextOptions{}); stripANSI(want) != plain {
		t.Errorf("colour changes the words:\n%s\nversus\n%s", stripANSI(want), plain)
	}
}

func stripANSI(s string) string {
	for _, c := range []string{"\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1m", "\x1b[0m"} {
		s = strings.ReplaceAll(s, c, "")
	}
	return s
}

func TestTextValues(t *testing.T) {
	long := map[string]any{}
	for i := range 30 {
		long[fmt.Sprintf("k%02d", i)] = i
	}
	tests := []struct {
		name string
		f    descope.FieldChange
		want string
	}{
		{
			name: "removed",
			f:    descope.FieldChange{Path: "customAttributes.tier", Before: "gold"},
			want: `      - customAttributes.tier: "gold"`,
		},
		{
			name: "nested secrets in a subtree",
			f: descope.FieldChange{Path: "contents.tasks.7", After: map[string]any{
				"name": "c", "args": map[string]any{"password": "hunter2", "apiKey": map[string]any{"value": "x"}},
			}},
			want: `      + contents.tasks.7: {"args":{"apiKey":"(sensitive)","password":"(sensitive)"},"name":"c"}`,
		},
		{
			name: "a long value is indented",
			f: descope.FieldChange{Path: "screens.login", After: map[string]any{
				"screenId": "login", "contents": map[string]any{"title": "Welcome back to the application, please sign in"},
			}},
			want: `      + screens.login: {
          "contents": {
            "title": "Welcome back to the application, please sign in"
          },
          "screenId": "login"
        }`,
		},
		{
			name: "a very long value is cut",
			f:    descope.FieldChange{Path: "contents", Before: "x", After: long},
			want: `      ~ contents: "x" -> {
          "k00": 0,
          "k01": 1,
          "k02": 2,
          "k03": 3,
          "k04": 4,
          "k05": 5,
          "k06": 6,
          "k07": 7,
          "k08": 8,
          "k09": 9,
          "k10": 10,
          "k11": 11,
          "k12": 12,
          "k13": 13,
          "k14": 14,
          "k15": 15,
          "k16": 16,
          "k17": 17,
          "k18": 18,
        … (12 more lines; the JSON plan has them all)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &descope.Plan{Changes: []*descope.Change{{
				ID: "flow:f", Kind: descope.KindFlow, Key: "f", Action: descope.ActionUpdate, Fields: []descope.FieldChange{tt.f},
			}}}
			got := text(t, p, TextOptions{})
			_, got, _ = strings.Cut(got, "  ~ flow \"f\"\n")
			got, _, _ = strings.Cut(got, "\n\nPlan:")
			checkText(t, got, tt.want)
		})
	}
}

func TestTextListsUnmanagedBeforeTheSummary(t *testing.T) {
	p := descope.Diff(
		&descope.State{Flows: []*descope.Flow{{ID: "sign-in"}, {ID: "sign-up"}}},
		&descope.State{Permissions: []*descope.Permission{{Name: "edit"}}},
	)
	checkText(t, text(t, p, TextOptions{ShowUnmanaged: true}), `Actions are marked with these symbols:
  + create

  + permission "edit"

2 live objects are not managed by this configuration:
  flow "sign-in" (preconfigured)
  flow "sign-up" (preconfigured)
A new Descope project starts with them (the built-in flows); they are left alone.

Plan: 1 to add, 0 to change, 0 to delete.
`)
}

// TestTextSummary shows the default, summarised text: creates on one line,
// flow and theme changes by part, and the hint that --full shows more.
func TestTextSummary(t *testing.T) {
	flow := func(tasks map[string]any, screens ...any) *descope.Flow {
		return &descope.Flow{ID: "onboard", Document: map[string]any{
			"contents": map[string]any{"tasks": tasks}, "screens": screens,
		}}
	}
	task := func(name string, kv ...any) map[string]any {
		m := map[string]any{"name": name}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name          string
		live, desired *descope.State
		want          string
	}{
		{
			name: "creates are one line each, with a few identifying fields",
			desired: &descope.State{
				Permissions: []*descope.Permission{{Name: "edit", Description: descope.Ptr("Can edit")}, {Name: "bare"}},
				Roles:       []*descope.Role{{Name: "editor", Permissions: &[]string{"edit"}, Description: descope.Ptr("Edits")}},
				Tenants: []*descope.Tenant{{
					ID: "acme", Name: "Acme", Domains: &[]string{"acme.com"}, Attributes: &map[string]any{"apiKey": "k"},
				}},
				Flows: []*descope.Flow{flow(map[string]any{"1": task("Welcome"), "2": task("Verify")}, map[string]any{"screenId": "s"})},
			},
			want: `Actions are marked with these symbols:
  + create

  + permission "bare"
  + permission "edit": description "Can edit"
  + tenant "acme": name "Acme", domains ["acme.com"], 1 more field
  + flow "onboard": 2 tasks, 1 screen
  + role "editor": permissions ["edit"], 1 more field

Creates and document changes are summarised; plan --full shows every field.
Plan: 5 to add, 0 to change, 0 to delete.
`,
		},
		{
			name: "a flow by task and screen, few changes shown, many counted",
			live: &descope.State{Flows: []*descope.Flow{flow(map[string]any{
				"1":   task("Welcome", "next", "2", "view", map[string]any{"x": 0.0}),
				"2":   task("Verify Code", "view", map[string]any{"x": 1.0, "y": 0.0}, "arguments", map[string]any{"a": 1.0}),
				"end": task("End"),
			}, map[string]any{"screenId": "S1", "title": "Hi"})}},
			desired: &descope.State{Flows: []*descope.Flow{flow(map[string]any{
				"1":        task("Welcome", "next", "3.verify", "view", map[string]any{"x": 0.0}),
				"2":        task("Verify", "view", map[string]any{"x": 2.0, "y": 1.0}, "arguments", map[string]any{"b": 1.0}, "type", "screen"),
				"3.verify": task("Verify Code / Email"),
			}, map[string]any{"screenId": "S1", "title": "Hello", "password": "hunter2"})}},
			want: `Actions are marked with these symbols:
  ~ update in place

  ~ flow "onboard"
      # tasks: 2 changed, 1 added, 1 removed; screens: 1 changed
      ~ task "Welcome" (1): next
          ~ next: "2" -> "3.verify"
      ~ task "Verify" (2): arguments (2), name, +type, view (2)
      + task "Verify Code / Email" (3.verify)
      - task "End" (end)
      ~ screen S1: +password, title
          + password: (sensitive)
          ~ title: "Hi" -> "Hello"
      # (3 unchanged fields hidden)

Creates and document changes are summarised; plan --full shows every field.
Plan: 0 to add, 1 to change, 0 to delete.
`,
		},
		{
			name:    "a document change without parts is shown field by field, without the hint",
			live:    &descope.State{Theme: &descope.Theme{Document: map[string]any{"componentsVersion": "1"}}},
			desired: &descope.State{Theme: &descope.Theme{Document: map[string]any{"componentsVersion": "2"}}},
			want: `Actions are marked with these symbols:
  ~ update in place

  ~ theme
      ~ componentsVersion: "1" -> "2"

Plan: 0 to add, 1 to change, 0 to delete.
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkText(t, text(t, descope.Diff(tt.live, tt.desired), TextOptions{}), tt.want)
		})
	}
}
