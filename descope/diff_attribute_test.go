package descope

import (
	"slices"
	"testing"
)

func TestDiffTenantAttributes(t *testing.T) {
	tier := func() *TenantAttribute {
		return &TenantAttribute{Key: "tier", DisplayName: Ptr("Tier"), Type: "singleselect",
			Options: &[]string{"gold", "silver"}, ViewPermissions: &[]string{}}
	}
	runPlanCases(t, []planCase{
		{
			name: "create: before the tenants that set the key, after the permissions it names",
			desired: &State{
				Permissions:      []*Permission{{Name: "billing"}},
				TenantAttributes: []*TenantAttribute{{Key: "tier", Type: "singleselect", Options: &[]string{"silver", "gold"}, ViewPermissions: &[]string{"billing"}}},
				Tenants:          []*Tenant{{ID: "acme", Name: "Acme", Attributes: &map[string]any{"tier": "gold"}}},
			},
			want: []string{
				"create permission:billing",
				"create tenant_attribute:tier",
				`  type: absent -> "singleselect"`,
				`  options: absent -> ["gold","silver"]`,
				`  viewPermissions: absent -> ["billing"]`,
				"  after permission:billing",
				"create tenant:acme",
				`  name: absent -> "Acme"`,
				`  customAttributes.tier: absent -> "gold"`,
				"  after tenant_attribute:tier",
			},
		},
		{
			name:    "unset fields are unmanaged; options compare as a set",
			live:    &State{TenantAttributes: []*TenantAttribute{tier()}},
			desired: &State{TenantAttributes: []*TenantAttribute{{Key: "tier", Type: "singleselect", Options: &[]string{"silver", "gold", "gold"}}}},
			want:    nil,
		},
		{
			name:    "update in place: display name, options, view permissions",
			live:    &State{TenantAttributes: []*TenantAttribute{tier()}},
			desired: &State{TenantAttributes: []*TenantAttribute{{Key: "tier", DisplayName: Ptr("Plan tier"), Type: "singleselect", Options: &[]string{"gold"}, ViewPermissions: &[]string{"SSO Admin"}}}},
			want: []string{
				"update tenant_attribute:tier",
				`  displayName: "Tier" -> "Plan tier"`,
				`  options: ["gold","silver"] -> ["gold"]`,
				`  viewPermissions: [] -> ["SSO Admin"]`,
				"  (1 unchanged)",
			},
		},
		{
			name:    "a new type replaces",
			live:    &State{TenantAttributes: []*TenantAttribute{tier()}},
			desired: &State{TenantAttributes: []*TenantAttribute{{Key: "tier", Type: "string"}}},
			want: []string{
				"replace tenant_attribute:tier",
				`  type: "singleselect" -> "string"`,
				`  # the type changes from "singleselect" to "string", and the API cannot change a definition's type: it is deleted and created again, which drops every tenant's value of "tier"`,
			},
		},
		{
			name: "delete under own(): after the tenants that stop using the key",
			live: &State{
				TenantAttributes: []*TenantAttribute{tier(), {Key: "region", Type: "string"}},
				Tenants: []*Tenant{
					{ID: "acme", Name: "Acme", Attributes: &map[string]any{"tier": "gold", "region": "eu"}},
					{ID: "old", Name: "Old", Attributes: &map[string]any{"tier": "silver"}},
				},
			},
			desired: &State{
				Tenants: []*Tenant{{ID: "acme", Attributes: &map[string]any{"region": "eu"}}},
				Owns:    []*Ownership{own(KindTenantAttribute, "t*"), own(KindTenant, "old")},
			},
			want: []string{
				"update tenant:acme",
				`  customAttributes.tier: "gold" -> absent`,
				"  (1 unchanged)",
				"delete tenant:old",
				`  # owned by own("tenant", "old") at main.star:2:4`,
				"delete tenant_attribute:tier",
				`  # owned by own("tenant_attribute", "t*") at main.star:2:4`,
				"  after tenant:acme, tenant:old",
				"unmanaged tenant_attribute: region",
			},
		},
		{
			name: "a replaced tenant that keeps its live attributes waits for their definitions' creates",
			live: &State{
				Tenants: []*Tenant{{ID: "p", Parent: Ptr("")}, {ID: "acme", Parent: Ptr(""), Attributes: &map[string]any{"tier": "gold"}}},
			},
			desired: &State{
				TenantAttributes: []*TenantAttribute{{Key: "tier", Type: "string"}},
				Tenants:          []*Tenant{{ID: "acme", Parent: Ptr("p")}},
			},
			want: []string{
				"create tenant_attribute:tier",
				`  type: absent -> "string"`,
				"replace tenant:acme",
				`  parent: "" -> "p"`,
				`  # the parent changes from none (top level) to "p", and the API sets a tenant's parent only when it creates the tenant; the delete also drops its users' membership and its SSO configuration`,
				"  after tenant_attribute:tier",
				"unmanaged tenant: p",
			},
		},
	})
}

func TestStateAttributeKeysAndCount(t *testing.T) {
	s := &State{
		Tenants: []*Tenant{
			{ID: "b", Attributes: &map[string]any{"tier": 1, "region": "eu"}},
			{ID: "a", Attributes: &map[string]any{"tier": 2}},
			{ID: "c"},
		},
		TenantAttributes: []*TenantAttribute{{Key: "tier"}, {Key: "region", Options: &[]string{"b", "a", "a"}}},
	}
	if got, want := s.AttributeKeys(), []string{"region", "tier"}; !slices.Equal(got, want) {
		t.Errorf("AttributeKeys = %v, want %v", got, want)
	}
	s.Normalize()
	if s.TenantAttributes[0].Key != "region" || !slices.Equal(*s.TenantAttributes[0].Options, []string{"a", "b"}) {
		t.Errorf("Normalize: definitions %v, options %v", s.TenantAttributes[0].Key, *s.TenantAttributes[0].Options)
	}
	if s.TenantAttribute("tier") == nil || s.TenantAttribute("nope") != nil {
		t.Error("TenantAttribute finds by key")
	}
	if got := s.Count()[KindTenantAttribute]; got != 2 {
		t.Errorf("Count = %d, want 2", got)
	}
	if _, ok := (&State{}).Count()[KindTenantAttribute]; ok {
		t.Error("Count of a state without definitions has a tenant_attribute entry")
	}
}
