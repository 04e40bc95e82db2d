package mgmt_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

const (
	testProjectID = "P2aAc4T2V93bddihGEx2Ryhc8e5Z"
	testKey       = "K2testSecretManagementKey0123"
)

// request is one request as the recording server saw it.
type request struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
	ContentLength       int64
}

// reply is what the recording server answers; drop closes the connection
// without answering.
type reply struct {
	status int
	header map[string]string
	body   string
	drop   bool
}

func ok(body string) reply { return reply{status: http.StatusOK, body: body} }

// recorder is an httptest server on 127.0.0.1 that records every request
// and answers with respond (given the request and its 0-based index).
type recorder struct {
	t       *testing.T
	srv     *httptest.Server
	respond func(req request, n int) reply

	mu   sync.Mutex
	reqs []request
}

func newRecorder(t *testing.T, respond func(req request, n int) reply) *recorder {
	t.Helper()
	r := &recorder{t: t, respond: respond}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, hr *http.Request) {
	body, _ := io.ReadAll(hr.Body)
	req := request{Method: hr.Method, Path: hr.URL.Path, Query: hr.URL.RawQuery, Header: hr.Header.Clone(),
		Body: string(body), ContentLength: hr.ContentLength}
	r.mu.Lock()
	n := len(r.reqs)
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	rep := r.respond(req, n)
	if rep.drop {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

// paths returns "METHOD /path" of every request, in order.
func (r *recorder) paths() []string {
	var out []string
	for _, q := range r.requests() {
		out = append(out, q.Method+" "+q.Path)
	}
	return out
}

// countPaths returns how many requests each "METHOD /path" had.
func (r *recorder) countPaths() map[string]int {
	out := map[string]int{}
	for _, p := range r.paths() {
		out[p]++
	}
	return out
}

// routes answers by "METHOD /path" with the given replies, 404 otherwise.
func routes(table map[string]reply) func(request, int) reply {
	return func(req request, _ int) reply {
		if rep, found := table[req.Method+" "+req.Path]; found {
			return rep
		}
		return reply{status: http.StatusNotFound, body: `{"errorCode":"E011004","errorDescription":"Not found"}`}
	}
}

// newClient returns a client of r's server with no licence handshake, an
// unlimited pacer and tiny retry delays, adjusted by edit.
func newClient(t *testing.T, r *recorder, edit ...func(*mgmt.Config)) *mgmt.Client {
	t.Helper()
	cfg := mgmt.Config{
		ProjectID:     testProjectID,
		ManagementKey: testKey,
		BaseURL:       r.srv.URL,
		HTTPClient:    r.srv.Client(),
		Pacer:         mgmt.NewPacer(mgmt.Unlimited, 1),
		Retry:         mgmt.RetryPolicy{BaseDelay: time.Microsecond, MaxDelay: time.Millisecond},
		NoLicense:     true,
	}
	return configured(t, cfg, edit...)
}

// configured returns a client of cfg adjusted by edit.
func configured(t testing.TB, cfg mgmt.Config, edit ...func(*mgmt.Config)) *mgmt.Client {
	t.Helper()
	for _, e := range edit {
		e(&cfg)
	}
	c, err := mgmt.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// fakeClock is a Clock that moves only when Advance is called.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	added  chan struct{}
}

type fakeTimer struct {
	at   time.Time
	ch   chan time.Time
	done bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), added: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		t.done = true
	} else {
		c.timers = append(c.timers, t)
	}
	select {
	case c.added <- struct{}{}:
	default:
	}
	return t.ch, func() {
		c.mu.Lock()
		t.done = true
		c.mu.Unlock()
	}
}

// Advance moves the clock by d, firing the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.done:
		case !t.at.After(c.now):
			t.ch <- c.now
			t.done = true
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// pending returns the deadlines of the timers not yet fired or stopped, as
// offsets from now, sorted.
func (c *fakeClock) pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, t := range c.timers {
		if !t.done {
			out = append(out, t.at.Sub(c.now))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// BlockUntil waits until n timers are pending: n goroutines are asleep on
// the clock.
func (c *fakeClock) BlockUntil(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for len(c.pending()) < n {
		select {
		case <-c.added:
		case <-deadline:
			t.Fatalf("timeout waiting for %d sleepers; have %v", n, c.pending())
		}
	}
}

// instantClock is a Clock whose timers fire at once, moving time forward:
// pauses and pacing take no real time.
type instantClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *instantClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *instantClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch, func() {}
}
