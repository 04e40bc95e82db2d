package mgmt_test

import (
	"cmp"
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/descope-run/descope-run/descope/mgmt"
	"golang.org/x/time/rate"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    mgmt.Rate
		wantErr string
	}{
		{in: "200/60s", want: mgmt.Rate{N: 200, Per: time.Minute}},
		{in: "10/1s", want: mgmt.Rate{N: 10, Per: time.Second}},
		{in: "5/s", want: mgmt.Rate{N: 5, Per: time.Second}},
		{in: "100/1m", want: mgmt.Rate{N: 100, Per: time.Minute}},
		{in: "100/m", want: mgmt.Rate{N: 100, Per: time.Minute}},
		{in: "1000/h", want: mgmt.Rate{N: 1000, Per: time.Hour}},
		{in: "3/500ms", want: mgmt.Rate{N: 3, Per: 500 * time.Millisecond}},
		{in: "unlimited", want: mgmt.Unlimited},
		{in: "200", wantErr: `parse rate "200": want N/PERIOD, such as 200/60s`},
		{in: "x/60s", wantErr: `parse rate "x/60s": count "x" is not a positive integer`},
		{in: "0/60s", wantErr: `parse rate "0/60s": count "0" is not a positive integer`},
		{in: "5/", wantErr: `parse rate "5/": period "" is not a positive duration such as 60s, 1m or s`},
		{in: "5/fortnight", wantErr: `parse rate "5/fortnight": period "1fortnight" is not a positive duration such as 60s, 1m or s`},
		{in: "5/0s", wantErr: `parse rate "5/0s": period "0s" is not a positive duration such as 60s, 1m or s`},
	}
	for _, tc := range tests {
		got, err := mgmt.ParseRate(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParseRate(%q) error = %v, want %s", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestRateString(t *testing.T) {
	tests := []struct {
		r    mgmt.Rate
		want string
	}{
		{mgmt.DefaultRate, "200/60s"},
		{mgmt.Rate{N: 3, Per: 500 * time.Millisecond}, "3/500ms"},
		{mgmt.Unlimited, "unlimited"},
	}
	for _, tc := range tests {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.r, got, tc.want)
		}
		if back, err := mgmt.ParseRate(tc.r.String()); err != nil || back != tc.r {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tc.r.String(), back, err, tc.r)
		}
	}
}

// waitAsync runs p.Wait(ctx, n) in a goroutine and returns its result channel.
func waitAsync(ctx context.Context, p *mgmt.Pacer, n int) <-chan error {
	done := make(chan error, 1)
	go func() { done <- p.Wait(ctx, n) }()
	return done
}

// mustWait waits for a result from done; the wait must have succeeded.
func mustWait(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return")
	}
}

// waitPending waits until the clock's pending timers are want (to the microsecond).
func waitPending(t *testing.T, c *fakeClock, want ...time.Duration) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !sameDurations(c.pending(), want) {
		select {
		case <-c.added:
		case <-time.After(time.Millisecond):
			// A timer can also go away (stopped) without a notification.
		case <-deadline:
			t.Fatalf("pending timers = %v, want %v", c.pending(), want)
		}
	}
}

func sameDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i] - b[i]).Abs() > time.Microsecond {
			return false
		}
	}
	return true
}

// TestPacerBurstThenPace checks the burst, less the margin for jitter (the
// tokens the pace refills in mgmt.JitterAllowance, at least one), and the
// pace after it.
func TestPacerBurstThenPace(t *testing.T) {
	tests := []struct {
		rate, burst, now int
	}{
		{rate: 5, burst: 5, now: 4},    // 0.75 tokens in 150 ms: a margin of 1
		{rate: 20, burst: 20, now: 17}, // 3 tokens in 150 ms
		{rate: 20, burst: 2, now: 1},   // the bucket keeps one token
	}
	for _, tc := range tests {
		clock := newFakeClock()
		p := mgmt.NewPacer(mgmt.Rate{N: tc.rate, Per: time.Second}, tc.burst, mgmt.WithClock(clock))
		ctx := context.Background()
		for i := range tc.now {
			if err := p.Wait(ctx, 1); err != nil {
				t.Fatalf("%d/s: wait %d: %v", tc.rate, i, err)
			}
		}
		if got := clock.pending(); len(got) != 0 {
			t.Fatalf("%d/s, burst %d: the first %d slept: %v", tc.rate, tc.burst, tc.now, got)
		}
		done := waitAsync(ctx, p, 1)
		waitPending(t, clock, time.Second/time.Duration(tc.rate))
		clock.Advance(time.Second / time.Duration(tc.rate))
		mustWait(t, done)
	}
}

func TestPacerWaitMoreThanBurst(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 5, Per: time.Second}, 5, mgmt.WithClock(clock))
	done := waitAsync(context.Background(), p, 7)
	// Four from the bucket (the burst less the margin), then three more at 5/s.
	waitPending(t, clock, 600*time.Millisecond)
	clock.Advance(600 * time.Millisecond)
	mustWait(t, done)
}

func TestPacerCancelGivesTokensBack(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 1, mgmt.WithClock(clock))
	if err := p.Wait(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := waitAsync(ctx, p, 1)
	waitPending(t, clock, 100*time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel = %v, want context.Canceled", err)
	}
	// The cancelled reservation was returned: the next wait is 100ms, not 200ms.
	done = waitAsync(context.Background(), p, 1)
	waitPending(t, clock, 100*time.Millisecond)
	clock.Advance(100 * time.Millisecond)
	mustWait(t, done)
}

// accept feeds p n calls that the server accepted, sent evenly over spread
// (all at once when spread is 0), answered at once; the clock ends spread later.
func accept(p *mgmt.Pacer, clock *fakeClock, n int, spread time.Duration) {
	for i := range n {
		if i > 0 && spread > 0 {
			clock.Advance(spread / time.Duration(n))
		}
		p.Answered(p.Sent(), http.StatusOK, 0)
	}
}

// refuse feeds p a 429 for a call sent now, asking for retryAfter.
func refuse(p *mgmt.Pacer, retryAfter time.Duration) {
	p.Answered(p.Sent(), http.StatusTooManyRequests, retryAfter)
}

// TestPacerLearnsLimit checks the pace and the burst a pacer resumes with
// after a 429, from the calls the server accepted.
func TestPacerLearnsLimit(t *testing.T) {
	perSecond := func(n int) mgmt.Rate { return mgmt.Rate{N: n, Per: time.Second} }
	tests := []struct {
		name     string
		rate     mgmt.Rate
		evidence func(p *mgmt.Pacer, clock *fakeClock)
		// inFlight calls are sent before the 429 and still unanswered
		// when the pause ends.
		inFlight int
		// pause is the Retry-After (default 2s).
		pause      time.Duration
		server     mgmt.Rate
		pace       mgmt.Rate
		tokens     float64
		wantLogged string
	}{
		{
			name: "a full bucket drained at once",
			rate: perSecond(20),
			evidence: func(p *mgmt.Pacer, clock *fakeClock) {
				accept(p, clock, 10, 0)
			},
			// The server's window is fresh after the 2 s pause: the burst
			// is the pace less the bucket's jitter margin (2 at 9/s).
			server: perSecond(10), pace: perSecond(9), tokens: 7,
			wantLogged: "the server allows about 10/1s; pacing at 9/1s",
		},
		{
			name: "calls spread over two windows",
			rate: perSecond(20),
			// A server allowing 10/s with a burst of 10 accepts 30
			// calls sent at 15/s before it refuses.
			evidence: func(p *mgmt.Pacer, clock *fakeClock) {
				accept(p, clock, 30, 2*time.Second)
			},
			server: perSecond(10), pace: perSecond(9), tokens: 7,
		},
		{
			name: "calls answered after the 429 count",
			rate: perSecond(20),
			evidence: func(p *mgmt.Pacer, clock *fakeClock) {
				accept(p, clock, 6, 0)
				late := []time.Time{p.Sent(), p.Sent(), p.Sent(), p.Sent()}
				refuse(p, 2*time.Second)
				for _, at := range late {
					p.Answered(at, http.StatusOK, 0)
				}
			},
			server: perSecond(10), pace: perSecond(9), tokens: 7,
		},
		{
			name: "calls still in flight take from the burst",
			rate: perSecond(20),
			evidence: func(p *mgmt.Pacer, clock *fakeClock) {
				accept(p, clock, 10, 0)
			},
			inFlight: 3,
			server:   perSecond(10), pace: perSecond(9), tokens: 6,
		},
		{
			name: "a server that allows more than the pace",
			rate: perSecond(10),
			// Another client shares the limit: the pace still drops.
			evidence: func(p *mgmt.Pacer, clock *fakeClock) {
				accept(p, clock, 30, 0)
			},
			server: perSecond(30), pace: perSecond(9), tokens: 7,
		},
		{
			name: "documented Descope limit",
			rate: mgmt.DefaultRate,
			evidence: func(p *mgmt.Pacer, clock *fakeClock) {
				accept(p, clock, 100, 0)
			},
			// After its 60 s back-off, a whole window is free again.
			pause:  time.Minute,
			server: mgmt.Rate{N: 100, Per: time.Minute}, pace: mgmt.Rate{N: 90, Per: time.Minute}, tokens: 89,
			wantLogged: "the server allows about 100/60s; pacing at 90/60s",
		},
		{
			name: "a pause shorter than the window",
			rate: mgmt.DefaultRate,
			evidence: func(p *mgmt.Pacer, clock *fakeClock) {
				accept(p, clock, 100, 0)
			},
			// The 100 calls are still in the server's window: no burst.
			pause:  10 * time.Second,
			server: mgmt.Rate{N: 100, Per: time.Minute}, pace: mgmt.Rate{N: 90, Per: time.Minute}, tokens: 0,
		},
		{
			name:     "no evidence halves the pace",
			rate:     perSecond(20),
			evidence: func(*mgmt.Pacer, *fakeClock) {},
			pace:     perSecond(10), tokens: 0,
			wantLogged: "the server refused before accepting any call; pacing at 10/1s",
		},
		{
			// The run before this one spent the server's window: the
			// one call it accepted says nothing of its limit, and a pace
			// of 1 call a window would stall this run and the next.
			name: "too few calls to learn from",
			rate: mgmt.DefaultRate,
			evidence: func(p *mgmt.Pacer, clock *fakeClock) {
				accept(p, clock, 1, 0)
			},
			pace: mgmt.Rate{N: 100, Per: time.Minute}, tokens: 0,
			wantLogged: "the server refused after accepting only 1 of this run's calls, too few to learn its limit from (another run or client spent its window); pacing at 100/60s",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			var log strings.Builder
			logger := hclog.New(&hclog.LoggerOptions{Output: &log, Level: hclog.Info, DisableTime: true})
			p := mgmt.NewPacer(tc.rate, tc.rate.N, mgmt.WithClock(clock), mgmt.WithPacerLogger(logger))
			tc.evidence(p, clock)
			for range tc.inFlight {
				p.Sent()
			}
			pause := cmp.Or(tc.pause, 2*time.Second)
			refuse(p, pause)
			refuse(p, time.Second) // a call in flight with the first: the same episode
			clock.Advance(pause)
			s := p.Stats()
			if s.Pauses != 1 || s.Server != tc.server || s.Pace != tc.pace {
				t.Errorf("stats = %+v, want 1 pause, server %v, pace %v", s, tc.server, tc.pace)
			}
			if got := p.Tokens(); got != tc.tokens {
				t.Errorf("burst on resuming = %v, want %v", got, tc.tokens)
			}
			if tc.wantLogged != "" && strings.Count(log.String(), tc.wantLogged) != 1 {
				t.Errorf("log does not say %q once:\n%s", tc.wantLogged, log.String())
			}
		})
	}
}

// TestPacerPauseHoldsWaiters checks that every waiter, even one whose
// reservation was due, holds until the pause is over, and that the tokens
// saved up before it are gone after it.
func TestPacerPauseHoldsWaiters(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 1, Per: time.Second}, 1, mgmt.WithClock(clock))
	ctx := context.Background()
	if err := p.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	done := waitAsync(ctx, p, 1)
	waitPending(t, clock, time.Second)
	p.Pause(5 * time.Second)
	if s := p.Stats(); s.Pauses != 1 || !s.PausedUntil.Equal(clock.Now().Add(5*time.Second)) {
		t.Errorf("stats = %+v, want one pause until +5s", s)
	}
	waitPending(t, clock, 5*time.Second)
	clock.Advance(time.Second)
	select {
	case <-done:
		t.Fatal("the waiter went ahead during the pause")
	default:
	}
	clock.Advance(4 * time.Second)
	// No call was accepted, so there is no evidence: half of 1/s is
	// still 1/s, from an empty bucket.
	waitPending(t, clock, time.Second)
	clock.Advance(time.Second)
	mustWait(t, done)
}

// TestPacerOneEpisode checks that a 429 to a call sent before the pause
// ended belongs to that episode, while one sent after starts another that
// lowers the pace again, to what the server refilled between the two.
func TestPacerOneEpisode(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 20, Per: time.Second}, 20, mgmt.WithClock(clock))
	accept(p, clock, 10, 0)
	stale := p.Sent()
	refuse(p, 2*time.Second)
	clock.Advance(2 * time.Second)
	p.Answered(stale, http.StatusTooManyRequests, time.Second)
	if s := p.Stats(); s.Pauses != 1 || !s.PausedUntil.IsZero() || s.Pace.N != 9 {
		t.Fatalf("after a stale 429: stats = %+v, want 1 pause, not paused, 9/1s", s)
	}
	// The server accepts 8 more, then refuses: it allows less than it
	// showed (another client took its share, or it refills slower).
	accept(p, clock, 8, 0)
	refuse(p, time.Second)
	clock.Advance(time.Second)
	// 8 calls in the 2 s between the refusals, short of the 10 the first
	// showed at once: a refill of 4/s, a burst of 10 (8/2s), paced at
	// (8-1)/2 s.
	want := mgmt.PacerStats{Pauses: 2, Server: mgmt.Rate{N: 8, Per: 2 * time.Second}, Pace: mgmt.Rate{N: 7, Per: 2 * time.Second}}
	if s := p.Stats(); s.Pauses != want.Pauses || s.Server != want.Server || s.Pace != want.Pace {
		t.Errorf("after a second episode: stats = %+v, want 2 pauses, server %v, pace %v", s, want.Server, want.Pace)
	}
}

func TestPacerDefaultPause(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 10, mgmt.WithClock(clock), mgmt.WithDefaultPause(3*time.Second))
	p.Pause(0)
	done := waitAsync(context.Background(), p, 1)
	waitPending(t, clock, 3*time.Second)
	clock.Advance(3*time.Second + 200*time.Millisecond)
	mustWait(t, done)
}

// TestPacerMemory checks that a new pacer recalling what another learnt
// starts at its pace, with the tokens it left and those refilled since,
// and that the configured rate stays the cap.
func TestPacerMemory(t *testing.T) {
	clock := newFakeClock()
	first := mgmt.NewPacer(mgmt.Rate{N: 20, Per: time.Second}, 20, mgmt.WithClock(clock))
	if _, ok := first.Memory(); ok {
		t.Fatal("a pacer that learnt nothing has a memory")
	}
	accept(first, clock, 10, 0)
	refuse(first, 2*time.Second)
	clock.Advance(2 * time.Second)
	if err := first.Wait(context.Background(), 5); err != nil {
		t.Fatal(err)
	}
	m, ok := first.Memory()
	if !ok || m.Server.N != 10 || m.Pace.N != 9 || m.Tokens != 2 || !m.SavedAt.Equal(clock.Now()) {
		t.Fatalf("memory = %+v, %v; want server 10/1s, pace 9/1s, 2 tokens left", m, ok)
	}

	clock.Advance(time.Second / 9)
	next := mgmt.NewPacer(mgmt.Rate{N: 20, Per: time.Second}, 20, mgmt.WithClock(clock))
	next.Recall(m)
	if s := next.Stats(); s.Pace != m.Pace || s.Server != m.Server {
		t.Errorf("recalled stats = %+v, want pace %v, server %v", s, m.Pace, m.Server)
	}
	if got := next.Tokens(); math.Abs(got-3) > 1e-9 {
		t.Errorf("recalled tokens = %v, want 2 left and 1 refilled", got)
	}

	capped := mgmt.NewPacer(mgmt.Rate{N: 5, Per: time.Second}, 5, mgmt.WithClock(clock))
	capped.Recall(m)
	if s := capped.Stats(); s.Pace.N != 5 {
		t.Errorf("a lower --rate: pace %v, want 5/1s", s.Pace)
	}
	if again, _ := capped.Memory(); again.Pace != m.Pace {
		t.Errorf("a capped pacer forgot the learnt pace: %+v", again)
	}
}

func TestPacerUnlimitedAndNil(t *testing.T) {
	ctx := context.Background()
	var nilPacer *mgmt.Pacer
	if err := nilPacer.Wait(ctx, 1000); err != nil {
		t.Errorf("nil pacer: %v", err)
	}
	nilPacer.Pause(time.Second)
	if s := nilPacer.Stats(); s.Limit != rate.Inf {
		t.Errorf("nil pacer stats = %+v", s)
	}
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Unlimited, 0, mgmt.WithClock(clock))
	if err := p.Wait(ctx, 1_000_000); err != nil {
		t.Errorf("unlimited pacer: %v", err)
	}
	if got := clock.pending(); len(got) != 0 {
		t.Errorf("unlimited pacer slept: %v", got)
	}
}

// rolesClient returns a client of a server that answers role/all, paced by
// a pacer on a fake clock.
func rolesClient(t *testing.T, r mgmt.Rate, burst int) (*recorder, *fakeClock, *mgmt.Pacer, *mgmt.Client) {
	rec := newRecorder(t, routes(map[string]reply{"GET /v1/mgmt/role/all": ok(`{"roles":[]}`)}))
	clock := newFakeClock()
	pacer := mgmt.NewPacer(r, burst, mgmt.WithClock(clock))
	return rec, clock, pacer, newClient(t, rec, func(cfg *mgmt.Config) { cfg.Pacer = pacer })
}

// TestPrepaidSkipsPacer checks that calls under WithPrepaid spend the
// prepaid tokens first and then wait on the pacer.
func TestPrepaidSkipsPacer(t *testing.T) {
	rec, clock, _, c := rolesClient(t, mgmt.Rate{N: 1, Per: time.Hour}, 1)
	ctx := mgmt.WithPrepaid(context.Background(), 3)
	for range 3 {
		if _, err := c.LoadAllRoles(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := mgmt.Prepaid(ctx); got != 0 {
		t.Errorf("prepaid left = %d, want 0", got)
	}
	// The bucket's one token is still there...
	if _, err := c.LoadAllRoles(ctx); err != nil {
		t.Fatal(err)
	}
	// ...and the next call waits an hour for another.
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := c.LoadAllRoles(wctx); done <- err }()
	waitPending(t, clock, time.Hour)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if n := len(rec.requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

// TestPrepaidCallIgnoresOthersReservations checks that a prepaid call does
// not wait for the tokens other waiters have reserved ahead.
func TestPrepaidCallIgnoresOthersReservations(t *testing.T) {
	rec, clock, pacer, c := rolesClient(t, mgmt.Rate{N: 1, Per: time.Second}, 1)
	ctx := context.Background()
	if err := pacer.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	waiter := waitAsync(ctx, pacer, 1) // the bucket now owes a token
	waitPending(t, clock, time.Second)
	done := make(chan error, 1)
	go func() { _, err := c.LoadAllRoles(mgmt.WithPrepaid(ctx, 1)); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the prepaid call waited for the token owed to another waiter")
	}
	if n := len(rec.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	clock.Advance(time.Second)
	mustWait(t, waiter)
}

// TestPrepaidCallHoldsDuringPause checks that a prepaid call still waits
// out a pause, and then for a token of the bucket: the pause voided the one
// it carried.
func TestPrepaidCallHoldsDuringPause(t *testing.T) {
	rec, clock, pacer, c := rolesClient(t, mgmt.Rate{N: 10, Per: time.Second}, 10)
	pacer.Pause(2 * time.Second)
	done := make(chan error, 1)
	go func() { _, err := c.LoadAllRoles(mgmt.WithPrepaid(context.Background(), 1)); done <- err }()
	waitPending(t, clock, 2*time.Second)
	clock.Advance(2 * time.Second)
	// No evidence: half the pace, 5/s, from an empty bucket.
	waitPending(t, clock, 200*time.Millisecond)
	if n := len(rec.requests()); n != 0 {
		t.Fatalf("%d requests before a token was due", n)
	}
	clock.Advance(200 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(rec.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestPacerMeasuresRefill checks a second episode against a server counting
// over a longer window than the pacer's: the calls accepted between the two
// refusals measure its refill, and the pacer resumes below it from an empty
// bucket, written over the server's window.
func TestPacerMeasuresRefill(t *testing.T) {
	clock := newFakeClock()
	var log strings.Builder
	logger := hclog.New(&hclog.LoggerOptions{Output: &log, Level: hclog.Info, DisableTime: true})
	p := mgmt.NewPacer(mgmt.Rate{N: 100, Per: time.Second}, 100, mgmt.WithClock(clock), mgmt.WithPacerLogger(logger))
	// A bucket of 200 drained at once reads as 200/1s: paced at 90/1s.
	accept(p, clock, 200, 0)
	refuse(p, time.Second)
	clock.Advance(time.Second)
	if s := p.Stats(); s.Pauses != 1 || s.Pace != (mgmt.Rate{N: 90, Per: time.Second}) {
		t.Fatalf("after the first episode: stats = %+v, want 1 pause, pace 90/1s", s)
	}
	// Its refill of 3 calls in the second since then is far below it.
	accept(p, clock, 3, 0)
	refuse(p, time.Second)
	clock.Advance(time.Second)
	// 3/s, with a burst of 200: 198/66s. The pace is at most (3-1)/1s.
	s := p.Stats()
	wantServer, wantPace := mgmt.Rate{N: 198, Per: 66 * time.Second}, mgmt.Rate{N: 132, Per: 66 * time.Second}
	if s.Pauses != 2 || s.Server != wantServer || s.Pace != wantPace {
		t.Errorf("after the second episode: stats = %+v, want 2 pauses, server %v, pace %v", s, wantServer, wantPace)
	}
	if got := p.Tokens(); got != 0 {
		t.Errorf("burst on resuming = %v, want 0", got)
	}
	const logged = "the server allows about 198/66s (3 calls in the 1s between two 429s); pacing at 132/66s"
	if !strings.Contains(log.String(), logged) {
		t.Errorf("log does not say %q:\n%s", logged, log.String())
	}
	if m, ok := p.Memory(); !ok || m.Server != wantServer || m.Pace != wantPace {
		t.Errorf("memory = %+v, %v; want server %v, pace %v", m, ok, wantServer, wantPace)
	}
}
