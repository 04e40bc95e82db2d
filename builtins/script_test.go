package builtins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// fakeHost is a Host of fake projects, by name.
type fakeHost struct {
	projects map[string]*fakeProject
	opened   []Project
	stderr   strings.Builder
	failed   []string
}

func (h *fakeHost) Project(_ context.Context, name string) (Project, error) {
	p, ok := h.projects[name]
	if !ok {
		return nil, fmt.Errorf("no project %q", name)
	}
	h.opened = append(h.opened, p)
	return p, nil
}
func (h *fakeHost) Projects() []string { return slices.Sorted(maps.Keys(h.projects)) }
func (h *fakeHost) Opened() []Project  { return h.opened }
func (h *fakeHost) Eval(context.Context, string, string, map[string]any) (*descope.State, error) {
	return nil, errors.New("no eval here")
}
func (h *fakeHost) DryRun() bool                                  { return false }
func (h *fakeHost) JSON() bool                                    { return false }
func (h *fakeHost) MaxSteps() uint64                              { return 1e6 }
func (h *fakeHost) Stderr() io.Writer                             { return &h.stderr }
func (h *fakeHost) Progress(int) (func(done, failed int), func()) { return nil, nil }
func (h *fakeHost) BatchFailed(pos string, failed, total int)     { h.failed = append(h.failed, pos) }

// fakeProject is a Project whose live state is state; it records the
// writes asked of it and the tokens each settings read came with.
type fakeProject struct {
	id    string
	pacer *mgmt.Pacer
	state *descope.State

	mu      sync.Mutex
	writes  []Write
	prepaid map[string]int // tenant id -> mgmt.Prepaid of its settings read
	exports int
}

func (p *fakeProject) ID() string                       { return p.id }
func (p *fakeProject) Name() string                     { return p.id }
func (p *fakeProject) Target() string                   { return "fake project " + p.id }
func (p *fakeProject) Pacer() *mgmt.Pacer               { return p.pacer }
func (p *fakeProject) Backups() ([]backup.Entry, error) { return nil, nil }
func (p *fakeProject) Read(_ context.Context, kinds []descope.Kind) (*descope.State, error) {
	s := copyState(p.state)
	for _, f := range s.Flows {
		f.Document = nil
	}
	return s, nil
}
func (p *fakeProject) FlowDocument(_ context.Context, id string) (map[string]any, error) {
	p.mu.Lock()
	p.exports++
	p.mu.Unlock()
	return map[string]any{"flowId": id}, nil
}
func (p *fakeProject) ThemeDocument(context.Context) (map[string]any, error) {
	return map[string]any{"styles": map[string]any{}}, nil
}
func (p *fakeProject) TenantSettings(ctx context.Context, id string) (*descope.TenantSettings, error) {
	if p.state.Tenant(id) == nil {
		return nil, fmt.Errorf("tenant %q not found", id)
	}
	p.mu.Lock()
	p.prepaid[id] = mgmt.Prepaid(ctx)
	p.mu.Unlock()
	return &descope.TenantSettings{SessionTokenExpiration: descope.Ptr(int64(len(id)))}, nil
}
func (p *fakeProject) Write(_ context.Context, w Write) (Written, error) {
	p.mu.Lock()
	p.writes = append(p.writes, w)
	p.mu.Unlock()
	return Written{Backup: "b1"}, nil
}
func (p *fakeProject) Backup(context.Context, string) (string, error) { return "b2", nil }
func (p *fakeProject) ReadBackup(string) (*descope.State, backup.Entry, error) {
	return nil, backup.Entry{}, errors.New("no backups")
}

func newFakeProject(id string, tenants ...string) *fakeProject {
	s := &descope.State{Flows: []*descope.Flow{{ID: "sign-in", Document: map[string]any{"flowId": "sign-in"}}}}
	for _, t := range tenants {
		s.Tenants = append(s.Tenants, &descope.Tenant{ID: t, Name: strings.ToUpper(t), Parent: descope.Ptr("")})
	}
	return &fakeProject{id: id, pacer: mgmt.NewPacer(mgmt.Unlimited, 0), state: s, prepaid: map[string]int{}}
}

// runScript runs src as a script with host, the assert module and the fake
// workspace.
func runScript(t *testing.T, host Host, src string) error {
	t.Helper()
	assert, err := starlarktest.LoadAssertModule()
	if err != nil {
		t.Fatal(err)
	}
	predeclared := Script(host, newFakeFiles(workspace), nil)
	predeclared["assert"] = assert["assert"]
	thread := &starlark.Thread{Name: "script.star"}
	starlarktest.SetReporter(thread, t)
	SetContext(thread, context.Background())
	_, err = starlark.ExecFileOptions(FileOptions, thread, "script.star", src, predeclared)
	return err
}

// TestBatchTakesTokensAtSubmission checks that a batch item's calls to the
// batch's project spend the tokens taken for the item before a worker got
// it, weight of them, and that calls to another project do not.
func TestBatchTakesTokensAtSubmission(t *testing.T) {
	a, b := newFakeProject("a", "t1", "t2", "t3"), newFakeProject("b", "t1", "t2", "t3")
	host := &fakeHost{projects: map[string]*fakeProject{"a": a, "b": b}}
	src := `
a = descope.project("a")
got = batch(lambda t: a.tenant_settings(t)["session_token_expiration"], ["t1", "t2", "t3"], weight = 2)
assert.eq(got, [2, 2, 2])
b = descope.project("b")
assert.fails(lambda: batch(lambda t: None, [1]), "the script has opened 2 projects: say whose pace the items take with project = p")
batch(lambda t: b.tenant_settings(t), ["t1"], project = a)
`
	if err := runScript(t, host, src); err != nil {
		t.Fatal(backtrace(err))
	}
	for _, id := range []string{"t1", "t2", "t3"} {
		if got := a.prepaid[id]; got != 2 {
			t.Errorf("project a, tenant %s: the call came with %d prepaid tokens, want the item's 2", id, got)
		}
	}
	if got := b.prepaid["t1"]; got != 0 {
		t.Errorf("project b: the call came with %d prepaid tokens, want 0 (they were taken from a's pacer)", got)
	}
}

// TestBatchOrderAndFailures checks that results come in the order of the
// items, and that a failed item is reported with the item and gives None.
func TestBatchOrderAndFailures(t *testing.T) {
	p := newFakeProject("a", "t1", "t3")
	host := &fakeHost{projects: map[string]*fakeProject{"": p}}
	src := `
p = descope.project()
items = ["t%d" % i for i in range(1, 4)] * 20
got = batch(lambda t: p.tenant_settings(t)["session_token_expiration"], items, workers = 7)
assert.eq(got, [2, None, 2] * 20)
`
	if err := runScript(t, host, src); err != nil {
		t.Fatal(backtrace(err))
	}
	if len(host.failed) != 1 || host.failed[0] != "script.star:4:12" {
		t.Errorf("BatchFailed: got %q, want one batch at script.star:4:12", host.failed)
	}
	if n := strings.Count(host.stderr.String(), `batch: item `); n != 20 {
		t.Errorf("stderr reports %d failed items, want 20:\n%s", n, host.stderr.String())
	}
	if !strings.HasPrefix(host.stderr.String(), "batch: item 1 (\"t2\"): script.star:4:40: p.tenant_settings(\"t2\"): tenant \"t2\" not found\nbatch: item 4 (") {
		t.Errorf("stderr does not report item 1 then item 4, with the error:\n%s", host.stderr.String())
	}
}

// TestWrites checks what p.apply and p.delete ask of the project: the
// declarations as the desired state, a plan from diff() with the plan it
// showed, and claims on the objects to delete; and that a live flow's
// document is fetched once, when first used.
func TestWrites(t *testing.T) {
	p := newFakeProject("a", "acme", "globex")
	host := &fakeHost{projects: map[string]*fakeProject{"": p}}
	src := `
p = descope.project()
s = p.read()
assert.eq(s.tenant("acme").parent, None)
r = p.apply([tenant(id = "acme", name = "Acme", disabled = True), s.flow("sign-in")])
assert.eq((r.added, r.backup, r.dry_run), (0, "b1", False))
plan = diff(s, [tenant(id = "acme", name = "Acme Corp")])
assert.eq(len(plan), 1)
assert.eq([(c.action, c.kind, c.id, [f.path for f in c.fields]) for c in plan.changes], [("update", "tenant", "acme", ["name"])])
assert.true(str(plan).endswith("Plan: 0 to add, 1 to change, 0 to delete."))
p.apply(plan)
p.delete("tenant", ["globex", s.tenant("acme")])
assert.eq(s.flow("sign-in").document, {"flowId": "sign-in"})
assert.fails(lambda: p.apply([tenant(id = "x", name = "X"), tenant(id = "x", name = "Y")]), 'tenant "x" is in the list twice')
assert.fails(lambda: p.apply("acme"), "x must be a plan from diff\\(\\), a state or a list of declarations, not string")
`
	if err := runScript(t, host, src); err != nil {
		t.Fatal(backtrace(err))
	}
	if len(p.writes) != 3 {
		t.Fatalf("%d writes, want 3", len(p.writes))
	}
	w := p.writes[0]
	if len(w.Desired.Tenants) != 1 || !*w.Desired.Tenants[0].Disabled || w.Desired.Tenants[0].Domains != nil {
		t.Errorf("apply(list): desired tenants %+v, want acme disabled, domains unmanaged", w.Desired.Tenants)
	}
	if len(w.Desired.Flows) != 1 || w.Desired.Flows[0].Document["flowId"] != "sign-in" || w.Shown != nil || w.Pos != "script.star:5:12" {
		t.Errorf("apply(list): flows %+v, shown %v, pos %s", w.Desired.Flows, w.Shown, w.Pos)
	}
	if w := p.writes[1]; w.Shown == nil || len(w.Shown.Changes) != 1 || w.Desired.Tenants[0].Name != "Acme Corp" {
		t.Errorf("apply(plan): shown %+v, desired %+v", w.Shown, w.Desired)
	}
	w = p.writes[2]
	var owns []string
	for _, o := range w.Desired.Owns {
		owns = append(owns, string(o.Kind)+":"+o.Match)
	}
	if strings.Join(owns, " ") != "tenant:globex tenant:acme" || len(w.Desired.Tenants) != 0 {
		t.Errorf("delete: claims %q, want tenant:globex tenant:acme and nothing declared", owns)
	}
	if p.exports != 1 {
		t.Errorf("the flow document was exported %d times, want once", p.exports)
	}
}

func TestTable(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`table([["a", 1], ["bbb", None]], header = ["K", "V"])`, "K    V\na    1\nbbb  -"},
		{`table([["x", ""]])`, "x"},
		{`table([])`, ""},
		{`table([["multi\nline", "tab\there"]])`, "multi line  tab here"},
	} {
		thread := &starlark.Thread{}
		v, err := starlark.EvalOptions(FileOptions, thread, "t", tc.src, starlark.StringDict{"table": starlark.NewBuiltin("table", table)})
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got := string(v.(starlark.String)); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.src, got, tc.want)
		}
	}
}
