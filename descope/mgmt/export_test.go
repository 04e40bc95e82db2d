package mgmt

import "time"

// Sent, Answered and Tokens let the tests feed a Pacer the evidence a
// client gives it, and read its bucket.

func (p *Pacer) Sent() time.Time { return p.sent() }

func (p *Pacer) Answered(at time.Time, status int, retryAfter time.Duration) {
	p.answered(at, status, retryAfter)
}

// Tokens returns how many calls could start at once now.
func (p *Pacer) Tokens() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nowLocked()
	p.resumeLocked()
	return p.lim.TokensAt(p.last)
}
