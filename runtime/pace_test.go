package runtime

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

func TestPaceFileRoundTrip(t *testing.T) {
	now := time.Date(2030, 1, 8, 12, 0, 0, 0, time.UTC)
	path := PaceFile(t.TempDir(), "P2Pace")
	m := mgmt.PaceMemory{
		Server: mgmt.Rate{N: 100, Per: time.Minute}, Pace: mgmt.Rate{N: 90, Per: time.Minute},
		LearntAt: now.Add(-time.Hour), Tokens: 12.5, SavedAt: now.Add(-time.Minute),
	}
	if err := SavePace(path, "P2Pace", m); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("pace file: %v, %v; want mode 0600", fi, err)
	}
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"fresh", now, true},
		{"a week old", m.LearntAt.Add(PaceMaxAge), true},
		{"older than a week", m.LearntAt.Add(PaceMaxAge + time.Second), false},
	}
	for _, tc := range tests {
		got, ok, err := LoadPace(path, tc.now)
		if err != nil || ok != tc.ok {
			t.Errorf("%s: LoadPace = %v, %v; want ok %v", tc.name, ok, err, tc.ok)
			continue
		}
		if ok && got != m {
			t.Errorf("%s: LoadPace = %+v, want %+v", tc.name, got, m)
		}
	}
}

// TestPaceFileServerWindow checks that a pace measured between two 429s,
// written over the server's window rather than --rate's, reads back the same.
func TestPaceFileServerWindow(t *testing.T) {
	now := time.Date(2030, 1, 8, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ server, pace mgmt.Rate }{
		{mgmt.Rate{N: 196, Per: 50 * time.Second}, mgmt.Rate{N: 146, Per: 50 * time.Second}},
		{mgmt.Rate{N: 2, Per: 300 * time.Millisecond}, mgmt.Rate{N: 1, Per: 300 * time.Millisecond}},
	} {
		path := PaceFile(t.TempDir(), "P2Pace")
		m := mgmt.PaceMemory{Server: tc.server, Pace: tc.pace, LearntAt: now, SavedAt: now}
		if err := SavePace(path, "P2Pace", m); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := LoadPace(path, now); err != nil || !ok || got != m {
			t.Errorf("LoadPace = %+v, %v, %v; want %+v", got, ok, err, m)
		}
	}
}

func TestLoadPaceMissingOrDamaged(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := LoadPace(filepath.Join(dir, "none.pace"), time.Now()); ok || err != nil {
		t.Errorf("missing file: %v, %v; want nothing and no error", ok, err)
	}
	for name, body := range map[string]string{
		"not json": "{",
		"bad rate": `{"server":"lots","pace":"90/60s"}`,
		"bad pace": `{"server":"100/60s","pace":"0/60s"}`,
	} {
		path := filepath.Join(dir, "damaged.pace")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := LoadPace(path, time.Now()); ok || err == nil {
			t.Errorf("%s: LoadPace = %v, %v; want an error", name, ok, err)
		}
	}
}

// TestRecallPace checks that a real target's pacer starts from the pace
// file and that keeping writes it back, while a target whose pacer learnt
// nothing writes no file.
func TestRecallPace(t *testing.T) {
	dir := t.TempDir()
	target := func(id string) (*Target, *mgmt.Pacer) {
		p := mgmt.NewPacer(mgmt.DefaultRate, mgmt.DefaultBurst)
		c, err := mgmt.New(mgmt.Config{ProjectID: id, BaseURL: "http://descope.invalid", Pacer: p})
		if err != nil {
			t.Fatal(err)
		}
		return &Target{ProjectID: id, Client: c}, p
	}
	now := time.Now()
	learnt := mgmt.PaceMemory{Server: mgmt.Rate{N: 100, Per: time.Minute}, Pace: mgmt.Rate{N: 90, Per: time.Minute}, LearntAt: now, SavedAt: now}
	if err := SavePace(PaceFile(dir, "P2Learnt"), "P2Learnt", learnt); err != nil {
		t.Fatal(err)
	}
	tgt, p := target("P2Learnt")
	keep, err := RecallPace(tgt, dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Pace != learnt.Pace {
		t.Errorf("pace = %v, want the learnt %v", s.Pace, learnt.Pace)
	}
	if err := keep(); err != nil {
		t.Fatal(err)
	}
	kept, ok, err := LoadPace(PaceFile(dir, "P2Learnt"), now)
	if !ok || err != nil || kept.Pace != learnt.Pace || !kept.SavedAt.After(learnt.SavedAt) {
		t.Errorf("kept = %+v, %v, %v; want the learnt pace saved again", kept, ok, err)
	}

	tgt, _ = target("P2Nothing")
	if keep, err = RecallPace(tgt, dir, now); err != nil {
		t.Fatal(err)
	}
	if err := keep(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(PaceFile(dir, "P2Nothing")); !os.IsNotExist(err) {
		t.Errorf("a pacer that learnt nothing wrote %s (%v)", PaceFile(dir, "P2Nothing"), err)
	}
}
