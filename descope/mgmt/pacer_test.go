package mgmt_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

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

// TestPacerBurstThenPace checks the burst, less the one-token margin for
// jitter, and the pace after it.
func TestPacerBurstThenPace(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 5, mgmt.WithClock(clock))
	ctx := context.Background()
	for i := range 4 {
		if err := p.Wait(ctx, 1); err != nil {
			t.Fatalf("wait %d: %v", i, err)
		}
	}
	if got := clock.pending(); len(got) != 0 {
		t.Fatalf("the burst slept: %v", got)
	}
	done := waitAsync(ctx, p, 1)
	waitPending(t, clock, 100*time.Millisecond)
	clock.Advance(100 * time.Millisecond)
	mustWait(t, done)
}

func TestPacerWaitMoreThanBurst(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 5, mgmt.WithClock(clock))
	done := waitAsync(context.Background(), p, 7)
	// Four from the bucket (the burst less the margin), then three more at 10/s.
	waitPending(t, clock, 300*time.Millisecond)
	clock.Advance(300 * time.Millisecond)
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

func TestPacerPauseAndRecovery(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 10, mgmt.WithClock(clock), mgmt.WithRecovery(time.Second))
	ctx := context.Background()
	p.Pause(2 * time.Second)
	if s := p.Stats(); s.Pauses != 1 || !s.PausedUntil.Equal(clock.Now().Add(2*time.Second)) {
		t.Errorf("stats = %+v, want one pause until +2s", s)
	}
	// The bucket is full, yet every waiter holds until the pause is over...
	done := waitAsync(ctx, p, 1)
	waitPending(t, clock, 2*time.Second)
	clock.Advance(2 * time.Second)
	// ...and then the saved-up tokens are gone and the pace is halved: 5/s.
	waitPending(t, clock, 200*time.Millisecond)
	if got := p.Stats().Limit; got != 5 {
		t.Errorf("limit on resume = %v, want 5", got)
	}
	clock.Advance(200 * time.Millisecond)
	mustWait(t, done)
	// Additive increase: halfway through the recovery, halfway back.
	clock.Advance(300 * time.Millisecond)
	mustWait(t, waitAsync(ctx, p, 1))
	if got := float64(p.Stats().Limit); math.Abs(got-7.5) > 1e-9 {
		t.Errorf("limit halfway = %v, want 7.5", got)
	}
	clock.Advance(time.Second)
	mustWait(t, waitAsync(ctx, p, 1))
	if got := p.Stats().Limit; got != 10 {
		t.Errorf("limit after recovery = %v, want 10", got)
	}
}

// TestPacerPauseSlowsOncePerEpisode checks that several 429s in one pause
// (concurrent calls refused together) halve the pace once, and the longest
// Retry-After wins.
func TestPacerPauseSlowsOncePerEpisode(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 10, mgmt.WithClock(clock), mgmt.WithRecovery(time.Second))
	p.Pause(time.Second)
	p.Pause(3 * time.Second)
	p.Pause(time.Second)
	done := waitAsync(context.Background(), p, 1)
	waitPending(t, clock, 3*time.Second)
	clock.Advance(3 * time.Second)
	waitPending(t, clock, 200*time.Millisecond)
	clock.Advance(200 * time.Millisecond)
	mustWait(t, done)
	if s := p.Stats(); s.Pauses != 1 || s.Limit != 5 {
		t.Errorf("stats = %+v, want 1 pause at 5/s", s)
	}
	// A 429 after the resume starts a new episode and halves again the pace
	// reached by then: 0.2s into a 1s recovery from 5/s to 10/s, 6/s.
	p.Pause(time.Second)
	done = waitAsync(context.Background(), p, 1)
	waitPending(t, clock, time.Second)
	clock.Advance(time.Second)
	waitPending(t, clock, time.Second/3)
	if s := p.Stats(); s.Pauses != 2 || math.Abs(float64(s.Limit)-3) > 1e-9 {
		t.Errorf("stats = %+v, want 2 pauses at 3/s", s)
	}
	clock.Advance(time.Second / 3)
	mustWait(t, done)
}

// TestPacerPauseWakesWaiters checks that a waiter already holding a
// reservation is held back by a pause that starts meanwhile.
func TestPacerPauseWakesWaiters(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 1, Per: time.Second}, 1, mgmt.WithClock(clock))
	ctx := context.Background()
	if err := p.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	done := waitAsync(ctx, p, 1)
	waitPending(t, clock, time.Second)
	p.Pause(5 * time.Second)
	waitPending(t, clock, 5*time.Second)
	clock.Advance(time.Second)
	select {
	case <-done:
		t.Fatal("the waiter went ahead during the pause")
	default:
	}
	clock.Advance(4 * time.Second)
	// Resumed at half of 1/s, from an empty bucket.
	waitPending(t, clock, 2*time.Second)
	clock.Advance(2 * time.Second)
	mustWait(t, done)
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

// TestPrepaidCallHoldsDuringPause checks that a prepaid call still waits out a pause.
func TestPrepaidCallHoldsDuringPause(t *testing.T) {
	rec, clock, pacer, c := rolesClient(t, mgmt.Rate{N: 10, Per: time.Second}, 10)
	pacer.Pause(2 * time.Second)
	done := make(chan error, 1)
	go func() { _, err := c.LoadAllRoles(mgmt.WithPrepaid(context.Background(), 1)); done <- err }()
	waitPending(t, clock, 2*time.Second)
	if n := len(rec.requests()); n != 0 {
		t.Fatalf("%d requests during the pause", n)
	}
	clock.Advance(2 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(rec.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
