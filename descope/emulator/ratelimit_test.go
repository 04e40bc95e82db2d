package emulator

import (
	"net/http"
	"testing"
	"time"
)

// send sends n licence requests and returns their statuses and the last
// Retry-After header.
func send(c *tclient, n int) (statuses []int, retryAfter string) {
	for range n {
		r := c.do(http.MethodGet, "/v1/mgmt/license", nil)
		statuses = append(statuses, r.status)
		retryAfter = r.header.Get("Retry-After")
	}
	return statuses, retryAfter
}

func TestRateLimitBurstThenRefill(t *testing.T) {
	clock := newFakeClock()
	_, c := newTest(t, WithClock(clock.Now), WithRateLimit(3, time.Minute))
	got, _ := send(c, 3)
	for i, s := range got {
		if s != http.StatusOK {
			t.Fatalf("request %d of the burst: status %d", i, s)
		}
	}
	runSteps(t, c, clock, []step{
		{0, 429, "20"}, // one token refills every 20 s
		{19 * time.Second, 429, "1"},
		{500 * time.Millisecond, 429, "1"}, // rounded up
		{500 * time.Millisecond, 200, ""},
		{0, 429, "20"},
		{time.Hour, 200, ""}, // the bucket holds at most 3
		{0, 200, ""},
		{0, 200, ""},
		{0, 429, "20"},
	})
}

// step advances the clock, sends a request and expects an answer.
type step struct {
	advance    time.Duration
	status     int
	retryAfter string
}

func runSteps(t *testing.T, c *tclient, clock *fakeClock, steps []step) {
	t.Helper()
	for i, s := range steps {
		clock.Advance(s.advance)
		r := c.do(http.MethodGet, "/v1/mgmt/license", nil)
		if r.status != s.status || r.header.Get("Retry-After") != s.retryAfter {
			t.Errorf("step %d: status %d Retry-After %q, want %d %q", i, r.status, r.header.Get("Retry-After"), s.status, s.retryAfter)
		}
		if r.status == http.StatusTooManyRequests {
			wantError(t, r, 429, CodeRateLimited, "API rate limit exceeded.")
			if d := r.json(t)["errorDescription"]; d != "https://docs.descope.com/rate-limit" {
				t.Errorf("errorDescription = %v", d)
			}
		}
	}
}

func TestRateLimitDefault(t *testing.T) {
	clock := newFakeClock()
	c := &tclient{t: t}
	c.e = New(WithClock(clock.Now))
	c.http = &http.Client{Transport: c.e.Transport()}
	c.base = "http://emulator.test"
	statuses, retryAfter := send(c, DefaultRateLimit+1)
	for i, s := range statuses[:DefaultRateLimit] {
		if s != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200 (the default burst is %d)", i, s, DefaultRateLimit)
		}
	}
	if statuses[DefaultRateLimit] != http.StatusTooManyRequests || retryAfter != "1" {
		t.Errorf("request %d: status %d Retry-After %q, want 429 and 1 (a token every 300 ms)", DefaultRateLimit+1, statuses[DefaultRateLimit], retryAfter)
	}
}

func TestRateLimitPenalty(t *testing.T) {
	clock := newFakeClock()
	_, c := newTest(t, WithClock(clock.Now), WithRateLimit(3, time.Minute), WithPenalty(time.Minute))
	send(c, 3)
	runSteps(t, c, clock, []step{
		{0, 429, "60"},                // refused: the penalty starts
		{30 * time.Second, 429, "30"}, // a token is back, but the penalty holds
		{29 * time.Second, 429, "1"},  // refusals do not extend the penalty
		{time.Second, 200, ""},        // penalty over; tokens refilled meanwhile
		{0, 200, ""},
		{0, 200, ""},
		{0, 429, "60"},
	})
}

func TestRateLimitCountsEveryRequestAndComesFirst(t *testing.T) {
	clock := newFakeClock()
	_, c := newTest(t, WithClock(clock.Now), WithRateLimit(2, time.Minute))
	bad := http.Header{"Authorization": {"Bearer nope:nope"}}
	if r, _ := c.request(http.MethodGet, "/v1/mgmt/license", nil, bad); r.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", r.status)
	}
	c.do(http.MethodPost, "/v1/mgmt/tenant/create", `{"name":""}`) // 400, but it counts
	r := c.do(http.MethodPost, "/v1/mgmt/tenant/create", `{"name":"A"}`)
	wantError(t, r, http.StatusTooManyRequests, CodeRateLimited, "")
	if n := len(c.e.State().Tenants); n != 0 {
		t.Errorf("a refused create made %d tenants", n)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want int64
	}{
		{0, 1},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Nanosecond, 2},
		{20 * time.Second, 20},
		{59*time.Second + 999*time.Millisecond, 60},
	}
	for _, tt := range tests {
		if got := retryAfterSeconds(tt.wait); got != tt.want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}
