package runtime

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// LocalDir is the folder, under the workspace root, that holds the embedded
// local projects.
const LocalDir = ".descope-run"

// DefaultLocalProjectID is the id of the local project of a config that
// does not pin one with project(id=...).
const DefaultLocalProjectID = "P2LocalProject00000000000000"

// localKey is the management key of every local project: it guards nothing,
// since the project is served in-process.
const localKey = "K2LocalProjectKey"

// Target is the project that plan and apply work on: real Descope, or the
// embedded local project served in-process by the emulator behind the same
// client.
type Target struct {
	// Description names the target on the first line of every plan and apply.
	Description string
	ProjectID   string
	BaseURL     string
	// KeyEnv is the environment variable the management key came from.
	KeyEnv string
	// Local is set for the embedded local project; StatePath is its file.
	Local     bool
	StatePath string
	// Client talks to the target; every call goes through its pacer.
	Client *mgmt.Client
	// Secrets resolve the secret() values plans send (nil: from the
	// environment, no fingerprints known, no rotation).
	Secrets *Secrets
	// Observe, when set, gives the progress callback of each read of the
	// live project, by phase (see ReadPhase); it may return nil.
	Observe func(ReadPhase) func(mgmt.ReadProgress)

	emulator *emulator.Emulator
}

// TargetOptions configure OpenTarget.
type TargetOptions struct {
	// Getenv reads DESCOPE_PROJECT_ID, DESCOPE_MANAGEMENT_KEY and DESCOPE_BASE_URL.
	Getenv func(string) string
	// Pacer paces every call of the target's client.
	Pacer   *mgmt.Pacer
	Logger  hclog.Logger
	Version string
	// PinnedProjectID is the config's project(id=...), if any: the local
	// project takes that id. A real target with another id is refused by
	// the plan (CheckProject), the one place that checks a pin.
	PinnedProjectID string
	// KeyEnv names the environment variable holding the management key when
	// descope-run.yaml maps the project to one (default DESCOPE_MANAGEMENT_KEY).
	KeyEnv string
}

// OpenTarget returns the target the environment names: real Descope when
// DESCOPE_PROJECT_ID is set, else the local project of the workspace ws.
func OpenTarget(ws *Workspace, opts TargetOptions) (*Target, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	logger := opts.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	projectID := getenv(mgmt.EnvProjectID)
	if projectID == "" {
		return openLocal(ws, opts, logger)
	}
	keyEnv := mgmt.EnvManagementKey
	if opts.KeyEnv != "" && getenv(opts.KeyEnv) != "" {
		keyEnv = opts.KeyEnv
	}
	key := getenv(keyEnv)
	if key == "" {
		return nil, fmt.Errorf("%s is set but %s is empty: export the project's management key (Company Settings > Management Keys in the Descope console)", mgmt.EnvProjectID, keyEnv)
	}
	baseURL := getenv(mgmt.EnvBaseURL)
	if baseURL == "" {
		baseURL = mgmt.BaseURLForProjectID(projectID)
	}
	client, err := mgmt.New(mgmt.Config{
		ProjectID: projectID, ManagementKey: key, BaseURL: baseURL,
		Pacer: opts.Pacer, Logger: logger.Named("api"), Version: opts.Version,
	})
	if err != nil {
		return nil, fmt.Errorf("descope client: %w", err)
	}
	return &Target{
		Description: fmt.Sprintf("Descope project %s at %s", projectID, strings.TrimSuffix(baseURL, "/")),
		ProjectID:   projectID,
		BaseURL:     baseURL,
		KeyEnv:      keyEnv,
		Client:      client,
	}, nil
}

// LocalProjects lists the ids of the local projects stored in ws.
func LocalProjects(ws *Workspace) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(ws.Root, LocalDir, "local"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("local projects: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// openLocal serves the workspace's local project in-process.
func openLocal(ws *Workspace, opts TargetOptions, logger hclog.Logger) (*Target, error) {
	projectID := opts.PinnedProjectID
	if projectID == "" {
		projectID = DefaultLocalProjectID
	}
	dir := filepath.Join(ws.Root, LocalDir, "local")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local project: %w", err)
	}
	path := filepath.Join(dir, projectID+".json")
	emu, err := emulator.Open(
		emulator.WithProject(projectID, localKey),
		emulator.WithStateFile(path),
		emulator.WithRateLimit(0, 0), // the local project never throttles
		emulator.WithRequestLogLimit(1),
		// A key is defined when a tenant first uses it, for configs that
		// declare no tenant_attribute() (and so that a journal written
		// that way replays); MakePlan turns it off for a config that
		// declares definitions (see attributes.go).
		emulator.WithAttributesDefinedOnUse(),
		// Every write is journaled and synced before it is answered; Close
		// folds the journal into the file.
	)
	if err != nil {
		return nil, fmt.Errorf("local project %s: %w (delete the file to start afresh)", path, err)
	}
	const baseURL = "http://local.descope-run.invalid"
	client, err := mgmt.New(mgmt.Config{
		ProjectID: projectID, ManagementKey: localKey, BaseURL: baseURL,
		HTTPClient: &http.Client{Transport: emu.Transport()},
		// The local project is served in-process and never throttles:
		// pacing it would only slow big configs down.
		Pacer:  mgmt.NewPacer(mgmt.Unlimited, 0),
		Logger: logger.Named("api"), Version: opts.Version,
	})
	if err != nil {
		return nil, fmt.Errorf("local project: %w", err)
	}
	rel, err := filepath.Rel(ws.Root, path)
	if err != nil {
		rel = path
	}
	return &Target{
		Description: fmt.Sprintf("local project %s (%s)", projectID, filepath.ToSlash(rel)),
		ProjectID:   projectID,
		BaseURL:     baseURL,
		Local:       true,
		StatePath:   path,
		Client:      client,
		emulator:    emu,
	}, nil
}

// Close folds the local project's journal into its file (its writes are
// already durable); for a real target it does nothing. Call it when done
// with the target.
func (t *Target) Close() error {
	if t.emulator == nil {
		return nil
	}
	if err := t.emulator.Flush(); err != nil {
		return fmt.Errorf("save local project %s: %w", t.StatePath, err)
	}
	return nil
}

// Emulator returns the emulator behind a local target, or nil.
func (t *Target) Emulator() *emulator.Emulator { return t.emulator }
