package descope

import (
	"slices"
	"testing"
)

func TestRemovedParentCycle(t *testing.T) {
	tenant := func(id, parent string) *Tenant { return &Tenant{ID: id, Parent: Ptr(parent)} }
	tests := []struct {
		name string
		live []*Tenant
		own  bool
		want []string
	}{
		{"no cycle", []*Tenant{tenant("a", ""), tenant("b", "a")}, true, nil},
		{"two removed tenants", []*Tenant{tenant("b", "a"), tenant("a", "b")}, true, []string{"a", "b", "a"}},
		{"a tenant its own parent", []*Tenant{tenant("x", "x")}, true, []string{"x", "x"}},
		{"a chain into a cycle", []*Tenant{tenant("a", "c"), tenant("c", "d"), tenant("d", "c")}, true, []string{"c", "d", "c"}},
		{"a cycle the plan does not remove", []*Tenant{tenant("b", "a"), tenant("a", "b")}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := &State{}
			if tt.own {
				desired.Owns = []*Ownership{{Kind: KindTenant, Match: "*"}}
			}
			got := Diff(&State{Tenants: tt.live}, desired).RemovedParentCycle()
			if !slices.Equal(got, tt.want) {
				t.Errorf("RemovedParentCycle() = %q, want %q", got, tt.want)
			}
		})
	}
}
