package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A Fault is a failure the emulator injects into requests whose path matches
// a pattern (see SetFault). The zero Fault does nothing.
//
// A fault acts before the request is authenticated, rate limited or applied,
// so it changes no state, unless After is set: then the request is handled
// normally (its write lands) and only its answer is replaced by the fault's.
// That produces the case a client must survive: a create that succeeded but
// whose answer was lost.
//
// Over a socket, a dropped connection is reset (TCP RST) without an answer;
// through Transport it is an error that wraps syscall.ECONNRESET. Note that
// Go's http.Transport silently retries a GET (or any replayable request)
// whose reused connection was dropped, so over a socket such a fault may
// show only as an extra entry in Requests.
type Fault struct {
	// Latency delays the request (real time) before anything else happens.
	Latency time.Duration
	// Status, when non-zero, is the HTTP status to answer with (for example
	// 500, 503, 520 or 429), with a JSON error body: E130429 and the
	// documented rate-limit body for 429, else "E130" followed by the status.
	Status int
	// Body, when set, replaces that error body (for example an HTML page, to
	// test a client's handling of an answer that is not JSON).
	Body []byte
	// RetryAfter sets the Retry-After header of a Status answer, in whole
	// seconds rounded up; zero sends none (the header may be missing).
	RetryAfter time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// After applies the request first and then answers with the fault
	// (Status or Drop) instead of the real answer.
	After bool
	// Times limits the fault to the next Times matching requests (counting
	// only those it hits); the fault is then removed. Zero means no limit.
	Times int
	// Probability, when set, makes the fault hit each matching request with
	// this probability, drawn from the emulator's seeded RNG (WithSeed).
	Probability float64
}

// validate panics on a fault that cannot be applied: it is a mistake in the
// test, like an invalid pattern given to http.ServeMux.
func (f Fault) validate(pattern string) {
	if pattern == "" || strings.Contains(strings.TrimSuffix(pattern, "*"), "*") {
		panic(fmt.Sprintf("emulator: fault pattern %q: want an exact path or a prefix ending in *", pattern))
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		panic(fmt.Sprintf("emulator: fault on %q: status %d is not an error status", pattern, f.Status))
	}
	if f.Probability < 0 || f.Probability > 1 {
		panic(fmt.Sprintf("emulator: fault on %q: probability %v is not in [0, 1]", pattern, f.Probability))
	}
	if f.Times < 0 {
		panic(fmt.Sprintf("emulator: fault on %q: negative Times %d", pattern, f.Times))
	}
	if f.After && f.Status == 0 && !f.Drop {
		panic(fmt.Sprintf("emulator: fault on %q: After needs Status or Drop", pattern))
	}
}

// response is the answer a fault gives in place of the real one.
func (f Fault) response() *response {
	h := http.Header{}
	if f.RetryAfter > 0 {
		h.Set("Retry-After", fmt.Sprint(retryAfterSeconds(f.RetryAfter)))
	}
	if f.Body != nil {
		return &response{status: f.Status, header: h, body: f.Body}
	}
	e := rateLimited()
	if f.Status != http.StatusTooManyRequests {
		desc := http.StatusText(f.Status)
		if desc == "" {
			desc = "Server error"
		}
		e = &apiError{status: f.Status, code: fmt.Sprintf("E130%03d", f.Status), description: desc, message: "injected fault"}
	}
	resp := errorResponse(e)
	for k, v := range h {
		resp.header[k] = v
	}
	return resp
}

// faultSet holds the installed faults. When several patterns match a path,
// an exact pattern wins over a prefix and a longer prefix over a shorter one.
type faultSet struct {
	mu      sync.Mutex
	entries map[string]*faultEntry // by pattern
}

type faultEntry struct {
	fault Fault
	left  int // hits left when fault.Times > 0
}

// set installs f for pattern, replacing any fault it had.
func (s *faultSet) set(pattern string, f Fault) {
	f.validate(pattern)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = map[string]*faultEntry{}
	}
	s.entries[pattern] = &faultEntry{fault: f, left: f.Times}
}

func (s *faultSet) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = nil
}

// take returns the fault that hits a request for path, if any, and counts
// the hit. draw returns a number in [0, 1) for probabilistic faults.
func (s *faultSet) take(path string, draw func() float64) (Fault, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pattern, e := s.match(path)
	if e == nil {
		return Fault{}, "", false
	}
	if e.fault.Probability > 0 && draw() >= e.fault.Probability {
		return Fault{}, "", false
	}
	if e.fault.Times > 0 {
		if e.left--; e.left == 0 {
			delete(s.entries, pattern)
		}
	}
	return e.fault, pattern, true
}

func (s *faultSet) match(path string) (string, *faultEntry) {
	if e := s.entries[path]; e != nil {
		return path, e
	}
	best := ""
	for p := range s.entries {
		prefix, ok := strings.CutSuffix(p, "*")
		if ok && strings.HasPrefix(path, prefix) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return "", nil
	}
	return best, s.entries[best]
}
