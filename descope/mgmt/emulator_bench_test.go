package mgmt_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// createTenants creates n tenants through an executor and returns how long
// it took.
func createTenants(b *testing.B, c *mgmt.Client, n, workers int) time.Duration {
	b.Helper()
	items := make([]mgmt.Item, n)
	for i := range items {
		id := fmt.Sprintf("t-%04d", i)
		items[i] = mgmt.Item{ID: id, Weight: 1, Do: func(ctx context.Context) error {
			_, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: id, Name: "Tenant " + id})
			return err
		}}
	}
	start := time.Now()
	rep := mgmt.NewExecutor(c.Pacer(), workers).Run(context.Background(), items)
	elapsed := time.Since(start)
	if err := rep.Err(); err != nil {
		b.Fatalf("run: %v", err)
	}
	return elapsed
}

// BenchmarkLatencyCreates creates 100 tenants against an emulator that takes
// 50 ms per request, under the default pacing (target: under 2 s).
func BenchmarkLatencyCreates(b *testing.B) {
	for _, workers := range []int{1, 10, 25, 50} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var total time.Duration
			for range b.N {
				srv := emulator.NewServer(emulator.WithLatency(50 * time.Millisecond))
				c := emulatorClient(b, srv, func(cfg *mgmt.Config) {
					cfg.Pacer = mgmt.NewPacer(mgmt.DefaultRate, mgmt.DefaultBurst)
				})
				total += createTenants(b, c, 100, workers)
				srv.Close()
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/100-creates")
		})
	}
}

// boundRun creates n tenants against an emulator limited to limit per
// window (its burst is limit too), paced by the client at clientLimit per
// window with a burst of clientLimit, and reports the time against the
// bound max(0, calls-B)*W/L of the emulator's limit.
func boundRun(b *testing.B, n, limit, clientLimit int, window, penalty time.Duration, workers int) {
	var elapsed time.Duration
	var limited, calls int
	var pauses int
	for range b.N {
		srv := emulator.NewServer(emulator.WithRateLimit(limit, window), emulator.WithPenalty(penalty))
		pacer := mgmt.NewPacer(mgmt.Rate{N: clientLimit, Per: window}, clientLimit)
		c := emulatorClient(b, srv, func(cfg *mgmt.Config) { cfg.Pacer = pacer })
		elapsed += createTenants(b, c, n, workers)
		tenants := 0
		for _, r := range srv.Requests() {
			calls++
			if r.Status == http.StatusTooManyRequests {
				limited++
			}
		}
		for _, t := range srv.State().Tenants {
			if len(t.ID) > 2 && t.ID[:2] == "t-" {
				tenants++
			}
		}
		if tenants != n {
			b.Errorf("%d tenants landed, want %d", tenants, n)
		}
		pauses += pacer.Stats().Pauses
		srv.Close()
	}
	perRun := elapsed.Seconds() / float64(b.N)
	callsPerRun := calls / b.N
	// The bound counts the calls that had to be accepted: the creates and
	// the licence call, not the refused attempts.
	accepted := (calls - limited) / b.N
	bound := float64(max(0, accepted-limit)) * window.Seconds() / float64(limit)
	b.ReportMetric(perRun, "s/run")
	b.ReportMetric(bound, "bound-s")
	b.ReportMetric(perRun/bound, "x-bound")
	b.ReportMetric(float64(limited)/float64(b.N), "429s/run")
	b.ReportMetric(float64(pauses)/float64(b.N), "pauses/run")
	b.ReportMetric(float64(callsPerRun), "calls/run")
}

// BenchmarkBoundMatched paces the client exactly as the emulator limits
// (20/s, burst 20): 219 creates and the licence call make the bound
// (220-20)/20 = 10 s (target: within 5%, zero 429s).
func BenchmarkBoundMatched(b *testing.B) {
	boundRun(b, 219, 20, 20, time.Second, 0, 25)
}

// BenchmarkBoundStricter runs the same pacing against an emulator allowing
// half of it (10/s, burst 10) and refusing everything for 2 s after a 429:
// 109 creates and the licence call make the stricter bound (110-10)/10 =
// 10 s (target: every write lands, within 1.3x the bound plus one penalty,
// 15 s).
func BenchmarkBoundStricter(b *testing.B) {
	boundRun(b, 109, 10, 20, time.Second, 2*time.Second, 25)
}
