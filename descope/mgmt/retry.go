package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// RetryPolicy bounds the retries of one call. Zero fields take the defaults.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts of a call that keeps failing
	// transiently (a 503 or 52x, a dropped connection). Default 5.
	MaxAttempts int
	// BaseDelay is the backoff before the first retry; each further one
	// doubles, up to MaxDelay. Each delay is jittered down by up to half.
	// Defaults 250ms and 5s.
	BaseDelay, MaxDelay time.Duration
	// MaxRateLimited bounds the retries after a 429, each made once the
	// pacer's pause is over. Default 10.
	MaxRateLimited int
}

// DefaultRetryPolicy is the policy a zero RetryPolicy stands for.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 5, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second, MaxRateLimited: 10}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts > 0 {
		d.MaxAttempts = p.MaxAttempts
	}
	if p.BaseDelay > 0 {
		d.BaseDelay = p.BaseDelay
	}
	if p.MaxDelay > 0 {
		d.MaxDelay = p.MaxDelay
	}
	if p.MaxRateLimited > 0 {
		d.MaxRateLimited = p.MaxRateLimited
	}
	return d
}

// backoff returns the wait before retry n (1 for the first): exponential,
// capped, with jitter that spreads concurrent retries apart.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// exec performs cl with retries. Every attempt takes a token from the pacer.
// A 429 pauses the pacer (every call of the project waits) and the call is
// sent again once the pause is over. A transient failure is retried after a
// backoff; as the failed attempt may have taken effect, a create first asks
// cl.landed, and a later conflict (create) or not-found (delete) counts as
// success.
func (c *Client) exec(ctx context.Context, cl *call) error {
	var payload []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return fmt.Errorf("%s: encode request: %w", cl.op, err)
		}
		payload = b
	}
	var transient, limited int
	unsure := false // an earlier attempt may have taken effect
	for attempt := 1; ; attempt++ {
		if err := c.pacer.take(ctx); err != nil {
			return fmt.Errorf("%s: %w", cl.op, err)
		}
		sentAt := c.pacer.sent()
		data, err := c.send(ctx, cl, payload, attempt)
		c.pacer.answered(sentAt, answerStatus(err), retryAfter(err))
		if err == nil {
			return cl.decode(data)
		}
		switch {
		case ctx.Err() != nil:
			return err
		case IsRateLimited(err):
			// The pacer holds every call for the pause (answered started it).
			limited++
			if limited > c.retry.MaxRateLimited {
				return err
			}
			c.logger.Debug("rate limited; retrying after the pause", "op", cl.op, "retry_after", retryAfter(err))
		case IsTransient(err):
			transient++
			if transient >= c.retry.MaxAttempts {
				return err
			}
			unsure = true
			delay := c.retry.backoff(transient)
			c.logger.Info("transient failure; retrying", "op", cl.op, "attempt", attempt, "in", delay, "error", err)
			if err := sleep(ctx, delay); err != nil {
				return fmt.Errorf("%s: %w", cl.op, err)
			}
			if done, lerr := c.checkLanded(ctx, cl); lerr != nil {
				return fmt.Errorf("%w; checking whether it took effect: %w", err, lerr)
			} else if done {
				return nil
			}
		case unsure && cl.kind == kindCreate && IsConflict(err):
			// The attempt whose answer was lost created it.
			if done, _ := c.checkLanded(ctx, cl); done || cl.landed == nil {
				return nil
			}
			return err
		case unsure && cl.kind == kindDelete && IsNotFound(err):
			// The attempt whose answer was lost deleted it.
			return nil
		default:
			return err
		}
	}
}

// answerStatus is the HTTP status the server answered a call with: 200 for
// success, the *Error's status, or 0 when no answer came.
func answerStatus(err error) int {
	var e *Error
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &e):
		return e.Status
	}
	return 0
}

// retryAfter is the Retry-After of a 429, else 0.
func retryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// checkLanded asks cl.landed, when set, whether a create took effect.
func (c *Client) checkLanded(ctx context.Context, cl *call) (bool, error) {
	if cl.landed == nil {
		return false, nil
	}
	done, err := cl.landed(ctx)
	if done {
		c.logger.Info("a create whose answer was lost had taken effect", "op", cl.op)
	}
	return done, err
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
