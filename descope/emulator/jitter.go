package emulator

import (
	"math/rand/v2"
	"sync"
	"time"
)

// WithJitter varies the latency of every request (WithLatency) by up to d
// either way, uniformly and never below zero: WithLatency(20ms) with
// WithJitter(20ms) delays each request by 0 to 40 ms. Jitter is what network,
// garbage collection and a busy machine add in production; with it, a client
// that sends calls exactly on schedule sees them reach the server bunched.
// The draws are reproducible with WithSeed, from a generator of their own, so
// that jitter changes no generated id.
func WithJitter(d time.Duration) Option {
	return func(c *config) { c.jitter = d }
}

// jitter draws the delay of each request. A nil *jitter adds nothing.
type jitter struct {
	spread time.Duration

	mu  sync.Mutex
	rng *rand.Rand
}

// newJitter returns the draws for WithJitter(spread) under seed, or nil when
// spread is not positive.
func newJitter(spread time.Duration, seed uint64) *jitter {
	if spread <= 0 {
		return nil
	}
	return &jitter{spread: spread, rng: rand.New(rand.NewPCG(seed^0x6a09e667f3bcc908, seed))}
}

// delay returns the wait of one request: uniform in
// [max(0, latency-spread), latency+spread].
func (j *jitter) delay(latency time.Duration) time.Duration {
	if j == nil {
		return latency
	}
	lo, hi := max(latency-j.spread, 0), latency+j.spread
	j.mu.Lock()
	d := lo + time.Duration(j.rng.Int64N(int64(hi-lo)+1))
	j.mu.Unlock()
	return d
}
