package runtime

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope"
)

// benchmarkPlanLocal measures a whole plan of generatedWorkspace's n-tenant
// config against an in-process emulator that already holds what the config
// declares: evaluation, the live read and the diff. The config declares
// settings for every customer tenant, so the read makes one settings call
// per customer (docs/design.md section 2); calls/op reports the API calls. With
// settings false, the evaluated settings are dropped before the plan, so the
// read is the fixed one.
func benchmarkPlanLocal(b *testing.B, n int, settings bool) {
	ctx := context.Background()
	script := filepath.Join(generatedWorkspace(b, n), "main.star")
	res, err := Eval(ctx, EvalOptions{Script: script})
	if err != nil {
		b.Fatal(err)
	}
	target, emu := newEmulatorTarget(b)
	for _, name := range []string{"plan", "region", "crm_id"} { // what the config uses
		if err := emu.DefineTenantAttribute(name, "string"); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	setup, err := MakePlan(ctx, target, res.State)
	if err != nil {
		b.Fatal(err)
	}
	applied, err := execute(ctx, target, setup, executeOptions{Parallel: 8})
	if err != nil || applied.Report.Err() != nil {
		b.Fatalf("apply: %v %v", err, applied.Report.Err())
	}
	b.Logf("setup apply of %d changes: %v", len(setup.Plan.Changes), time.Since(start))
	if !settings {
		dropSettings(res.State)
	}
	emu.ResetRequests()
	p, err := MakePlan(ctx, target, res.State)
	if err != nil {
		b.Fatal(err)
	}
	if !p.Plan.Empty() {
		b.Fatalf("the plan of a seeded project is not empty: %d changes, first %s", len(p.Plan.Changes), p.Plan.Changes[0].ID)
	}
	calls := len(emu.Requests())

	b.ReportAllocs()
	for b.Loop() {
		emu.ResetRequests() // the log would grow by calls each iteration
		res, err := Eval(ctx, EvalOptions{Script: script})
		if err != nil {
			b.Fatal(err)
		}
		if !settings {
			dropSettings(res.State)
		}
		p, err := MakePlan(ctx, target, res.State)
		if err != nil {
			b.Fatal(err)
		}
		if !p.Plan.Empty() {
			b.Fatalf("plan has %d changes", len(p.Plan.Changes))
		}
	}
	b.ReportMetric(float64(calls), "calls/op")
}

func dropSettings(s *descope.State) {
	for _, t := range s.Tenants {
		t.Settings = nil
	}
}

func BenchmarkPlan100TenantsLocal(b *testing.B) { benchmarkPlanLocal(b, 100, true) }
func BenchmarkPlan10kTenantsLocal(b *testing.B) { benchmarkPlanLocal(b, 10000, true) }

// BenchmarkPlan10kTenantsNoSettingsLocal is BenchmarkPlan10kTenantsLocal
// without the 10,000 settings reads: the fixed part of the cost.
func BenchmarkPlan10kTenantsNoSettingsLocal(b *testing.B) { benchmarkPlanLocal(b, 10000, false) }

// TestPlanCallsDoNotGrowWithTenants checks that reading the live project
// for a plan costs the same number of API calls for 100 tenants as for
// 10,000 when the config declares no flows and no settings (docs/design.md
// section 2: one call per kind, never one per tenant).
func TestPlanCallsDoNotGrowWithTenants(t *testing.T) {
	calls := map[int][]string{}
	for _, n := range []int{100, 10000} {
		desired := tenantsState(n)
		target, emu := newEmulatorTarget(t)
		if err := emu.Seed(desired); err != nil {
			t.Fatalf("%d tenants: seed: %v", n, err)
		}
		emu.ResetRequests()
		p, err := MakePlan(context.Background(), target, desired)
		if err != nil {
			t.Fatalf("%d tenants: plan: %v", n, err)
		}
		if !p.Plan.Empty() {
			t.Errorf("%d tenants: plan of a seeded project has %d changes, want none", n, len(p.Plan.Changes))
		}
		for _, r := range emu.Requests() {
			calls[n] = append(calls[n], r.Method+" "+r.Path)
		}
		slices.Sort(calls[n])
		t.Logf("%d tenants: %d calls: %s", n, len(calls[n]), strings.Join(calls[n], ", "))
	}
	if got, want := calls[10000], calls[100]; !slices.Equal(got, want) {
		t.Errorf("a plan of 10,000 tenants makes %d calls (%s), of 100 tenants %d (%s): want the same",
			len(got), strings.Join(got, ", "), len(want), strings.Join(want, ", "))
	}
}

// tenantsState is the desired state of a config of n customer tenants
// without settings or flows, in the shape of generatedWorkspace's.
func tenantsState(n int) *descope.State {
	s := &descope.State{
		Permissions: []*descope.Permission{{Name: "read"}},
		Roles:       []*descope.Role{{Name: "viewer", Permissions: &[]string{"read"}}},
		Owns:        []*descope.Ownership{{Kind: descope.KindTenant, Match: "c*"}},
	}
	for i := range n {
		id := fmt.Sprintf("c%05d", i)
		s.Tenants = append(s.Tenants, &descope.Tenant{
			ID:           id,
			Name:         fmt.Sprintf("Customer %d", i),
			Domains:      &[]string{id + ".example.com"},
			Attributes:   &map[string]any{"plan": []string{"starter", "growth", "enterprise"}[i%3]},
			EnforceSSO:   descope.Ptr(i%3 == 2),
			DefaultRoles: &[]string{"viewer"},
		})
	}
	s.Normalize()
	return s
}
