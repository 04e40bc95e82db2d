package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// The environment variables ConfigFromEnv reads: the names Descope's SDKs use.
const (
	EnvProjectID     = "DESCOPE_PROJECT_ID"
	EnvManagementKey = "DESCOPE_MANAGEMENT_KEY"
	EnvBaseURL       = "DESCOPE_BASE_URL"
)

// DefaultBaseURL is the API's address for projects without a region.
const DefaultBaseURL = "https://api.descope.com"

// DefaultTimeout bounds one HTTP exchange when Config.HTTPClient is nil (the SDKs' 60 s).
const DefaultTimeout = 60 * time.Second

// SDKName is sent as x-descope-sdk-name.
const SDKName = "descope-run"

// maxResponse bounds a response body (a flow export can be large).
const maxResponse = 256 << 20

// Config configures a Client. Printing, logging or encoding a Config never
// shows ManagementKey.
type Config struct {
	ProjectID     string
	ManagementKey string
	// BaseURL defaults to BaseURLForProjectID(ProjectID).
	BaseURL string
	// HTTPClient defaults to a client with DefaultTimeout that does not follow redirects.
	HTTPClient *http.Client
	// Pacer paces every call; nil gives the client its own at DefaultRate.
	// Share one Pacer between everything that talks to one project.
	Pacer *Pacer
	// Logger gets a debug line per request and an info line per retry after
	// a transient failure; never headers or bodies. Nil logs nothing.
	Logger hclog.Logger
	// Retry bounds retries; zero fields take the defaults.
	Retry RetryPolicy
	// Version is descope-run's version, sent as x-descope-sdk-version and in
	// the User-Agent (default "dev").
	Version string
	// NoLicense skips the licence handshake (GET /v1/mgmt/license) that
	// otherwise precedes the client's first call, as in the Go SDK.
	NoLicense bool
}

// ConfigFromEnv returns a Config from DESCOPE_PROJECT_ID,
// DESCOPE_MANAGEMENT_KEY and DESCOPE_BASE_URL.
func ConfigFromEnv() Config {
	return Config{
		ProjectID:     os.Getenv(EnvProjectID),
		ManagementKey: os.Getenv(EnvManagementKey),
		BaseURL:       os.Getenv(EnvBaseURL),
	}
}

const redacted = "<redacted>"

// String returns c with the management key redacted.
func (c Config) String() string {
	key := `""`
	if c.ManagementKey != "" {
		key = redacted
	}
	return fmt.Sprintf("mgmt.Config{ProjectID:%q, ManagementKey:%s, BaseURL:%q}", c.ProjectID, key, c.BaseURL)
}

// GoString is String: %#v redacts too.
func (c Config) GoString() string { return c.String() }

// Format prints String for every verb, so no verb can print the key.
func (c Config) Format(f fmt.State, verb rune) { io.WriteString(f, c.String()) }

// LogValue redacts the key in log/slog output.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("project_id", c.ProjectID),
		slog.String("management_key", redacted),
		slog.String("base_url", c.BaseURL),
	)
}

// MarshalJSON redacts the key in JSON (and so in JSON logs).
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"projectId":     c.ProjectID,
		"managementKey": redacted,
		"baseUrl":       c.BaseURL,
	})
}

// BaseURLForProjectID returns the API address the SDKs derive from a project
// id: a 32-character or longer id carries its region in characters 1 to 4
// ("Puse1..." is https://api.use1.descope.com); a shorter one uses
// DefaultBaseURL. DESCOPE_BASE_URL (Config.BaseURL) overrides it.
func BaseURLForProjectID(id string) string {
	if len(id) >= 32 {
		return "https://api." + id[1:5] + ".descope.com"
	}
	return DefaultBaseURL
}

// Client calls the Descope Management API for one project. Every call is
// paced, retried on transient failures, and named in its errors. A Client is
// safe for concurrent use.
type Client struct {
	projectID string
	baseURL   string
	version   string
	cred      *credential
	http      *http.Client
	pacer     *Pacer
	logger    hclog.Logger
	retry     RetryPolicy
	noLicense bool

	licenseMu   sync.Mutex
	licenseDone atomic.Bool
	licenseTier atomic.Value // string
}

// credential holds the Authorization header. It sits behind a pointer so
// that printing a Client shows an address, never the key.
type credential struct{ authorization string }

// New returns a client for cfg's project.
func New(cfg Config) (*Client, error) {
	if cfg.ProjectID == "" {
		return nil, errors.New("new management client: project id is empty")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = BaseURLForProjectID(cfg.ProjectID)
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("new management client: base url %q is not an http or https url", base)
	}
	c := &Client{
		projectID: cfg.ProjectID,
		baseURL:   base,
		version:   cfg.Version,
		cred:      &credential{authorization: "Bearer " + joinNonEmpty(":", cfg.ProjectID, cfg.ManagementKey)},
		http:      cfg.HTTPClient,
		pacer:     cfg.Pacer,
		logger:    cfg.Logger,
		retry:     cfg.Retry.withDefaults(),
		noLicense: cfg.NoLicense,
	}
	if c.version == "" {
		c.version = "dev"
	}
	if c.http == nil {
		c.http = &http.Client{
			Timeout:       DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.pacer == nil {
		c.pacer = NewPacer(DefaultRate, DefaultBurst)
	}
	if c.logger == nil {
		c.logger = hclog.NewNullLogger()
	}
	return c, nil
}

// String describes c without its key.
func (c *Client) String() string {
	return fmt.Sprintf("mgmt.Client{ProjectID:%q, BaseURL:%q}", c.projectID, c.baseURL)
}

// GoString is String.
func (c *Client) GoString() string { return c.String() }

// ProjectID returns the project the client talks to.
func (c *Client) ProjectID() string { return c.projectID }

// BaseURL returns the API address the client calls.
func (c *Client) BaseURL() string { return c.baseURL }

// Pacer returns the pacer the client's calls wait on, to share with an Executor.
func (c *Client) Pacer() *Pacer { return c.pacer }

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// callKind says how a call is retried after a failure whose outcome is unknown.
type callKind int

const (
	// kindRead and kindWrite (a full overwrite) are simply sent again.
	kindRead callKind = iota
	kindWrite
	// kindCreate checks whether the object landed before sending again, and
	// counts a conflict after a lost answer as done.
	kindCreate
	// kindDelete counts a not-found after a lost answer as done.
	kindDelete
)

// call is one Management API call.
type call struct {
	op     string // names the call in errors: `tenant create "acme"`
	method string
	path   string
	query  url.Values
	// body is sent as JSON; nil sends no body (a POST still says
	// Content-Type: application/json, as the SDK does).
	body any
	// out, when set, receives the 2xx body; numbers decodes JSON numbers as
	// json.Number (custom attributes keep integers exact).
	out     any
	numbers bool
	kind    callKind
	// landed reports whether a create took effect although its answer was
	// lost; it may fill out.
	landed func(ctx context.Context) (bool, error)
}

// do performs cl: the licence handshake first if due, then the call with retries.
func (c *Client) do(ctx context.Context, cl *call) error {
	c.ensureLicense(ctx)
	return c.exec(ctx, cl)
}

// send makes one attempt of cl and returns the 2xx body, or an *Error for
// any other status, or the transport error; each wrapped with cl.op.
func (c *Client) send(ctx context.Context, cl *call, payload []byte, attempt int) ([]byte, error) {
	target := c.baseURL + cl.path
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	var body io.Reader
	if cl.method == http.MethodPost {
		body = http.NoBody
		if payload != nil {
			body = bytes.NewReader(payload)
		}
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cl.op, err)
	}
	c.setHeaders(req.Header, cl.method == http.MethodPost)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.logger.Debug("api call failed", "op", cl.op, "method", cl.method, "path", cl.path, "attempt", attempt, "error", err)
		return nil, fmt.Errorf("%s: %w", cl.op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	c.logger.Debug("api call", "op", cl.op, "method", cl.method, "path", cl.path, "status", resp.StatusCode,
		"attempt", attempt, "elapsed", time.Since(start))
	if err != nil {
		return nil, fmt.Errorf("%s: read response: %w", cl.op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := parseError(resp.StatusCode, resp.Header, data)
		e.Op, e.Method, e.Path = cl.op, cl.method, cl.path
		return nil, e
	}
	return data, nil
}

// decode reads a 2xx body into cl.out. An empty body is an error when a
// value is expected, as in the SDK.
func (cl *call) decode(data []byte) error {
	if cl.out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if cl.numbers {
		dec.UseNumber()
	}
	if err := dec.Decode(cl.out); err != nil {
		// Not %w: a short body must not pass for a dropped connection.
		return fmt.Errorf("%s: invalid response body: %v", cl.op, err)
	}
	return nil
}

func (c *Client) setHeaders(h http.Header, post bool) {
	h.Set("Authorization", c.cred.authorization)
	h.Set("x-descope-project-id", c.projectID)
	h.Set("x-descope-sdk-name", SDKName)
	h.Set("x-descope-sdk-version", c.version)
	h.Set("x-descope-sdk-go-version", runtime.Version())
	h.Set("User-Agent", SDKName+"/"+c.version)
	if tier, _ := c.licenseTier.Load().(string); tier != "" {
		h.Set("x-descope-license", tier)
	}
	if post {
		h.Set("Content-Type", "application/json")
	}
}

// ensureLicense performs the licence handshake once per client, as the Go
// SDK does at creation: its rate-limit tier is sent as x-descope-license
// from then on. A failed handshake is logged and not repeated, except when
// ctx ended during it.
func (c *Client) ensureLicense(ctx context.Context) {
	if c.noLicense || c.licenseDone.Load() {
		return
	}
	c.licenseMu.Lock()
	defer c.licenseMu.Unlock()
	if c.licenseDone.Load() {
		return
	}
	// The handshake spends the token of the call that triggered it, if that
	// call was prepaid; the call itself then waits on the pacer. Making the
	// handshake wait instead would hold back every prepaid call behind it,
	// so that they reach the server later than the pacer counted them.
	if _, err := c.fetchLicense(ctx); err != nil {
		if ctx.Err() != nil {
			return
		}
		c.logger.Debug("licence handshake failed; going on without x-descope-license", "error", err)
	}
	c.licenseDone.Store(true)
}

// License calls GET /v1/mgmt/license and returns the project's rate-limit
// tier ("tier1" to "tier4"), which later calls send as x-descope-license.
func (c *Client) License(ctx context.Context) (string, error) {
	tier, err := c.fetchLicense(ctx)
	if err == nil {
		c.licenseDone.Store(true)
	}
	return tier, err
}

func (c *Client) fetchLicense(ctx context.Context) (string, error) {
	var res struct {
		RateLimitTier string `json:"rateLimitTier"`
	}
	err := c.exec(ctx, &call{op: "license", method: http.MethodGet, path: "/v1/mgmt/license", out: &res})
	if err != nil {
		return "", err
	}
	c.licenseTier.Store(res.RateLimitTier)
	return res.RateLimitTier, nil
}
