package main

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// paceEstimate depends on the pace alone: the bucket (the burst less one)
// starts at once, the rest at the rate.
func TestPaceEstimate(t *testing.T) {
	tests := []struct {
		rate mgmt.Rate
		n    int
		want string
	}{
		{mgmt.Rate{N: 200, Per: time.Minute}, 1000, ", about 4m0s at 200/60s"},
		{mgmt.Rate{N: 200, Per: time.Minute}, 199, ""},
		{mgmt.Rate{N: 10, Per: time.Second}, 60, ", about 5s at 10/1s"},
		{mgmt.Unlimited, 1000, ""},
	}
	for _, tt := range tests {
		if got := paceEstimate(mgmt.NewPacer(tt.rate, tt.rate.N), tt.n); got != tt.want {
			t.Errorf("%s, %d calls: got %q, want %q", tt.rate, tt.n, got, tt.want)
		}
	}
	if got := paceEstimate(nil, 1000); got != "" {
		t.Errorf("no pacer: got %q, want none", got)
	}
}

// Without a terminal a phase of plainMin or more prints a line when it
// starts, at each quarter and at the end; a shorter one prints nothing.
func TestProgressLines(t *testing.T) {
	var out bytes.Buffer
	d := &progressDisplay{w: &out}
	ph := d.start("Applying the changes", mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 10), false)
	for i := 0; i <= 60; i++ {
		ph.lines(i, 60, "changes", "make", "finished")
	}
	if again := d.start("Reading the project", nil, true); again != nil {
		t.Error("a read started while the changes are shown")
	}
	ph.end()
	failed := d.start("Reading the project", nil, true)
	failed.lines(0, 80, "tenant settings", "read", "read")
	// A read that failed never ends; the next one replaces it.
	short := d.start("Reading the project", nil, true)
	for i := 0; i <= 49; i++ {
		short.lines(i, 49, "tenant settings", "read", "read")
	}
	if short == nil || !failed.isEnded() {
		t.Error("a read did not replace the one that failed")
	}
	want := `Applying the changes: 60 changes to make, about 5s at 10/1s.
Applying the changes: 15 of 60 changes finished.
Applying the changes: 30 of 60 changes finished.
Applying the changes: 45 of 60 changes finished.
Applying the changes: 60 of 60 changes finished.
Reading the project: 80 tenant settings to read.
`
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// The plain lines depend on the total alone: counts that jump (a read whose
// first report comes after most of its calls were answered) still give a
// line per quarter, with the count that reaches it.
func TestProgressLinesJumps(t *testing.T) {
	tests := []struct {
		name  string
		total int
		dones []int
		want  string
	}{
		{"all at once", 60, []int{60}, `Reading the project: 60 tenant settings to read.
Reading the project: 15 of 60 tenant settings read.
Reading the project: 30 of 60 tenant settings read.
Reading the project: 45 of 60 tenant settings read.
Reading the project: 60 of 60 tenant settings read.
`},
		{"in jumps", 50, []int{0, 20, 26, 49, 50}, `Reading the project: 50 tenant settings to read.
Reading the project: 13 of 50 tenant settings read.
Reading the project: 25 of 50 tenant settings read.
Reading the project: 38 of 50 tenant settings read.
Reading the project: 50 of 50 tenant settings read.
`},
		{"not finished", 80, []int{0, 45}, `Reading the project: 80 tenant settings to read.
Reading the project: 20 of 80 tenant settings read.
Reading the project: 40 of 80 tenant settings read.
`},
	}
	for _, tt := range tests {
		var out, stepwise bytes.Buffer
		ph := (&progressDisplay{w: &out}).start("Reading the project", nil, true)
		for _, done := range tt.dones {
			ph.lines(done, tt.total, "tenant settings", "read", "read")
		}
		if got := out.String(); got != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, got, tt.want)
		}
		// The same lines as when every count is reported.
		ph = (&progressDisplay{w: &stepwise}).start("Reading the project", nil, true)
		for done := 0; done <= tt.dones[len(tt.dones)-1]; done++ {
			ph.lines(done, tt.total, "tenant settings", "read", "read")
		}
		if stepwise.String() != tt.want {
			t.Errorf("%s: counted one by one, got\n%s\nwant\n%s", tt.name, stepwise.String(), tt.want)
		}
	}
}

// On a terminal the bar is fed from several goroutines and taken off when
// the phase ends, complete or not, without blocking.
func TestProgressBar(t *testing.T) {
	var out lockedBuffer
	d := &progressDisplay{w: &out, tty: true}
	for _, complete := range []bool{true, false} {
		ph := d.start("Reading the project", mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 10), true)
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Go(func() {
				for i := 0; i < 25; i++ {
					ph.barTo(g*25+i, 100, "calls")
				}
			})
		}
		wg.Wait()
		if complete {
			ph.barTo(100, 100, "calls")
		}
		d.end()
		if ph.lines(100, 100, "calls", "read", "read"); out.String() != "" {
			t.Errorf("plain lines on a terminal: %q", out.String())
		}
	}
}
