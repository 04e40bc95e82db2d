package mgmt_test

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// simServer is a token bucket as the emulator's (docs/design.md section 5):
// capacity limit, refilled at limit per window; a refusal starts a penalty
// during which every call is refused, and asks to retry after whole
// seconds, rounded up, until a call would pass.
type simServer struct {
	limit        float64
	perSecond    float64
	penalty      time.Duration
	tokens       float64
	at           time.Time
	penaltyUntil time.Time
}

func newSimServer(limit int, window, penalty time.Duration, now time.Time) *simServer {
	return &simServer{limit: float64(limit), perSecond: float64(limit) / window.Seconds(), penalty: penalty,
		tokens: float64(limit), at: now}
}

// call answers a call arriving at now: its status and Retry-After.
func (s *simServer) call(now time.Time) (int, time.Duration) {
	s.tokens = min(s.limit, s.tokens+s.perSecond*now.Sub(s.at).Seconds())
	s.at = now
	refill := time.Duration((1 - s.tokens) / s.perSecond * float64(time.Second))
	switch {
	case now.Before(s.penaltyUntil):
		return http.StatusTooManyRequests, wholeSeconds(max(s.penaltyUntil.Sub(now), refill))
	case s.tokens < 1:
		if s.penalty > 0 {
			s.penaltyUntil = now.Add(s.penalty)
		}
		return http.StatusTooManyRequests, wholeSeconds(max(s.penalty, refill))
	}
	s.tokens--
	return http.StatusOK, 0
}

func wholeSeconds(d time.Duration) time.Duration {
	return max(time.Duration(math.Ceil(d.Seconds()))*time.Second, time.Second)
}

// simRun is the outcome of simulate.
type simRun struct {
	elapsed time.Duration
	refused int
	stats   mgmt.PacerStats
}

// simulate sends calls calls through p to srv, on clock, with at most
// workers in flight. Each call reaches the server latency after it was
// sent, give or take jitter (seeded: calls sent together arrive in any
// order), and is answered latency after that; a refused call is sent
// again. Only the fake clock moves: p never sleeps, because a call is sent
// only once p has a token for it.
func simulate(t *testing.T, p *mgmt.Pacer, clock *fakeClock, srv *simServer, calls, workers int, latency, jitter time.Duration, seed uint64) simRun {
	t.Helper()
	type flight struct {
		sent, arrive, due time.Time
		decided           bool
		status            int
		retryAfter        time.Duration
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	var flights []*flight
	start := clock.Now()
	var run simRun
	for done := 0; done < calls; {
		now := clock.Now()
		if now.Sub(start) > 48*time.Hour {
			t.Fatalf("after two days, %d of %d calls done: %+v", done, calls, p.Stats())
		}
		// The earliest event: a call reaching the server, or an answer.
		next, first := now.Add(time.Hour), -1
		for i, f := range flights {
			at := f.due
			if !f.decided {
				at = f.arrive
			}
			if at.Before(next) {
				next, first = at, i
			}
		}
		if first >= 0 && !next.After(now) {
			f := flights[first]
			if !f.decided {
				f.decided = true
				f.status, f.retryAfter = srv.call(f.arrive)
				continue
			}
			flights = append(flights[:first], flights[first+1:]...)
			p.Answered(f.sent, f.status, f.retryAfter)
			if f.status == http.StatusOK {
				done++
			} else {
				run.refused++
			}
			continue
		}
		stats := p.Stats()
		switch {
		case !stats.PausedUntil.IsZero():
			next = minTime(next, stats.PausedUntil)
		case done+len(flights) < calls && len(flights) < workers:
			if tokens := p.Tokens(); tokens >= 1 {
				if err := p.Wait(context.Background(), 1); err != nil {
					t.Fatal(err)
				}
				sent := p.Sent()
				arrive := sent.Add(latency)
				if jitter > 0 {
					arrive = arrive.Add(time.Duration(rng.Int64N(int64(2*jitter))) - jitter)
				}
				flights = append(flights, &flight{sent: sent, arrive: arrive, due: arrive.Add(latency)})
				continue
			} else {
				d := time.Duration(math.Ceil((1 - tokens) / float64(stats.Limit) * float64(time.Second)))
				next = minTime(next, now.Add(max(d, time.Microsecond)))
			}
		}
		clock.Advance(next.Sub(now))
	}
	run.elapsed = clock.Now().Sub(start)
	run.stats = p.Stats()
	return run
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// TestPacerLearnsAnyWindow checks that a pacer whose --rate counts over
// another window than the server learns the server's limit in at most two
// 429 episodes, and one when the windows match: the first shows the
// server's burst and refill together, the second, after a pause that left
// its bucket nearly empty, its refill alone.
func TestPacerLearnsAnyWindow(t *testing.T) {
	tests := []struct {
		name            string
		client          mgmt.Rate
		limit           int
		window, penalty time.Duration
		calls           int
		maxPauses       int
		// minShare is the least share of the server's refill the pace
		// keeps in the end.
		minShare float64
	}{
		// The 1 s pause lets this server refill 3.3 calls: a refill known
		// to within a call or two, the calls in flight with the first 429
		// making the second.
		{name: "server 200/60s, client 100/1s", client: mgmt.Rate{N: 100, Per: time.Second},
			limit: 200, window: time.Minute, calls: 400, maxPauses: 2, minShare: 0.5},
		{name: "server 200/60s with a 60s back-off, client 100/1s", client: mgmt.Rate{N: 100, Per: time.Second},
			limit: 200, window: time.Minute, penalty: time.Minute, calls: 500, maxPauses: 2, minShare: 0.8},
		{name: "server 50/10s with a 10s back-off, client 20/1s", client: mgmt.Rate{N: 20, Per: time.Second},
			limit: 50, window: 10 * time.Second, penalty: 10 * time.Second, calls: 300, maxPauses: 2, minShare: 0.8},
		{name: "server 100/60s with a 60s back-off, client 200/60s", client: mgmt.DefaultRate,
			limit: 100, window: time.Minute, penalty: time.Minute, calls: 300, maxPauses: 1, minShare: 0.85},
		{name: "server 10/1s with a 2s back-off, client 20/1s", client: mgmt.Rate{N: 20, Per: time.Second},
			limit: 10, window: time.Second, penalty: 2 * time.Second, calls: 200, maxPauses: 1, minShare: 0.85},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			p := mgmt.NewPacer(tc.client, tc.client.N, mgmt.WithClock(clock))
			srv := newSimServer(tc.limit, tc.window, tc.penalty, clock.Now())
			run := simulate(t, p, clock, srv, tc.calls, 10, 10*time.Millisecond, 10*time.Millisecond, 1)
			refill := float64(tc.limit) / tc.window.Seconds()
			pace := float64(run.stats.Pace.Limit())
			t.Logf("%d episodes, %d refused, %v; server %v, pace %v (%.2f of the refill)",
				run.stats.Pauses, run.refused, run.elapsed, run.stats.Server, run.stats.Pace, pace/refill)
			if run.stats.Pauses > tc.maxPauses {
				t.Errorf("%d 429 episodes, want at most %d", run.stats.Pauses, tc.maxPauses)
			}
			if pace > refill || pace < tc.minShare*refill {
				t.Errorf("pace %v is %.2f of the server's refill, want between %.2f and 1", run.stats.Pace, pace/refill, tc.minShare)
			}
		})
	}
}
