package descope

import (
	"fmt"
	"testing"
)

// benchTenants returns n tenants as the API would return them.
func benchTenants(n int) []*Tenant {
	ts := make([]*Tenant, n)
	for i := range ts {
		id := fmt.Sprintf("cust-%05d", i)
		ts[i] = &Tenant{
			ID: id, Name: "Customer " + id,
			Domains:      &[]string{id + ".com", id + ".io"},
			Attributes:   &map[string]any{"tier": "gold", "seats": float64(i % 100)},
			EnforceSSO:   Ptr(false),
			Disabled:     Ptr(false),
			Parent:       Ptr(""),
			DefaultRoles: &[]string{"Member"},
		}
	}
	return ts
}

// BenchmarkDiff10kTenants1pct diffs 10,000 tenants of which 100 change
// name, under an own("tenant", "cust-*") claim.
func BenchmarkDiff10kTenants1pct(b *testing.B) {
	const n = 10_000
	live := &State{Tenants: benchTenants(n)}
	desired := &State{Tenants: benchTenants(n), Owns: []*Ownership{{Kind: KindTenant, Match: "cust-*"}}}
	for i := 0; i < n; i += 100 {
		desired.Tenants[i].Name += " (renamed)"
		desired.Tenants[i].Attributes = &map[string]any{"tier": "gold", "seats": int64(i % 100)}
	}
	b.ReportAllocs()
	for b.Loop() {
		p := Diff(live, desired)
		if _, change, _ := p.Summary(); change != n/100 {
			b.Fatalf("%d changes, want %d", change, n/100)
		}
	}
}
