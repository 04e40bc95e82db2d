package runtime

import (
	"context"
	"slices"
	"testing"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
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
			res, err := execute(ctx, target, first, executeOptions{Parallel: 4})
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

// Fields descope-run does not model survive an update (read, merge, write)
// and a replace (read before the delete, then create with them).
func TestApplyKeepsUnmodelledTenantFields(t *testing.T) {
	for _, tt := range []struct {
		name    string
		desired *descope.Tenant
	}{
		{"update", &descope.Tenant{ID: "acme", Name: "Acme", EnforceSSO: descope.Ptr(true)}},
		{"replace", &descope.Tenant{ID: "acme", Name: "Acme", Parent: descope.Ptr("group")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			target, _ := newEmulatorTarget(t)
			c := target.Client
			for _, tn := range []*mgmt.Tenant{
				{ID: "group", Name: "Group"},
				{ID: "acme", Name: "Acme", FederatedAppIDs: []string{"app1"}, RoleInheritance: "userOnly", EnforceSSOExclusions: []string{"U2admin"}},
			} {
				if _, err := c.CreateTenant(ctx, tn); err != nil {
					t.Fatal(err)
				}
			}
			s, err := c.TenantSettings(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			s.SSOSetupSuiteSettings = map[string]any{"enabled": true, "styleId": "corporate"}
			s.SessionTokenExpiration, s.SessionTokenExpirationUnit = 42, "minutes"
			if err := c.ConfigureTenantSettings(ctx, "acme", s); err != nil {
				t.Fatal(err)
			}
			desired := &descope.State{Tenants: []*descope.Tenant{{ID: "group", Name: "Group"}, tt.desired}}
			pl, err := MakePlan(ctx, target, desired)
			if err != nil {
				t.Fatal(err)
			}
			res, err := execute(ctx, target, pl, executeOptions{})
			if err != nil || res.Report.Err() != nil {
				t.Fatalf("apply: %v %v", err, res.Report.Err())
			}
			got, err := c.LoadTenant(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.FederatedAppIDs, []string{"app1"}) || got.RoleInheritance != "userOnly" || !slices.Equal(got.EnforceSSOExclusions, []string{"U2admin"}) {
				t.Errorf("after %s: federatedAppIds %q, roleInheritance %q, enforceSSOExclusions %q; want them kept",
					tt.name, got.FederatedAppIDs, got.RoleInheritance, got.EnforceSSOExclusions)
			}
			gs, err := c.TenantSettings(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if gs.SessionTokenExpiration != 42 || gs.SSOSetupSuiteSettings["styleId"] != "corporate" {
				t.Errorf("after %s: settings %+v; want the session expiration and the SSO setup suite kept", tt.name, gs)
			}
		})
	}
}

// applyAndConverge applies the plan of desired over live and checks the
// apply succeeded and the next plan is empty; it returns the target.
func applyAndConverge(t *testing.T, live, desired *descope.State) *Target {
	t.Helper()
	ctx := context.Background()
	target, emu := newEmulatorTarget(t)
	if err := emu.Seed(live); err != nil {
		t.Fatal(err)
	}
	pl, err := MakePlan(ctx, target, desired)
	if err != nil {
		t.Fatal(err)
	}
	res, err := execute(ctx, target, pl, executeOptions{Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Report.Err(); err != nil || len(res.Mismatches) > 0 {
		t.Fatalf("apply: %v %v", err, res.Mismatches)
	}
	again, err := MakePlan(ctx, target, desired)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range again.Plan.Changes {
		t.Errorf("after apply, the plan still has %s %s", c.Action, c.ID)
	}
	return target
}

// A tenant's replace deletes its roles; a declared one comes back with the
// live fields the config leaves unset.
func TestApplyTenantReplaceKeepsItsRolesFields(t *testing.T) {
	live := &descope.State{
		Permissions: []*descope.Permission{{Name: "p0"}},
		Tenants:     []*descope.Tenant{{ID: "group", Name: "Group"}, {ID: "x", Name: "X"}},
		Roles:       []*descope.Role{{Name: "editor", Tenant: "x", Description: descope.Ptr("Edits things"), Permissions: &[]string{"p0"}}},
	}
	desired := &descope.State{
		Tenants: []*descope.Tenant{{ID: "group", Name: "Group"}, {ID: "x", Name: "X", Parent: descope.Ptr("group")}},
		Roles:   []*descope.Role{{Name: "editor", Tenant: "x"}},
	}
	target := applyAndConverge(t, live, desired)
	roles, err := target.Client.LoadAllRoles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.TenantID == "x" && r.Name == "editor" {
			if r.Description != "Edits things" || !slices.Equal(r.PermissionNames, []string{"p0"}) {
				t.Errorf("role x/editor after the replace: %q %q; want its description and permissions kept", r.Description, r.PermissionNames)
			}
			return
		}
	}
	t.Error("role x/editor is gone")
}

// A new tenant's default role names its own role while a project role of
// that name is being deleted: the name means the tenant's role.
func TestApplyDefaultRoleOfNewTenantWhileProjectRoleGoes(t *testing.T) {
	live := &descope.State{Roles: []*descope.Role{{Name: "r", Description: descope.Ptr("")}}}
	desired := &descope.State{
		Tenants: []*descope.Tenant{{ID: "x", Name: "X", DefaultRoles: &[]string{"r"}}},
		Roles:   []*descope.Role{{Name: "r", Tenant: "x"}},
		Owns:    []*descope.Ownership{{Kind: descope.KindRole, Match: "*"}},
	}
	applyAndConverge(t, live, desired)
}

// A backup keeps the tenant fields descope-run does not manage, and a
// restore that creates the tenant again gives them back.
func TestBackupRestoreKeepsUnmanagedTenantFields(t *testing.T) {
	ctx := context.Background()
	target, _ := newEmulatorTarget(t)
	c := target.Client
	if _, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: "acme", Name: "Acme", FederatedAppIDs: []string{"app1"}, RoleInheritance: "none", EnforceSSOExclusions: []string{"U1"}}); err != nil {
		t.Fatal(err)
	}
	s, err := c.TenantSettings(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	s.SSOSetupSuiteSettings = map[string]any{"enabled": true}
	if err := c.ConfigureTenantSettings(ctx, "acme", s); err != nil {
		t.Fatal(err)
	}
	store, err := backup.NewDirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	entry, _, err := TakeBackup(ctx, target, store, backup.Metadata{Operation: backup.OperationManual}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteTenant(ctx, "acme", false); err != nil {
		t.Fatal(err)
	}
	b, _, err := store.Load(target.ProjectID, entry.ID)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := MakePlan(ctx, target, backup.RestoreState(b, []descope.Kind{descope.KindTenant}, false))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := execute(ctx, target, pl, executeOptions{}); err != nil || res.Report.Err() != nil {
		t.Fatalf("restore: %v %v", err, res.Report.Err())
	}
	got, err := c.LoadTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.FederatedAppIDs, []string{"app1"}) || got.RoleInheritance != "none" || !slices.Equal(got.EnforceSSOExclusions, []string{"U1"}) {
		t.Errorf("restored tenant: federatedAppIds %q, roleInheritance %q, enforceSSOExclusions %q", got.FederatedAppIDs, got.RoleInheritance, got.EnforceSSOExclusions)
	}
	gs, err := c.TenantSettings(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if gs.SSOSetupSuiteSettings["enabled"] != true {
		t.Errorf("restored settings: SSO setup suite %v, want it back", gs.SSOSetupSuiteSettings)
	}
}
