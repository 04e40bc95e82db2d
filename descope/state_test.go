package descope

import (
	"bytes"
	"testing"
)

func TestCanonicalJSONIsOrderIndependent(t *testing.T) {
	a := &State{
		Tenants: []*Tenant{
			{ID: "b", Name: "B", Domains: &[]string{"y.com", "x.com", "x.com"}},
			{ID: "a", Name: "A", Attributes: &map[string]any{"z": int64(1), "a": "s"}},
		},
		Roles: []*Role{{Name: "r2"}, {Name: "r1", Tenant: "a"}, {Name: "r1"}},
	}
	b := &State{
		Roles: []*Role{{Name: "r1"}, {Name: "r2"}, {Name: "r1", Tenant: "a"}},
		Tenants: []*Tenant{
			{ID: "a", Name: "A", Attributes: &map[string]any{"a": "s", "z": int64(1)}},
			{ID: "b", Name: "B", Domains: &[]string{"x.com", "y.com"}},
		},
	}
	ja, err := a.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	jb, err := b.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ja, jb) {
		t.Errorf("canonical forms differ:\n%s\n%s", ja, jb)
	}
}

func TestUnsetAndEmptyDiffer(t *testing.T) {
	unset := &State{Tenants: []*Tenant{{ID: "a", Name: "A"}}}
	empty := &State{Tenants: []*Tenant{{ID: "a", Name: "A", Domains: &[]string{}}}}
	ju, _ := unset.CanonicalJSON()
	je, _ := empty.CanonicalJSON()
	if bytes.Equal(ju, je) {
		t.Fatalf("unset and empty domains encode the same:\n%s", ju)
	}
	if !bytes.Contains(je, []byte(`"selfProvisioningDomains": []`)) {
		t.Errorf("empty domains not kept:\n%s", je)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"cust-*", "cust-acme", true},
		{"cust-*", "cust-", true},
		{"cust-*", "acme", false},
		{"*-eu", "acme-eu", true},
		{"*-eu", "acme-us", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"exact", "exact", true},
		{"exact", "exact2", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
