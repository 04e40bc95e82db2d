package runtime

import (
	"context"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// A tenant whose default roles name its own tenant role: the state a
// restore puts back. The role can only be created after the tenant, so the
// default roles are set after both, whether the tenant is created or only
// updated.
func TestApplyDefaultRolesNamingTheTenantsOwnRole(t *testing.T) {
	desired := &descope.State{
		Tenants: []*descope.Tenant{{ID: "acme", Name: "Acme", DefaultRoles: &[]string{"Regional Admin", "Tenant Admin"}}},
		Roles:   []*descope.Role{{Name: "Regional Admin", Tenant: "acme", Description: descope.Ptr("")}},
	}
	tests := []struct {
		name string
		live *descope.State
	}{
		{"tenant created", &descope.State{}},
		{"tenant updated", &descope.State{Tenants: []*descope.Tenant{{ID: "acme", Name: "Acme"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			target, emu := newEmulatorTarget(t)
			if err := emu.Seed(tt.live); err != nil {
				t.Fatal(err)
			}
			first, err := MakePlan(ctx, target, desired)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Apply(ctx, target, first, ApplyOptions{Parallel: 4})
			if err != nil {
				t.Fatal(err)
			}
			if err := res.Report.Err(); err != nil {
				t.Fatalf("apply: %v", err)
			}
			if len(res.Mismatches) > 0 {
				t.Fatalf("mismatches: %v", res.Mismatches)
			}
			again, err := MakePlan(ctx, target, desired)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range again.Plan.Changes {
				t.Errorf("after apply, the plan still has %s %s %v", c.Action, c.ID, c.Fields)
			}
		})
	}
}
