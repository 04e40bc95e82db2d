package descope

import (
	"slices"
	"testing"
)

// A tenant replace deletes the tenant's roles with it: the plan re-creates
// the declared ones after the replace and deletes the others explicitly.
func TestDiffTenantReplaceCascadesToItsRoles(t *testing.T) {
	live := &State{
		Tenants: []*Tenant{{ID: "a", Name: "A", Parent: Ptr("")}, {ID: "b", Name: "B", Parent: Ptr("")}},
		Roles: []*Role{
			{Name: "editor", Tenant: "a", Description: Ptr("live")},
			{Name: "same", Tenant: "a", Description: Ptr("same")},
			{Name: "stray", Tenant: "a", Description: Ptr("")},
			{Name: "other", Tenant: "b", Description: Ptr("")},
		},
	}
	desired := &State{
		Tenants: []*Tenant{{ID: "a", Name: "A", Parent: Ptr("b")}, {ID: "b", Name: "B"}},
		Roles: []*Role{
			{Name: "editor", Tenant: "a", Description: Ptr("new")},
			{Name: "same", Tenant: "a", Description: Ptr("same")},
		},
	}
	p := Diff(live, desired)
	type row struct {
		id     string
		action Action
	}
	var got []row
	for _, c := range p.Changes {
		got = append(got, row{c.ID, c.Action})
	}
	want := []row{
		{"role:a/stray", ActionDelete},
		{"tenant:a", ActionReplace},
		{"role:a/editor", ActionCreate},
		{"role:a/same", ActionCreate},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}
	for _, id := range []string{"role:a/editor", "role:a/same"} {
		if c := p.Change(id); !slices.Contains(c.Deps, "tenant:a") {
			t.Errorf("%s deps = %v, want it after tenant:a", id, c.Deps)
		}
	}
	if c := p.Change("tenant:a"); !slices.Contains(c.Deps, "role:a/stray") {
		t.Errorf("tenant:a deps = %v, want it after role:a/stray", c.Deps)
	}
	if got := p.Unmanaged[KindRole]; !slices.Equal(got, []string{"b/other"}) {
		t.Errorf("unmanaged roles = %v, want [b/other]", got)
	}
}
