package mgmt_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// journal records item events in order.
type journal struct {
	mu     sync.Mutex
	events []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	j.events = append(j.events, s)
	j.mu.Unlock()
}

func (j *journal) list() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.events)
}

// index returns the position of event s, or -1.
func (j *journal) index(s string) int { return slices.Index(j.list(), s) }

func noop(context.Context) error { return nil }

func TestExecutorDependencyOrder(t *testing.T) {
	var j journal
	do := func(id string) func(context.Context) error {
		return func(context.Context) error {
			j.add("run " + id)
			return nil
		}
	}
	items := []mgmt.Item{
		{ID: "child", Deps: []string{"parent"}, Do: do("child")},
		{ID: "grandchild", Deps: []string{"child", "role"}, Do: do("grandchild")},
		{ID: "parent", Do: do("parent")},
		{ID: "role", Deps: []string{"permission"}, Do: do("role")},
		{ID: "permission", Do: do("permission")},
		{ID: "alone", Do: do("alone")},
	}
	rep := mgmt.NewExecutor(nil, 4).Run(context.Background(), items)
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"child", "grandchild", "parent", "role", "permission", "alone"}
	if !reflect.DeepEqual(rep.Done, want) {
		t.Errorf("Done = %v, want %v (input order)", rep.Done, want)
	}
	for _, edge := range [][2]string{{"parent", "child"}, {"child", "grandchild"}, {"role", "grandchild"}, {"permission", "role"}} {
		if j.index("run "+edge[0]) > j.index("run "+edge[1]) {
			t.Errorf("%s ran before %s: %v", edge[1], edge[0], j.list())
		}
	}
}

// TestExecutorInputOrderWithOneWorker checks that ready items start in input order.
func TestExecutorInputOrderWithOneWorker(t *testing.T) {
	var j journal
	var items []mgmt.Item
	for _, id := range []string{"c", "a", "d", "b"} {
		items = append(items, mgmt.Item{ID: id, Do: func(context.Context) error { j.add(id); return nil }})
	}
	items[0].Deps = []string{"b"}
	mgmt.NewExecutor(nil, 1).Run(context.Background(), items)
	if got, want := j.list(), []string{"a", "d", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func TestExecutorPrepaid(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	item := func(id string, weight int) mgmt.Item {
		return mgmt.Item{ID: id, Weight: weight, Do: func(ctx context.Context) error {
			mu.Lock()
			got[id] = mgmt.Prepaid(ctx)
			mu.Unlock()
			return nil
		}}
	}
	p := mgmt.NewPacer(mgmt.Rate{N: 1000, Per: time.Second}, 100)
	rep := mgmt.NewExecutor(p, 2).Run(context.Background(), []mgmt.Item{item("a", 1), item("b", 3), item("c", 0)})
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"a": 1, "b": 3, "c": 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("prepaid = %v, want %v", got, want)
	}
}

// TestExecutorTakesTokensBeforeWorkers checks that an item does not start
// (no worker has it) until its tokens are taken, even with idle workers.
func TestExecutorTakesTokensBeforeWorkers(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 1, Per: time.Second}, 1, mgmt.WithClock(clock))
	var j journal
	e := mgmt.NewExecutor(p, 8, mgmt.OnEvent(func(ev mgmt.Event) { j.add(ev.Kind.String() + " " + ev.ID) }))
	items := []mgmt.Item{{ID: "a", Weight: 1, Do: noop}, {ID: "b", Weight: 1, Do: noop}, {ID: "c", Weight: 2, Do: noop}}
	done := make(chan mgmt.Report)
	go func() { done <- e.Run(context.Background(), items) }()

	// a takes the burst token; b waits a second for its own.
	waitPending(t, clock, time.Second)
	if got := j.list(); slices.Contains(got, "started b") {
		t.Fatalf("b started before its token: %v", got)
	}
	clock.Advance(time.Second)
	// c needs two tokens, taken one at a time (the burst is 1): two more seconds.
	waitPending(t, clock, time.Second)
	clock.Advance(time.Second)
	waitPending(t, clock, time.Second)
	if got := j.list(); slices.Contains(got, "started c") || !slices.Contains(got, "started b") {
		t.Fatalf("events = %v, want b started and c waiting", got)
	}
	clock.Advance(time.Second)
	rep := <-done
	if err := rep.Err(); err != nil || len(rep.Done) != 3 {
		t.Errorf("report = %+v, %v", rep, err)
	}
}

func TestExecutorStopsOnFailure(t *testing.T) {
	boom := errors.New("boom")
	release := make(chan struct{})
	started := make(chan struct{})
	items := []mgmt.Item{
		// slow is in flight when fail fails: it must finish, not be cut short.
		{ID: "slow", Do: func(ctx context.Context) error {
			close(started)
			<-release
			return ctx.Err()
		}},
		{ID: "fail", Do: func(context.Context) error {
			<-started
			defer close(release)
			return boom
		}},
		{ID: "after-fail", Deps: []string{"fail"}, Do: noop},
		{ID: "after-slow", Deps: []string{"slow"}, Do: noop},
		{ID: "later", Deps: []string{"after-slow"}, Do: noop},
	}
	rep := mgmt.NewExecutor(nil, 2).Run(context.Background(), items)
	if !reflect.DeepEqual(rep.Done, []string{"slow"}) {
		t.Errorf("Done = %v, want [slow]", rep.Done)
	}
	if len(rep.Failed) != 1 || rep.Failed[0].ID != "fail" || !errors.Is(rep.Failed[0].Err, boom) {
		t.Errorf("Failed = %+v, want fail: boom", rep.Failed)
	}
	if want := []string{"after-fail", "after-slow", "later"}; !reflect.DeepEqual(rep.NotStarted, want) {
		t.Errorf("NotStarted = %v, want %v", rep.NotStarted, want)
	}
	if rep.Interrupted != nil {
		t.Errorf("Interrupted = %v, want nil", rep.Interrupted)
	}
	if err := rep.Err(); err == nil || err.Error() != "fail: boom" {
		t.Errorf("Err() = %v, want fail: boom", err)
	}
}

// TestExecutorFailureWithOneWorker checks that no item starts after a
// failure, even one that was already waiting for the worker.
func TestExecutorFailureWithOneWorker(t *testing.T) {
	rep := mgmt.NewExecutor(nil, 1).Run(context.Background(), []mgmt.Item{
		{ID: "a", Do: func(context.Context) error { return errors.New("no") }},
		{ID: "b", Do: noop},
		{ID: "c", Do: noop},
	})
	if len(rep.Done) != 0 || len(rep.Failed) != 1 || !reflect.DeepEqual(rep.NotStarted, []string{"b", "c"}) {
		t.Errorf("report = %+v", rep)
	}
}

// Cancelling stops new work, and the work in flight runs to its end with a
// context that is not cancelled, so that its outcome is known.
func TestExecutorCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	inFlight, release := make(chan struct{}), make(chan struct{})
	var itemErr error
	items := []mgmt.Item{
		{ID: "in-flight", Do: func(ctx context.Context) error {
			close(inFlight)
			<-release
			itemErr = ctx.Err()
			return nil
		}},
		{ID: "next", Deps: []string{"in-flight"}, Do: noop},
		{ID: "other", Do: noop},
	}
	go func() {
		<-inFlight
		cancel()
		close(release)
	}()
	// One worker: other waits for the slot and never gets it.
	rep := mgmt.NewExecutor(nil, 1).Run(ctx, items)
	if itemErr != nil {
		t.Errorf("the item in flight saw its context end: %v", itemErr)
	}
	if !reflect.DeepEqual(rep.Done, []string{"in-flight"}) || len(rep.Failed) != 0 {
		t.Errorf("Done = %v, Failed = %+v; want the item in flight done", rep.Done, rep.Failed)
	}
	if !reflect.DeepEqual(rep.NotStarted, []string{"next", "other"}) {
		t.Errorf("NotStarted = %v", rep.NotStarted)
	}
	if !errors.Is(rep.Interrupted, context.Canceled) || !errors.Is(rep.Err(), context.Canceled) {
		t.Errorf("Interrupted = %v, Err() = %v", rep.Interrupted, rep.Err())
	}
}

func TestExecutorCancelledWhileWaitingForTokens(t *testing.T) {
	clock := newFakeClock()
	p := mgmt.NewPacer(mgmt.Rate{N: 1, Per: time.Hour}, 1, mgmt.WithClock(clock))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan mgmt.Report)
	go func() {
		done <- mgmt.NewExecutor(p, 4).Run(ctx, []mgmt.Item{{ID: "a", Weight: 1, Do: noop}, {ID: "b", Weight: 1, Do: noop}})
	}()
	waitPending(t, clock, time.Hour)
	cancel()
	rep := <-done
	if !reflect.DeepEqual(rep.Done, []string{"a"}) || !reflect.DeepEqual(rep.NotStarted, []string{"b"}) || rep.Interrupted == nil {
		t.Errorf("report = %+v", rep)
	}
}

func TestExecutorEvents(t *testing.T) {
	var j journal
	e := mgmt.NewExecutor(nil, 1, mgmt.OnEvent(func(ev mgmt.Event) {
		s := fmt.Sprintf("%s %s %d/%d", ev.Kind, ev.ID, ev.Finished, ev.Total)
		if ev.Err != nil {
			s += " " + ev.Err.Error()
		}
		j.add(s)
	}))
	e.Run(context.Background(), []mgmt.Item{
		{ID: "a", Do: noop},
		{ID: "b", Deps: []string{"a"}, Do: func(context.Context) error { return errors.New("bad") }},
		{ID: "c", Deps: []string{"b"}, Do: noop},
	})
	want := []string{"started a 0/3", "done a 1/3", "started b 1/3", "failed b 2/3 bad"}
	if got := j.list(); !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n got %q\nwant %q", got, want)
	}
}

// TestExecutorEventsFollowDependencies checks that an item's events come
// after its dependencies' done events, so that progress never shows a change
// started or done before the change it waits for. The run is a wide graph
// with many workers, repeated, so that a dependent readied by a finishing
// item has every chance to start before that item's event is out.
func TestExecutorEventsFollowDependencies(t *testing.T) {
	const runs, width, depth = 50, 8, 8
	var items []mgmt.Item
	deps := map[string][]string{}
	for d := range depth {
		for w := range width {
			it := mgmt.Item{ID: fmt.Sprintf("%d.%d", d, w), Do: noop}
			if d > 0 {
				it.Deps = []string{fmt.Sprintf("%d.%d", d-1, w), fmt.Sprintf("%d.%d", d-1, (w+1)%width)}
			}
			items, deps[it.ID] = append(items, it), it.Deps
		}
	}
	for run := range runs {
		var mu sync.Mutex // OnEvent calls are never concurrent; mu is for the race detector's sake
		done := map[string]bool{}
		var bad []string
		e := mgmt.NewExecutor(nil, width, mgmt.OnEvent(func(ev mgmt.Event) {
			mu.Lock()
			defer mu.Unlock()
			for _, dep := range deps[ev.ID] {
				if !done[dep] {
					bad = append(bad, fmt.Sprintf("%s %s before done %s", ev.Kind, ev.ID, dep))
				}
			}
			if ev.Kind == mgmt.EventDone {
				done[ev.ID] = true
			}
		}))
		if err := e.Run(context.Background(), items).Err(); err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Fatalf("run %d: events out of dependency order: %v", run, bad)
		}
	}
}

func TestExecutorPanicIsAFailure(t *testing.T) {
	rep := mgmt.NewExecutor(nil, 1).Run(context.Background(), []mgmt.Item{
		{ID: "p", Do: func(context.Context) error { panic("oops") }},
	})
	if len(rep.Failed) != 1 || !strings.Contains(rep.Failed[0].Err.Error(), "panic: oops") {
		t.Errorf("report = %+v", rep)
	}
}

func TestExecutorInvalidItems(t *testing.T) {
	tests := []struct {
		name       string
		items      []mgmt.Item
		wantFailed map[string]string
	}{
		{
			name:       "duplicate id",
			items:      []mgmt.Item{{ID: "a", Do: noop}, {ID: "b", Do: noop}, {ID: "a", Do: noop}},
			wantFailed: map[string]string{"a": `invalid item: duplicate id "a"`},
		},
		{
			name:       "unknown dependency",
			items:      []mgmt.Item{{ID: "a", Deps: []string{"ghost"}, Do: noop}, {ID: "b", Do: noop}},
			wantFailed: map[string]string{"a": `invalid item: unknown dependency "ghost"`},
		},
		{
			name: "cycle",
			items: []mgmt.Item{
				{ID: "a", Deps: []string{"b"}, Do: noop}, {ID: "b", Deps: []string{"a"}, Do: noop},
				{ID: "c", Deps: []string{"a"}, Do: noop}, {ID: "d", Do: noop},
			},
			wantFailed: map[string]string{
				"a": "invalid item: in or behind a dependency cycle",
				"b": "invalid item: in or behind a dependency cycle",
				"c": "invalid item: in or behind a dependency cycle",
			},
		},
		{
			name:       "nil Do and empty id",
			items:      []mgmt.Item{{ID: "a"}, {ID: "", Do: noop}},
			wantFailed: map[string]string{"a": "invalid item: nil Do", "": "invalid item: empty id"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ran := false
			for i := range tc.items {
				if tc.items[i].Do != nil {
					tc.items[i].Do = func(context.Context) error { ran = true; return nil }
				}
			}
			rep := mgmt.NewExecutor(nil, 2).Run(context.Background(), tc.items)
			if ran || len(rep.Done) != 0 {
				t.Errorf("items ran: %+v", rep)
			}
			got := map[string]string{}
			for _, f := range rep.Failed {
				got[f.ID] = f.Err.Error()
			}
			if !reflect.DeepEqual(got, tc.wantFailed) {
				t.Errorf("Failed = %v, want %v", got, tc.wantFailed)
			}
			if len(rep.Failed)+len(rep.NotStarted) != len(tc.items) {
				t.Errorf("report = %+v does not account for every item", rep)
			}
		})
	}
}

// The report names the cycle itself, so that a plan's bug can be found.
func TestExecutorReportsTheCycle(t *testing.T) {
	items := []mgmt.Item{
		{ID: "a", Deps: []string{"b"}, Do: noop}, {ID: "b", Deps: []string{"c"}, Do: noop},
		{ID: "c", Deps: []string{"a"}, Do: noop}, {ID: "d", Deps: []string{"a"}, Do: noop},
	}
	rep := mgmt.NewExecutor(nil, 2).Run(context.Background(), items)
	if len(rep.Cycles) != 1 || len(rep.Cycles[0]) != 4 {
		t.Fatalf("Cycles = %q, want one cycle through a, b and c", rep.Cycles)
	}
	err := rep.Err()
	if err == nil || !strings.Contains(err.Error(), "dependency cycle (each item waits for the next): ") {
		t.Fatalf("Err() = %v, want it to name the cycle", err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if !slices.Contains(rep.Cycles[0], id) {
			t.Errorf("cycle %q lacks %s", rep.Cycles[0], id)
		}
	}
}

// A Finish item runs once its dependency is done even though the run has
// stopped for a failure elsewhere: a replace is not left deleted.
func TestExecutorFinishAfterFailure(t *testing.T) {
	release := make(chan struct{})
	var createRan, laterRan bool
	items := []mgmt.Item{
		{ID: "x#delete", Do: func(context.Context) error { <-release; return nil }},
		{ID: "other", Do: func(context.Context) error { return errors.New("boom") }},
		{ID: "x", Deps: []string{"x#delete"}, Finish: true, Do: func(context.Context) error { createRan = true; return nil }},
		{ID: "later", Deps: []string{"x#delete"}, Do: func(context.Context) error { laterRan = true; return nil }},
	}
	onEvent := func(ev mgmt.Event) {
		if ev.Kind == mgmt.EventFailed && ev.ID == "other" {
			close(release)
		}
	}
	rep := mgmt.NewExecutor(nil, 2, mgmt.OnEvent(onEvent)).Run(context.Background(), items)
	if !createRan || laterRan {
		t.Errorf("Finish item ran: %v, ordinary item ran: %v; want true, false", createRan, laterRan)
	}
	if !reflect.DeepEqual(rep.Done, []string{"x#delete", "x"}) || !reflect.DeepEqual(rep.NotStarted, []string{"later"}) {
		t.Errorf("report = %+v", rep)
	}
}

func TestExecutorEmpty(t *testing.T) {
	rep := mgmt.NewExecutor(nil, 0).Run(context.Background(), nil)
	if rep.Err() != nil || len(rep.Done)+len(rep.Failed)+len(rep.NotStarted) != 0 {
		t.Errorf("report = %+v", rep)
	}
}

// A first cancellation lets the item in flight run on; the stop (a second
// interrupt) abandons it, and its outcome is reported unknown, with the
// stop's cause. A Finish item behind it is not started.
func TestExecutorStopAbandonsWorkInFlight(t *testing.T) {
	errSecond := errors.New("interrupted twice")
	stop, abandon := context.WithCancelCause(context.Background())
	ctx, cancel := context.WithCancel(mgmt.WithStop(context.Background(), stop))
	inFlight := make(chan struct{})
	var sawCancel error
	items := []mgmt.Item{
		{ID: "in-flight", Do: func(ctx context.Context) error {
			close(inFlight)
			<-ctx.Done() // a retry waiting out a long Retry-After
			sawCancel = context.Cause(ctx)
			return ctx.Err()
		}},
		{ID: "finish", Deps: []string{"in-flight"}, Finish: true, Do: noop},
		{ID: "other", Deps: []string{"in-flight"}, Do: noop},
	}
	go func() {
		<-inFlight
		cancel()
		abandon(errSecond)
	}()
	rep := mgmt.NewExecutor(nil, 2).Run(ctx, items)
	if !errors.Is(sawCancel, errSecond) {
		t.Errorf("the item saw %v, want the stop's cause", sawCancel)
	}
	if len(rep.Unknown) != 1 || rep.Unknown[0].ID != "in-flight" || len(rep.Failed) != 0 || len(rep.Done) != 0 {
		t.Errorf("report %+v, want in-flight unknown", rep)
	}
	if !reflect.DeepEqual(rep.NotStarted, []string{"finish", "other"}) {
		t.Errorf("NotStarted = %v", rep.NotStarted)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "in-flight: abandoned while running, outcome unknown") {
		t.Errorf("Err() = %v", err)
	}
}

// Without a stop, cancelling ctx ends no item that has started, and the
// report's Interrupted is ctx's cause.
func TestExecutorInterruptedCause(t *testing.T) {
	errFirst := errors.New("interrupted")
	ctx, cancel := context.WithCancelCause(context.Background())
	items := []mgmt.Item{
		{ID: "a", Do: func(ctx context.Context) error { cancel(errFirst); return ctx.Err() }},
		{ID: "b", Deps: []string{"a"}, Do: noop},
	}
	rep := mgmt.NewExecutor(nil, 1).Run(ctx, items)
	if !reflect.DeepEqual(rep.Done, []string{"a"}) || !errors.Is(rep.Interrupted, errFirst) || !errors.Is(rep.Err(), errFirst) {
		t.Errorf("report %+v, want a done and the run interrupted by errFirst", rep)
	}
}
