package mgmt

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Item is one unit of work for an Executor, usually one API write.
type Item struct {
	// ID names the item in events and the report; unique within a run.
	ID string
	// Weight is the number of calls Do makes. The executor takes that many
	// tokens from the pacer before starting the item and hands them to Do's
	// ctx (see WithPrepaid); calls beyond them wait on the pacer. 0 takes none.
	Weight int
	// Deps are the IDs of items that must succeed before this one starts.
	Deps []string
	// Do performs the work.
	Do func(ctx context.Context) error
	// Finish marks the second half of work whose first half is another
	// item (its dependency): once its Deps are done it runs even after the
	// run has stopped, for a failure elsewhere or a cancellation, so that
	// the work is not left halfway (a replace's create after its delete).
	Finish bool
}

// EventKind says what happened to an item.
type EventKind int

// The events of an item: Started, then Done or Failed.
const (
	EventStarted EventKind = iota + 1
	EventDone
	EventFailed
)

// String returns "started", "done" or "failed".
func (k EventKind) String() string {
	switch k {
	case EventStarted:
		return "started"
	case EventDone:
		return "done"
	case EventFailed:
		return "failed"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event reports progress to an OnEvent callback.
type Event struct {
	Kind EventKind
	ID   string
	// Err is the item's error (EventFailed only).
	Err error
	// Finished counts the items done or failed so far; Total is the run's size.
	Finished, Total int
}

// Failure is an item that failed, and why.
type Failure struct {
	ID  string
	Err error
}

// Report is the outcome of a run. Each list is in input order.
type Report struct {
	Done   []string
	Failed []Failure
	// Unknown are the items abandoned while running, by the end of the
	// run's stop context (WithStop): a call already sent may or may not
	// have taken effect. Err is why each stopped.
	Unknown    []Failure
	NotStarted []string
	// Interrupted is the cause of ctx's end (context.Cause) when the run
	// stopped because ctx ended.
	Interrupted error
	// Cycles are the dependency cycles that made the items invalid: the IDs
	// of the items in each, every item waiting for the next and the last
	// the first again.
	Cycles [][]string
}

// Err returns the failures and the interruption joined, or nil when every
// item is done.
func (r Report) Err() error {
	var errs []error
	for _, f := range r.Failed {
		errs = append(errs, fmt.Errorf("%s: %w", f.ID, f.Err))
	}
	for _, f := range r.Unknown {
		errs = append(errs, fmt.Errorf("%s: abandoned while running, outcome unknown: %w", f.ID, f.Err))
	}
	if r.Interrupted != nil {
		errs = append(errs, fmt.Errorf("interrupted with %d not started: %w", len(r.NotStarted), r.Interrupted))
	}
	for _, c := range r.Cycles {
		errs = append(errs, fmt.Errorf("dependency cycle (each item waits for the next): %s", strings.Join(c, " -> ")))
	}
	return errors.Join(errs...)
}

type stopKey struct{}

// WithStop returns a copy of ctx that carries stop, the context of a hard
// stop (a second interrupt). Cancelling ctx stops an Executor from starting
// work, but what it has started runs on: calls in flight, their retries and
// waits for the pacer, and the second halves of work (Item.Finish). Those
// end when stop ends, and their items are reported Unknown.
func WithStop(ctx, stop context.Context) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// detach returns a context with ctx's values that ctx's cancellation does
// not end, but the end of its stop (WithStop), if any, does. cancel
// releases it.
func detach(ctx context.Context) (_ context.Context, cancel func()) {
	d := context.WithoutCancel(ctx)
	stop, _ := ctx.Value(stopKey{}).(context.Context)
	if stop == nil {
		return d, func() {}
	}
	d, cancelCause := context.WithCancelCause(d)
	unregister := context.AfterFunc(stop, func() { cancelCause(context.Cause(stop)) })
	return d, func() {
		unregister()
		cancelCause(context.Canceled)
	}
}

// Executor runs items concurrently, in dependency order, under a pacer.
type Executor struct {
	pacer   *Pacer
	workers int
	onEvent func(Event)
}

// ExecutorOption configures an Executor.
type ExecutorOption func(*Executor)

// OnEvent sets a callback for item events (to draw progress). Calls are never
// concurrent, an item's Started comes before its Done or Failed, and the Done
// of each of its Deps before its Started.
func OnEvent(fn func(Event)) ExecutorOption { return func(e *Executor) { e.onEvent = fn } }

// NewExecutor returns an executor running up to workers items at once (at
// least 1) and taking their tokens from p (nil: no pacing).
func NewExecutor(p *Pacer, workers int, opts ...ExecutorOption) *Executor {
	e := &Executor{pacer: p, workers: max(workers, 1)}
	for _, opt := range opts {
		opt(e)
	}
	return e
}

// Run runs items: each starts once its Deps have succeeded, after the
// executor has taken its Weight in tokens. On the first failure, or when ctx
// ends, Run stops starting items, waits for those in flight, and reports
// what was done, what failed and what was not started (including every item
// behind a failed one). Items already running keep ctx's values but not its
// cancellation: neither a failure elsewhere nor ctx's end cancels them, only
// ctx's stop (WithStop), which abandons them (Report.Unknown).
//
// An invalid set of items (a duplicate or empty ID, an unknown dependency, a
// cycle, a nil Do) runs nothing: the offending items fail and the others are
// not started.
func (e *Executor) Run(ctx context.Context, items []Item) Report {
	r, bad := newRun(e, items)
	if bad {
		return r.report(ctx)
	}
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	r.stopDispatch = stop
	// What runs once started: cancelled by ctx's stop only.
	running, release := detach(ctx)
	defer release()

	slots := make(chan struct{}, e.workers)
	var wg sync.WaitGroup
	for {
		i, ok := r.next(dctx)
		if !ok {
			break
		}
		// A Finish item is started whatever happens to the run.
		wctx := dctx
		if items[i].Finish {
			wctx = running
		}
		select {
		case slots <- struct{}{}:
		case <-wctx.Done():
		}
		if wctx.Err() != nil {
			continue // the run stopped: i is not started; next offers only Finish items now
		}
		weight := max(items[i].Weight, 0)
		// Tokens are taken here, before a worker has the item, so that
		// queued work cannot stampede the API.
		if err := e.pacer.Wait(wctx, weight); err != nil || !r.start(i) {
			<-slots
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Cancelling ctx stops new work; a call in flight runs to its
			// end, so that its outcome is known (a write cut off halfway
			// may or may not have landed), unless the stop abandons it.
			err := r.call(WithPrepaid(running, weight), i)
			abandoned := err != nil && running.Err() != nil
			if cause := context.Cause(running); abandoned && !errors.Is(err, cause) {
				err = fmt.Errorf("%w (%w)", err, cause)
			}
			r.finish(i, err, abandoned)
			// The slot is freed after finish, so that the dispatcher,
			// woken by it, already sees a failure.
			<-slots
		}()
	}
	wg.Wait()
	return r.report(ctx)
}

type itemState int

const (
	statePending itemState = iota
	stateRunning
	stateDone
	stateFailed
	stateUnknown
)

// run is the state of one Executor.Run.
type run struct {
	e            *Executor
	items        []Item
	dependents   [][]int
	stopDispatch context.CancelFunc
	wake         chan struct{}

	mu      sync.Mutex
	state   []itemState
	errs    []error
	unmet   []int // deps not yet done, per item
	ready   indexHeap
	running int
	stopped bool

	eventMu  sync.Mutex // held while an event is reported; taken after mu, never before
	finished int        // items reported done or failed, under eventMu

	cycles [][]string // what made the items invalid, if cycles did
}

// newRun indexes items and checks them, reporting whether they are invalid.
func newRun(e *Executor, items []Item) (*run, bool) {
	n := len(items)
	r := &run{
		e:          e,
		items:      items,
		dependents: make([][]int, n),
		wake:       make(chan struct{}, 1),
		state:      make([]itemState, n),
		errs:       make([]error, n),
		unmet:      make([]int, n),
	}
	index := make(map[string]int, n)
	bad := false
	fail := func(i int, err error) {
		if r.state[i] != stateFailed {
			r.state[i], r.errs[i] = stateFailed, err
			bad = true
		}
	}
	for i, it := range items {
		switch _, dup := index[it.ID]; {
		case it.ID == "":
			fail(i, errors.New("invalid item: empty id"))
		case dup:
			fail(i, fmt.Errorf("invalid item: duplicate id %q", it.ID))
		default:
			index[it.ID] = i
		}
		if it.Do == nil {
			fail(i, errors.New("invalid item: nil Do"))
		}
	}
	for i, it := range items {
		for _, d := range it.Deps {
			j, ok := index[d]
			if !ok {
				fail(i, fmt.Errorf("invalid item: unknown dependency %q", d))
				continue
			}
			r.unmet[i]++
			r.dependents[j] = append(r.dependents[j], i)
		}
	}
	// Kahn's algorithm: whatever cannot be ordered is in or behind a cycle.
	unmet := append([]int(nil), r.unmet...)
	queue := make([]int, 0, n)
	for i := range items {
		if unmet[i] == 0 {
			queue = append(queue, i)
		}
	}
	for k := 0; k < len(queue); k++ {
		for _, d := range r.dependents[queue[k]] {
			if unmet[d]--; unmet[d] == 0 {
				queue = append(queue, d)
			}
		}
	}
	if len(queue) < n {
		for i := range items {
			if unmet[i] > 0 {
				fail(i, errors.New("invalid item: in or behind a dependency cycle"))
			}
		}
		r.cycles = cycles(items, index, unmet)
	}
	for i := range items {
		if r.unmet[i] == 0 && !bad {
			r.ready = append(r.ready, i)
		}
	}
	heap.Init(&r.ready)
	return r, bad
}

// cycles returns the dependency cycles among the items that Kahn's
// algorithm could not order (unmet > 0), each as item IDs in which every
// item waits for the next and the last is the first again. Every such item
// is in a cycle or waits for one: following, from each, its first unordered
// dependency reaches a cycle, and each cycle is reported once.
func cycles(items []Item, index map[string]int, unmet []int) [][]string {
	var out [][]string
	reached := make([]bool, len(items))
	for start := range items {
		if unmet[start] == 0 || reached[start] {
			continue
		}
		onPath := map[int]int{}
		var path []int
		for i := start; !reached[i]; {
			if at, ok := onPath[i]; ok {
				var ids []string
				for _, j := range path[at:] {
					ids = append(ids, items[j].ID)
				}
				out = append(out, append(ids, items[i].ID))
				break
			}
			onPath[i] = len(path)
			path = append(path, i)
			for _, d := range items[i].Deps {
				if j, ok := index[d]; ok && unmet[j] > 0 {
					i = j
					break
				}
			}
		}
		for _, j := range path {
			reached[j] = true
		}
	}
	return out
}

// next returns the next item to start, in input order among the ready ones,
// waiting for one to become ready while items are running. Once the run
// stops (a failure, or ctx ends) only Finish items start. It reports false
// when nothing more will start.
func (r *run) next(ctx context.Context) (int, bool) {
	for {
		r.mu.Lock()
		stopping := r.stopped || ctx.Err() != nil
		if i, ok := r.popReady(stopping); ok {
			r.mu.Unlock()
			return i, true
		}
		if r.running == 0 {
			r.mu.Unlock()
			return 0, false
		}
		r.mu.Unlock()
		if stopping {
			<-r.wake // a running item finishes, and may ready a Finish item
			continue
		}
		select {
		case <-r.wake:
		case <-ctx.Done():
		}
	}
}

// popReady takes the first ready item, or with finishOnly the first ready
// Finish item. The caller holds r.mu.
func (r *run) popReady(finishOnly bool) (int, bool) {
	if !finishOnly {
		if r.ready.Len() == 0 {
			return 0, false
		}
		return heap.Pop(&r.ready).(int), true
	}
	for k, i := range r.ready {
		if r.items[i].Finish {
			heap.Remove(&r.ready, k)
			return i, true
		}
	}
	return 0, false
}

// start marks item i running, unless the run has stopped meanwhile.
func (r *run) start(i int) bool {
	r.mu.Lock()
	if r.stopped && !r.items[i].Finish {
		r.mu.Unlock()
		return false
	}
	r.state[i] = stateRunning
	r.running++
	r.mu.Unlock()
	r.emit(Event{Kind: EventStarted, ID: r.items[i].ID})
	return true
}

// call runs item i's Do, turning a panic into its error.
func (r *run) call(ctx context.Context, i int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return r.items[i].Do(ctx)
}

// finish records the outcome of item i and readies its dependents; a
// failure stops the run. An item abandoned by the stop has an unknown
// outcome.
func (r *run) finish(i int, err error, abandoned bool) {
	r.mu.Lock()
	r.running--
	ev := Event{Kind: EventDone, ID: r.items[i].ID}
	if err != nil {
		r.state[i], r.errs[i] = stateFailed, err
		if abandoned {
			r.state[i] = stateUnknown
		}
		ev.Kind, ev.Err = EventFailed, err
		r.stopped = true
		r.stopDispatch()
	} else {
		r.state[i] = stateDone
		for _, d := range r.dependents[i] {
			if r.unmet[d]--; r.unmet[d] == 0 {
				heap.Push(&r.ready, d)
			}
		}
	}
	// The event goes out before a dependent readied above can report
	// anything: eventMu is taken before r.mu is released, and a dependent's
	// start emits under eventMu. Otherwise progress could show a dependent
	// started, or even done, before the change it waits for.
	r.eventMu.Lock()
	r.mu.Unlock()
	r.emitLocked(ev)
	r.eventMu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// emit reports ev to the OnEvent callback, one event at a time.
func (r *run) emit(ev Event) {
	r.eventMu.Lock()
	defer r.eventMu.Unlock()
	r.emitLocked(ev)
}

// emitLocked is emit for a caller that holds r.eventMu.
func (r *run) emitLocked(ev Event) {
	if r.e.onEvent == nil {
		return
	}
	if ev.Kind != EventStarted {
		r.finished++
	}
	ev.Finished, ev.Total = r.finished, len(r.items)
	r.e.onEvent(ev)
}

// report lists the items by outcome, in input order.
func (r *run) report(ctx context.Context) Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := Report{Cycles: r.cycles}
	for i, it := range r.items {
		switch r.state[i] {
		case stateDone:
			rep.Done = append(rep.Done, it.ID)
		case stateFailed:
			rep.Failed = append(rep.Failed, Failure{ID: it.ID, Err: r.errs[i]})
		case stateUnknown:
			rep.Unknown = append(rep.Unknown, Failure{ID: it.ID, Err: r.errs[i]})
		default:
			rep.NotStarted = append(rep.NotStarted, it.ID)
		}
	}
	if ctx.Err() != nil && len(rep.NotStarted)+len(rep.Unknown) > 0 {
		rep.Interrupted = context.Cause(ctx)
	}
	return rep
}

// indexHeap is a min-heap of item indexes, so ready items start in input order.
type indexHeap []int

func (h indexHeap) Len() int           { return len(h) }
func (h indexHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h indexHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *indexHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *indexHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
