package main

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// progress draws the executor's progress: a bar redrawn in place on a
// terminal, one plain line per finished change otherwise.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	total int
	// actions are the plan's actions by change ID.
	actions map[string]descope.Action
	drawn   bool
}

func newProgress(w io.Writer, tty bool, total int, p *descope.Plan) *progress {
	actions := make(map[string]descope.Action, len(p.Changes))
	for _, c := range p.Changes {
		actions[c.ID] = c.Action
	}
	return &progress{w: w, tty: tty, total: total, actions: actions}
}

var actionWords = map[descope.Action]string{
	descope.ActionCreate: "created", descope.ActionUpdate: "updated",
	descope.ActionDelete: "deleted", descope.ActionReplace: "replaced",
}

func (p *progress) event(ev mgmt.Event) {
	if ev.Kind == mgmt.EventStarted {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	what := "failed"
	if ev.Kind == mgmt.EventDone {
		what = "done"
		if a, ok := p.actions[ev.ID]; ok {
			what = actionWords[a]
		}
	}
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d] %s %s\n", ev.Finished, p.total, ev.ID, what)
		return
	}
	const width = 30
	filled := width * ev.Finished / max(p.total, 1)
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %d/%d %s %s", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), ev.Finished, p.total, ev.ID, what)
	p.drawn = true
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
