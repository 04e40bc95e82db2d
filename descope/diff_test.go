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
				`  # the parent changes from none (top level) to "holding", and the API sets a tenant's parent only when it creates the tenant`,
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
