package runtime

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/builtins"
	"github.com/descope-run/descope-run/descope"
)

// TestSettingsThroughEveryLayer takes every setting of the domain's table,
// descope.TenantSettingFields, through every layer: declared with tenant()
// (builtins), planned (the diff), applied (the client's wire type, then the
// emulator's), read back (the emulator's, then the client's) and written
// out again as tenant() keywords (export). The second round changes every
// setting, so a layer that misses one fails here.
func TestSettingsThroughEveryLayer(t *testing.T) {
	ctx := context.Background()
	target, _ := newEmulatorTarget(t)
	for round := range 2 {
		// Declare.
		sample := descope.SampleTenantSettings(round)
		dict := starlark.NewDict(len(descope.TenantSettingFields))
		keywords := map[string]any{}
		for _, f := range descope.TenantSettingFields {
			keywords[f.Keyword] = f.Value(sample)
			if err := dict.SetKey(starlark.String(f.Keyword), builtins.FromGo(f.Value(sample))); err != nil {
				t.Fatal(err)
			}
		}
		c := builtins.NewCollector()
		thread := &starlark.Thread{Name: "settings"}
		_, err := starlark.Call(thread, builtins.Config(c, nil, nil)["tenant"], nil, []starlark.Tuple{
			{starlark.String("id"), starlark.String("acme")},
			{starlark.String("name"), starlark.String("Acme")},
			{starlark.String("settings"), dict},
		})
		if err != nil {
			t.Fatalf("round %d: tenant(): %v", round, err)
		}
		desired, err := c.State()
		if err != nil {
			t.Fatal(err)
		}
		want := desired.Tenants[0].Settings
		if !reflect.DeepEqual(want, sample) {
			t.Errorf("round %d: declared\n got %+v\nwant %+v", round, want, sample)
		}

		// Plan: every setting changes (round 0 creates the tenant).
		pl, err := MakePlan(ctx, target, desired)
		if err != nil {
			t.Fatal(err)
		}
		if len(pl.Plan.Changes) != 1 {
			t.Fatalf("round %d: %d changes, want 1", round, len(pl.Plan.Changes))
		}
		for _, f := range descope.TenantSettingFields {
			path := "settings." + f.Wire
			if !slices.ContainsFunc(pl.Plan.Changes[0].Fields, func(fc descope.FieldChange) bool { return fc.Path == path }) {
				t.Errorf("round %d: the plan does not change %s", round, path)
			}
		}

		// Apply, read back, plan again.
		res, err := execute(ctx, target, pl, executeOptions{})
		if err != nil || res.Report.Err() != nil || len(res.Mismatches) > 0 {
			t.Fatalf("round %d: apply: %v %v %v", round, err, res.Report.Err(), res.Mismatches)
		}
		live, err := target.Client.TenantSettings(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if got := live.Model(); !reflect.DeepEqual(got, want) {
			t.Errorf("round %d: read back\n got %+v\nwant %+v", round, got, want)
		}
		again, err := MakePlan(ctx, target, desired)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(again.Plan.Changes); n != 0 {
			t.Errorf("round %d: after apply, the plan has %d changes", round, n)
		}

		// Export: the keywords that declared them.
		if got := builtins.SettingsKeywords(live.Model()); !reflect.DeepEqual(got, keywords) {
			t.Errorf("round %d: SettingsKeywords\n got %v\nwant %v", round, got, keywords)
		}
	}
}
