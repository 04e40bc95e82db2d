package mgmt_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
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

// boundCase is a pacing benchmark: n creates by workers workers against an
// emulator allowing limit per window with a burst of limit, refusing
// everything for penalty after a 429, each request taking latency plus or
// minus jitter; the client paces at clientLimit per clientWindow (window
// when zero) with a burst of clientLimit.
type boundCase struct {
	n, limit, clientLimit         int
	window, clientWindow, penalty time.Duration
	workers                       int
	latency, jitter               time.Duration
}

func (bc boundCase) server(seed int64) *emulator.Server {
	return emulator.NewServer(emulator.WithRateLimit(bc.limit, bc.window), emulator.WithPenalty(bc.penalty),
		emulator.WithLatency(bc.latency), emulator.WithJitter(bc.jitter), emulator.WithSeed(seed))
}

func (bc boundCase) pacer() *mgmt.Pacer {
	return mgmt.NewPacer(mgmt.Rate{N: bc.clientLimit, Per: cmp.Or(bc.clientWindow, bc.window)}, bc.clientLimit)
}

// boundRun is one run's outcome.
type boundRun struct {
	elapsed           time.Duration
	accepted, refused int // requests
	pauses            int
	startPace, learnt mgmt.Rate
}

// run creates bc.n tenants named prefix-NNNN through a new client of srv
// paced by pacer, and checks that each landed exactly once: one accepted
// create, no conflict.
func (bc boundCase) run(b *testing.B, srv *emulator.Server, pacer *mgmt.Pacer, prefix string) boundRun {
	b.Helper()
	before := len(srv.Requests())
	start := pacer.Stats().Pace
	c := emulatorClient(b, srv, func(cfg *mgmt.Config) { cfg.Pacer = pacer })
	items := make([]mgmt.Item, bc.n)
	for i := range items {
		id := fmt.Sprintf("%s-%04d", prefix, i)
		items[i] = mgmt.Item{ID: id, Weight: 1, Do: func(ctx context.Context) error {
			_, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: id, Name: "Tenant " + id})
			return err
		}}
	}
	t0 := time.Now()
	rep := mgmt.NewExecutor(pacer, bc.workers).Run(context.Background(), items)
	r := boundRun{elapsed: time.Since(t0), pauses: pacer.Stats().Pauses, startPace: start, learnt: pacer.Stats().Pace}
	if err := rep.Err(); err != nil {
		b.Fatalf("run: %v", err)
	}
	created := 0
	for _, q := range srv.Requests()[before:] {
		switch {
		case q.Status == http.StatusTooManyRequests:
			r.refused++
			continue
		case q.Path == "/v1/mgmt/tenant/create" && q.Status == http.StatusOK:
			created++
		case q.Path == "/v1/mgmt/tenant/create":
			b.Errorf("a create answered %d: a write sent twice?", q.Status)
		}
		r.accepted++
	}
	if created != bc.n {
		b.Errorf("%d creates accepted, want %d", created, bc.n)
	}
	return r
}

// bound is the least time r's accepted calls could take against the
// server: max(0, calls-B)*W/L (docs/design.md section 5).
func (bc boundCase) bound(r boundRun) time.Duration {
	return time.Duration(max(0, r.accepted-bc.limit)) * bc.window / time.Duration(bc.limit)
}

// report adds the medians of runs as metrics named with prefix: seconds per
// run, the bound and the ratio, 429s and pauses per run.
func (bc boundCase) report(b *testing.B, prefix string, runs []boundRun) {
	median := func(f func(boundRun) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	b.ReportMetric(median(func(r boundRun) float64 { return r.elapsed.Seconds() }), prefix+"s/run")
	b.ReportMetric(median(func(r boundRun) float64 { return bc.bound(r).Seconds() }), prefix+"bound-s")
	b.ReportMetric(median(func(r boundRun) float64 { return r.elapsed.Seconds() / bc.bound(r).Seconds() }), prefix+"x-bound")
	b.ReportMetric(median(func(r boundRun) float64 { return float64(r.refused) }), prefix+"429s/run")
	b.ReportMetric(median(func(r boundRun) float64 { return float64(r.pauses) }), prefix+"pauses/run")
}

// BenchmarkBoundMatched paces the client exactly as the emulator limits
// (20/s, burst 20), each request taking 20 ms +- 20 ms: 219 creates and the
// licence call make the bound (220-20)/20 = 10 s (target: within 5%, zero
// 429s). Metrics are medians over b.N runs.
func BenchmarkBoundMatched(b *testing.B) {
	bc := boundCase{n: 219, limit: 20, clientLimit: 20, window: time.Second, workers: 25,
		latency: 20 * time.Millisecond, jitter: 20 * time.Millisecond}
	var runs []boundRun
	for i := range b.N {
		srv := bc.server(int64(i))
		runs = append(runs, bc.run(b, srv, bc.pacer(), "t"))
		srv.Close()
	}
	bc.report(b, "", runs)
}

// BenchmarkBoundStricter runs the same pacing against an emulator allowing
// half of it (10/s, burst 10) and refusing everything for 2 s after a 429,
// each request taking 20 ms +- 20 ms: 109 creates and the licence call make
// the stricter bound (110-10)/10 = 10 s (target: every write lands once, at
// most one 429 episode, within 1.3x the bound plus one penalty, 15 s).
//
// A second run on the same project follows at once (second-*), starting
// from what the first learnt, as the next apply does (target: zero 429s).
func BenchmarkBoundStricter(b *testing.B) {
	bc := boundCase{n: 109, limit: 10, clientLimit: 20, window: time.Second, penalty: 2 * time.Second, workers: 25,
		latency: 20 * time.Millisecond, jitter: 20 * time.Millisecond}
	benchmarkLearning(b, bc, 1)
}

// BenchmarkBoundLongerWindow runs a client pacing at 100/1s against an
// emulator that counts over a longer window: 100 per 6 s (a burst of 100,
// refilled at 16.7/s), with no penalty, so that a 429 asks for 1 s, each
// request taking 20 ms +- 20 ms. The first 429 shows the burst and the
// refill together, and the pace learnt from it, over the client's 1 s
// window, is far above the refill; the second, after the pause, measures
// the refill (docs/design.md section 5). 199 creates and the licence call
// make the bound (200-100)*6/100 = 6 s (target: every write lands once, at
// most two 429 episodes, within 1.3x the bound plus one second; the second
// run: zero 429s).
func BenchmarkBoundLongerWindow(b *testing.B) {
	bc := boundCase{n: 199, limit: 100, clientLimit: 100, window: 6 * time.Second, clientWindow: time.Second,
		workers: 25, latency: 20 * time.Millisecond, jitter: 20 * time.Millisecond}
	benchmarkLearning(b, bc, 2)
}

// benchmarkLearning runs bc b.N times, each on a new emulator and followed
// at once by a second run on it starting from what the first learnt, and
// reports both (second-*): the first may have at most maxPauses 429
// episodes, the second none.
func benchmarkLearning(b *testing.B, bc boundCase, maxPauses int) {
	var first, second []boundRun
	for i := range b.N {
		srv := bc.server(int64(i))
		p := bc.pacer()
		r := bc.run(b, srv, p, "t")
		if r.pauses > maxPauses {
			b.Errorf("run %d: %d 429 episodes, want at most %d", i, r.pauses, maxPauses)
		}
		first = append(first, r)
		m, ok := p.Memory()
		if !ok {
			b.Fatalf("run %d learnt nothing (pace %v)", i, r.learnt)
		}
		next := bc.pacer()
		next.Recall(m)
		r = bc.run(b, srv, next, "u")
		if r.refused > 0 {
			b.Errorf("second run %d: %d 429s starting at %v", i, r.refused, r.startPace)
		}
		second = append(second, r)
		srv.Close()
	}
	bc.report(b, "", first)
	bc.report(b, "second-", second)
	b.Logf("learnt pace %v", first[0].learnt)
}
