package runtime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/descope-run/descope-run/descope"
)

// PlanFileVersion is the format version of saved plans.
const PlanFileVersion = 1

// SavedPlan is a plan written by plan -out: the desired state it was made
// for, the fingerprint of the live objects it read, the inputs' digest, the
// target project and the tool version. Apply re-reads the project and
// refuses the plan when the fingerprint no longer matches; otherwise the
// diff of the same live and desired states is the same plan.
type SavedPlan struct {
	FormatVersion int       `json:"format_version"`
	ToolVersion   string    `json:"tool_version"`
	CreatedAt     time.Time `json:"created_at"`
	ProjectID     string    `json:"project_id"`
	Target        string    `json:"target"`
	// Workspace is the absolute workspace root and Script the entry script,
	// relative to it.
	Workspace    string            `json:"workspace"`
	Script       string            `json:"script"`
	Fingerprint  string            `json:"fingerprint"`
	InputsDigest string            `json:"inputs_digest"`
	Inputs       map[string]string `json:"inputs"`
	Desired      *descope.State    `json:"desired"`
	// Summary repeats the plan's counts for people reading the file.
	Summary map[string]int `json:"summary"`
}

// WritePlanFile writes sp to path (0600, atomically).
func WritePlanFile(path string, sp *SavedPlan) error {
	sp.FormatVersion = PlanFileVersion
	data, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plan-*")
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	return nil
}

// ReadPlanFile reads a saved plan. It returns ok=false, with no error, when
// the file is not a saved plan at all (a script, say).
func ReadPlanFile(path string) (sp *SavedPlan, ok bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	var probe struct {
		FormatVersion int             `json:"format_version"`
		Desired       json.RawMessage `json:"desired"`
	}
	if json.Unmarshal(data, &probe) != nil || probe.Desired == nil {
		return nil, false, nil
	}
	if probe.FormatVersion > PlanFileVersion {
		return nil, true, fmt.Errorf("plan file %s has format version %d; this descope-run reads up to %d: upgrade descope-run", path, probe.FormatVersion, PlanFileVersion)
	}
	sp = new(SavedPlan)
	if err := json.Unmarshal(data, sp); err != nil {
		return nil, true, fmt.Errorf("plan file %s: %w", path, err)
	}
	if sp.Desired == nil {
		return nil, true, fmt.Errorf("plan file %s holds no desired state", path)
	}
	return sp, true, nil
}
