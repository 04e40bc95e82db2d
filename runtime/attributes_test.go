package runtime

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

func origin(pos string) descope.Origin { return descope.Origin{pos + ": in <toplevel>"} }

// The checks of a plan's tenant custom attributes, case by case.
func TestCheckTenantAttributes(t *testing.T) {
	attrs := func(kv ...string) *map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return &m
	}
	tier := &descope.TenantAttribute{Key: "tier", Type: "string"}
	tests := []struct {
		name          string
		local         bool
		live, desired *descope.State
		note, err     string
	}{
		{
			name:    "a key declared or defined live is fine",
			live:    &descope.State{TenantAttributes: []*descope.TenantAttribute{{Key: "region", Type: "string"}}},
			desired: &descope.State{TenantAttributes: []*descope.TenantAttribute{tier}, Tenants: []*descope.Tenant{{ID: "a", Attributes: attrs("tier", "x", "region", "eu")}}},
		},
		{
			name:    "a key live tenants use is defined",
			live:    &descope.State{Tenants: []*descope.Tenant{{ID: "a", Attributes: attrs("plan", "x")}}},
			desired: &descope.State{Tenants: []*descope.Tenant{{ID: "b", Attributes: attrs("plan", "y")}}},
		},
		{
			name: "an undefined key names the first tenant that sets it",
			live: &descope.State{},
			desired: &descope.State{Tenants: []*descope.Tenant{
				{ID: "b", Attributes: attrs("plan", "y"), Origin: origin("main.star:4:7")},
				{ID: "c", Attributes: attrs("plan", "z"), Origin: origin("main.star:5:7")},
			}},
			err: "main.star:4:7: tenant \"b\" sets \"plan\"",
		},
		{
			name:    "the local project without declarations: a note instead",
			local:   true,
			live:    &descope.State{},
			desired: &descope.State{Tenants: []*descope.Tenant{{ID: "b", Attributes: attrs("plan", "y", "tier", "x")}}},
			note:    `this configuration sets the tenant custom attributes "plan", "tier" and declares no tenant_attribute()`,
		},
		{
			name:    "the local project with a declaration is strict",
			local:   true,
			live:    &descope.State{},
			desired: &descope.State{TenantAttributes: []*descope.TenantAttribute{tier}, Tenants: []*descope.Tenant{{ID: "b", Attributes: attrs("plan", "y")}}},
			err:     `tenant "b" sets "plan"`,
		},
		{
			name: "a delete while a declared tenant sets the key",
			live: &descope.State{TenantAttributes: []*descope.TenantAttribute{tier}},
			desired: &descope.State{
				Tenants: []*descope.Tenant{{ID: "b", Attributes: attrs("tier", "y"), Origin: origin("main.star:2:7")}},
				Owns:    []*descope.Ownership{{Kind: descope.KindTenantAttribute, Match: "*"}},
			},
			err: `refused: the plan deletes tenant_attribute "tier" (owned by own("tenant_attribute", "*")), but tenants hold a value of it: tenant "b" sets it at main.star:2:7`,
		},
		{
			name: "a delete after the tenants that use the key drop it, or are deleted",
			live: &descope.State{
				TenantAttributes: []*descope.TenantAttribute{tier},
				Tenants:          []*descope.Tenant{{ID: "a", Attributes: attrs("tier", "x")}, {ID: "old", Attributes: attrs("tier", "y")}},
			},
			desired: &descope.State{
				Tenants: []*descope.Tenant{{ID: "a", Attributes: attrs()}},
				Owns:    []*descope.Ownership{{Kind: descope.KindTenantAttribute, Match: "*"}, {Kind: descope.KindTenant, Match: "old"}},
			},
		},
		{
			name: "a type change while live tenants hold values",
			live: &descope.State{
				TenantAttributes: []*descope.TenantAttribute{tier},
				Tenants:          []*descope.Tenant{{ID: "a", Attributes: attrs("tier", "x")}},
			},
			desired: &descope.State{
				TenantAttributes: []*descope.TenantAttribute{{Key: "tier", Type: "number"}},
				Tenants:          []*descope.Tenant{{ID: "a", Attributes: attrs("tier", "1")}},
			},
			err: `tenant "a" has it, and the replace would drop it`,
		},
		{
			name:    "a type change nobody holds a value of",
			live:    &descope.State{TenantAttributes: []*descope.TenantAttribute{tier}},
			desired: &descope.State{TenantAttributes: []*descope.TenantAttribute{{Key: "tier", Type: "number"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := &Target{Description: "the project", Local: tt.local}
			tt.live.Normalize()
			tt.desired.Normalize()
			note, err := checkTenantAttributes(target, tt.live, tt.desired, descope.Diff(tt.live, tt.desired))
			if got := errText(err); tt.err == "" && err != nil || tt.err != "" && !strings.Contains(got, tt.err) {
				t.Errorf("error = %q, want one containing %q", got, tt.err)
			}
			if tt.note == "" && note != "" || !strings.Contains(note, tt.note) {
				t.Errorf("note = %q, want one containing %q", note, tt.note)
			}
			var refusal Refusal
			if strings.HasPrefix(tt.err, "refused") && !errors.As(err, &refusal) {
				t.Errorf("%T is not a Refusal", err)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A plan reads the definitions of the keys its config names, and of the
// keys a claim names without a pattern.
func TestAttributeReadKeys(t *testing.T) {
	desired := &descope.State{
		TenantAttributes: []*descope.TenantAttribute{{Key: "tier"}},
		Tenants:          []*descope.Tenant{{ID: "a", Attributes: &map[string]any{"region": "eu", "tier": "x"}}},
		Owns: []*descope.Ownership{
			{Kind: descope.KindTenantAttribute, Match: "legacy"},
			{Kind: descope.KindTenantAttribute, Match: "old-*"},
			{Kind: descope.KindTenant, Match: "gone"},
		},
	}
	if got, want := attributeReadKeys(desired), []string{"legacy", "region", "tier"}; !slices.Equal(got, want) {
		t.Errorf("attributeReadKeys = %v, want %v", got, want)
	}
}

// Apply writes definitions: a create before the tenants that use it, an
// update that keeps the live fields the config leaves unset, a replace of a
// definition nobody uses, and a delete named by a claim although no tenant
// uses the key.
func TestApplyTenantAttributes(t *testing.T) {
	live := &descope.State{
		Permissions: []*descope.Permission{{Name: "billing"}},
		TenantAttributes: []*descope.TenantAttribute{
			{Key: "tier", DisplayName: descope.Ptr("Tier"), Type: "singleselect", Options: &[]string{"gold"}, ViewPermissions: &[]string{"billing"}},
			{Key: "size", Type: "string"},
			{Key: "legacy", Type: "string"},
		},
	}
	desired := &descope.State{
		TenantAttributes: []*descope.TenantAttribute{
			{Key: "tier", Type: "singleselect", Options: &[]string{"gold", "silver"}},
			{Key: "size", Type: "number"},
			{Key: "region", Type: "string"},
		},
		Tenants: []*descope.Tenant{{ID: "acme", Name: "Acme", Attributes: &map[string]any{"tier": "silver", "size": int64(3), "region": "eu"}}},
		Owns:    []*descope.Ownership{{Kind: descope.KindTenantAttribute, Match: "legacy"}},
	}
	target := applyAndConverge(t, live, desired)
	ctx := context.Background()
	tier, err := target.Client.LoadTenantAttribute(ctx, "tier")
	if err != nil {
		t.Fatal(err)
	}
	if tier.DisplayName != "Tier" || !slices.Equal(tier.ViewPermissions, []string{"billing"}) || len(tier.Options) != 2 {
		t.Errorf("tier = %+v: want the display name and view permissions kept, the options set", tier)
	}
	if size, err := target.Client.LoadTenantAttribute(ctx, "size"); err != nil || size.Type != "number" {
		t.Errorf("size = %+v, %v: want it replaced with type number", size, err)
	}
	if legacy, err := target.Client.LoadTenantAttribute(ctx, "legacy"); err != nil || legacy != nil {
		t.Errorf("legacy = %+v, %v: want it deleted", legacy, err)
	}
}

// MakePlan makes a local project strict for a config that declares a
// definition, and leaves it defining keys on first use otherwise.
func TestMakePlanSetsDefinitionOnUse(t *testing.T) {
	ctx := context.Background()
	target, emu := newEmulatorTarget(t, emulator.WithAttributesDefinedOnUse())
	target.emulator, target.Local = emu, true
	apply := func(desired *descope.State) error {
		desired.Normalize()
		pl, err := MakePlan(ctx, target, desired)
		if err != nil {
			return err
		}
		res, err := execute(ctx, target, pl, executeOptions{})
		if err != nil {
			return err
		}
		return res.Report.Err()
	}
	legacy := &descope.State{Tenants: []*descope.Tenant{{ID: "a", Name: "A", Attributes: &map[string]any{"plan": "x"}}}}
	if err := apply(legacy); err != nil {
		t.Fatalf("a config without declarations: %v", err)
	}
	declared := &descope.State{
		TenantAttributes: []*descope.TenantAttribute{{Key: "tier", Type: "string"}},
		Tenants:          []*descope.Tenant{{ID: "b", Name: "B", Attributes: &map[string]any{"other": "x"}}},
	}
	declared.Normalize()
	if _, err := MakePlan(ctx, target, declared); err == nil || !strings.Contains(err.Error(), `tenant "b" sets "other"`) {
		t.Fatalf("a config with declarations: %v, want the undefined key refused", err)
	}
	// The writes that follow such a plan find the local project strict.
	if _, err := target.Client.CreateTenant(ctx, mgmtTenant("c", map[string]any{"undeclared": "x"})); err == nil {
		t.Error("after the plan of a config with declarations, the local project still defines keys on first use")
	}
	if err := apply(legacy); err != nil {
		t.Fatalf("a config without declarations again: %v", err)
	}
	if _, err := target.Client.CreateTenant(ctx, mgmtTenant("d", map[string]any{"undeclared2": "x"})); err != nil {
		t.Errorf("after the plan of a config without declarations: %v, want the key defined on use", err)
	}
}

func mgmtTenant(id string, attrs map[string]any) *mgmt.Tenant {
	return &mgmt.Tenant{ID: id, Name: id, CustomAttributes: attrs}
}
