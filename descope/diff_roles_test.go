package descope

import (
	"reflect"
	"slices"
	"testing"
)

// A new tenant whose default roles name a role of its own gets them in a
// step of its own, after that role's create: Steps is the whole execution.
func TestStepsSetOwnDefaultRolesLater(t *testing.T) {
	tests := []struct {
		name          string
		live, desired *State
		want          *TenantDefaultRoles
		wantStep      []string // the default-roles step's Deps, nil for none
	}{{
		name: "own role named",
		live: &State{},
		desired: &State{
			Tenants: []*Tenant{{ID: "acme", Name: "Acme", DefaultRoles: &[]string{"Editor", "Tenant Admin"}}},
			Roles:   []*Role{{Name: "Editor", Tenant: "acme"}},
		},
		want:     &TenantDefaultRoles{OnCreate: []string{"Tenant Admin"}, Later: []string{"Tenant Admin", "Editor"}, Waits: []string{"role:acme/Editor"}},
		wantStep: []string{"role:acme/Editor", "tenant:acme"},
	}, {
		name:    "project roles only",
		live:    &State{Roles: []*Role{{Name: "Viewer"}}},
		desired: &State{Tenants: []*Tenant{{ID: "acme", Name: "Acme", DefaultRoles: &[]string{"Viewer"}}}},
		want:    &TenantDefaultRoles{OnCreate: []string{"Viewer"}},
	}, {
		name: "a replace carries its live default roles over",
		live: &State{
			Tenants: []*Tenant{{ID: "acme", Name: "Acme", Parent: Ptr(""), DefaultRoles: &[]string{"Viewer", "Editor"}}, {ID: "group", Name: "Group", Parent: Ptr("")}},
			Roles:   []*Role{{Name: "Viewer"}, {Name: "Editor", Tenant: "acme"}},
		},
		desired: &State{
			Tenants: []*Tenant{{ID: "acme", Name: "Acme", Parent: Ptr("group")}, {ID: "group", Name: "Group"}},
			Roles:   []*Role{{Name: "Editor", Tenant: "acme"}},
		},
		want:     &TenantDefaultRoles{OnCreate: []string{"Viewer"}, Later: []string{"Viewer", "Editor"}, Waits: []string{"role:acme/Editor"}},
		wantStep: []string{"role:acme/Editor", "tenant:acme"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(tt.live, tt.desired)
			c := p.Change("tenant:acme")
			if c == nil {
				t.Fatalf("no change of tenant:acme in %+v", p.Changes)
			}
			if !reflect.DeepEqual(c.DefaultRoles, tt.want) {
				t.Errorf("DefaultRoles = %+v, want %+v", c.DefaultRoles, tt.want)
			}
			var step *Step
			steps := p.Steps()
			for i, s := range steps {
				if s.DefaultRoles {
					if step != nil {
						t.Fatalf("two default-roles steps")
					}
					step = &steps[i]
					for _, dep := range s.Deps {
						if j := slices.IndexFunc(steps, func(s Step) bool { return s.ID == dep }); j < 0 || j > i {
							t.Errorf("step %s comes before its dependency %s", s.ID, dep)
						}
					}
				}
			}
			switch {
			case tt.wantStep == nil && step != nil:
				t.Errorf("a default-roles step %+v, want none", step)
			case tt.wantStep != nil && (step == nil || step.ID != DefaultRolesStepID("tenant:acme") || !reflect.DeepEqual(step.Deps, tt.wantStep)):
				t.Errorf("default-roles step %+v, want Deps %q", step, tt.wantStep)
			}
		})
	}
}
