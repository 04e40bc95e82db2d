package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

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
	// Notes say what the reader of the plan should know that is not a
	// change (a local project that defines attribute keys on first use).
	Notes []string
	// snapshot is the project snapshot's files when the plan read the
	// project (a backup keeps them), else nil.
	snapshot map[string]any
	// secrets are the values of the secrets the plan sends, by SSO
	// configuration key (see Secrets); never rendered.
	secrets map[string]string
}

// ReadOptionsFor returns what a plan of desired must read of the live
// project: everything that is one call per kind, plus the export of each
// declared flow, the settings of each tenant that declares settings, the
// SSO configurations of each tenant whose SSO is declared or claimed, the
// definition of each tenant custom attribute key that desired names (and
// of each key the live tenants use), the theme when declared, and the
// project when its name or tags are.
func ReadOptionsFor(desired *descope.State) mgmt.ReadOptions {
	opts := mgmt.ReadOptions{TenantAttributes: attributeReadKeys(desired)}
	for _, f := range desired.Flows {
		opts.Flows = append(opts.Flows, f.ID)
	}
	for _, t := range desired.Tenants {
		if t.Settings != nil {
			opts.Settings = append(opts.Settings, t.ID)
		}
	}
	opts.SSO, opts.SSOClaims = ssoReadOptions(desired)
	opts.Theme = desired.Theme != nil
	opts.Project = desired.Project != nil && (desired.Project.Name != nil || desired.Project.Tags != nil)
	return opts
}

// readLive reads what a plan of desired needs from the target, its
// fingerprint, and the snapshot's files when it read the project.
func readLive(ctx context.Context, t *Target, desired *descope.State) (*descope.State, string, map[string]any, error) {
	opts := ReadOptionsFor(desired)
	var files map[string]any
	if opts.Project {
		opts.SnapshotFiles = &files
	}
	opts.Progress = t.observe(PhaseRead)
	live, err := t.Client.ReadState(ctx, opts)
	if err != nil {
		return nil, "", nil, t.readError(err)
	}
	fp, err := Fingerprint(live)
	if err != nil {
		return nil, "", nil, err
	}
	return live, fp, files, nil
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
// target's (*ProjectMismatchError). It is the one check of a pin: MakePlan
// runs it, and every plan and apply goes through MakePlan.
func CheckProject(desired *descope.State, t *Target) error {
	if desired.Project == nil || desired.Project.ID == "" || desired.Project.ID == t.ProjectID {
		return nil
	}
	return &ProjectMismatchError{Want: desired.Project.ID, TargetID: t.ProjectID, Target: t.Description}
}

// MakePlan reads the live project and diffs it against desired.
func MakePlan(ctx context.Context, t *Target, desired *descope.State) (*Planned, error) {
	if err := CheckProject(desired, t); err != nil {
		return nil, err
	}
	if t.emulator != nil {
		// A config that declares definitions gets a local project as
		// strict as Descope; one that declares none, the old behaviour.
		t.emulator.SetAttributesDefinedOnUse(len(desired.TenantAttributes) == 0)
	}
	live, fp, files, err := readLive(ctx, t, desired)
	if err != nil {
		return nil, err
	}
	diffed, err := t.markSecrets(ctx, desired, live)
	if err != nil {
		return nil, err
	}
	plan := descope.Diff(live, diffed)
	if err := checkSSORoles(live, desired, plan); err != nil {
		return nil, err
	}
	note, err := checkTenantAttributes(t, live, desired, plan)
	if err != nil {
		return nil, err
	}
	values, err := t.secretValues(plan)
	if err != nil {
		return nil, err
	}
	if cycle := plan.RemovedParentCycle(); cycle != nil {
		return nil, fmt.Errorf("plan for %s: the live tenants %s form a parent cycle, so none of them can be deleted first "+
			"(Descope never makes one: the project data is damaged); leave them out of the own() claims, or repair the project and plan again",
			t.Description, quoteChain(cycle))
	}
	pl := &Planned{Desired: desired, Live: live, Plan: plan, Fingerprint: fp, snapshot: files, secrets: values}
	if note != "" {
		pl.Notes = append(pl.Notes, note)
	}
	return pl, nil
}

// quoteChain renders ids as "a" -> "b" -> "a".
func quoteChain(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Quote(id)
	}
	return strings.Join(q, " -> ")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// readError wraps a failed read of the target, with a hint when the
// credentials were refused.
func (t *Target) readError(err error) error {
	if mgmt.IsAuth(err) && t.KeyEnv != "" {
		return fmt.Errorf("read %s: %w (check %s: it must hold a management key of project %s, with a role that may manage it)", t.Description, err, t.KeyEnv, t.ProjectID)
	}
	return fmt.Errorf("read %s: %w", t.Description, err)
}
