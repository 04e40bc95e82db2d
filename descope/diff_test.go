package descope

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// describe renders a plan as lines a test can compare: one per change
// ("update tenant:acme"), then its fields, reason and deps indented.
func describe(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, string(c.Action)+" "+c.ID)
		for _, f := range c.Fields {
			out = append(out, "  "+fieldLine(f))
		}
		if c.UnchangedFields > 0 {
			out = append(out, fmt.Sprintf("  (%d unchanged)", c.UnchangedFields))
		}
		if c.Reason != "" {
			out = append(out, "  # "+c.Reason)
		}
		if len(c.Deps) > 0 {
			out = append(out, "  after "+strings.Join(c.Deps, ", "))
		}
	}
	for _, k := range Kinds {
		if ids := p.Unmanaged[k]; len(ids) > 0 {
			out = append(out, fmt.Sprintf("unmanaged %s: %s", k, strings.Join(ids, ", ")))
		}
	}
	return out
}

func fieldLine(f FieldChange) string {
	s := fmt.Sprintf("%s: %s -> %s", f.Path, jsonText(f.Before), jsonText(f.After))
	if f.Sensitive {
		s += " (sensitive)"
	}
	return s
}

func jsonText(v any) string {
	if v == nil {
		return "absent"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("!%v", err)
	}
	return string(b)
}

// planCase is a table row: the plan that Diff(live, desired) must describe.
type planCase struct {
	name          string
	live, desired *State
	want          []string
}

// runPlanCases checks each case's plan, and its steps (checkSteps).
func runPlanCases(t *testing.T, cases []planCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			checkSteps(t, checkPlan(t, tt.live, tt.desired, tt.want))
		})
	}
}

// checkSteps checks that the plan's steps come each after its Deps, that
// a change's Deps are the changes its steps wait for, and that a change
// without a replace among its Deps comes after them in the plan.
func checkSteps(t *testing.T, p *Plan) []Step {
	t.Helper()
	steps := p.Steps()
	pos := map[string]int{}
	waits := map[string][]string{}
	for i, s := range steps {
		for _, dep := range s.Deps {
			if at, ok := pos[dep]; !ok {
				t.Errorf("step %s runs before its dependency %s", s.ID, dep)
			} else if c := steps[at].Change; c != s.Change {
				waits[s.Change.ID] = append(waits[s.Change.ID], c.ID)
			}
		}
		pos[s.ID] = i
	}
	order := map[string]int{}
	for i, c := range p.Changes {
		order[c.ID] = i
	}
	for _, c := range p.Changes {
		want := slices.Compact(slices.Sorted(slices.Values(waits[c.ID])))
		if !slices.Equal(c.Deps, want) {
			t.Errorf("%s: Deps = %v, want the changes its steps wait for, %v", c.ID, c.Deps, want)
		}
		for _, dep := range c.Deps {
			if p.Change(dep).Action != ActionReplace && c.Action != ActionReplace && order[dep] >= order[c.ID] {
				t.Errorf("%s comes before its dependency %s", c.ID, dep)
			}
		}
	}
	return steps
}

func checkPlan(t *testing.T, live, desired *State, want []string) *Plan {
	t.Helper()
	p := Diff(live, desired)
	if got := describe(p); !slices.Equal(got, want) {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	return p
}

// doc parses a JSON document literal.
func doc(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test document: %v", err)
	}
	return m
}

func own(kind Kind, match string) *Ownership {
	return &Ownership{Kind: kind, Match: match, Origin: Origin{"main.star:2:4: in <toplevel>"}}
}

func TestDiffTenants(t *testing.T) {
	acme := func() *Tenant {
		return &Tenant{
			ID: "acme", Name: "Acme", Domains: &[]string{"acme.com", "acme.io"},
			Attributes: &map[string]any{"tier": "gold", "seats": float64(10)},
			EnforceSSO: Ptr(false), Disabled: Ptr(false), Parent: Ptr(""), DefaultRoles: &[]string{},
		}
	}
	tests := []struct {
		name    string
		live    []*Tenant
		desired []*Tenant
		want    []string
	}{
		{
			name:    "equal",
			live:    []*Tenant{acme()},
			desired: []*Tenant{{ID: "acme", Name: "Acme", Domains: &[]string{"acme.io", "acme.com", "acme.io"}}},
			want:    nil,
		},
		{
			name:    "unset fields are unmanaged",
			live:    []*Tenant{acme()},
			desired: []*Tenant{{ID: "acme"}},
			want:    nil,
		},
		{
			name:    "create shows every set field",
			desired: []*Tenant{{ID: "beta", Name: "Beta", Domains: &[]string{"b.com", "a.com"}, Attributes: &map[string]any{"tier": "free"}, Disabled: Ptr(false)}},
			want: []string{
				"create tenant:beta",
				`  name: absent -> "Beta"`,
				`  selfProvisioningDomains: absent -> ["a.com","b.com"]`,
				`  customAttributes.tier: absent -> "free"`,
				`  disabled: absent -> false`,
			},
		},
		{
			name:    "update name counts the unchanged",
			live:    []*Tenant{acme()},
			desired: []*Tenant{{ID: "acme", Name: "Acme Inc", Domains: &[]string{"acme.com", "acme.io"}, Disabled: Ptr(false)}},
			want:    []string{"update tenant:acme", `  name: "Acme" -> "Acme Inc"`, "  (2 unchanged)"},
		},
		{
			name:    "a set empty list clears",
			live:    []*Tenant{acme()},
			desired: []*Tenant{{ID: "acme", Domains: &[]string{}}},
			want:    []string{"update tenant:acme", `  selfProvisioningDomains: ["acme.com","acme.io"] -> []`},
		},
		{
			name:    "set-like lists ignore order and duplicates",
			live:    []*Tenant{{ID: "acme", Name: "Acme", DefaultRoles: &[]string{"b", "a"}}},
			desired: []*Tenant{{ID: "acme", DefaultRoles: &[]string{"a", "b", "a"}}},
			want:    nil,
		},
		{
			name:    "attributes are the whole map and numbers compare by value",
			live:    []*Tenant{acme()},
			desired: []*Tenant{{ID: "acme", Attributes: &map[string]any{"seats": int64(10), "region": "eu"}}},
			want: []string{
				"update tenant:acme",
				`  customAttributes.region: absent -> "eu"`,
				`  customAttributes.tier: "gold" -> absent`,
				"  (1 unchanged)",
			},
		},
		{
			name:    "an empty attribute map removes every key",
			live:    []*Tenant{acme()},
			desired: []*Tenant{{ID: "acme", Attributes: &map[string]any{}}},
			want:    []string{"update tenant:acme", `  customAttributes.seats: 10 -> absent`, `  customAttributes.tier: "gold" -> absent`},
		},
		{
			name:    "secret attributes are marked sensitive",
			live:    []*Tenant{{ID: "acme", Attributes: &map[string]any{"apiKey": "old"}}},
			desired: []*Tenant{{ID: "acme", Attributes: &map[string]any{"apiKey": "new"}}},
			want:    []string{"update tenant:acme", `  customAttributes.apiKey: "old" -> "new" (sensitive)`},
		},
		{
			name: "settings compare field by field",
			live: []*Tenant{{ID: "acme", Name: "Acme", Settings: &TenantSettings{
				SessionTokenExpiration: Ptr(int64(60)), SessionTokenExpirationUnit: Ptr("minutes"), Domains: &[]string{"sso.acme.com"},
			}}},
			desired: []*Tenant{{ID: "acme", Settings: &TenantSettings{
				SessionTokenExpiration: Ptr(int64(120)), SessionTokenExpirationUnit: Ptr("minutes"),
				Domains: &[]string{"sso.acme.com"}, JITDisabled: Ptr(false),
			}}},
			want: []string{"update tenant:acme", "  settings.sessionTokenExpiration: 60 -> 120", "  (3 unchanged)"},
		},
		{
			name:    "settings not read live compare as zero values",
			live:    []*Tenant{{ID: "acme", Name: "Acme"}},
			desired: []*Tenant{{ID: "acme", Settings: &TenantSettings{EnableInactivity: Ptr(false), InactivityTime: Ptr(int64(30))}}},
			want:    []string{"update tenant:acme", "  settings.inactivityTime: 0 -> 30", "  (1 unchanged)"},
		},
		{
			name:    "a new parent replaces the tenant",
			live:    []*Tenant{acme(), {ID: "holding", Name: "Holding", Parent: Ptr("")}},
			desired: []*Tenant{{ID: "acme", Parent: Ptr("holding")}, {ID: "holding"}},
			want: []string{
				"replace tenant:acme",
				`  parent: "" -> "holding"`,
				`  # the parent changes from none (top level) to "holding", and the API sets a tenant's parent only when it creates the tenant; the delete also drops its users' membership and its SSO configuration`,
			},
		},
		{
			name:    "an unset parent is left alone",
			live:    []*Tenant{{ID: "acme", Name: "Acme", Parent: Ptr("holding")}},
			desired: []*Tenant{{ID: "acme", Name: "Acme"}},
			want:    nil,
		},
		{
			name:    "a top-level parent matches a live parent left out",
			live:    []*Tenant{{ID: "acme", Name: "Acme"}},
			desired: []*Tenant{{ID: "acme", Parent: Ptr("")}},
			want:    nil,
		},
		{
			name:    "undeclared tenants are unmanaged without a claim",
			live:    []*Tenant{acme(), {ID: "zeta"}, {ID: "beta"}},
			desired: []*Tenant{{ID: "acme"}},
			want:    []string{"unmanaged tenant: beta, zeta"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkPlan(t, &State{Tenants: tt.live}, &State{Tenants: tt.desired}, tt.want)
		})
	}
}

func TestDiffDeletesOnlyOwned(t *testing.T) {
	live := &State{
		Tenants:     []*Tenant{{ID: "cust-a"}, {ID: "cust-b"}, {ID: "internal"}},
		Permissions: []*Permission{{Name: "edit"}, {Name: "User Admin", SystemDefault: true}, {Name: "SSO Admin"}, {Name: "legacy"}},
		Roles: []*Role{
			{Name: "Tenant Admin"}, {Name: "Viewer"}, {Name: "Editor", Tenant: "cust-a"},
			{Name: "Tenant Admin", Tenant: "internal"},
		},
		Flows: []*Flow{{ID: "sign-in"}, {ID: "sign-up-or-in"}, {ID: "old-flow"}, {ID: "kept", Document: map[string]any{}}},
	}
	desired := &State{
		Tenants:     []*Tenant{{ID: "cust-a"}},
		Permissions: []*Permission{{Name: "edit"}},
		Flows:       []*Flow{{ID: "kept", Document: map[string]any{}}},
		Owns: []*Ownership{
			own(KindTenant, "cust-*"), own(KindPermission, "*"), own(KindRole, "*"), own(KindFlow, "*"),
		},
	}
	const by = `  # owned by own(%q, %q) at main.star:2:4`
	checkPlan(t, live, desired, []string{
		"delete permission:legacy",
		fmt.Sprintf(by, "permission", "*"),
		"delete role:Viewer",
		fmt.Sprintf(by, "role", "*"),
		"delete role:cust-a/Editor",
		fmt.Sprintf(by, "role", "*"),
		"delete role:internal/Tenant Admin",
		fmt.Sprintf(by, "role", "*"),
		"delete tenant:cust-b",
		fmt.Sprintf(by, "tenant", "cust-*"),
		"delete flow:old-flow",
		fmt.Sprintf(by, "flow", "*"),
		"unmanaged permission: SSO Admin, User Admin",
		"unmanaged role: Tenant Admin",
		"unmanaged tenant: internal",
		"unmanaged flow: sign-in, sign-up-or-in",
	})
}

// TestDeleteReason checks that a delete names the claim that allows it: the
// own() of a config, or what made a claim no own() made.
func TestDeleteReason(t *testing.T) {
	tests := []struct {
		name  string
		claim *Ownership
		want  string
	}{
		{"own", own(KindTenant, "cust-*"), `owned by own("tenant", "cust-*") at main.star:2:4`},
		{"own without a position", &Ownership{Kind: KindTenant, Match: "*"}, `owned by own("tenant", "*")`},
		{"restore --prune", &Ownership{Kind: KindTenant, Match: "*", By: "not in the backup (--prune)"}, "not in the backup (--prune)"},
		{"p.delete", &Ownership{Kind: KindTenant, Match: "cust-old", By: "deleted by p.delete", Origin: Origin{"fix.star:3:9: in <toplevel>"}},
			"deleted by p.delete at fix.star:3:9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(&State{Tenants: []*Tenant{{ID: "cust-old", Name: "Old"}}}, &State{Owns: []*Ownership{tt.claim}})
			if len(p.Changes) != 1 || p.Changes[0].Action != ActionDelete {
				t.Fatalf("plan: %v, want one delete", describe(p))
			}
			if got := p.Changes[0].Reason; got != tt.want {
				t.Errorf("reason = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiffRolesAndPermissions(t *testing.T) {
	runPlanCases(t, []planCase{
		{
			name:    "permission create and update",
			live:    &State{Permissions: []*Permission{{Name: "read", Description: Ptr("Read")}}},
			desired: &State{Permissions: []*Permission{{Name: "read", Description: Ptr("Read all")}, {Name: "edit", Description: Ptr("Edit")}}},
			want: []string{
				"create permission:edit", `  description: absent -> "Edit"`,
				"update permission:read", `  description: "Read" -> "Read all"`,
			},
		},
		{
			name:    "role permissions compare as a set",
			live:    &State{Roles: []*Role{{Name: "Editor", Permissions: &[]string{"b", "a"}, Default: Ptr(false)}}},
			desired: &State{Roles: []*Role{{Name: "Editor", Permissions: &[]string{"a", "b"}, Default: Ptr(true)}}},
			want:    []string{"update role:Editor", "  default: false -> true", "  (1 unchanged)"},
		},
		{
			name:    "tenant role create",
			desired: &State{Roles: []*Role{{Name: "Editor", Tenant: "acme", Private: Ptr(true)}}},
			want:    []string{"create role:acme/Editor", "  private: absent -> true"},
		},
		{
			name: "an owned role in another scope is replaced",
			live: &State{Roles: []*Role{{Name: "Editor", Description: Ptr("edits")}}},
			desired: &State{
				Roles: []*Role{{Name: "Editor", Tenant: "acme", Description: Ptr("edits")}},
				Owns:  []*Ownership{own(KindRole, "*")},
			},
			want: []string{
				"replace role:acme/Editor",
				`  tenantId: "" -> "acme"`,
				"  (1 unchanged)",
				`  # the role moves from the project to tenant "acme", and the API cannot change a role's tenant; the old role is owned by own("role", "*") at main.star:2:4`,
			},
		},
		{
			name:    "without a claim the role is created and the old one left alone",
			live:    &State{Roles: []*Role{{Name: "Editor", Tenant: "beta"}}},
			desired: &State{Roles: []*Role{{Name: "Editor"}}},
			want:    []string{"create role:Editor", "unmanaged role: beta/Editor"},
		},
		{
			name:    "preconfigured role and permissions are never deleted",
			live:    &State{Roles: []*Role{{Name: "Tenant Admin"}}, Permissions: []*Permission{{Name: "Impersonate"}, {Name: "custom-default", SystemDefault: true}}},
			desired: &State{Owns: []*Ownership{own(KindRole, "*"), own(KindPermission, "*")}},
			want:    []string{"unmanaged permission: Impersonate, custom-default", "unmanaged role: Tenant Admin"},
		},
		{
			name:    "a claim of another kind does not delete",
			live:    &State{Roles: []*Role{{Name: "Viewer"}}},
			desired: &State{Owns: []*Ownership{own(KindPermission, "*"), own(KindRole, "Edit*")}},
			want:    []string{"unmanaged role: Viewer"},
		},
	})
}

func TestDiffFlowDocuments(t *testing.T) {
	const liveDoc = `{
		"flowId": "onboard",
		"metadata": {"name": "Onboard", "version": 7, "fingerprint": "abc", "translation": {"etag": "x", "enabled": true}},
		"contents": {"startTask": "1", "tasks": {
			"1": {"name": "start", "next": {"rules": [{"taskId": "3"}]}},
			"3": {"name": "call", "arguments": {"url": {"type": "inline", "value": "https://a.example"}}}}},
		"screens": [
			{"screenId": "welcome", "contents": {"title": "Hi"}},
			{"screenId": "login", "interactions": [{"id": "submit", "label": "Go"}], "contents": {"title": "Log in"}}
		],
		"references": {"roles": {}, "connectors": {}}
	}`
	tests := []struct {
		name    string
		desired string
		want    []string
	}{
		{
			name: "volatile fields, flowId and empty values are ignored",
			desired: `{
				"flowId": "other",
				"metadata": {"name": "Onboard", "version": 9, "description": "", "translation": {"enabled": true, "targetLanguages": []}},
				"contents": {"startTask": "1", "tasks": {
					"1": {"name": "start", "next": {"rules": [{"taskId": "3"}]}, "disabled": false},
					"3": {"name": "call", "arguments": {"url": {"type": "inline", "value": "https://a.example"}}}}},
				"screens": [
					{"screenId": "welcome", "contents": {"title": "Hi"}, "interactions": null},
					{"screenId": "login", "interactions": [{"id": "submit", "label": "Go"}], "contents": {"title": "Log in"}}
				]
			}`,
			want: nil,
		},
		{
			name: "a task argument and a screen matched by id",
			desired: `{
				"metadata": {"name": "Onboard", "translation": {"enabled": true}},
				"contents": {"startTask": "1", "tasks": {
					"1": {"name": "start", "next": {"rules": [{"taskId": "3"}]}},
					"3": {"name": "call", "arguments": {"url": {"type": "inline", "value": "https://b.example"}}}}},
				"screens": [
					{"screenId": "login", "interactions": [{"id": "submit", "label": "Continue"}], "contents": {"title": "Log in"}},
					{"screenId": "welcome", "contents": {"title": "Hello"}}
				]
			}`,
			want: []string{
				"update flow:onboard",
				`  contents.tasks.3.arguments.url.value: "https://a.example" -> "https://b.example"`,
				`  screens: ["welcome","login"] -> ["login","welcome"]`,
				`  screens.login.interactions.submit.label: "Go" -> "Continue"`,
				`  screens.welcome.contents.title: "Hi" -> "Hello"`,
				"  (11 unchanged)",
			},
		},
		{
			name: "added and removed subtrees are one field each",
			desired: `{
				"metadata": {"name": "Onboard", "translation": {"enabled": true}},
				"contents": {"startTask": "1", "tasks": {
					"1": {"name": "start", "next": {"rules": [{"taskId": "4"}]}},
					"4": {"name": "new"}}},
				"screens": [{"screenId": "welcome", "contents": {"title": "Hi"}}]
			}`,
			want: []string{
				"update flow:onboard",
				`  contents.tasks.1.next.rules.0.taskId: "3" -> "4"`,
				`  contents.tasks.3: {"arguments":{"url":{"type":"inline","value":"https://a.example"}},"name":"call"} -> absent`,
				`  contents.tasks.4: absent -> {"name":"new"}`,
				`  screens.login: {"contents":{"title":"Log in"},"interactions":[{"id":"submit","label":"Go"}],"screenId":"login"} -> absent`,
				"  (6 unchanged)",
			},
		},
		{
			name:    "secrets in documents are marked sensitive",
			desired: `{"metadata": {"name": "Onboard", "translation": {"enabled": true}}, "contents": {"clientSecret": "s3cr3t"}}`,
			want: []string{
				"update flow:onboard",
				`  contents.clientSecret: absent -> "s3cr3t" (sensitive)`,
				`  contents.startTask: "1" -> absent`,
				`  contents.tasks: {"1":{"name":"start","next":{"rules":[{"taskId":"3"}]}},"3":{"arguments":{"url":{"type":"inline","value":"https://a.example"}},"name":"call"}} -> absent`,
				`  screens: [{"contents":{"title":"Hi"},"screenId":"welcome"},{"contents":{"title":"Log in"},"interactions":[{"id":"submit","label":"Go"}],"screenId":"login"}] -> absent`,
				"  (2 unchanged)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := &State{Flows: []*Flow{{ID: "onboard", Name: "Onboard", Document: doc(t, liveDoc)}}}
			desired := &State{Flows: []*Flow{{ID: "onboard", Document: doc(t, tt.desired)}}}
			checkPlan(t, live, desired, tt.want)
		})
	}
}

func TestDiffFlowLifecycle(t *testing.T) {
	d := map[string]any{"contents": map[string]any{"startTask": "1"}, "metadata": map[string]any{"name": "X", "version": 3.0}}
	runPlanCases(t, []planCase{
		{
			name:    "create lists the document's top-level keys",
			desired: &State{Flows: []*Flow{{ID: "x", Document: d}}},
			want:    []string{"create flow:x", `  contents: absent -> {"startTask":"1"}`, `  metadata: absent -> {"name":"X"}`},
		},
		{
			name:    "a live flow that was not exported is written whole",
			live:    &State{Flows: []*Flow{{ID: "x", Name: "X"}}},
			desired: &State{Flows: []*Flow{{ID: "x", Document: d}}},
			want: []string{
				"update flow:x", `  contents: absent -> {"startTask":"1"}`, `  metadata: absent -> {"name":"X"}`,
				"  # the live flow was listed but not exported, so its whole document is written",
			},
		},
		{
			name:    "built-in flows are never deleted",
			live:    &State{Flows: []*Flow{{ID: "sign-up"}, {ID: "step-up"}, {ID: "x"}}},
			desired: &State{Owns: []*Ownership{own(KindFlow, "*")}},
			want:    []string{"delete flow:x", `  # owned by own("flow", "*") at main.star:2:4`, "unmanaged flow: sign-up, step-up"},
		},
	})
}

func TestDiffThemeAndProject(t *testing.T) {
	styles := func(color string) map[string]any {
		return map[string]any{"styles": map[string]any{"light": map[string]any{"primary": color}}, "version": 2.0}
	}
	runPlanCases(t, []planCase{
		{
			name:    "theme update",
			live:    &State{Theme: &Theme{Document: styles("#000")}},
			desired: &State{Theme: &Theme{Document: styles("#fff")}},
			want:    []string{"update theme", `  styles.light.primary: "#000" -> "#fff"`},
		},
		{
			name:    "equal theme",
			live:    &State{Theme: &Theme{Document: styles("#000")}},
			desired: &State{Theme: &Theme{Document: styles("#000")}},
		},
		{
			name:    "theme without a live one",
			desired: &State{Theme: &Theme{Document: styles("#000")}},
			want:    []string{"create theme", `  styles: absent -> {"light":{"primary":"#000"}}`},
		},
		{
			name: "undeclared theme is unmanaged",
			live: &State{Theme: &Theme{Document: styles("#000")}},
			want: []string{"unmanaged theme: theme"},
		},
		{
			name:    "project name and tags",
			live:    &State{Project: &Project{ID: "P1", Name: Ptr("dev"), Tags: &[]string{"b", "a"}}},
			desired: &State{Project: &Project{ID: "P1", Name: Ptr("prod"), Tags: &[]string{"a", "b"}}},
			want:    []string{"update project", `  name: "dev" -> "prod"`, "  (1 unchanged)"},
		},
		{
			name:    "a project that only pins the id changes nothing",
			live:    &State{Project: &Project{ID: "P1", Name: Ptr("dev")}},
			desired: &State{Project: &Project{ID: "P1"}},
		},
	})
}

func TestDiffOrderAndDeps(t *testing.T) {
	runPlanCases(t, []planCase{
		{
			name: "creates: permissions, roles, tenants, children, tenant roles, flows",
			desired: &State{
				Permissions: []*Permission{{Name: "edit"}},
				Roles:       []*Role{{Name: "Editor", Permissions: &[]string{"edit", "Impersonate"}}, {Name: "Local", Tenant: "acme-eu"}},
				Tenants: []*Tenant{
					{ID: "acme-eu", Parent: Ptr("acme")},
					{ID: "acme", DefaultRoles: &[]string{"Editor"}},
				},
				Flows: []*Flow{{ID: "f", Document: map[string]any{"references": map[string]any{"roles": map[string]any{"Editor": "ROL1"}}}}},
			},
			want: []string{
				"create permission:edit",
				"create role:Editor",
				`  permissionNames: absent -> ["Impersonate","edit"]`,
				"  after permission:edit",
				"create tenant:acme",
				`  defaultRoles: absent -> ["Editor"]`,
				"  after role:Editor",
				"create flow:f",
				`  references: absent -> {"roles":{"Editor":"ROL1"}}`,
				"  after role:Editor",
				"create tenant:acme-eu",
				`  parent: absent -> "acme"`,
				"  after tenant:acme",
				"create role:acme-eu/Local",
				"  after tenant:acme-eu",
			},
		},
		{
			name: "deletes: children and tenant roles before parents, users before what they use",
			live: &State{
				Permissions: []*Permission{{Name: "old"}},
				Roles: []*Role{
					{Name: "Legacy", Permissions: &[]string{"old"}},
					{Name: "Keeper", Permissions: &[]string{"old", "x"}},
					{Name: "Local", Tenant: "acme-eu"},
				},
				Tenants: []*Tenant{
					{ID: "acme", Parent: Ptr("")},
					{ID: "acme-eu", Parent: Ptr("acme")},
					{ID: "keep", DefaultRoles: &[]string{"Legacy"}},
				},
				Flows: []*Flow{{ID: "f", Document: map[string]any{"references": map[string]any{"roles": []any{"Legacy"}}}}},
			},
			desired: &State{
				Roles:   []*Role{{Name: "Keeper", Permissions: &[]string{"x"}}},
				Tenants: []*Tenant{{ID: "keep", DefaultRoles: &[]string{}}},
				Flows:   []*Flow{{ID: "f", Document: map[string]any{}}},
				Owns:    []*Ownership{own(KindTenant, "acme*"), own(KindRole, "*"), own(KindPermission, "*")},
			},
			want: []string{
				"update role:Keeper",
				`  permissionNames: ["old","x"] -> ["x"]`,
				"delete role:acme-eu/Local",
				`  # owned by own("role", "*") at main.star:2:4`,
				"update tenant:keep",
				`  defaultRoles: ["Legacy"] -> []`,
				"update flow:f",
				`  references: {"roles":["Legacy"]} -> absent`,
				"delete role:Legacy",
				`  # owned by own("role", "*") at main.star:2:4`,
				"  after flow:f, tenant:keep",
				"delete tenant:acme-eu",
				`  # owned by own("tenant", "acme*") at main.star:2:4`,
				"  after role:acme-eu/Local",
				"delete permission:old",
				`  # owned by own("permission", "*") at main.star:2:4`,
				"  after role:Keeper, role:Legacy",
				"delete tenant:acme",
				`  # owned by own("tenant", "acme*") at main.star:2:4`,
				"  after tenant:acme-eu",
			},
		},
	})
}

func TestDiffTenantDeleteNamesTheSubTenantsThatStay(t *testing.T) {
	runPlanCases(t, []planCase{{
		name: "an owned parent with an unowned child",
		live: &State{Tenants: []*Tenant{
			{ID: "cust-a", Parent: Ptr("")}, {ID: "b", Parent: Ptr("cust-a")}, {ID: "a", Parent: Ptr("cust-a")},
		}},
		desired: &State{Owns: []*Ownership{own(KindTenant, "cust-*")}},
		want: []string{
			"delete tenant:cust-a",
			`  # owned by own("tenant", "cust-*") at main.star:2:4; its sub-tenants "a", "b" are not deleted first`,
			"unmanaged tenant: a, b",
		},
	}})
}

func TestDiffIsDeterministicAndPure(t *testing.T) {
	mk := func(reverse bool) (*State, *State) {
		live := &State{
			Tenants:     []*Tenant{{ID: "a", Name: "A"}, {ID: "b", Name: "B", Parent: Ptr("a")}, {ID: "c", Name: "C"}, {ID: "old"}},
			Roles:       []*Role{{Name: "r1"}, {Name: "r2", Tenant: "a"}},
			Permissions: []*Permission{{Name: "p1"}, {Name: "p2"}},
			Flows:       []*Flow{{ID: "f1", Document: map[string]any{"contents": map[string]any{"a": 1.0, "b": 2.0}}}},
		}
		desired := &State{
			Tenants:     []*Tenant{{ID: "a", Name: "A2"}, {ID: "b", Name: "B2"}, {ID: "d", Name: "D", Parent: Ptr("a")}, {ID: "e", Name: "E"}},
			Roles:       []*Role{{Name: "r3", Permissions: &[]string{"p3"}}, {Name: "r1", Description: Ptr("x")}},
			Permissions: []*Permission{{Name: "p3"}, {Name: "p1", Description: Ptr("y")}},
			Flows:       []*Flow{{ID: "f1", Document: map[string]any{"contents": map[string]any{"a": int64(2), "c": "x"}}}},
			Owns:        []*Ownership{own(KindTenant, "*"), own(KindPermission, "*")},
		}
		if reverse {
			slices.Reverse(live.Tenants)
			slices.Reverse(live.Roles)
			slices.Reverse(live.Permissions)
			slices.Reverse(desired.Tenants)
			slices.Reverse(desired.Roles)
			slices.Reverse(desired.Permissions)
		}
		return live, desired
	}
	live, desired := mk(false)
	before, _ := json.Marshal([]*State{live, desired})
	first := describe(Diff(live, desired))
	after, _ := json.Marshal([]*State{live, desired})
	if string(before) != string(after) {
		t.Errorf("Diff modified its inputs:\n%s\n%s", before, after)
	}
	for range 20 {
		if got := describe(Diff(mk(false))); !slices.Equal(got, first) {
			t.Fatalf("same input, different plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(first, "\n"))
		}
		if got := describe(Diff(mk(true))); !slices.Equal(got, first) {
			t.Fatalf("reordered input, different plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(first, "\n"))
		}
	}
}

func TestPlanSummary(t *testing.T) {
	p := &Plan{Changes: []*Change{
		{Action: ActionCreate}, {Action: ActionCreate}, {Action: ActionUpdate},
		{Action: ActionDelete}, {Action: ActionReplace},
	}, Unmanaged: map[Kind][]string{KindTenant: {"a", "b"}, KindFlow: {"c"}}}
	add, change, destroy := p.Summary()
	if add != 3 || change != 1 || destroy != 2 {
		t.Errorf("Summary() = %d, %d, %d, want 3, 1, 2", add, change, destroy)
	}
	if got := p.Deletes(); got != 2 {
		t.Errorf("Deletes() = %d, want 2", got)
	}
	if p.Empty() || !(&Plan{}).Empty() {
		t.Errorf("Empty() is wrong")
	}
	if got := p.UnmanagedCount(); got != 3 {
		t.Errorf("UnmanagedCount() = %d, want 3", got)
	}
	if empty := Diff(nil, nil); !empty.Empty() || empty.Unmanaged == nil {
		t.Errorf("Diff(nil, nil) = %+v, want an empty plan", empty)
	}
}

func TestIsSensitiveKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"secret", true}, {"clientSecret", true}, {"client_secret", true}, {"password", true},
		{"token", true}, {"bearerToken", true}, {"apiKey", true}, {"API-KEY", true}, {"privateKey", true},
		{"credentials", true}, {"sessionTokenExpiration", false}, {"tokenType", false},
		{"name", false}, {"key", false}, {"id", false}, {"secretName", false},
	}
	for _, tt := range tests {
		if got := IsSensitiveKey(tt.key); got != tt.want {
			t.Errorf("IsSensitiveKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestNormalizeDocument(t *testing.T) {
	in := doc(t, `{
		"flowId": "x", "version": 3, "etag": "e",
		"metadata": {"name": "n", "fingerprint": "f", "modifiedTime": "1", "nested": {"version": 1, "keep": 0}},
		"contents": {"version": "user data", "empty": {"a": [], "b": null, "c": "", "d": false}, "list": [null, {}, 0]}
	}`)
	got, _ := json.Marshal(NormalizeDocument(in))
	want := `{"contents":{"list":[null,{},0],"version":"user data"},"metadata":{"name":"n","nested":{"keep":0}}}`
	if string(got) != want {
		t.Errorf("NormalizeDocument:\n got %s\nwant %s", got, want)
	}
	if _, ok := in["flowId"]; !ok {
		t.Errorf("NormalizeDocument modified its input")
	}
}

// stepLines describes steps as "id after dep, dep".
func stepLines(steps []Step) []string {
	var out []string
	for _, s := range steps {
		line := s.ID
		if len(s.Deps) > 0 {
			line += " after " + strings.Join(s.Deps, ", ")
		}
		out = append(out, line)
	}
	return out
}

// A replace runs as a delete step and a create step, each with its own
// Deps, so that replaces that depend on each other both ways still have an
// order.
func TestDiffReplaceSteps(t *testing.T) {
	tests := []struct {
		name          string
		live, desired *State
		want          []string
	}{{
		// Live t3 is under x1, which is under t2; the config puts t2 under
		// x1 and t3 under t2. As whole changes, the three replaces wait for
		// each other in a circle.
		name: "tenants swap parent and child",
		live: &State{Tenants: []*Tenant{
			{ID: "t2", Name: "T2", Parent: Ptr("")}, {ID: "x1", Name: "X1", Parent: Ptr("t2")}, {ID: "t3", Name: "T3", Parent: Ptr("x1")},
		}},
		desired: &State{Tenants: []*Tenant{
			{ID: "x1", Name: "X1", Parent: Ptr("")}, {ID: "t2", Name: "T2", Parent: Ptr("x1")}, {ID: "t3", Name: "T3", Parent: Ptr("t2")},
		}},
		want: []string{
			"tenant:t3#delete",
			"tenant:x1#delete after tenant:t3#delete",
			"tenant:x1 after tenant:x1#delete",
			"tenant:t2#delete after tenant:x1#delete",
			"tenant:t2 after tenant:t2#delete, tenant:x1",
			"tenant:t3 after tenant:t2, tenant:t3#delete",
		},
	}, {
		// A role moves from x1, which is deleted, to t2, which is replaced
		// and was x1's parent: the role's delete goes before x1's, which
		// goes before t2's; its create after t2's.
		name: "a role moves out of a deleted tenant into a replaced one",
		live: &State{
			Tenants: []*Tenant{{ID: "t2", Name: "T2", Parent: Ptr("")}, {ID: "x1", Name: "X1", Parent: Ptr("t2")}},
			Roles:   []*Role{{Name: "tr1", Tenant: "x1"}},
		},
		desired: &State{
			Tenants: []*Tenant{{ID: "x0", Name: "X0"}, {ID: "t2", Name: "T2", Parent: Ptr("x0")}},
			Roles:   []*Role{{Name: "tr1", Tenant: "t2"}},
			Owns:    []*Ownership{own(KindTenant, "*"), own(KindRole, "*")},
		},
		want: []string{
			"tenant:x0",
			"role:t2/tr1#delete",
			"tenant:x1 after role:t2/tr1#delete",
			"tenant:t2#delete after tenant:x1",
			"tenant:t2 after tenant:t2#delete, tenant:x0",
			"role:t2/tr1 after role:t2/tr1#delete, tenant:t2",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(tt.live, tt.desired)
			for _, c := range p.Changes {
				if strings.Contains(c.Reason, "not deleted first") {
					t.Errorf("%s: %s", c.ID, c.Reason)
				}
			}
			if got := stepLines(checkSteps(t, p)); !slices.Equal(got, tt.want) {
				t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
