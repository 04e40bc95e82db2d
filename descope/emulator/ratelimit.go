package emulator

import (
	"sync"
	"time"
)

// limiter is the project's token bucket (docs/descope-api.md section 8): capacity
// limit, refilled at limit per window, with an optional penalty. It is
// implemented as GCRA: tat, the theoretical arrival time, moves forward by
// one interval per accepted request, and a request is accepted while tat is
// at most tolerance ahead of now. That is a token bucket whose arithmetic is
// exact, so Retry-After never comes out a second off.
type limiter struct {
	mu           sync.Mutex
	off          bool
	interval     time.Duration // window / limit: the time one token takes to refill
	tolerance    time.Duration // (limit-1) * interval: how far ahead tat may run
	penalty      time.Duration
	tat          time.Time
	penaltyUntil time.Time
}

func newLimiter(limit int, window, penalty time.Duration) *limiter {
	if limit <= 0 || window <= 0 {
		return &limiter{off: true}
	}
	interval := window / time.Duration(limit)
	return &limiter{interval: interval, tolerance: interval * time.Duration(limit-1), penalty: penalty}
}

// allow takes a token at now. When there is none it reports how long until a
// request would pass: until the penalty ends and a token is back.
func (l *limiter) allow(now time.Time) (ok bool, wait time.Duration) {
	if l.off {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tat := l.tat
	if tat.Before(now) {
		tat = now
	}
	refill := tat.Sub(now) - l.tolerance // > 0: the bucket is empty for that long
	if now.Before(l.penaltyUntil) {
		return false, max(l.penaltyUntil.Sub(now), refill)
	}
	if refill > 0 {
		if l.penalty > 0 {
			l.penaltyUntil = now.Add(l.penalty)
			return false, max(l.penalty, refill)
		}
		return false, refill
	}
	l.tat = tat.Add(l.interval)
	return true, 0
}

// retryAfterSeconds is the Retry-After value for a wait: whole seconds,
// rounded up, and at least 1 (the Go SDK drops a zero).
func retryAfterSeconds(wait time.Duration) int64 {
	s := int64((wait + time.Second - 1) / time.Second)
	return max(s, 1)
}
