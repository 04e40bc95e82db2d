package mgmt_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// BenchmarkPacer100 measures 100 acquisitions (target: well under 1 ms per op).
func BenchmarkPacer100(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		pacer *mgmt.Pacer
	}{
		{"unlimited", mgmt.NewPacer(mgmt.Unlimited, 1)},
		// A limited bucket that never runs dry: the cost of the token arithmetic.
		{"within-burst", mgmt.NewPacer(mgmt.Rate{N: 1 << 30, Per: time.Second}, 1<<30)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for range 100 {
					if err := bc.pacer.Wait(ctx, 1); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkExecutor measures the executor's overhead per item (ns/item), with
// items that do nothing, under an unlimited pacer.
func BenchmarkExecutor(b *testing.B) {
	for _, bc := range []struct {
		name    string
		workers int
		chain   bool
	}{
		{"independent/workers=1", 1, false},
		{"independent/workers=8", 8, false},
		{"chain/workers=8", 8, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const n = 1000
			items := make([]mgmt.Item, n)
			for i := range items {
				items[i] = mgmt.Item{ID: fmt.Sprint(i), Weight: 1, Do: noop}
				if bc.chain && i > 0 {
					items[i].Deps = []string{fmt.Sprint(i - 1)}
				}
			}
			e := mgmt.NewExecutor(mgmt.NewPacer(mgmt.Unlimited, 1), bc.workers)
			b.ReportAllocs()
			for b.Loop() {
				if rep := e.Run(context.Background(), items); len(rep.Done) != n {
					b.Fatalf("report: %+v", rep.Err())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/item")
		})
	}
}
