package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// tclient talks to an emulator in-process, with the headers the Go SDK sends.
type tclient struct {
	t    *testing.T
	e    *Emulator
	http *http.Client
	base string
	// project, when set, is the project requests name instead of e's.
	project string
}

// newTest returns an emulator without rate limiting (unless opts set one)
// and a client for it.
func newTest(t *testing.T, opts ...Option) (*Emulator, *tclient) {
	t.Helper()
	e := New(append([]Option{WithRateLimit(0, 0), WithSeed(1)}, opts...)...)
	return e, &tclient{t: t, e: e, http: &http.Client{Transport: e.Transport()}, base: "http://emulator.test"}
}

// reply is an answer: its status, headers and body.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

// body turns a test's body argument into bytes: nil is no body, a string or
// []byte is sent as is, anything else is JSON-encoded.
func bodyBytes(t *testing.T, body any) []byte {
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	case []byte:
		return b
	default:
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// request sends a request with the given headers (nil: the SDK's).
func (c *tclient) request(method, path string, body any, header http.Header) (reply, error) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(bodyBytes(c.t, body)))
	if err != nil {
		c.t.Fatal(err)
	}
	if header == nil {
		header = c.sdkHeaders()
	}
	req.Header = header
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}, nil
}

func (c *tclient) sdkHeaders() http.Header {
	id := c.e.ProjectID()
	if c.project != "" {
		id = c.project
	}
	return http.Header{
		"Authorization":        {"Bearer " + id + ":" + c.e.ManagementKey()},
		"X-Descope-Project-Id": {id},
		"Content-Type":         {"application/json"},
	}
}

// do sends a request and fails the test on a transport error.
func (c *tclient) do(method, path string, body any) reply {
	c.t.Helper()
	r, err := c.request(method, path, body, nil)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// ok sends a request that must succeed and returns its decoded answer.
func (c *tclient) ok(method, path string, body any) map[string]any {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != http.StatusOK {
		c.t.Fatalf("%s %s: status %d, want 200: %s", method, path, r.status, r.body)
	}
	return r.json(c.t)
}

func (c *tclient) post(path string, body any) map[string]any {
	c.t.Helper()
	return c.ok(http.MethodPost, path, body)
}

func (c *tclient) get(path string) map[string]any {
	c.t.Helper()
	return c.ok(http.MethodGet, path, nil)
}

// wantError checks an error answer: status, code, and (if not empty) a
// message fragment.
func wantError(t *testing.T, r reply, status int, code, message string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	var e struct {
		Code        *string `json:"errorCode"`
		Description *string `json:"errorDescription"`
		Message     *string `json:"errorMessage"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, r.body)
	}
	if e.Code == nil || e.Description == nil || e.Message == nil {
		t.Errorf("error body lacks errorCode, errorDescription or errorMessage: %s", r.body)
		return
	}
	if *e.Code != code {
		t.Errorf("errorCode = %q, want %q (body %s)", *e.Code, code, r.body)
	}
	if !strings.Contains(*e.Message, message) {
		t.Errorf("errorMessage = %q, want it to contain %q", *e.Message, message)
	}
}

// names returns the values of key in a list of objects, in order.
func names(t *testing.T, list any, key string) []string {
	t.Helper()
	items, ok := list.([]any)
	if !ok {
		t.Fatalf("not a list: %#v", list)
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it.(map[string]any)[key].(string)
	}
	return out
}

// define defines tenant custom attributes of type string, as a tenant's
// keys must be before it uses them.
func (c *tclient) define(names ...string) {
	c.t.Helper()
	for _, n := range names {
		c.post("/v1/mgmt/tenant/attribute", map[string]any{"name": n, "displayName": n, "type": "string"})
	}
}
