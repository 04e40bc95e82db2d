package runtime

import (
	"context"
	"testing"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// openLocalTarget opens the local project of a workspace at root, as plan
// and apply do with no project id in the environment.
func openLocalTarget(t testing.TB, root string) *Target {
	t.Helper()
	ws, err := OpenWorkspace(root)
	if err != nil {
		t.Fatal(err)
	}
	target, err := OpenTarget(ws, TargetOptions{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// applyLocal plans desired against the local project and executes the plan.
func applyLocal(t testing.TB, target *Target, desired *descope.State) int {
	t.Helper()
	ctx := context.Background()
	p, err := MakePlan(ctx, target, desired)
	if err != nil {
		t.Fatal(err)
	}
	res, err := execute(ctx, target, p, executeOptions{})
	if err != nil || res.Report.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Report.Err())
	}
	return len(p.Plan.Changes)
}

// localTenants is tenantsState without custom attributes.
func localTenants(n int) *descope.State {
	s := tenantsState(n)
	for _, t := range s.Tenants {
		t.Attributes = nil
	}
	return s
}

// What an apply to the local project printed as done is in the project's
// files before the target is closed: a crash (no Close) loses nothing.
func TestLocalProjectWritesAreDurableBeforeClose(t *testing.T) {
	root := t.TempDir()
	target := openLocalTarget(t, root)
	applyLocal(t, target, tenantsState(120)) // with custom attributes, defined on first use
	// No target.Close(): the process "crashed". Another opens the project.
	again := openLocalTarget(t, root)
	defer again.Close()
	live, err := again.Client.ReadState(context.Background(), mgmt.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(live.Tenants); n != 120 {
		t.Errorf("the local project holds %d tenants after an unclosed apply of 120", n)
	}
}

// BenchmarkApply1202TenantsLocal measures a whole apply of 1,202 new
// tenants (with default roles, so two calls each) to a new local project,
// each write durable before it is answered.
func BenchmarkApply1202TenantsLocal(b *testing.B) {
	desired := localTenants(1202)
	for b.Loop() {
		target := openLocalTarget(b, b.TempDir())
		if n := applyLocal(b, target, desired); n < 1202 {
			b.Fatalf("%d changes", n)
		}
		if err := target.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// The local project defines a tenant custom attribute when a tenant first
// uses it (configs cannot declare definitions yet), so a plan against it
// does not check them; the emulator over HTTP does
// (testdata/script/plan_err_undefined_attribute.txtar).
func TestLocalProjectDefinesAttributesOnUse(t *testing.T) {
	target := openLocalTarget(t, t.TempDir())
	defer target.Close()
	applyLocal(t, target, tenantsState(3))
	a, err := target.Client.LoadTenantAttribute(context.Background(), "plan")
	if err != nil || a == nil {
		t.Fatalf("the local project's definition of plan: %v, %v", a, err)
	}
}
