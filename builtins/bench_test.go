package builtins

import (
	"fmt"
	"testing"

	"go.starlark.net/starlark"
)

// BenchmarkDeclareTenants declares 10,000 tenants per op by calling the
// tenant builtin directly (no Starlark parsing, no YAML), on a fresh
// Collector; "+State" also builds the checked, sorted state.
func BenchmarkDeclareTenants(b *testing.B) {
	const n = 10000
	kwargs := make([][]starlark.Tuple, n)
	for i := range kwargs {
		id := fmt.Sprintf("cust-%05d", i)
		kwargs[i] = []starlark.Tuple{
			{starlark.String("id"), starlark.String(id)},
			{starlark.String("name"), starlark.String("Customer " + id)},
			{starlark.String("domains"), starlark.NewList([]starlark.Value{starlark.String(id + ".example.com")})},
			{starlark.String("attributes"), FromGo(map[string]any{"tier": int64(i % 3), "region": "eu"})},
			{starlark.String("enforce_sso"), starlark.Bool(i%2 == 0)},
		}
	}
	for _, withState := range []bool{false, true} {
		name := "declare"
		if withState {
			name = "declare+State"
		}
		b.Run(name, func(b *testing.B) {
			thread := &starlark.Thread{Name: "bench"}
			b.ReportAllocs()
			for b.Loop() {
				c := NewCollector()
				tenant := Config(c, nil, nil)["tenant"]
				for _, kw := range kwargs {
					if _, err := starlark.Call(thread, tenant, nil, kw); err != nil {
						b.Fatal(err)
					}
				}
				if withState {
					if _, err := c.State(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/tenant")
		})
	}
}
