package mgmt_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// TestIntegrationRealDescope runs the client against a real Descope project
// when DESCOPE_TEST_PROJECT_ID and DESCOPE_TEST_MANAGEMENT_KEY are set (and
// DESCOPE_TEST_BASE_URL, optionally); it skips otherwise. It creates a tenant
// and a role with a unique id, reads, updates and deletes them, and reads
// the rest of the project without changing it. Use a test project.
func TestIntegrationRealDescope(t *testing.T) {
	projectID, key := os.Getenv("DESCOPE_TEST_PROJECT_ID"), os.Getenv("DESCOPE_TEST_MANAGEMENT_KEY")
	if projectID == "" || key == "" {
		t.Skip("set DESCOPE_TEST_PROJECT_ID and DESCOPE_TEST_MANAGEMENT_KEY to run against real Descope")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := mgmt.New(mgmt.Config{
		ProjectID: projectID, ManagementKey: key, BaseURL: os.Getenv("DESCOPE_TEST_BASE_URL"),
		Pacer: mgmt.NewPacer(mgmt.Rate{N: 50, Per: time.Minute}, 10),
	})
	if err != nil {
		t.Fatal(err)
	}

	// Reads that every plan makes.
	if _, err := c.License(ctx); err != nil {
		t.Errorf("License: %v", err)
	}
	if _, err := c.LoadAllTenants(ctx); err != nil {
		t.Errorf("LoadAllTenants: %v", err)
	}
	if _, err := c.LoadAllRoles(ctx); err != nil {
		t.Errorf("LoadAllRoles: %v", err)
	}
	if _, err := c.LoadAllPermissions(ctx); err != nil {
		t.Errorf("LoadAllPermissions: %v", err)
	}
	if _, err := c.ListFlows(ctx); err != nil {
		t.Errorf("ListFlows: %v", err)
	}
	if _, err := c.ExportTheme(ctx); err != nil {
		t.Errorf("ExportTheme: %v", err)
	}

	// A tenant's life.
	id := fmt.Sprintf("descope-run-it-%d", time.Now().UnixNano())
	if _, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: id, Name: id, SelfProvisioningDomains: []string{}}); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	t.Cleanup(func() {
		if err := c.DeleteTenant(context.Background(), id, false); err != nil && !mgmt.IsNotFound(err) {
			t.Errorf("cleanup: DeleteTenant %s: %v (delete it by hand)", id, err)
		}
	})
	got, err := c.LoadTenant(ctx, id)
	if err != nil {
		t.Fatalf("LoadTenant: %v", err)
	}
	if got.ID != id || got.Name != id {
		t.Errorf("LoadTenant = %+v, want id and name %s", got, id)
	}
	got.Name = id + "-renamed"
	if err := c.UpdateTenant(ctx, got); err != nil {
		t.Errorf("UpdateTenant: %v", err)
	}
	if _, err := c.TenantSettings(ctx, id); err != nil {
		t.Errorf("TenantSettings: %v", err)
	}

	// A tenant role's life.
	role := &mgmt.Role{Name: "descope-run-it", TenantID: id, Description: "integration test"}
	if err := c.CreateRole(ctx, role); err != nil {
		t.Errorf("CreateRole: %v", err)
	} else if err := c.DeleteRole(ctx, role.Name, id); err != nil {
		t.Errorf("DeleteRole: %v", err)
	}
	if err := c.DeleteTenant(ctx, id, false); err != nil {
		t.Errorf("DeleteTenant: %v", err)
	}
	if _, err := c.LoadTenant(ctx, id); !mgmt.IsNotFound(err) && !mgmt.IsBadRequest(err) {
		t.Errorf("LoadTenant after delete: %v, want not found", err)
	}
}
