package runtime

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// exportCases is the number of random projects TestExportRoundTrip exports
// on each target. CI runs a few; run thousands by hand with
//
//	go test ./runtime -run TestExportRoundTrip -export.cases 2000
//
// Case i uses seed i+1: reproduce one with -run 'TestExportRoundTrip/local/seed=N$'.
var exportCases = flag.Int("export.cases", 6, "random projects TestExportRoundTrip exports on each target")

// TestExportRoundTrip is export's promise: for a random live project, the
// exported workspace evaluates, and a plan of its main.star against the
// project shows no changes, on the workspace's local project (which export
// copies) and on a project served over HTTP. Two exports of one project are
// byte-identical.
func TestExportRoundTrip(t *testing.T) {
	for _, where := range []string{"local", "http"} {
		t.Run(where, func(t *testing.T) {
			for i := range *exportCases {
				seed := uint64(i + 1)
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					t.Parallel()
					runExportCase(t, where, seed)
				})
			}
		})
	}
}

func runExportCase(t *testing.T, where string, seed uint64) {
	ctx := context.Background()
	g := &stateGen{r: rand.New(rand.NewPCG(seed, 0xe4907))}
	live := g.exportLive()
	opts := g.exportOptions()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d: options %+v\nlive: %s", seed, opts, compactJSON(live))
		}
	})
	var target *Target
	switch where {
	case "local":
		target = localExportTarget(t, fmt.Sprintf("P2ExportProperty%012d", seed), live)
	case "http":
		target = httpExportTarget(t, live)
	}

	dir := filepath.Join(t.TempDir(), "out")
	opts.Dir = dir
	res, err := Export(ctx, target, opts)
	if err != nil {
		t.Fatalf("seed %d: export: %v", seed, err)
	}
	if res.LocalCopy == "" && where == "local" {
		t.Errorf("seed %d: export of a local project made no copy of it", seed)
	}
	for path, data := range readTree(t, dir) {
		if filepath.Ext(path) != ".star" {
			continue
		}
		if formatted, err := FormatStar(path, data); err != nil || !bytes.Equal(formatted, data) {
			t.Errorf("seed %d: descope-run fmt changes %s (%v):\n%s", seed, path, err, formatted)
		}
	}

	// A second export of the same project writes the same bytes.
	again := opts
	again.Dir = filepath.Join(t.TempDir(), "again")
	if _, err := Export(ctx, target, again); err != nil {
		t.Fatalf("seed %d: second export: %v", seed, err)
	}
	if a, b := readTree(t, dir), readTree(t, again.Dir); !maps.EqualFunc(a, b, bytes.Equal) {
		t.Errorf("seed %d: two exports differ: %s", seed, treeDiff(a, b))
	}

	if err := target.Close(); err != nil {
		t.Fatal(err)
	}
	planExported(t, dir, where == "http", target)
}

// planExported plans dir/main.star against the project it pins, as `plan
// --detailed-exitcode` would, and fails unless the plan is empty. For a
// local export the target is dir's own local project; else real is the
// target to plan against.
func planExported(t *testing.T, dir string, real bool, target *Target) {
	t.Helper()
	ctx := context.Background()
	res, err := Eval(ctx, EvalOptions{Script: filepath.Join(dir, "main.star")})
	if err != nil {
		main, _ := os.ReadFile(filepath.Join(dir, "main.star"))
		t.Fatalf("the exported workspace does not evaluate: %v\nmain.star:\n%s", err, main)
	}
	if !real {
		target, err = OpenTarget(res.Workspace, TargetOptions{
			Getenv: func(string) string { return "" }, PinnedProjectID: res.State.Project.ID,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer target.Close()
	}
	p, err := MakePlan(ctx, target, res.State)
	if err != nil {
		t.Fatalf("plan of the export: %v", err)
	}
	if !p.Plan.Empty() {
		main, _ := os.ReadFile(filepath.Join(dir, "main.star"))
		t.Fatalf("the plan of the export is not empty:\n%s\nmain.star:\n%s", describePlan(p.Plan), main)
	}
}

// localExportTarget returns the local project id of a new workspace,
// holding live.
func localExportTarget(t testing.TB, id string, live *descope.State) *Target {
	t.Helper()
	root := filepath.Join(t.TempDir(), "ws")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ConfigFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ws, err := OpenWorkspace(root)
	if err != nil {
		t.Fatal(err)
	}
	target, err := OpenTarget(ws, TargetOptions{Getenv: func(string) string { return "" }, PinnedProjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = target.Close() })
	if err := target.Emulator().Seed(live); err != nil {
		t.Fatalf("the emulator rejected the generated project: %v\nlive: %s", err, compactJSON(live))
	}
	return target
}

// httpExportTarget returns a target that reaches an emulator holding live
// over HTTP, as DESCOPE_PROJECT_ID, DESCOPE_MANAGEMENT_KEY and
// DESCOPE_BASE_URL would.
func httpExportTarget(t *testing.T, live *descope.State) *Target {
	t.Helper()
	srv := emulator.NewServer(emulator.WithRateLimit(0, 0), emulator.WithSeed(1))
	t.Cleanup(srv.Close)
	if err := srv.Seed(live); err != nil {
		t.Fatalf("the emulator rejected the generated project: %v\nlive: %s", err, compactJSON(live))
	}
	env := map[string]string{
		mgmt.EnvProjectID: srv.ProjectID(), mgmt.EnvManagementKey: srv.ManagementKey(), mgmt.EnvBaseURL: srv.URL,
	}
	ws, err := OpenWorkspace(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	target, err := OpenTarget(ws, TargetOptions{
		Getenv: func(k string) string { return env[k] }, Pacer: mgmt.NewPacer(mgmt.Unlimited, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// readTree returns the files under dir by slash path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// treeDiff names the files that differ between two trees.
func treeDiff(a, b map[string][]byte) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if !bytes.Equal(a[k], b[k]) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k+" (only in the second)")
		}
	}
	return out
}

// Text that configs and data files must carry exactly: quotes, escapes,
// YAML and Starlark look-alikes, characters outside ASCII, controls and
// separators.
var genText = []string{
	"Acme", "Ünïcödé GmbH", "客户 一号", "😀 Emoji Ltd", "O'Brien & Sons", `Say "hi"`, `back\slash`,
	"tab\there", "two\nlines", " leading space", "trailing space ", "true", "null", "1e3", "0x10", "- dash",
	"# hash", "key: value", "{braces}", "[brackets]", "line\u2028separator", "zero\u200bwidth", "עברית",
	"del\x7f", "bell\x07", "~", "'", "%s %d", "*", "&anchor", "!tag", "@at", "`tick`", "a,b", "\ufeffbom",
	"ends with colon:", "trailing newline\n", "💼 Ⅻ ﬁ", "yes", "No", "on", "1_000", "0o17", "12:30",
}

// genTenantIDsExport are tenant ids a config can hold (printable, no
// spaces or '/'), and two it cannot.
var genTenantIDsExport = []string{
	"t-0", "t-1", "t-2", "t-3", "x-0", "ü-1", "客户-2", "x'y", `q"z`, `a\b`, "1e3", "true", "null",
	"0x10", "~", "*", "#h", "a:b", "😀", "T-0", "has space", "a/b",
}

// exportLive draws a live project that the emulator accepts, with every
// field type and the text above in names, ids and values: sub-tenant
// chains, tenant roles, default roles (some naming a tenant's own role,
// which a config cannot), custom flows and a theme.
func (g *stateGen) exportLive() *descope.State {
	s := &descope.State{}
	text := func() string { return pick(g, genText) }
	name := func() string {
		for {
			if n := text(); n != "" && n != " leading space" {
				return n
			}
		}
	}
	if g.chance(0.8) {
		s.Project = &descope.Project{
			Name: descope.Ptr(name()),
			Tags: descope.Ptr(slices.Compact(slices.Sorted(slices.Values(subset(g, []string{"prod", "ü-tag", "a b", "😀", "x,y"}, 0.4))))),
		}
	}
	var perms []string
	for _, p := range g.shuffled([]string{"p0", "read:ledgers", "Ünï perm", `q"uote`, "a/b", "1e3", "true"}) {
		if g.chance(0.5) {
			s.Permissions = append(s.Permissions, &descope.Permission{Name: p, Description: descope.Ptr(pick(g, genText))})
			perms = append(perms, p)
		}
	}
	grantable := append(slices.Clone(perms), descope.PreconfiguredPermissions...)
	role := func(name, tenant string) *descope.Role {
		return &descope.Role{
			Name: name, Tenant: tenant, Description: descope.Ptr(text()),
			Permissions: descope.Ptr(subset(g, grantable, 0.3)),
			Default:     descope.Ptr(g.chance(0.2)), Private: descope.Ptr(g.chance(0.2)),
		}
	}
	projectRoles := []string{"Tenant Admin"}
	for _, n := range []string{"viewer", "Ädmin", `r"1`, "r/2", "true", "Tenant Admin"} {
		if g.chance(0.5) {
			s.Roles = append(s.Roles, role(n, ""))
			if n != "Tenant Admin" {
				projectRoles = append(projectRoles, n)
			}
		}
	}
	usedNames := map[string]bool{}
	var tenants []string
	for _, id := range g.shuffled(genTenantIDsExport) {
		if !g.chance(0.45) {
			continue
		}
		n := name()
		for usedNames[n] {
			n += " 2"
		}
		usedNames[n] = true
		// A domain belongs to one tenant, whatever its case: each tenant's
		// are its own, named after its place in the list (ids differ in
		// case only, and most are not domain labels).
		d := fmt.Sprintf("d%d", len(tenants))
		t := &descope.Tenant{
			ID:         id,
			Name:       n,
			Domains:    descope.Ptr(subset(g, []string{d + ".acme.com", "ü." + d + ".example", "Upper." + d + ".COM", "sub." + d + ".acme.co.uk"}, 0.3)),
			Attributes: descope.Ptr(g.exportAttributes()),
			EnforceSSO: descope.Ptr(g.chance(0.3)),
			Disabled:   descope.Ptr(g.chance(0.2)),
			Parent:     descope.Ptr(""),
		}
		if len(tenants) > 0 && g.chance(0.5) {
			t.Parent = descope.Ptr(tenants[len(tenants)-1-g.r.IntN(min(2, len(tenants)))]) // chains
		}
		if g.chance(0.6) {
			t.Settings = g.settings(d, 0.7)
		}
		s.Tenants = append(s.Tenants, t)
		tenants = append(tenants, id)
	}
	for _, t := range s.Tenants {
		own := []string{}
		for _, n := range []string{"tr0", "Ädmin", "viewer", "t/r"} {
			if g.chance(0.15) {
				s.Roles = append(s.Roles, role(n, t.ID))
				own = append(own, n)
			}
		}
		if g.chance(0.6) {
			names := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(projectRoles), own...))))
			t.DefaultRoles = descope.Ptr(subset(g, names, 0.4))
		}
	}
	for _, id := range []string{"f-0", "F-0", "onboarding_2", "g-1"} {
		if g.chance(0.5) {
			doc := g.flowDoc(id, projectRoles[1:])
			doc["metadata"].(map[string]any)["description"] = text()
			doc["screens"] = append(doc["screens"].([]any), map[string]any{"screenId": "screen-x", "title": text(), "html": "<b>&amp;</b>", "n": pick(g, []any{float64(3), 2.5, 1e21})})
			s.Flows = append(s.Flows, &descope.Flow{ID: id, Document: doc})
		}
	}
	if g.chance(0.8) {
		s.Theme = &descope.Theme{Document: g.themeDoc()}
	}
	return s
}

// exportAttributes draws custom attributes of every value type, and now
// and then a key a config cannot hold.
func (g *stateGen) exportAttributes() map[string]any {
	values := []any{
		"", "enterprise", pick(g, genText), true, false,
		int64(0), int64(-7), int64(1<<53 + 1), int64(math.MaxInt64), int64(math.MinInt64),
		2.5, -0.125, 0.1, 1e20, 1.5e-7, 1e300,
		[]any{}, []any{"us", "eu"}, []any{"apac", int64(3), true, 2.5},
	}
	keys := []string{"plan", "seats", "beta", "region", "ratio", "big", "neg", "list", "uni-code_1", "crm_id"}
	if g.chance(0.1) {
		keys = append(keys, "this-key-is-longer-than-twenty", "has space")
	}
	out := map[string]any{}
	for _, k := range keys {
		if g.chance(0.3) {
			out[k] = pick(g, values)
		}
	}
	return out
}

// exportOptions draws what to export: usually everything, sometimes with
// settings, some kinds, or some tenants.
func (g *stateGen) exportOptions() ExportOptions {
	var opts ExportOptions
	opts.Settings = g.chance(0.5)
	if g.chance(0.25) {
		opts.Kinds = subset(g, descope.Kinds, 0.5)
	}
	if g.chance(0.25) {
		opts.Match = pick(g, []string{"t-*", "*-1", "x*", "?-0", "nothing"})
	}
	return opts
}

// TestExportExampleProject exports the example workspace's prod.star once
// applied to a local project, and plans the export.
func TestExportExampleProject(t *testing.T) {
	ctx := context.Background()
	res, err := Eval(ctx, EvalOptions{Script: filepath.Join("..", "scripts", "prod.star")})
	if err != nil {
		t.Fatal(err)
	}
	target := localExportTarget(t, res.State.Project.ID, nil)
	planned, err := MakePlan(ctx, target, res.State)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := execute(ctx, target, planned, executeOptions{})
	if err != nil || applied.Report.Err() != nil {
		t.Fatalf("apply: %v %v", err, applied.Report.Err())
	}
	for _, settings := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "out")
		if _, err := Export(ctx, target, ExportOptions{Dir: dir, Settings: settings}); err != nil {
			t.Fatalf("export (settings %v): %v", settings, err)
		}
		planExported(t, dir, false, nil)
	}
}
