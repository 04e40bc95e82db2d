package descope

import "testing"

func TestMayMatchSSO(t *testing.T) {
	tests := []struct {
		match, tenant string
		want          bool
	}{
		{"*", "acme", true},
		{"acme", "acme", true},
		{"acme", "acmex", false},
		{"acme/*", "acme", true},
		{"acme/okta", "acme", true},
		{"acme/okta", "beta", false},
		{"cust-*", "cust-acme", true},
		{"cust-*", "acme", false},
		{"*/okta", "anything", true},
		{"a?me/x", "acme", true},
		{"a?me", "acme", true},
		{"ac", "acme", false},
	}
	for _, tt := range tests {
		o := &Ownership{Kind: KindSSO, Match: tt.match}
		if got := o.MayMatchSSO(tt.tenant); got != tt.want {
			t.Errorf("own(\"sso\", %q) may match tenant %q's: %v, want %v", tt.match, tt.tenant, got, tt.want)
		}
	}
}
