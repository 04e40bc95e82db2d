package emulator

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFaultStatus(t *testing.T) {
	tests := []struct {
		fault      Fault
		code, body string
	}{
		{Fault{Status: 503, Times: 2}, "E130503", ""},
		{Fault{Status: 500, Times: 2}, "E130500", ""},
		{Fault{Status: 520, Times: 2}, "E130520", ""},
		{Fault{Status: 502, Times: 2, Body: []byte("<html>bad gateway</html>")}, "", "<html>bad gateway</html>"},
	}
	for _, tt := range tests {
		e, c := newTest(t)
		e.SetFault("/v1/mgmt/tenant/create", tt.fault)
		for range 2 {
			r := c.do(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"name": "A"})
			if tt.body != "" {
				if r.status != tt.fault.Status || string(r.body) != tt.body {
					t.Errorf("%d with a body: got %d %s", tt.fault.Status, r.status, r.body)
				}
				continue
			}
			wantError(t, r, tt.fault.Status, tt.code, "injected fault")
		}
		if n := len(e.State().Tenants); n != 0 {
			t.Errorf("%d: a faulted create made %d tenants", tt.fault.Status, n)
		}
		c.post("/v1/mgmt/tenant/create", map[string]any{"name": "A"}) // the fault is used up
	}
}

func TestFault429Burst(t *testing.T) {
	e, c := newTest(t)
	e.SetFault("*", Fault{Status: 429, Times: 3, RetryAfter: 7 * time.Second})
	for i := range 3 {
		r := c.do(http.MethodGet, "/v1/mgmt/tenant/all", nil)
		wantError(t, r, http.StatusTooManyRequests, CodeRateLimited, "API rate limit exceeded.")
		if got := r.header.Get("Retry-After"); got != "7" {
			t.Errorf("request %d: Retry-After %q, want 7", i, got)
		}
	}
	c.get("/v1/mgmt/tenant/all")
}

func TestFaultDropBeforeWrite(t *testing.T) {
	e, c := newTest(t)
	e.SetFault("/v1/mgmt/tenant/create", Fault{Drop: true, Times: 1})
	_, err := c.request(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"name": "A"}, nil)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("err = %v, want one that wraps ECONNRESET", err)
	}
	if n := len(e.State().Tenants); n != 0 {
		t.Errorf("a dropped create made %d tenants", n)
	}
	if r := e.Requests()[0]; !r.Dropped || r.Status != 0 {
		t.Errorf("log: Dropped %v Status %d, want true 0", r.Dropped, r.Status)
	}
}

func TestFaultDropAfterWrite(t *testing.T) {
	e, c := newTest(t)
	e.SetFault("/v1/mgmt/tenant/create", Fault{Drop: true, After: true, Times: 1})
	_, err := c.request(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"}, nil)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("err = %v, want one that wraps ECONNRESET", err)
	}
	if e.State().Tenant("T2a") == nil {
		t.Error("the create did not land")
	}
	if r := e.Requests()[0]; !r.Dropped || r.Status != 200 {
		t.Errorf("log: Dropped %v Status %d, want true 200", r.Dropped, r.Status)
	}
	// The client's retry now meets the object it created.
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"}), http.StatusConflict, CodeValidation, "already exists")
}

func TestFaultStatusAfterWrite(t *testing.T) {
	e, c := newTest(t)
	e.SetFault("/v1/mgmt/tenant/create", Fault{Status: 503, After: true, Times: 1})
	wantError(t, c.do(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"}), 503, "E130503", "")
	if e.State().Tenant("T2a") == nil {
		t.Error("the create did not land")
	}
}

func TestFaultDropOverSocket(t *testing.T) {
	for _, after := range []bool{false, true} {
		srv := NewServer(WithRateLimit(0, 0), WithFault("/v1/mgmt/tenant/create", Fault{Drop: true, After: after, Times: 1}))
		c := &tclient{t: t, e: srv.Emulator, http: srv.Client(), base: srv.URL}
		if _, err := c.request(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"}, nil); err == nil {
			t.Errorf("after=%v: a dropped connection gave no error", after)
		}
		if landed := srv.State().Tenant("T2a") != nil; landed != after {
			t.Errorf("after=%v: the create landed: %v", after, landed)
		}
		c.get("/v1/mgmt/tenant/all") // the server still serves
		srv.Close()
	}
}

func TestFaultLatency(t *testing.T) {
	e, c := newTest(t)
	e.SetFault("/v1/mgmt/tenant/create", Fault{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/mgmt/tenant/create", strings.NewReader(`{"name":"A"}`))
	req.Header = c.sdkHeaders()
	if _, err := c.http.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if n := len(e.State().Tenants); n != 0 {
		t.Errorf("a request cancelled during its latency made %d tenants", n)
	}
	e.ClearFaults()
	e.SetFault("/v1/mgmt/license", Fault{Latency: 5 * time.Millisecond})
	start := time.Now()
	c.get("/v1/mgmt/license")
	if d := time.Since(start); d < 5*time.Millisecond {
		t.Errorf("the request took %v, less than its latency", d)
	}
}

func TestWithLatency(t *testing.T) {
	e, c := newTest(t, WithLatency(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/mgmt/license", nil)
	req.Header = c.sdkHeaders()
	if _, err := c.http.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if r := e.Requests()[0]; !r.Dropped {
		t.Errorf("log: %+v, want Dropped", r)
	}
}

func TestServerCloseEndsLatency(t *testing.T) {
	srv := NewServer(WithLatency(time.Hour))
	c := &tclient{t: t, e: srv.Emulator, http: srv.Client(), base: srv.URL}
	done := make(chan error)
	go func() {
		_, err := c.request(http.MethodGet, "/v1/mgmt/license", nil, c.sdkHeaders())
		done <- err
	}()
	for len(srv.Requests()) == 0 { // wait until the request is in its latency
		runtime.Gosched()
	}
	srv.Close()
	if err := <-done; err == nil {
		t.Error("a request cut off by Close succeeded")
	}
}

func TestFaultProbability(t *testing.T) {
	run := func() []int {
		e, c := newTest(t, WithSeed(7))
		e.SetFault("/v1/mgmt/license", Fault{Status: 503, Probability: 0.3})
		statuses, _ := send(c, 1000)
		return statuses
	}
	a, b := run(), run()
	hits := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d then %d: the same seed must give the same faults", i, a[i], b[i])
		}
		if a[i] == 503 {
			hits++
		}
	}
	if hits < 230 || hits > 370 {
		t.Errorf("%d of 1000 requests hit by a fault of probability 0.3", hits)
	}
}

func TestFaultProbabilityWithTimes(t *testing.T) {
	e, c := newTest(t)
	e.SetFault("/v1/mgmt/license", Fault{Status: 503, Probability: 0.5, Times: 3})
	statuses, _ := send(c, 200)
	hits := 0
	for _, s := range statuses {
		if s == 503 {
			hits++
		}
	}
	if hits != 3 {
		t.Errorf("%d hits, want Times = 3", hits)
	}
}

func TestFaultPatternMatching(t *testing.T) {
	var s faultSet
	s.set("*", Fault{Status: 500})
	s.set("/v1/mgmt/tenant*", Fault{Status: 501})
	s.set("/v1/mgmt/tenant/all*", Fault{Status: 502})
	s.set("/v1/mgmt/tenant/all", Fault{Status: 503})
	tests := []struct {
		path string
		want int
	}{
		{"/v1/mgmt/tenant/all", 503},
		{"/v1/mgmt/tenant/allx", 502},
		{"/v1/mgmt/tenant", 501},
		{"/v1/mgmt/tenant/create", 501},
		{"/v1/mgmt/role/all", 500},
	}
	never := func() float64 { t.Fatal("no probability set"); return 0 }
	for _, tt := range tests {
		f, _, ok := s.take(tt.path, never)
		if !ok || f.Status != tt.want {
			t.Errorf("take(%q) = %d, %v; want %d", tt.path, f.Status, ok, tt.want)
		}
	}
	s.clear()
	if _, _, ok := s.take("/v1/mgmt/role/all", never); ok {
		t.Error("a fault survived clear")
	}
}

func TestSetFaultPanicsOnMistakes(t *testing.T) {
	tests := []struct {
		pattern string
		fault   Fault
	}{
		{"", Fault{Status: 503}},
		{"/v1/*/all", Fault{Status: 503}},
		{"*", Fault{Status: 200}},
		{"*", Fault{Status: 503, Probability: 1.5}},
		{"*", Fault{Status: 503, Times: -1}},
		{"*", Fault{After: true}},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetFault(%q, %+v) did not panic", tt.pattern, tt.fault)
				}
			}()
			New().SetFault(tt.pattern, tt.fault)
		}()
	}
}

func TestClearFaults(t *testing.T) {
	e, c := newTest(t, WithFault("*", Fault{Status: 503}))
	wantError(t, c.do(http.MethodGet, "/v1/mgmt/license", nil), 503, "E130503", "")
	wantError(t, c.do(http.MethodGet, "/v1/mgmt/license", nil), 503, "E130503", "") // no Times: until cleared
	e.ClearFaults()
	c.get("/v1/mgmt/license")
}
