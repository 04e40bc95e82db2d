package mgmt_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// The client's tenant attribute calls against the emulator: a definition is
// made, read, used by a tenant, and deleted once no tenant uses it.
func TestTenantAttributesAgainstEmulator(t *testing.T) {
	srv := emulator.NewServer()
	defer srv.Close()
	c := emulatorClient(t, srv)
	ctx := context.Background()

	if a, err := c.LoadTenantAttribute(ctx, "plan"); err != nil || a != nil {
		t.Fatalf("load of an undefined attribute = %v, %v; want nil, nil", a, err)
	}
	tenant := &descope.Tenant{ID: "acme", Name: "Acme", Attributes: &map[string]any{"plan": "gold"}}
	if _, err := c.CreateTenant(ctx, mgmt.TenantFromModel(tenant)); err == nil || !strings.Contains(err.Error(), `"plan" is not defined`) {
		t.Fatalf("create with an undefined key: %v", err)
	}
	want := &mgmt.TenantAttribute{Name: "plan", DisplayName: "plan", Type: "singleselect", Options: []string{"gold"}, ViewPermissions: []string{}}
	if err := c.SetTenantAttribute(ctx, &mgmt.TenantAttribute{Name: "plan", Type: "singleselect", Options: []string{"gold"}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.LoadTenantAttribute(ctx, "plan")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("load = %+v, %v; want %+v", got, err, want)
	}
	if _, err := c.CreateTenant(ctx, mgmt.TenantFromModel(tenant)); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteTenantAttribute(ctx, "plan"); err == nil || !mgmt.IsBadRequest(err) {
		t.Errorf("delete of a definition in use: %v, want a 400", err)
	}
	if err := c.DeleteTenant(ctx, "acme", false); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteTenantAttribute(ctx, "plan"); err != nil {
		t.Fatal(err)
	}
	if a, err := c.LoadTenantAttribute(ctx, "plan"); err != nil || a != nil {
		t.Errorf("load after delete = %v, %v", a, err)
	}
	if err := c.DeleteTenantAttribute(ctx, "plan"); err != nil {
		t.Errorf("delete of a definition that does not exist: %v, want no error (\"no-op if absent\")", err)
	}
}

func TestTenantAttributeFromModel(t *testing.T) {
	live := &descope.TenantAttribute{Key: "tier", DisplayName: descope.Ptr("Tier"), Type: "singleselect",
		Options: &[]string{"gold"}, ViewPermissions: &[]string{"billing"}}
	tests := []struct {
		name       string
		want, live *descope.TenantAttribute
		out        mgmt.TenantAttribute
	}{
		{
			name: "create: the key is the display name, lists are empty",
			want: &descope.TenantAttribute{Key: "tier", Type: "string"},
			out:  mgmt.TenantAttribute{Name: "tier", DisplayName: "tier", Type: "string", Options: []string{}, ViewPermissions: []string{}},
		},
		{
			name: "update: unset fields keep the live values (POST overwrites)",
			want: &descope.TenantAttribute{Key: "tier", Type: "singleselect", Options: &[]string{"gold", "silver"}},
			live: live,
			out:  mgmt.TenantAttribute{Name: "tier", DisplayName: "Tier", Type: "singleselect", Options: []string{"gold", "silver"}, ViewPermissions: []string{"billing"}},
		},
		{
			name: "update: set fields win, an empty list clears",
			want: &descope.TenantAttribute{Key: "tier", DisplayName: descope.Ptr("Plan"), Type: "singleselect", ViewPermissions: &[]string{}},
			live: live,
			out:  mgmt.TenantAttribute{Name: "tier", DisplayName: "Plan", Type: "singleselect", Options: []string{"gold"}, ViewPermissions: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mgmt.TenantAttributeFromModel(tt.want, tt.live); !reflect.DeepEqual(*got, tt.out) {
				t.Errorf("got %+v, want %+v", *got, tt.out)
			}
		})
	}
}

// A read that reuses a Known state reads no definition again unless the
// kind is Fresh.
func TestReadStateKnownDefinitions(t *testing.T) {
	srv := emulator.NewServer()
	defer srv.Close()
	c := emulatorClient(t, srv)
	ctx := context.Background()
	if err := srv.Seed(&descope.State{
		TenantAttributes: []*descope.TenantAttribute{{Key: "tier", Type: "string"}, {Key: "spare", Type: "number"}},
		Tenants:          []*descope.Tenant{{ID: "acme", Name: "Acme", Attributes: &map[string]any{"tier": "gold"}}},
	}); err != nil {
		t.Fatal(err)
	}
	known, err := c.ReadState(ctx, mgmt.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(known.TenantAttributes) != 1 || known.TenantAttributes[0].Key != "tier" {
		t.Fatalf("read the definitions %v, want tier only (the key a tenant uses)", known.TenantAttributes)
	}
	count := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Path == "/v1/mgmt/tenant/attribute" {
				n++
			}
		}
		return n
	}
	srv.ResetRequests()
	again, err := c.ReadState(ctx, mgmt.ReadOptions{Known: known, Fresh: []descope.Kind{descope.KindTenant}})
	if err != nil || count() != 0 || len(again.TenantAttributes) != 1 {
		t.Errorf("reuse: %v, %d reads, %d definitions; want no read, the known definition", err, count(), len(again.TenantAttributes))
	}
	srv.ResetRequests()
	fresh, err := c.ReadState(ctx, mgmt.ReadOptions{Known: known, Fresh: []descope.Kind{descope.KindTenantAttribute}, TenantAttributes: []string{"spare"}})
	if err != nil || count() != 2 || len(fresh.TenantAttributes) != 2 {
		t.Errorf("fresh: %v, %d reads, %d definitions; want 2 and 2", err, count(), len(fresh.TenantAttributes))
	}
}
