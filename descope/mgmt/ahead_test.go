package mgmt_test

import (
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// Ahead says how long calls take to start at the pace: the tokens in hand
// at once, the rest at the rate, after a pause in progress.
func TestPacerAhead(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 10, mgmt.WithClock(clock))
	if got := p.Ahead(0); got != 0 {
		t.Errorf("Ahead(0) = %v, want 0", got)
	}
	if got := p.Ahead(1); got != 0 {
		t.Errorf("a full bucket: Ahead(1) = %v, want 0", got)
	}
	// Past the bucket, ten more calls take a second at 10/s.
	if got := p.Ahead(110) - p.Ahead(100); got != time.Second {
		t.Errorf("Ahead(110) - Ahead(100) = %v, want 1s", got)
	}
	if got := p.Ahead(100); got < 9*time.Second || got > 10*time.Second {
		t.Errorf("Ahead(100) = %v, want 10s less the bucket", got)
	}
	p.Pause(5 * time.Second)
	if got := p.Ahead(1); got < 5*time.Second {
		t.Errorf("in a pause of 5s, Ahead(1) = %v, want at least 5s", got)
	}
	var none *mgmt.Pacer
	if got := none.Ahead(100); got != 0 {
		t.Errorf("nil pacer: Ahead = %v, want 0", got)
	}
	if got := mgmt.NewPacer(mgmt.Unlimited, 0).Ahead(100); got != 0 {
		t.Errorf("unlimited: Ahead = %v, want 0", got)
	}
}
