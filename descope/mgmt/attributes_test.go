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
}
