package emulator

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Emulator is an in-memory Descope project and the http.Handler that serves
// its Management API. It does not listen: serve it with NewServer, an
// http.Server, or in-process through Transport.
type Emulator struct {
	projectID string
	key       string
	clock     func() time.Time
	latency   time.Duration
	jitter    *jitter // varies latency per request; nil adds nothing
	logger    *slog.Logger
	statePath string
	// ids generates the project's ids and fingerprints, only under mu held
	// for writing (so a journal record can give a replay the same ids);
	// draws decides probabilistic faults.
	ids       *idSource
	draws     *idSource
	limiter   *limiter
	faults    faultSet
	closing   chan struct{} // closed when a Server shuts down: ends latency waits
	closeOnce sync.Once

	mu sync.RWMutex
	st *store // guarded by mu
	// jr is the state file's journal; dirty marks writes since the last
	// compaction, and compactAt the journal size that triggers one. All
	// three are guarded by mu.
	jr        *journal
	dirty     bool
	compactAt int64
	// attributesOnUse defines a tenant attribute key when a tenant first
	// uses it, instead of refusing it (WithAttributesDefinedOnUse).
	attributesOnUse bool

	logMu    sync.Mutex
	reqs     []*Request
	logLimit int

	// company holds the projects requests may name: this one and those
	// cloned from it (see projects.go).
	company *company
	// runs are the results of management flows run asynchronously, by
	// execution id (see flowrun.go).
	runs runs
}

// Request is one request the emulator received, as recorded in its log.
type Request struct {
	Method string
	Path   string
	// Query is the raw query string, as sent ("id=T2abc").
	Query  string
	Header http.Header
	Body   []byte
	// Status is the status of the emulator's answer. For a fault with After
	// it is the status of the request that was applied; it is 0 when the
	// connection was dropped before the request was handled.
	Status int
	// Dropped reports that the client got no answer (a dropped connection,
	// or a client that gave up).
	Dropped bool
	// Time is the emulator's clock when the request arrived.
	Time time.Time
}

// New returns an emulator of a new project. It panics if the state file
// named by WithStateFile exists but cannot be loaded; Open reports that as
// an error instead.
func New(opts ...Option) *Emulator {
	e, err := Open(opts...)
	if err != nil {
		panic(err)
	}
	return e
}

// Open returns an emulator like New. With WithStateFile, it loads the file
// if it exists and otherwise creates it with a new project, so that the
// project id stays the same from one run to the next.
func Open(opts ...Option) (*Emulator, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	seed := uint64(cfg.seed)
	if !cfg.seeded {
		seed = rand.Uint64()
	}
	e := &Emulator{
		clock:     cfg.clock,
		latency:   cfg.latency,
		jitter:    newJitter(cfg.jitter, seed),
		logger:    cfg.logger,
		statePath: cfg.statePath,
		ids:       newIDSource(seed, seed^0x9e3779b97f4a7c15),
		draws:     newIDSource(seed^0x5851f42d4c957f2d, seed),
		limiter:   newLimiter(cfg.limit, cfg.window, cfg.penalty),
		closing:   make(chan struct{}),
		logLimit:  cfg.logLimit,

		attributesOnUse: cfg.attributesOnUse,
	}
	for _, pf := range cfg.faults {
		e.faults.set(pf.pattern, pf.fault)
	}
	var loaded *store
	var continues bool
	if cfg.statePath != "" {
		var err error
		if loaded, continues, err = e.loadProject(cfg.statePath); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.projectID != "":
		e.projectID = cfg.projectID
		if loaded != nil && loaded.ProjectID != "" && loaded.ProjectID != cfg.projectID {
			return nil, fmt.Errorf("emulator: state file %s holds project %s, not %s", cfg.statePath, loaded.ProjectID, cfg.projectID)
		}
	case loaded != nil && loaded.ProjectID != "":
		e.projectID = loaded.ProjectID
	default:
		e.projectID = e.ids.id("P", 27)
	}
	e.company = newCompany(e)
	e.key = cfg.key
	generated := false
	switch {
	case e.key != "":
	case loaded != nil && loaded.ManagementKey != "":
		e.key = loaded.ManagementKey
	default:
		e.key, generated = e.ids.id("K", 47), true
	}
	if loaded == nil {
		e.st = newStore(e.projectID, e.clock(), e.ids)
		if generated {
			e.st.ManagementKey = e.key
		}
		if err := e.compactLocked(); err != nil {
			return nil, err
		}
		return e, nil
	}
	loaded.ProjectID = e.projectID
	e.st = loaded
	if cfg.statePath != "" {
		if err := e.openJournal(continues); err != nil {
			return nil, err
		}
	}
	if generated && cfg.statePath != "" {
		// A state file from before keys were kept: keep this one now.
		e.st.ManagementKey = e.key
		if err := e.compactLocked(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// openJournal opens the journal of a state file that was read, to append
// to it; a journal that does not continue the state file is reset first.
// The state file is not rewritten: only a process that writes compacts.
func (e *Emulator) openJournal(continues bool) error {
	jr, err := openJournal(e.statePath+journalSuffix, e.logger)
	if err != nil {
		return err
	}
	e.jr = jr
	jr.written, jr.synced = e.st.JournalSeq, e.st.JournalSeq
	if !continues {
		if err := jr.reset(e.st.Generation); err != nil {
			return err
		}
	}
	e.compactAt = 1 << 20
	if fi, err := os.Stat(e.statePath); err == nil {
		e.compactAt = max(fi.Size(), e.compactAt)
	}
	return nil
}

// ProjectID returns the id of the emulated project.
func (e *Emulator) ProjectID() string { return e.projectID }

// ManagementKey returns the management key requests must present.
func (e *Emulator) ManagementKey() string { return e.key }

// SetFault installs f for requests whose path matches pattern: an exact path
// ("/v1/mgmt/tenant/create") or a prefix ending in * ("/v1/mgmt/tenant*",
// "*" for every path). It replaces the fault the pattern had. It panics on an
// invalid pattern or fault.
func (e *Emulator) SetFault(pattern string, f Fault) { e.faults.set(pattern, f) }

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() { e.faults.clear() }

// Requests returns a copy of the request log, oldest first.
func (e *Emulator) Requests() []Request {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	out := make([]Request, len(e.reqs))
	for i, r := range e.reqs {
		out[i] = *r
		out[i].Header = r.Header.Clone()
		out[i].Body = slices.Clone(r.Body)
	}
	return out
}

// ResetRequests empties the request log.
func (e *Emulator) ResetRequests() {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	e.reqs = nil
}

// record adds a request to the log and returns its entry.
func (e *Emulator) record(r *http.Request, body []byte) *Request {
	rec := &Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: r.Header.Clone(),
		Body:   body,
		Time:   e.clock(),
	}
	e.logMu.Lock()
	defer e.logMu.Unlock()
	e.reqs = append(e.reqs, rec)
	if e.logLimit > 0 && len(e.reqs) > e.logLimit {
		e.reqs = slices.Delete(e.reqs, 0, len(e.reqs)-e.logLimit)
	}
	return rec
}

func (e *Emulator) finish(rec *Request, resp *response, dropped bool) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	if resp != nil {
		rec.Status = resp.status
	}
	rec.Dropped = dropped
}

// maxBody is the largest request body the emulator reads.
const maxBody = 32 << 20

// ServeHTTP serves one Management API request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, dropped := e.serve(r, r.Body)
	if dropped {
		dropConnection(w)
		return
	}
	resp.write(w)
}

// dropConnection ends the connection without an answer: a TCP reset where
// possible, else an aborted handler.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST, as a reset connection would
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// serve runs the whole pipeline for one request: log, latency, faults, rate
// limit, authentication, routing and the handler. It reports dropped when
// the client must get no answer.
func (e *Emulator) serve(r *http.Request, bodyReader io.Reader) (resp *response, dropped bool) {
	var body []byte
	var readErr error
	if bodyReader != nil {
		body, readErr = io.ReadAll(io.LimitReader(bodyReader, maxBody+1))
	}
	rec := e.record(r, body)
	defer func() { e.finish(rec, resp, dropped) }()
	switch {
	case readErr != nil:
		return errorResponse(badRequest("reading the request body: %v", readErr)), false
	case len(body) > maxBody:
		return errorResponse(&apiError{http.StatusRequestEntityTooLarge, CodeBadRequest, "Bad request",
			fmt.Sprintf("the request body is larger than %d bytes", maxBody)}), false
	}
	if !e.sleep(r.Context(), e.jitter.delay(e.latency)) {
		return nil, true
	}
	f, pattern, hit := e.faults.take(r.URL.Path, e.draws.float64)
	if hit {
		e.logger.Info("emulator: injecting fault", "method", r.Method, "path", r.URL.Path, "pattern", pattern,
			"status", f.Status, "drop", f.Drop, "after", f.After, "latency", f.Latency)
		if !e.sleep(r.Context(), f.Latency) {
			return nil, true
		}
		if !f.After {
			if f.Drop {
				return nil, true
			}
			if f.Status != 0 {
				return f.response(), false
			}
		}
	}
	resp = e.dispatch(r, body)
	if hit && f.After {
		if f.Drop {
			return resp, true
		}
		return f.response(), false
	}
	return resp, false
}

// sleep waits for d, or until the request is cancelled or the server
// closes; it reports whether the wait ran its course.
func (e *Emulator) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-e.closing:
		return false
	}
}

// dispatch rate-limits, authenticates and routes a request.
func (e *Emulator) dispatch(r *http.Request, body []byte) *response {
	now := e.clock()
	if ok, wait := e.limiter.allow(now); !ok {
		e.logger.Info("emulator: rate limit exceeded", "method", r.Method, "path", r.URL.Path, "retryAfter", wait)
		resp := errorResponse(rateLimited())
		resp.header.Set("Retry-After", strconv.FormatInt(retryAfterSeconds(wait), 10))
		return resp
	}
	target, err := e.authenticate(r.Header, r.URL.Path)
	if err != nil {
		return errorResponse(err)
	}
	byMethod, ok := routes[r.URL.Path]
	if !ok {
		return errorResponse(&apiError{http.StatusNotFound, CodeBadRequest, "Not found",
			fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path)})
	}
	rt, ok := byMethod[r.Method]
	if !ok {
		allowed := slices.Sorted(maps.Keys(byMethod))
		resp := errorResponse(&apiError{http.StatusMethodNotAllowed, CodeBadRequest, "Bad request",
			fmt.Sprintf("%s %s: method not allowed (use %s)", r.Method, r.URL.Path, strings.Join(allowed, " or "))})
		resp.header.Set("Allow", strings.Join(allowed, ", "))
		return resp
	}
	return target.run(rt, r.Method, r.URL.RawQuery, &call{now: now, query: r.URL.Query(), body: body, emptyOK: rt.emptyOK, path: r.URL.Path})
}

// authenticate checks "Authorization: Bearer <projectId>:<key>" and the
// X-Descope-Project-Id header, and returns the project the request is for:
// this emulator's own, or one cloned from it (see projects.go). A
// company-level call (projects/list) may send the key alone, as
// "Bearer <key>" with an empty X-Descope-Project-Id (docs/descope-api.md
// section 1.2).
func (e *Emulator) authenticate(h http.Header, path string) (*Emulator, *apiError) {
	auth := h.Get("Authorization")
	if auth == "" {
		return nil, unauthorized("the Authorization header is missing")
	}
	scheme, token, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, unauthorized(`the Authorization header must be "Bearer <projectId>:<managementKey>"`)
	}
	pid, key, ok := strings.Cut(token, ":")
	if !ok && path == companyPath && token != "" {
		if subtle.ConstantTimeCompare([]byte(token), []byte(e.key)) != 1 {
			return nil, unauthorized("invalid management key")
		}
		return e, nil
	}
	switch {
	case !ok || key == "":
		return nil, unauthorized("the Authorization header holds no management key")
	case subtle.ConstantTimeCompare([]byte(key), []byte(e.key)) != 1:
		if pid != e.projectID && e.company.get(pid) == nil {
			return nil, unauthorized("the Authorization header names another project")
		}
		return nil, unauthorized("invalid management key")
	}
	target := e.company.get(pid)
	if target == nil {
		if e.company.deleted(pid) {
			return nil, projectNotFound(pid)
		}
		return nil, unauthorized("the Authorization header names another project")
	}
	switch hp := h.Get("X-Descope-Project-Id"); hp {
	case "":
		return nil, unauthorized("the X-Descope-Project-Id header is missing")
	case pid:
		return target, nil
	default:
		return nil, unauthorized("the X-Descope-Project-Id header names another project")
	}
}

// call is what a handler gets: the request, already read.
type call struct {
	now     time.Time
	query   url.Values
	body    []byte
	emptyOK bool
	path    string
	// journal, when a handler sets it, is the body the journal keeps in
	// place of the request's: the request with its secret redacted.
	journal []byte
}

// decode decodes the request body into v (see decodeBody).
func (c *call) decode(v any) error { return decodeBody(c.body, c.emptyOK, v) }

// route is one endpoint.
type route struct {
	write   bool // changes the project: runs under the write lock and persists
	emptyOK bool // an empty body is accepted
	handle  func(e *Emulator, c *call) (any, error)
}

// run calls the handler under the store lock. A successful write is
// answered once it is in the journal (see persist.go).
func (e *Emulator) run(rt route, method, rawQuery string, c *call) *response {
	var v any
	var err error
	if rt.write {
		e.mu.Lock()
		var rng []byte
		if e.jr != nil {
			rng = e.ids.state()
		}
		if v, err = rt.handle(e, c); err == nil {
			err = e.logLocked(c, method, rawQuery, rng)
		}
		e.mu.Unlock()
	} else {
		e.mu.RLock()
		v, err = rt.handle(e, c)
		e.mu.RUnlock()
	}
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			e.logger.Error("emulator: request failed", "path", c.path, "err", err)
			ae = internalError("%v", err)
		}
		return errorResponse(ae)
	}
	return jsonResponse(v)
}

// response is an answer, before it is written to a connection or turned
// into an *http.Response.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonResponse(v any) *response {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResponse(internalError("encoding the answer: %v", err))
	}
	return &response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: b}
}

func errorResponse(e *apiError) *response {
	b, _ := json.Marshal(e.body()) // three strings: cannot fail
	return &response{status: e.status, header: http.Header{"Content-Type": {"application/json"}}, body: b}
}

func (r *response) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(r.body)))
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}
