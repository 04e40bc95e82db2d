package mgmt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"
)

// Rate is a number of calls per period, written "200/60s".
type Rate struct {
	N   int
	Per time.Duration
}

// DefaultRate and DefaultBurst are the pacing used when none is configured
// (docs/design.md section 5).
var DefaultRate = Rate{N: 200, Per: time.Minute}

// DefaultBurst is the default burst: a full window's worth of calls.
const DefaultBurst = 200

// Unlimited is the Rate that never waits (the zero Rate).
var Unlimited = Rate{}

// IsUnlimited reports whether r never waits.
func (r Rate) IsUnlimited() bool { return r.N <= 0 || r.Per <= 0 }

// Limit returns r as calls per second.
func (r Rate) Limit() rate.Limit {
	if r.IsUnlimited() {
		return rate.Inf
	}
	return rate.Limit(float64(r.N) / r.Per.Seconds())
}

// String returns r in the form ParseRate reads: "200/60s", or "unlimited".
func (r Rate) String() string {
	if r.IsUnlimited() {
		return "unlimited"
	}
	if r.Per%time.Second == 0 {
		return fmt.Sprintf("%d/%ds", r.N, r.Per/time.Second)
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

// ParseRate reads a rate written N/PERIOD: "200/60s", "10/1s", "100/1m", or
// with a bare unit "5/s", "100/m", "1000/h". "unlimited" is Unlimited.
func ParseRate(s string) (Rate, error) {
	if s == "unlimited" {
		return Unlimited, nil
	}
	count, period, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("parse rate %q: want N/PERIOD, such as 200/60s", s)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n <= 0 {
		return Rate{}, fmt.Errorf("parse rate %q: count %q is not a positive integer", s, count)
	}
	if period != "" && (period[0] < '0' || period[0] > '9') {
		period = "1" + period
	}
	per, err := time.ParseDuration(period)
	if err != nil || per <= 0 {
		return Rate{}, fmt.Errorf("parse rate %q: period %q is not a positive duration such as 60s, 1m or s", s, period)
	}
	return Rate{N: n, Per: per}, nil
}

// Clock is the time source of a Pacer. Tests inject a fake one.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed, and a func
	// that releases the timer early.
	After(d time.Duration) (<-chan time.Time, func())
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Pacer paces every call to one project: a single token bucket
// (golang.org/x/time/rate) shared by plan reads, apply writes and scripts.
//
// The bucket holds one token fewer than the burst: calls sent exactly on
// schedule can reach the server bunched (network jitter, a first call slowed
// by connection setup), and the token left in the server's bucket absorbs
// that, so a pacer matching the server's limit sees no 429. It costs one
// call's interval over a whole run. (A burst of 1 keeps its one token.)
//
// A 429 calls Pause: every waiter holds until Retry-After has passed, the
// tokens saved up are dropped, and calls resume at half the pace they had,
// which then climbs back linearly (additive increase) to the configured rate
// over the recovery time. A 429 means the server grants less than the
// configured rate (often because another client shares the limit), so the
// recovery is slow by default: climbing back within seconds would only earn
// the next 429 and its penalty.
//
// A nil *Pacer never waits.
type Pacer struct {
	rate         Rate
	burst        int
	clock        Clock
	recovery     time.Duration
	defaultPause time.Duration
	floor        rate.Limit
	logger       hclog.Logger

	mu          sync.Mutex
	lim         *rate.Limiter
	last        time.Time     // latest clock reading: the times handed to lim never go back
	pausedUntil time.Time     // no call starts before this
	pausing     bool          // a pause has started and not yet been resumed from
	wake        chan struct{} // closed and replaced when a pause starts, waking every waiter
	slow        rate.Limit    // the pace on resuming from the current pause
	recoverFrom time.Time     // when the climb from slow began; zero at full pace
	pauses      int
}

// PacerOption configures a Pacer.
type PacerOption func(*Pacer)

// WithClock sets the pacer's time source (default: the system clock).
func WithClock(c Clock) PacerOption { return func(p *Pacer) { p.clock = c } }

// DefaultRecovery is how long the pace takes to climb back to the
// configured rate after a 429, unless WithRecovery says otherwise.
const DefaultRecovery = 10 * time.Minute

// WithRecovery sets how long the pace takes to climb back to the configured
// rate after a 429 (default DefaultRecovery).
func WithRecovery(d time.Duration) PacerOption { return func(p *Pacer) { p.recovery = d } }

// WithDefaultPause sets the pause for a 429 that has no Retry-After (default 10s).
func WithDefaultPause(d time.Duration) PacerOption { return func(p *Pacer) { p.defaultPause = d } }

// WithPacerLogger sets where pauses are logged (default: nowhere).
func WithPacerLogger(l hclog.Logger) PacerOption { return func(p *Pacer) { p.logger = l } }

// NewPacer returns a pacer allowing r with bursts of up to burst calls
// (at least 1).
func NewPacer(r Rate, burst int, opts ...PacerOption) *Pacer {
	p := &Pacer{
		rate:         r,
		burst:        max(burst, 1),
		clock:        realClock{},
		recovery:     DefaultRecovery,
		defaultPause: 10 * time.Second,
		logger:       hclog.NewNullLogger(),
		wake:         make(chan struct{}),
	}
	for _, opt := range opts {
		opt(p)
	}
	if p.recovery <= 0 {
		p.recovery = DefaultRecovery
	}
	p.floor = r.Limit() / 16
	p.lim = rate.NewLimiter(r.Limit(), p.bucket())
	p.last = p.clock.Now()
	// A new limiter starts full; say so at the pacer's own clock.
	p.lim.SetBurstAt(p.last, p.bucket())
	return p
}

// bucket is the limiter's capacity: the burst less the jitter margin.
func (p *Pacer) bucket() int { return max(p.burst-1, 1) }

// Rate returns the configured rate.
func (p *Pacer) Rate() Rate { return p.rate }

// Burst returns the configured burst.
func (p *Pacer) Burst() int { return p.burst }

// PacerStats is a snapshot of a pacer's state.
type PacerStats struct {
	// Pauses counts the 429 episodes (a burst of 429s during one pause counts once).
	Pauses int
	// Limit is the current pace in calls per second (rate.Inf when unlimited).
	Limit rate.Limit
	// PausedUntil is the end of the current pause, zero when not paused.
	PausedUntil time.Time
}

// Stats returns a snapshot of p's state.
func (p *Pacer) Stats() PacerStats {
	if p == nil {
		return PacerStats{Limit: rate.Inf}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := PacerStats{Pauses: p.pauses, Limit: p.lim.Limit()}
	if p.pausing {
		s.PausedUntil = p.pausedUntil
	}
	return s
}

// Wait blocks until n calls may start, or ctx ends. A wait for more than the
// bucket holds is taken in parts.
func (p *Pacer) Wait(ctx context.Context, n int) error {
	if p == nil {
		return nil
	}
	if n > 0 && p.rate.IsUnlimited() {
		return p.wait(ctx, 0) // only a pause can hold it
	}
	for n > 0 {
		k := min(n, p.bucket())
		if err := p.wait(ctx, k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// take acquires the token for one call: a prepaid one from ctx if there is
// one left (see WithPrepaid), else one from the bucket. Either way it holds
// while the pacer is paused.
func (p *Pacer) take(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if takePrepaid(ctx) {
		return p.wait(ctx, 0)
	}
	return p.wait(ctx, 1)
}

// errWoken reports that a sleep was cut short by a new pause.
var errWoken = errors.New("woken by a pause")

// wait reserves n tokens (n <= bucket; 0 only waits out a pause) and sleeps
// until they are due. A pause starting meanwhile cancels the reservation and
// starts over.
func (p *Pacer) wait(ctx context.Context, n int) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.mu.Lock()
		now := p.nowLocked()
		if now.Before(p.pausedUntil) {
			d, wake := p.pausedUntil.Sub(now), p.wake
			p.mu.Unlock()
			if err := p.sleep(ctx, d, wake); err != nil && !errors.Is(err, errWoken) {
				return err
			}
			continue
		}
		p.paceLocked(now)
		if n == 0 {
			// Not a reservation: a zero-token one would wait out the
			// deficit that other waiters' reservations have left.
			p.mu.Unlock()
			return nil
		}
		r := p.lim.ReserveN(now, n)
		delay, wake := r.DelayFrom(now), p.wake
		p.mu.Unlock()
		if !r.OK() {
			return fmt.Errorf("pacer: cannot take %d tokens at once (bucket %d)", n, p.bucket())
		}
		if delay <= 0 {
			return nil
		}
		err := p.sleep(ctx, delay, wake)
		if err == nil {
			return nil
		}
		p.mu.Lock()
		r.CancelAt(p.nowLocked())
		p.mu.Unlock()
		if !errors.Is(err, errWoken) {
			return err
		}
	}
}

// nowLocked returns the clock's time, never earlier than an earlier reading.
func (p *Pacer) nowLocked() time.Time {
	t := p.clock.Now()
	if t.Before(p.last) {
		t = p.last
	}
	p.last = t
	return t
}

// paceLocked applies a finished pause and the climb back to full pace.
func (p *Pacer) paceLocked(now time.Time) {
	full := p.rate.Limit()
	if p.pausing {
		// Resume as of the pause's end: nothing was reserved since the
		// pause began, so no token was counted after it.
		at := p.pausedUntil
		// Drop the tokens saved up before and during the pause: the server's
		// bucket is empty, so a burst now would only earn another 429.
		p.lim.SetBurstAt(at, 0)
		p.lim.SetBurstAt(at, p.bucket())
		p.lim.SetLimitAt(at, p.slow)
		p.pausing = false
		p.recoverFrom = at
		p.logger.Debug("resuming after rate limit", "rate_per_s", float64(p.slow))
	}
	if p.recoverFrom.IsZero() || full == rate.Inf {
		return
	}
	frac := float64(now.Sub(p.recoverFrom)) / float64(p.recovery)
	if frac >= 1 {
		p.recoverFrom = time.Time{}
		p.lim.SetLimitAt(now, full)
		return
	}
	p.lim.SetLimitAt(now, p.slow+(full-p.slow)*rate.Limit(frac))
}

// Pause stops every call from starting until retryAfter has passed (or the
// default pause when it is 0), then resumes at half the current pace. Several
// 429s during one pause extend it but slow the pace once.
func (p *Pacer) Pause(retryAfter time.Duration) {
	if p == nil {
		return
	}
	if retryAfter <= 0 {
		retryAfter = p.defaultPause
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.nowLocked()
	if !p.pausing {
		p.paceLocked(now)
		p.pausing = true
		p.pauses++
		p.slow = max(p.lim.Limit()/2, p.floor)
		p.logger.Warn("rate limited: pausing every call", "for", retryAfter, "resume_rate_per_s", float64(p.slow))
	}
	if until := now.Add(retryAfter); until.After(p.pausedUntil) {
		p.pausedUntil = until
	}
	close(p.wake)
	p.wake = make(chan struct{})
}

// sleep waits d, or until wake closes (errWoken), or ctx ends.
func (p *Pacer) sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	ch, stop := p.clock.After(d)
	defer stop()
	select {
	case <-ch:
		return nil
	case <-wake:
		return errWoken
	case <-ctx.Done():
		return ctx.Err()
	}
}

type prepaidKey struct{}

// prepaid is a count of tokens an executor took for the calls of one item.
type prepaid struct{ n atomic.Int64 }

// WithPrepaid returns a ctx carrying n tokens already taken from the pacer:
// the client's calls under it spend those before waiting on the pacer again.
// The executor uses it to pass on the tokens it takes before starting an
// item.
func WithPrepaid(ctx context.Context, n int) context.Context {
	pp := &prepaid{}
	pp.n.Store(int64(max(n, 0)))
	return context.WithValue(ctx, prepaidKey{}, pp)
}

// Prepaid returns how many prepaid tokens ctx still carries.
func Prepaid(ctx context.Context) int {
	if pp, _ := ctx.Value(prepaidKey{}).(*prepaid); pp != nil {
		return int(pp.n.Load())
	}
	return 0
}

// takePrepaid spends one prepaid token of ctx, reporting whether there was one.
func takePrepaid(ctx context.Context) bool {
	pp, _ := ctx.Value(prepaidKey{}).(*prepaid)
	if pp == nil {
		return false
	}
	for {
		n := pp.n.Load()
		if n <= 0 {
			return false
		}
		if pp.n.CompareAndSwap(n, n-1) {
			return true
		}
	}
}
