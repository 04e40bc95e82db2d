package emulator

import (
	"testing"
	"time"
)

func TestJitterDelay(t *testing.T) {
	tests := []struct {
		name            string
		latency, spread time.Duration
		lo, hi          time.Duration
	}{
		{"around the latency", 20 * time.Millisecond, 20 * time.Millisecond, 0, 40 * time.Millisecond},
		{"narrower than the latency", 50 * time.Millisecond, 10 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond},
		{"no latency", 0, 20 * time.Millisecond, 0, 20 * time.Millisecond},
		{"wider than the latency", 5 * time.Millisecond, 20 * time.Millisecond, 0, 25 * time.Millisecond},
	}
	for _, tc := range tests {
		j := newJitter(tc.spread, 1)
		var low, high bool // the draws reach both halves of the range
		mid := (tc.lo + tc.hi) / 2
		for range 1000 {
			d := j.delay(tc.latency)
			if d < tc.lo || d > tc.hi {
				t.Fatalf("%s: delay %v outside [%v, %v]", tc.name, d, tc.lo, tc.hi)
			}
			low, high = low || d < mid, high || d > mid
		}
		if !low || !high {
			t.Errorf("%s: 1000 draws stayed on one side of %v", tc.name, mid)
		}
	}
}

func TestJitterSeeded(t *testing.T) {
	a, b := newJitter(time.Second, 42), newJitter(time.Second, 42)
	c := newJitter(time.Second, 43)
	same := true
	for i := range 20 {
		da, db, dc := a.delay(time.Second), b.delay(time.Second), c.delay(time.Second)
		if da != db {
			t.Fatalf("draw %d: %v and %v under one seed", i, da, db)
		}
		same = same && da == dc
	}
	if same {
		t.Error("another seed drew the same delays")
	}
}

func TestJitterOff(t *testing.T) {
	if j := newJitter(0, 1); j != nil {
		t.Fatalf("newJitter(0) = %v, want nil", j)
	}
	var j *jitter
	if got := j.delay(30 * time.Millisecond); got != 30*time.Millisecond {
		t.Errorf("nil jitter: delay = %v, want the latency", got)
	}
}
