package main

// This file shows the progress of a command's long phases on stderr:
// reading the live project, the backup, apply and restore, a script's
// batch.

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/runtime"
)

// plainMin is the size of a phase (tenant settings reads, changes, batch
// items) from which it is reported in plain lines when stderr is not a
// terminal.
const plainMin = 50

// renderDelay is how long a bar waits before it is drawn: a phase that is
// over sooner shows none.
const renderDelay = 300 * time.Millisecond

// progressDisplay shows the long phases of one command on stderr, one at a
// time. On a terminal each is a bar (github.com/vbauerster/mpb) with its
// count and the time left at the pacer's pace, removed when the phase ends.
// Elsewhere (CI logs, files, golden tests) a phase of plainMin or more is
// reported in a few plain lines that depend on nothing but the counts: when
// it starts (with the time it takes at the configured pace), at each
// quarter and at the end. Shorter phases print nothing.
type progressDisplay struct {
	w   io.Writer
	tty bool

	mu  sync.Mutex
	cur *phase
}

// progress returns the command's progress display, made on first use; it is
// closed when the command is done.
func (f *Factory) progress() *progressDisplay {
	if f.display == nil {
		f.display = &progressDisplay{w: f.IO.ErrOut, tty: f.IO.ErrTTY}
		f.closers = append(f.closers, func() error { f.display.end(); return nil })
	}
	return f.display
}

// phase is one phase being shown. Its methods may be called from several
// goroutines.
type phase struct {
	d     *progressDisplay
	title string
	pacer *mgmt.Pacer
	read  bool

	mu      sync.Mutex
	ended   bool
	bars    *mpb.Progress // the bar's container, once drawn (on a terminal)
	bar     *mpb.Bar
	quarter int // the last quarter reported in plain lines; -1 before the first line
}

// start starts showing a phase: title says what it does ("Backing up the
// project"); pacer, which paces its calls, gives the time left; read says
// it reads the live project. A read ends the read shown before it (one
// that failed does not say so). While another phase is shown, the new one
// is part of it and is not shown: start returns nil, whose methods do
// nothing (a script's reads inside a batch).
func (d *progressDisplay) start(title string, pacer *mgmt.Pacer, read bool) *phase {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur := d.cur; cur != nil && !cur.isEnded() {
		if !read || !cur.read {
			return nil
		}
		cur.end()
	}
	d.cur = &phase{d: d, title: title, pacer: pacer, read: read, quarter: -1}
	return d.cur
}

// end ends the phase shown, if any: its bar is taken off the terminal.
func (d *progressDisplay) end() {
	d.mu.Lock()
	ph := d.cur
	d.cur = nil
	d.mu.Unlock()
	if ph != nil {
		ph.end()
	}
}

// barTo shows, on a terminal, done of total units ("calls", "changes").
func (ph *phase) barTo(done, total int, unit string) {
	if ph == nil || !ph.d.tty {
		return
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if ph.ended {
		return
	}
	if ph.bar == nil {
		delay := make(chan any)
		time.AfterFunc(renderDelay, func() { close(delay) })
		ph.bars = mpb.New(mpb.WithOutput(ph.d.w), mpb.WithWidth(72), mpb.WithRenderDelay(delay))
		ph.bar = ph.bars.New(int64(total), mpb.BarStyle().Lbound("[").Rbound("]"),
			mpb.BarRemoveOnComplete(),
			mpb.PrependDecorators(decor.Name(ph.title, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(
				decor.CountersNoUnit("%d/%d "+unit, decor.WCSyncSpace),
				decor.Any(ph.left, decor.WC{W: 16, C: decor.DindentRight}),
			))
	}
	ph.bar.SetTotal(int64(total), false)
	ph.bar.SetCurrent(int64(done))
}

// left is the bar's time left: the calls to come at the pacer's pace, or
// the pause the server asked for.
func (ph *phase) left(s decor.Statistics) string {
	if until := ph.pacer.Stats().PausedUntil; !until.IsZero() {
		return fmt.Sprintf(" paused %s (429)", time.Until(until).Round(time.Second))
	}
	d := ph.pacer.Ahead(int(s.Total - s.Current))
	if d < time.Second {
		return ""
	}
	return fmt.Sprintf(" about %s left", d.Round(time.Second))
}

// lines reports, in plain lines when stderr is not a terminal, done of
// total units ("tenant settings") of a phase of plainMin or more: toDo and
// did say what is done to them ("read", "read"; "make", "finished"). The
// lines depend on total alone, however done advances.
func (ph *phase) lines(done, total int, unit, toDo, did string) {
	if ph == nil || ph.d.tty || total < plainMin {
		return
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if ph.ended {
		return
	}
	if ph.quarter < 0 {
		fmt.Fprintf(ph.d.w, "%s: %d %s to %s%s.\n", ph.title, total, unit, toDo, paceEstimate(ph.pacer, total))
		ph.quarter = 0
	}
	// Each quarter passed gets its line, with the count that first reaches
	// it, even when the counts jump: a read reports nothing until all its
	// fixed calls have started, and by then an in-process project may
	// have answered every settings read.
	for q := 4 * done / total; ph.quarter < q; {
		ph.quarter++
		fmt.Fprintf(ph.d.w, "%s: %d of %d %s %s.\n", ph.title, (ph.quarter*total+3)/4, total, unit, did)
	}
}

// isEnded reports whether the phase has ended.
func (ph *phase) isEnded() bool {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return ph.ended
}

// end takes the phase's bar off the terminal.
func (ph *phase) end() {
	if ph == nil {
		return
	}
	ph.mu.Lock()
	if ph.ended {
		ph.mu.Unlock()
		return
	}
	ph.ended = true
	bars, bar := ph.bars, ph.bar
	ph.mu.Unlock()
	if bar == nil {
		return
	}
	if !bar.Completed() {
		bar.Abort(true)
	}
	bars.Wait()
}

// paceEstimate says how long n calls take at p's pace, from a full bucket
// (", about 4m0s at 200/60s"), or "" when they take no time waiting. It
// depends on the pace alone, not on the clock.
func paceEstimate(p *mgmt.Pacer, n int) string {
	if p == nil {
		return ""
	}
	pace := p.Stats().Pace
	if pace.IsUnlimited() {
		return ""
	}
	burst := min(p.Burst(), pace.N)
	d := time.Duration(max(0, n-max(burst-1, 1))) * pace.Per / time.Duration(pace.N)
	if d < time.Second {
		return ""
	}
	return fmt.Sprintf(", about %s at %s", d.Round(time.Second), pace)
}

// readTitles are the titles of the reads of the live project.
var readTitles = map[runtime.ReadPhase]string{
	runtime.PhaseRead:   "Reading the project",
	runtime.PhaseBackup: "Backing up the project",
	runtime.PhaseVerify: "Verifying the changes",
}

// watch shows the progress of t's reads: the calls on the bar, the tenant
// settings reads (one call each, what makes a read long) in plain lines.
func (f *Factory) watch(t *runtime.Target) {
	d := f.progress()
	t.Observe = func(rp runtime.ReadPhase) func(mgmt.ReadProgress) {
		ph := d.start(readTitles[rp], t.Client.Pacer(), true)
		return func(p mgmt.ReadProgress) {
			ph.barTo(p.Done, p.Total, "calls")
			ph.lines(p.Settings, p.SettingsTotal, "tenant settings", "read", "read")
			if p.Done == p.Total {
				ph.end()
			}
		}
	}
}

// changes shows the progress of an apply's or a restore's changes on t:
// give it the operation's events; end it when the operation returns.
func (f *Factory) changes(t *runtime.Target) (event func(mgmt.Event), end func()) {
	d := f.progress()
	var ph *phase
	started := false
	return func(ev mgmt.Event) {
		if !started {
			ph, started = d.start("Applying the changes", t.Client.Pacer(), false), true
		}
		ph.barTo(ev.Finished, ev.Total, "changes")
		ph.lines(ev.Finished, ev.Total, "changes", "make", "finished")
		if ev.Finished == ev.Total {
			ph.end() // the verification's read follows
		}
	}, func() { ph.end() }
}
