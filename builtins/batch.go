package builtins

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// batchSlot is the thread-local of a batch item: the pacer the batch takes
// its tokens from, and the context that carries the tokens taken for the
// item (mgmt.WithPrepaid).
type batchSlot struct {
	pacer *mgmt.Pacer
	ctx   context.Context
}

// callContext returns the context of an API call to p made on thread: in a
// batch item paced by p's pacer, the item's, which carries the tokens the
// batch took for it before handing it to a worker; else the script's.
func callContext(thread *starlark.Thread, p Project) context.Context {
	if slot, ok := thread.Local(batchKey).(*batchSlot); ok && slot.pacer != nil && slot.pacer == p.Pacer() {
		return slot.ctx
	}
	return contextOf(thread)
}

// maxWorkers bounds batch(workers=): the pacer sets the pace, workers only
// cover the latency of calls in flight.
const maxWorkers = 64

func (s *scripter) batch(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var (
		call     starlark.Callable
		items    starlark.Iterable
		workers  = 4
		failFast = false
		weight   = 1
		project  starlark.Value
	)
	if err := starlark.UnpackArgs(fn, args, kwargs, "fn", &call, "items", &items, "workers?", &workers,
		"fail_fast?", &failFast, "weight?", &weight, "project?", &project); err != nil {
		return nil, err
	}
	if thread.Local(batchKey) != nil {
		return nil, fmt.Errorf("%s: a batch item cannot start another batch", fn)
	}
	if workers < 1 || workers > maxWorkers {
		return nil, fmt.Errorf("%s: workers must be 1 to %d, not %d (the pace is the project's rate, not the workers)", fn, maxWorkers, workers)
	}
	if weight < 0 {
		return nil, fmt.Errorf("%s: weight must be 0 or more (the API calls fn makes per item), not %d", fn, weight)
	}
	pacer, err := s.batchPacer(fn, project)
	if err != nil {
		return nil, err
	}

	var list []starlark.Value
	it := items.Iterate()
	var x starlark.Value
	for it.Next(&x) {
		list = append(list, x)
	}
	it.Done()
	// Everything fn can reach is frozen, so that the items cannot race on
	// shared values: its defaults and free variables, the globals of its
	// module, and the items.
	call.Freeze()
	if f, ok := call.(*starlark.Function); ok {
		for _, v := range f.Globals() {
			v.Freeze()
		}
	}
	for _, x := range list {
		x.Freeze()
	}

	pos := callerPos(thread)
	results := make([]starlark.Value, len(list))
	errs := make([]error, len(list)) // the items' failures, reported in their order
	var mu sync.Mutex
	failed := 0
	update, finish := s.host.Progress(len(list))
	opts := []mgmt.ExecutorOption{}
	if update != nil {
		opts = append(opts, mgmt.OnEvent(func(ev mgmt.Event) {
			if ev.Kind != mgmt.EventStarted {
				mu.Lock()
				n := failed
				mu.Unlock()
				update(ev.Finished, n)
			}
		}))
	}
	work := make([]mgmt.Item, len(list))
	for i, x := range list {
		work[i] = mgmt.Item{ID: strconv.Itoa(i), Weight: weight, Do: func(ctx context.Context) error {
			v, err := s.runItem(thread, call, x, i, &batchSlot{pacer: pacer, ctx: ctx})
			if err != nil {
				err = fmt.Errorf("item %d (%s): %w", i, short(x), err)
				mu.Lock()
				failed++
				errs[i] = err
				mu.Unlock()
				if failFast {
					return err
				}
				return nil
			}
			results[i] = v
			return nil
		}}
	}
	report := mgmt.NewExecutor(pacer, workers, opts...).Run(contextOf(thread), work)
	if finish != nil {
		finish()
	}
	if len(report.Failed) > 0 {
		return nil, fmt.Errorf("%s: %w (fail_fast: %d items not started)", fn, report.Failed[0].Err, len(report.NotStarted))
	}
	if report.Interrupted != nil {
		return nil, fmt.Errorf("%s: interrupted with %d of %d items not started: %w", fn, len(report.NotStarted), len(list), report.Interrupted)
	}
	if failed > 0 {
		for _, err := range errs {
			if err != nil {
				fmt.Fprintf(s.host.Stderr(), "batch: %v\n", err)
			}
		}
		fmt.Fprintf(s.host.Stderr(), "batch at %s: %d of %d items failed (listed above); their results are None\n", pos, failed, len(list))
		s.host.BatchFailed(pos, failed, len(list))
	}
	for i, v := range results {
		if v == nil {
			results[i] = starlark.None
		}
	}
	return starlark.NewList(results), nil
}

// batchPacer returns the pacer a batch takes its tokens from: the
// project's given, else that of the only project the script has opened;
// nil (no pacing) when it has opened none.
func (s *scripter) batchPacer(fn string, project starlark.Value) (*mgmt.Pacer, error) {
	if project != nil && project != starlark.None {
		p, ok := project.(*liveProject)
		if !ok {
			return nil, fmt.Errorf("%s: project must be a descope.project() handle, not %s", fn, project.Type())
		}
		return p.p.Pacer(), nil
	}
	opened := s.host.Opened()
	switch len(opened) {
	case 0:
		return nil, nil
	case 1:
		return opened[0].Pacer(), nil
	}
	return nil, fmt.Errorf("%s: the script has opened %d projects: say whose pace the items take with project = p", fn, len(opened))
}

// runItem calls fn(x) on a thread of its own.
func (s *scripter) runItem(parent *starlark.Thread, fn starlark.Callable, x starlark.Value, i int, slot *batchSlot) (starlark.Value, error) {
	t := &starlark.Thread{Name: fmt.Sprintf("%s (batch item %d)", parent.Name, i), Print: parent.Print, Load: parent.Load}
	ctx := contextOf(parent)
	t.SetLocal(contextKey, ctx)
	t.SetLocal(batchKey, slot)
	if n := s.host.MaxSteps(); n > 0 {
		t.SetMaxExecutionSteps(n)
	}
	stop := context.AfterFunc(ctx, func() { t.Cancel("interrupted") })
	defer stop()
	v, err := starlark.Call(t, fn, starlark.Tuple{x}, nil)
	if err != nil {
		return nil, errors.New(evalErrorLine(err))
	}
	return v, nil
}

// evalErrorLine renders an evaluation error on one line: the innermost
// position of the Starlark code, and the message.
func evalErrorLine(err error) string {
	var ee *starlark.EvalError
	if !errors.As(err, &ee) {
		return err.Error()
	}
	for i := len(ee.CallStack) - 1; i >= 0; i-- {
		if fr := ee.CallStack[i]; fr.Pos.Filename() != "<builtin>" {
			return fr.Pos.String() + ": " + ee.Msg
		}
	}
	return ee.Msg
}

// short returns the repr of x, cut to a line.
func short(x starlark.Value) string {
	s := x.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
