package emulator

import (
	"log/slog"
	"time"
)

// An Option configures an Emulator in New, Open or NewServer.
type Option func(*config)

// config is what the options set; Open turns it into an Emulator.
type config struct {
	projectID, key string
	limit          int
	window         time.Duration
	penalty        time.Duration
	clock          func() time.Time
	latency        time.Duration
	jitter         time.Duration
	statePath      string
	seed           int64
	seeded         bool
	faults         []patternFault
	logger         *slog.Logger
	logLimit       int

	attributesOnUse bool
}

// patternFault is a fault given to WithFault, installed when the emulator starts.
type patternFault struct {
	pattern string
	fault   Fault
}

// Defaults for a new emulator: the rate limit matches descope-run's default
// client pacing (docs/design.md section 5).
const (
	DefaultRateLimit  = 200
	DefaultRateWindow = 60 * time.Second
)

func defaultConfig() config {
	return config{
		limit:  DefaultRateLimit,
		window: DefaultRateWindow,
		clock:  time.Now,
		logger: slog.New(slog.DiscardHandler),
	}
}

// WithProject sets the project id and management key that requests must
// present. By default both are generated: a project id of the form P + 27
// letters and digits (so the SDKs' default base URL applies) and a key
// starting with K.
func WithProject(id, key string) Option {
	return func(c *config) { c.projectID, c.key = id, key }
}

// WithRateLimit sets the token bucket: at most limit requests at once,
// refilled at limit per window. A limit of zero or less turns rate limiting
// off. The default is DefaultRateLimit per DefaultRateWindow.
func WithRateLimit(limit int, window time.Duration) Option {
	return func(c *config) { c.limit, c.window = limit, window }
}

// WithPenalty makes the rate limiter refuse every request for d after it
// first refuses one, as Descope's documented backoff does. The penalty is
// counted from that first refusal; requests refused during it do not extend
// it. The default is no penalty.
func WithPenalty(d time.Duration) Option {
	return func(c *config) { c.penalty = d }
}

// WithClock sets the clock used for createdTime, modifiedTime and the rate
// limiter. Tests pass a fake clock and advance it instead of sleeping.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// WithLatency delays every request by d (real time) before it is handled.
// The delay ends early if the client gives up or the server closes.
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// WithStateFile keeps the project in the file at path: it is loaded at start
// if it exists, and otherwise created with a new project. Every successful
// write is appended to a journal beside it (path + ".journal") before it is
// answered, so what a client was told survives the process dying, and
// synced to disk in the background; Flush folds the journal into the file
// (see persist.go). When the file
// records a project id and WithProject is not given, the emulator takes that
// id; when both are given they must agree. A management key given with
// WithProject is never written; a generated one is kept with the project,
// so that it stays the same from one run to the next.
func WithStateFile(path string) Option {
	return func(c *config) { c.statePath = path }
}

// WithSeed makes generated ids, fingerprints and probabilistic faults
// deterministic: two emulators with the same seed that receive the same
// requests in the same order give the same answers.
func WithSeed(seed int64) Option {
	return func(c *config) { c.seed, c.seeded = seed, true }
}

// WithFault installs a fault at start, as SetFault does later.
func WithFault(pattern string, f Fault) Option {
	return func(c *config) { c.faults = append(c.faults, patternFault{pattern, f}) }
}

// WithLogger sets where the emulator reports what a test author may want to
// see: dangerous requests (a role batch delete with no filter deletes every
// role), injected faults, rate-limit refusals and failures to persist. The
// default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithRequestLogLimit keeps only the newest n requests in the request log
// (see Requests), for long-running emulators. Zero, the default, keeps all.
func WithRequestLogLimit(n int) Option {
	return func(c *config) { c.logLimit = n }
}

// WithAttributesDefinedOnUse defines a tenant custom attribute key when a
// tenant first uses it, with a type guessed from its value, instead of
// refusing a key no definition names as Descope does (see attributes.go).
// The local project opens with it, so that its journal replays, and turns
// it off for a config that declares definitions
// (SetAttributesDefinedOnUse).
func WithAttributesDefinedOnUse() Option {
	return func(c *config) { c.attributesOnUse = true }
}
