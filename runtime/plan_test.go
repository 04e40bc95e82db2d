package runtime

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
)

// TestMakePlanLiveParentCycle: live tenants whose parents form a cycle (a
// damaged project; Descope never makes one) cannot be deleted in any order,
// so a plan that deletes them fails at plan time, not half-way into apply.
func TestMakePlanLiveParentCycle(t *testing.T) {
	// Make a -> b in a state file, then close the cycle by hand.
	path := filepath.Join(t.TempDir(), "state.json")
	emu, err := emulator.Open(emulator.WithStateFile(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Seed(&descope.State{Tenants: []*descope.Tenant{
		{ID: "a", Name: "A"}, {ID: "b", Name: "B", Parent: descope.Ptr("a")},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := emu.Flush(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	st["tenants"].(map[string]any)["a"].(map[string]any)["parent"] = "b"
	if data, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	target, _ := newEmulatorTarget(t, emulator.WithStateFile(path), emulator.WithProject(emu.ProjectID(), "K2EmulatorTargetKey"))
	ctx := context.Background()
	desired := &descope.State{Tenants: []*descope.Tenant{{ID: "c", Name: "C"}}}
	if _, err := MakePlan(ctx, target, desired); err != nil {
		t.Fatalf("a plan that leaves the cycle alone: %v", err)
	}
	desired.Owns = []*descope.Ownership{{Kind: descope.KindTenant, Match: "*"}}
	_, err = MakePlan(ctx, target, desired)
	if err == nil || !strings.Contains(err.Error(), `the live tenants "a" -> "b" -> "a" form a parent cycle`) {
		t.Fatalf("MakePlan deleting the cycle: err = %v, want the cycle named", err)
	}
}
