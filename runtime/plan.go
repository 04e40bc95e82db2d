package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// Planned is a plan and everything it was made from.
type Planned struct {
	Desired *descope.State
	Live    *descope.State
	Plan    *descope.Plan
	// Fingerprint is the sha256 of the canonical form of the live objects read:
	// a saved plan is stale when a new read gives another.
	Fingerprint string
}

// ReadOptionsFor returns what a plan of desired must read of the live
// project: everything that is one call per kind, plus the export of each
// declared flow, the settings of each tenant that declares settings, the
// theme when declared, and the project when its name or tags are.
func ReadOptionsFor(desired *descope.State) mgmt.ReadOptions {
	var opts mgmt.ReadOptions
	for _, f := range desired.Flows {
		opts.Flows = append(opts.Flows, f.ID)
	}
	for _, t := range desired.Tenants {
		if t.Settings != nil {
			opts.Settings = append(opts.Settings, t.ID)
		}
	}
	opts.Theme = desired.Theme != nil
	opts.Project = desired.Project != nil && (desired.Project.Name != nil || desired.Project.Tags != nil)
	return opts
}

// ReadLive reads what a plan of desired needs from the target, and its
// fingerprint.
func ReadLive(ctx context.Context, t *Target, desired *descope.State) (*descope.State, string, error) {
	live, err := t.Client.ReadState(ctx, ReadOptionsFor(desired))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", t.Description, err)
	}
	fp, err := Fingerprint(live)
	if err != nil {
		return nil, "", err
	}
	return live, fp, nil
}

// Fingerprint returns the hex sha256 of the compact canonical JSON of a
// live state (normalized in place, streamed into the hash).
func Fingerprint(live *descope.State) (string, error) {
	live.Normalize()
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(live); err != nil {
		return "", fmt.Errorf("fingerprint live state: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CheckProject refuses a desired state that pins another project than the
// target's.
func CheckProject(desired *descope.State, t *Target) error {
	if desired.Project == nil || desired.Project.ID == "" || desired.Project.ID == t.ProjectID {
		return nil
	}
	return &RefusedError{
		Reason: fmt.Sprintf("the config pins project %s but the target is %s", desired.Project.ID, t.Description),
		Hint:   "point " + mgmt.EnvProjectID + " at the project this config describes, or change project(id=...)",
	}
}

// MakePlan reads the live project and diffs it against desired.
func MakePlan(ctx context.Context, t *Target, desired *descope.State) (*Planned, error) {
	if err := CheckProject(desired, t); err != nil {
		return nil, err
	}
	live, fp, err := ReadLive(ctx, t, desired)
	if err != nil {
		return nil, err
	}
	return &Planned{Desired: desired, Live: live, Plan: descope.Diff(live, desired), Fingerprint: fp}, nil
}
