package mgmt

import (
	"time"

	"golang.org/x/time/rate"
)

// Ahead returns how long n more calls take to start at p's pace as it is
// now (the configured rate, or the one learnt from the server): the tokens
// in hand start at once, and a pause in progress is waited out first. It
// estimates the time left for a progress display, and takes nothing. A nil
// or unlimited pacer returns 0.
func (p *Pacer) Ahead(n int) time.Duration {
	if p == nil || n <= 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.nowLocked()
	p.resumeLocked()
	var wait time.Duration
	if p.pausing && p.pausedUntil.After(now) {
		wait = p.pausedUntil.Sub(now)
	}
	limit := p.lim.Limit()
	if limit == rate.Inf || limit <= 0 {
		return wait
	}
	need := float64(n) - max(p.lim.TokensAt(now), 0)
	if need <= 0 {
		return wait
	}
	return wait + time.Duration(need/float64(limit)*float64(time.Second))
}
