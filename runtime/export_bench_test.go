package runtime

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// exportBenchProject is a live project of n tenants shaped like a real
// one: domains, custom attributes, default roles, and every tenth tenant a
// sub-tenant of the one before.
func exportBenchProject(n int) *descope.State {
	s := &descope.State{
		Permissions: []*descope.Permission{{Name: "read", Description: descope.Ptr("Read things")}},
		Roles:       []*descope.Role{{Name: "viewer", Permissions: &[]string{"read"}}},
	}
	for i := range n {
		t := &descope.Tenant{
			ID:           fmt.Sprintf("c%05d", i),
			Name:         fmt.Sprintf("Customer %d", i),
			Domains:      &[]string{fmt.Sprintf("c%05d.example.com", i)},
			Attributes:   &map[string]any{"plan": []string{"starter", "growth", "enterprise"}[i%3], "region": []string{"us", "eu"}[i%2]},
			EnforceSSO:   descope.Ptr(i%3 == 2),
			DefaultRoles: &[]string{"viewer"},
		}
		if i%10 == 1 {
			t.Parent = descope.Ptr(fmt.Sprintf("c%05d", i-1))
		}
		s.Tenants = append(s.Tenants, t)
	}
	return s
}

// BenchmarkExport10000Tenants measures `descope-run export` of a local
// project of 10,000 tenants without settings: the read, the declarations
// checked by the builtins, the files written, and the check that evaluates
// the workspace written and plans it against what was read. Target: under
// 1 s an export (issue 12).
func BenchmarkExport10000Tenants(b *testing.B) {
	ctx := context.Background()
	target := localExportTarget(b, "P2ExportBenchmark00000000000", exportBenchProject(10000))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Export(ctx, target, ExportOptions{Dir: filepath.Join(b.TempDir(), "out")})
		if err != nil {
			b.Fatal(err)
		}
		if n := res.Counts[descope.KindTenant]; n != 10000 {
			b.Fatalf("exported %d tenants, want 10000", n)
		}
	}
}
