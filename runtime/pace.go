package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// PaceMaxAge is how long a learnt pace is trusted. After it, a run starts at
// the configured rate again and, if the server's limit still holds, learns
// it anew at the cost of one 429 episode: a tier upgrade, or a limit that
// another client sharing it had made look lower, is not kept from the
// project forever.
const PaceMaxAge = 7 * 24 * time.Hour

// PaceFile returns where the pace learnt for a project is kept: beside its
// lock, in the state folder's locks/<project-id>.pace.
func PaceFile(stateDir, projectID string) string {
	return filepath.Join(stateDir, "locks", projectID+".pace")
}

// paceRecord is a pace file: what mgmt.PaceMemory holds, rates written as
// --rate takes them.
type paceRecord struct {
	ProjectID string    `json:"project_id"`
	Server    string    `json:"server"`
	Pace      string    `json:"pace"`
	LearntAt  time.Time `json:"learnt_at"`
	Tokens    float64   `json:"tokens"`
	SavedAt   time.Time `json:"saved_at"`
}

// LoadPace reads the pace file at path. It reports false, with no error,
// when there is none or its pace was learnt more than PaceMaxAge before now.
func LoadPace(path string, now time.Time) (mgmt.PaceMemory, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return mgmt.PaceMemory{}, false, nil
	}
	if err != nil {
		return mgmt.PaceMemory{}, false, fmt.Errorf("learnt pace: %w", err)
	}
	var rec paceRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return mgmt.PaceMemory{}, false, fmt.Errorf("learnt pace %s: %w", path, err)
	}
	m := mgmt.PaceMemory{LearntAt: rec.LearntAt, Tokens: rec.Tokens, SavedAt: rec.SavedAt}
	if m.Server, err = mgmt.ParseRate(rec.Server); err == nil {
		m.Pace, err = mgmt.ParseRate(rec.Pace)
	}
	if err != nil {
		return mgmt.PaceMemory{}, false, fmt.Errorf("learnt pace %s: %w", path, err)
	}
	if now.Sub(m.LearntAt) > PaceMaxAge {
		return mgmt.PaceMemory{}, false, nil
	}
	return m, true, nil
}

// SavePace writes m for projectID to path, replacing the file at once
// (a temporary file renamed over it), readable by the user only.
func SavePace(path, projectID string, m mgmt.PaceMemory) error {
	data, err := json.MarshalIndent(paceRecord{
		ProjectID: projectID, Server: m.Server.String(), Pace: m.Pace.String(),
		LearntAt: m.LearntAt.UTC(), Tokens: m.Tokens, SavedAt: m.SavedAt.UTC(),
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("save learnt pace: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save learnt pace: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pace-*") // mode 0600
	if err != nil {
		return fmt.Errorf("save learnt pace: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(append(data, '\n'))
	if err := errors.Join(werr, tmp.Close()); err != nil {
		return fmt.Errorf("save learnt pace %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save learnt pace %s: %w", path, err)
	}
	return nil
}

// RecallPace starts the pacer of a real target from the pace learnt for its
// project, kept under stateDir, and returns the func that keeps what the
// pacer then knows, to call when the command is done. A local target is not
// paced: it recalls and keeps nothing. A pace file that cannot be read is
// returned as an error along with a keep func that replaces it.
func RecallPace(t *Target, stateDir string, now time.Time) (keep func() error, err error) {
	if t.Local {
		return func() error { return nil }, nil
	}
	path := PaceFile(stateDir, t.ProjectID)
	pacer := t.Client.Pacer()
	m, ok, err := LoadPace(path, now)
	if ok {
		pacer.Recall(m)
	}
	return func() error {
		if m, ok := pacer.Memory(); ok {
			return SavePace(path, t.ProjectID, m)
		}
		return nil
	}, err
}
