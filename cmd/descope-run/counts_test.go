package main

import "testing"

func TestCountsLine(t *testing.T) {
	tests := []struct {
		counts map[string]int
		want   string
	}{
		{map[string]int{"tenant": 1}, "1 tenant"},
		{map[string]int{"project": 1, "permission": 3, "role": 1, "tenant": 0, "flow": 4, "theme": 1},
			"1 project, 3 permissions, 1 role, 0 tenants, 4 flows, 1 theme"},
		{map[string]int{"sso": 2, "tenant": 2}, "2 tenants, 2 sso configurations"},
		{map[string]int{"tenant_attribute": 1, "tenant": 2}, "1 tenant attribute, 2 tenants"},
		{map[string]int{"tenant_attribute": 3}, "3 tenant attributes"},
		{map[string]int{"widget": 2, "tenant": 1}, "1 tenant, 2 widgets"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := countsLine(tt.counts); got != tt.want {
			t.Errorf("countsLine(%v) = %q, want %q", tt.counts, got, tt.want)
		}
	}
}
