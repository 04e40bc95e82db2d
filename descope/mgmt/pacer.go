package mgmt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
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

// DefaultWorkers is how many items an apply runs at once unless --parallel
// says otherwise: ten, as Terraform does. Tokens are taken when an item is
// handed to a worker, never inside it, so more workers never outrun the
// pace: they only let the calls a burst allows overlap their latency. Ten
// calls in flight at 50 ms each could sustain 200 calls a second, twice the
// highest limit Descope documents (docs/descope-api.md section 3).
const DefaultWorkers = 10

// Margin is the share of the server's limit a Pacer keeps to once it has
// learnt that limit from a 429: a tenth is left for jitter (calls sent on
// schedule that reach the server bunched) and for the estimate's error.
const Margin = 0.9

// DefaultWindow is the period over which the server's limit is counted when
// the configured rate does not say (an unlimited rate): Descope documents
// its limits per 60 s (docs/descope-api.md section 3).
const DefaultWindow = 60 * time.Second

// evidenceWindows bounds the evidence a Pacer keeps: the calls the server
// accepted within that many windows before now, at most maxEvidence of them.
const (
	evidenceWindows = 4
	maxEvidence     = 1 << 16
)

// minEvidence is the fewest calls per window a first episode must show
// before the pacer takes them for the server's limit: fewer mean the
// server's window was mostly spent before this run began (see resumeLocked).
const minEvidence = 5

// Pacer paces every call to one project: a single token bucket
// (golang.org/x/time/rate) shared by plan reads, apply writes and scripts.
//
// The bucket holds fewer tokens than the burst, those the pace refills in
// JitterAllowance (at least one): calls sent exactly on schedule can reach
// the server bunched (network jitter, a first call slowed by connection
// setup, a busy machine waking a timer late), and the tokens left in the
// server's bucket absorb that, so a pacer matching the server's limit sees
// no 429. It costs JitterAllowance, or one call's interval, over a whole
// run. (A burst of 1 keeps its one token.)
//
// A 429 means the server allows less than the configured rate, and the pacer
// learns how much less from what it saw (docs/design.md section 5). Every
// waiter holds until Retry-After has passed (an episode: the 429s of the
// calls in flight with the first one extend it, nothing else). Then the
// calls the server accepted during the window W before it refused (the
// configured rate's period) give its limit L per W: the pacer keeps the
// largest n*W/(t+W) over the last n accepted calls, sent within t of the
// refusal, which is exact when a full bucket was drained at once and never
// above L for a server that allows L per W with a burst of L, however the
// calls were spread. The calls answered after the refusal (those in flight)
// count too. The pacer resumes at Margin of L per W, with a burst of what
// remains of L in the window under the same margin, less the calls still
// in flight, and keeps that pace for the rest of the run: climbing back
// would only earn another 429 and, against Descope, its 60 s back-off. A
// 429 for a call sent before the previous episode ended belongs to that
// episode and is simply sent again. When the server refused before
// accepting anything, or after fewer than minEvidence calls, there is no
// evidence (another run or client spent the window), and the pace is halved.
//
// That estimate assumes the server counts over W. One that counts over a
// longer window (a bucket of 200 refilled at 200 per minute, against
// --rate 100/1s) is read as allowing far more than it refills, and refuses
// again soon after the pause. The calls it accepted between the two
// refusals then measure its refill, and the pacer resumes below it for
// good: a second episode is the last (see measureRefillLocked). One that
// counts over a shorter window is read as allowing less than it does, and
// the pace stays below what it allows.
//
// What was learnt outlives the run through Memory and Recall; the configured
// rate stays the upper bound of every pace.
//
// A nil *Pacer never waits.
type Pacer struct {
	rate         Rate // the configured rate: every pace is at most this
	burst        int  // the configured burst
	window       time.Duration
	clock        Clock
	defaultPause time.Duration
	logger       hclog.Logger

	mu          sync.Mutex
	lim         *rate.Limiter
	pace        Rate          // the pace now: rate, or less once learnt
	paceBurst   int           // the burst now: burst, or less once learnt
	last        time.Time     // latest clock reading: the times handed to lim never go back
	pausedUntil time.Time     // no call starts before this
	pausing     bool          // a pause has started and not yet been resumed from
	pauseStart  time.Time     // when the current episode's first 429 came back
	refusedSent time.Time     // when the call it refused was sent
	prevRefused time.Time     // the refusedSent of the episode before, once it ended
	resumedAt   time.Time     // when the last episode ended
	wake        chan struct{} // closed and replaced when a pause starts, waking every waiter
	pauses      int
	accepted    []time.Time   // send times of the calls the server accepted, about in order
	inFlight    int           // calls sent and not yet answered
	slowest     time.Duration // the longest round trip answered since the last episode ended
	learnt      PaceMemory    // what was learnt or recalled; zero Pace until then
}

// PacerOption configures a Pacer.
type PacerOption func(*Pacer)

// WithClock sets the pacer's time source (default: the system clock).
func WithClock(c Clock) PacerOption { return func(p *Pacer) { p.clock = c } }

// WithDefaultPause sets the pause for a 429 that has no Retry-After (default 10s).
func WithDefaultPause(d time.Duration) PacerOption { return func(p *Pacer) { p.defaultPause = d } }

// WithPacerLogger sets where pauses and learnt paces are logged (default: nowhere).
func WithPacerLogger(l hclog.Logger) PacerOption { return func(p *Pacer) { p.logger = l } }

// NewPacer returns a pacer allowing r with bursts of up to burst calls
// (at least 1).
func NewPacer(r Rate, burst int, opts ...PacerOption) *Pacer {
	p := &Pacer{
		rate:         r,
		burst:        max(burst, 1),
		window:       r.Per,
		clock:        realClock{},
		defaultPause: 10 * time.Second,
		logger:       hclog.NewNullLogger(),
		wake:         make(chan struct{}),
		pace:         r,
	}
	if r.IsUnlimited() {
		p.window = DefaultWindow
	}
	p.paceBurst = p.burst
	for _, opt := range opts {
		opt(p)
	}
	p.last = p.clock.Now()
	p.refillLocked(p.last, float64(p.bucketLocked()))
	return p
}

// JitterAllowance is how late, against its schedule, a call may reach the
// server without a 429 when the pace matches the server's limit: the
// pacer's bucket holds the tokens the pace refills in that time (at least
// one) fewer than the burst. 150 ms covers network jitter of tens of
// milliseconds and timers woken late on a loaded machine.
const JitterAllowance = 150 * time.Millisecond

// bucketLocked is the limiter's capacity: the burst less the jitter margin.
func (p *Pacer) bucketLocked() int {
	margin := 1
	if !p.pace.IsUnlimited() {
		margin = max(int(math.Ceil(float64(p.pace.Limit())*JitterAllowance.Seconds())), 1)
	}
	return max(p.paceBurst-margin, 1)
}

// refillLocked replaces the limiter with one at the current pace holding
// tokens (rounded down) at time at.
func (p *Pacer) refillLocked(at time.Time, tokens float64) {
	bucket := p.bucketLocked()
	p.lim = rate.NewLimiter(p.pace.Limit(), bucket)
	p.lim.SetBurstAt(at, bucket) // full, as of at
	// (Rounded down, but not for a float's error: 3.9999999999 is 4.)
	if spend := bucket - int(max(min(tokens+1e-9, float64(bucket)), 0)); spend > 0 {
		p.lim.ReserveN(at, spend)
	}
}

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
	// Pace is the current pace: the configured rate until one is learnt.
	Pace Rate
	// Server is the server's limit as learnt, zero until a 429 showed it.
	Server Rate
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
	p.nowLocked()
	p.resumeLocked()
	s := PacerStats{Pauses: p.pauses, Limit: p.lim.Limit(), Pace: p.pace, Server: p.learnt.Server}
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
	for n > 0 {
		k, _, err := p.wait(ctx, n)
		if err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// take acquires the token for one call: a prepaid one from ctx if there is
// one left (see WithPrepaid), else one from the bucket. Either way it holds
// while the pacer is paused, and a prepaid token that had to wait out a
// pause is void: the pause reset the bucket it came from.
func (p *Pacer) take(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if takePrepaid(ctx) {
		if _, held, err := p.wait(ctx, 0); err != nil || !held {
			return err
		}
	}
	_, _, err := p.wait(ctx, 1)
	return err
}

// errWoken reports that a sleep was cut short by a new pause.
var errWoken = errors.New("woken by a pause")

// wait reserves up to n tokens (as many as the bucket holds; 0 only waits
// out a pause) and sleeps until they are due. It returns how many it took,
// and whether it held for a pause. A pause starting meanwhile cancels the
// reservation and starts over.
func (p *Pacer) wait(ctx context.Context, n int) (taken int, held bool, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, held, err
		}
		p.mu.Lock()
		now := p.nowLocked()
		if now.Before(p.pausedUntil) {
			d, wake := p.pausedUntil.Sub(now), p.wake
			p.mu.Unlock()
			held = true
			if err := p.sleep(ctx, d, wake); err != nil && !errors.Is(err, errWoken) {
				return 0, held, err
			}
			continue
		}
		p.resumeLocked()
		if n == 0 || p.pace.IsUnlimited() {
			// Not a reservation: a zero-token one would wait out the
			// deficit that other waiters' reservations have left.
			p.mu.Unlock()
			return n, held, nil
		}
		k := min(n, p.bucketLocked())
		lim := p.lim
		r := lim.ReserveN(now, k)
		delay, wake := r.DelayFrom(now), p.wake
		p.mu.Unlock()
		if !r.OK() {
			return 0, held, fmt.Errorf("pacer: cannot take %d tokens at once", k)
		}
		if delay <= 0 {
			return k, held, nil
		}
		err := p.sleep(ctx, delay, wake)
		if err == nil {
			return k, held, nil
		}
		p.mu.Lock()
		r.CancelAt(p.nowLocked())
		p.mu.Unlock()
		if !errors.Is(err, errWoken) {
			return 0, held, err
		}
		held = true
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

// sent records a call leaving for the server and returns its send time,
// which the call's answered takes back.
func (p *Pacer) sent() time.Time {
	if p == nil {
		return time.Time{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight++
	return p.nowLocked()
}

// answered records the answer to the call sent at: status 429 (with the
// Retry-After asked for) is a refusal, any other status a call the server
// accepted, and 0 no answer at all (a dropped connection), which says
// nothing about the limit.
func (p *Pacer) answered(at time.Time, status int, retryAfter time.Duration) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight = max(p.inFlight-1, 0)
	if status != 0 {
		p.slowest = max(p.slowest, p.nowLocked().Sub(at))
	}
	switch {
	case status == http.StatusTooManyRequests:
		p.refusedLocked(at, retryAfter)
	case status != 0:
		p.keepLocked(at)
	}
}

// keepLocked adds the send time of a call the server accepted to the
// evidence, first dropping what is older than evidenceWindows windows
// before now or before the last episode's first refusal, whichever is
// earlier (or, at maxEvidence calls, the older half) whenever the slice is
// full.
func (p *Pacer) keepLocked(at time.Time) {
	if len(p.accepted) == cap(p.accepted) {
		cutoff := p.nowLocked()
		if !p.refusedSent.IsZero() && p.refusedSent.Before(cutoff) {
			cutoff = p.refusedSent
		}
		cutoff = cutoff.Add(-evidenceWindows * p.window)
		i := 0
		for i < len(p.accepted) && p.accepted[i].Before(cutoff) {
			i++
		}
		if len(p.accepted)-i >= maxEvidence {
			i = len(p.accepted) - maxEvidence/2
		}
		p.accepted = append(p.accepted[:0], p.accepted[i:]...)
	}
	p.accepted = append(p.accepted, at)
}

// Pause records a 429 for a call sent just now: every call holds until
// retryAfter has passed (or the default pause when it is 0), and then
// resumes at the pace the server showed it accepts. Several 429s during one
// pause extend it but count as one episode.
func (p *Pacer) Pause(retryAfter time.Duration) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refusedLocked(p.nowLocked(), retryAfter)
}

// refusedLocked starts or extends a pause for a 429 to the call sent at.
func (p *Pacer) refusedLocked(at time.Time, retryAfter time.Duration) {
	if retryAfter <= 0 {
		retryAfter = p.defaultPause
	}
	now := p.nowLocked()
	p.resumeLocked() // a pause that is over but not yet resumed from
	if !p.pausing {
		if at.Before(p.resumedAt) {
			// Sent before the last episode ended: the pace learnt then
			// already answers it, and the call is sent again at that pace.
			return
		}
		p.pausing = true
		p.pauses++
		p.pauseStart, p.refusedSent = now, at
		p.logger.Warn("rate limited (429): holding every call", "for", retryAfter)
	}
	if until := now.Add(retryAfter); until.After(p.pausedUntil) {
		p.pausedUntil = until
	}
	close(p.wake)
	p.wake = make(chan struct{})
}

// resumeLocked ends a pause whose time is over: it learns the server's
// limit from the calls it accepted and sets the pace and the bucket.
func (p *Pacer) resumeLocked() {
	if !p.pausing || p.last.Before(p.pausedUntil) {
		return
	}
	at := p.pausedUntil
	p.pausing = false
	prev, resumed, slowest := p.prevRefused, p.resumedAt, p.slowest
	p.resumedAt = at
	p.prevRefused = p.refusedSent
	p.slowest = 0
	if !prev.IsZero() && p.measureRefillLocked(prev, resumed, at, slowest) {
		return
	}
	w := float64(p.window)
	// The pace now and the server's limit, in calls per window.
	current := math.Inf(1)
	if !p.pace.IsUnlimited() {
		current = float64(p.pace.Limit()) * p.window.Seconds()
	}
	server := p.estimateLocked(p.refusedSent, p.pauseStart)
	if server < minEvidence {
		// Too little evidence: the server refused before this run had
		// sent it a handful of calls, so something else (the run just
		// before this one, another client) spent its window, and the
		// few calls accepted say nothing of its limit. Learning from
		// them would pace the rest of the run, and the next runs, at
		// a call or two per window. Halve the pace, learn nothing, and
		// let a second episode, if any, measure the refill.
		if !math.IsInf(current, 1) {
			p.setPaceLocked(Rate{N: max(int(current/2), 1), Per: p.window})
		}
		if server < 1 {
			p.logger.Info(fmt.Sprintf("the server refused before accepting any call; pacing at %s", p.pace))
		} else {
			p.logger.Info(fmt.Sprintf("the server refused after accepting only %d of this run's calls, too few to learn its limit from (another run or client spent its window); pacing at %s", int(server), p.pace))
		}
		p.refillLocked(at, 0)
		return
	}
	limit := Rate{N: int(server), Per: p.window}
	pace := Rate{N: max(int(Margin*min(server, current)+1e-9), 1), Per: p.window}
	p.setPaceLocked(pace)
	p.learnt = PaceMemory{Server: limit, Pace: pace, LearntAt: at}
	p.logger.Info(fmt.Sprintf("the server allows about %s; pacing at %s", limit, pace))
	// The burst to resume with: what the margin leaves of the window, less
	// the calls the server counted in it and those still in flight.
	recent := 0
	for _, s := range p.accepted {
		if float64(at.Sub(s)) < w && !s.After(p.pauseStart) {
			recent++
		}
	}
	p.refillLocked(at, float64(pace.N-recent-p.inFlight))
}

// measureRefillLocked learns the server's refill from a 429 that follows an
// earlier episode, whose first refusal was for a call sent at prev and
// which ended at resumed. slowest is the longest round trip answered since.
// It reports false, changing nothing, when the measure may be well below
// the refill and the window estimate still holds (the 429 came from calls
// bunched by jitter, or from another client sharing the limit): the caller
// then lowers the pace by the margin, as for a first episode.
//
// A token bucket of capacity C refilled at r per second accepts C + r*t
// calls in t from full: a first episode shows that sum, and the window
// estimate assumes C = r*W for the configured window W. When the server's
// window is longer, it overestimates r (a bucket of 200 refilled at 200 per
// minute drained in a second reads as about 93/1s). A refusal leaves the
// bucket with less than a token, so the n calls accepted between two
// refusals sent d apart measure the refill: r*d is within one call of n
// whatever the window and whatever Retry-After was rounded to, and only
// lower if the pause filled the bucket. The pace is at most Margin of n/d,
// and at most (m-1)/(d+slowest), m the calls sent after the pause: a bound
// below r even when the calls reached the server in another order than
// they were sent. The burst is what the calls accepted show the bucket
// holds beyond the refill, and the server's limit and the pace are written
// over its window C/r ("200/60s"), so that the burst goes with them.
//
// The pacer resumes with an empty bucket: the server's holds what it
// refilled during the pause, which is left to absorb jitter.
func (p *Pacer) measureRefillLocked(prev, resumed, at time.Time, slowest time.Duration) bool {
	// The span ends when the refused call or the last of the calls
	// accepted was sent: calls sent together (a burst) reach the server in
	// any order, so calls sent after the refused one may have been
	// accepted before it, and those accepted after it took what the
	// server refilled since.
	cur := p.refusedSent
	var sent []time.Time // the accepted calls sent before the 429 came back
	n := 0               // of them, those sent after the previous refusal
	since := 0           // and those sent after the previous pause
	for _, s := range p.accepted {
		if s.After(p.pauseStart) {
			continue
		}
		sent = append(sent, s)
		if s.After(prev) {
			n++
			if s.After(cur) {
				cur = s
			}
		}
		if !s.Before(resumed) {
			since++
		}
	}
	span := cur.Sub(prev).Seconds()
	if span <= 0 {
		return false
	}
	refill := max(float64(n), 1) / span // the server's refill, calls per second
	// The burst: the most the calls accepted exceed the refill by, over
	// any stretch ending at the refusal; and, of the calls before the
	// previous refusal, ending there.
	slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
	m, _ := slices.BinarySearchFunc(sent, prev, func(s, t time.Time) int {
		if s.After(t) {
			return 1
		}
		return -1
	}) // sent[:m] were sent up to the previous refusal
	burst, before := 1.0, 0.0
	for i, s := range sent {
		burst = max(burst, float64(len(sent)-i)-refill*cur.Sub(s).Seconds())
		if i < m {
			before = max(before, float64(m-i)-refill*prev.Sub(s).Seconds())
		}
	}
	// The measure holds when the pause left the server's bucket short of
	// the burst the calls before the previous refusal showed, or within
	// the margin of it. Otherwise the bucket may have been full well before
	// the pause ended, and n/d is well below the refill: unless the window
	// estimate is contradicted too, it stands, and the caller lowers the
	// pace by the margin. What it predicts for the span: what the server
	// refilled during the pause, up to its burst, and its refill since.
	if Margin*refill*resumed.Sub(prev).Seconds() >= before {
		belief := p.learnt.Server
		if belief.IsUnlimited() {
			belief = p.pace
		}
		if !belief.IsUnlimited() {
			r := float64(belief.Limit())
			expect := min(float64(belief.N), r*resumed.Sub(prev).Seconds()) + r*cur.Sub(resumed).Seconds()
			if float64(n)+1 >= Margin*expect && float64(n) <= expect/Margin+1 {
				return false
			}
		}
	}
	current := math.Inf(1)
	if !p.pace.IsUnlimited() {
		current = float64(p.pace.Limit())
	}
	// Over the span at the server, which may be up to a round trip longer
	// than between the sends, the refill was at least the calls sent after
	// the pause less one: those in flight with the previous refusal may
	// have reached the server before it and taken what it held then.
	pace := min(Margin*float64(n), float64(since)-1) / (span + slowest.Seconds())
	if since < 2 {
		// A refill of less than two calls over the span: too little to
		// bound it from below.
		pace = min(0.5/span, current/2)
	}
	pace = min(pace, current, refill)
	server, paced := overWindow(refill, pace, burst)
	p.setPaceLocked(paced)
	p.learnt = PaceMemory{Server: server, Pace: paced, LearntAt: at}
	p.logger.Info(fmt.Sprintf("the server allows about %s (%d calls in the %.3gs between two 429s); pacing at %s",
		server, n, span, paced))
	p.refillLocked(at, 0)
	return true
}

// overWindow writes a server's refill and a pace (calls per second) as
// Rates over the server's window: the time its refill takes to fill a
// bucket of burst calls, rounded down to a whole second (a millisecond
// under one), so that neither count is above what was measured. The window
// grows when the pace would make less than one call in it.
func overWindow(refill, pace, burst float64) (server, paced Rate) {
	per := time.Duration(burst / refill * float64(time.Second))
	if per >= time.Second {
		per = per.Truncate(time.Second)
	} else {
		per = max(per.Truncate(time.Millisecond), time.Millisecond)
	}
	if pace*per.Seconds() < 1 {
		per = time.Duration(math.Ceil(1/pace*1000)) * time.Millisecond
		if per >= time.Second {
			per = (per + time.Second - 1).Truncate(time.Second)
		}
	}
	server = Rate{N: max(int(math.Round(refill*per.Seconds())), 1), Per: per}
	paced = Rate{N: max(int(pace*per.Seconds()+1e-9), 1), Per: per}
	return server, paced
}

// estimateLocked returns the server's limit per window, rounded, as the
// calls it accepted, sent before its first 429 came back (at answered), show
// it: the largest n*W/(t-s+W) over the last n of them, the first of which
// was sent at s, where t is when the refused call or the last of them was
// sent. Send times on both ends keep the span free of the time answers took
// to come back and be read. 0 when there are none.
func (p *Pacer) estimateLocked(refused, answered time.Time) float64 {
	var sent []time.Time
	for _, s := range p.accepted {
		if !s.After(answered) {
			sent = append(sent, s)
		}
	}
	if len(sent) == 0 {
		return 0
	}
	slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
	t := refused
	if last := sent[len(sent)-1]; last.After(t) {
		t = last
	}
	w := float64(p.window)
	best := 0.0
	for i, s := range sent {
		best = max(best, float64(len(sent)-i)*w/(float64(t.Sub(s))+w))
	}
	return math.Round(best)
}

// setPaceLocked sets the pace (at most the configured rate) and its burst.
func (p *Pacer) setPaceLocked(r Rate) {
	if !p.rate.IsUnlimited() && r.Limit() >= p.rate.Limit() {
		p.pace, p.paceBurst = p.rate, p.burst
		return
	}
	p.pace = r
	p.paceBurst = r.N
	if !p.rate.IsUnlimited() {
		p.paceBurst = min(r.N, p.burst)
	}
}

// PaceMemory is what a Pacer learnt about its server, for the next run on
// the project to start from (see Pacer.Memory and Pacer.Recall).
type PaceMemory struct {
	// Server is the server's limit as the calls it accepted showed it.
	Server Rate
	// Pace is the pace kept since: Margin of Server.
	Pace Rate
	// LearntAt is when the pace was learnt.
	LearntAt time.Time
	// Tokens is how many calls the bucket held at SavedAt, so that a run
	// right after this one does not spend the server's window twice.
	Tokens  float64
	SavedAt time.Time
}

// Memory returns what p learnt (or recalled) about the server, with the
// bucket as it is now; false when p has learnt nothing.
func (p *Pacer) Memory() (PaceMemory, bool) {
	if p == nil {
		return PaceMemory{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.learnt.Pace.IsUnlimited() {
		return PaceMemory{}, false
	}
	m := p.learnt
	m.SavedAt = p.nowLocked()
	if !p.pausing {
		m.Tokens = max(p.lim.TokensAt(m.SavedAt), 0)
	}
	return m, true
}

// Recall starts p from what an earlier run learnt: its pace, unless the
// configured rate is lower, with the tokens its bucket held then and those
// refilled since. Call it before the first call.
func (p *Pacer) Recall(m PaceMemory) {
	if p == nil || m.Pace.IsUnlimited() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.nowLocked()
	p.learnt = m
	p.setPaceLocked(m.Pace)
	tokens := m.Tokens
	if since := now.Sub(m.SavedAt); since > 0 && !p.pace.IsUnlimited() {
		tokens += float64(p.pace.Limit()) * since.Seconds()
	}
	p.refillLocked(now, tokens)
	p.logger.Info(fmt.Sprintf("pacing at %s, as learnt %s (the server allowed about %s)", p.pace, m.LearntAt.Format(time.DateOnly), m.Server))
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
