package backup

import (
	"slices"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

func TestRestoreStateSelectsKinds(t *testing.T) {
	b := New(testMeta(), sampleState())
	// held is every kind the sample backup holds, in plan order.
	var held []descope.Kind
	for _, k := range descope.Kinds {
		if sampleState().Count()[k] > 0 {
			held = append(held, k)
		}
	}
	tests := []struct {
		name      string
		only      []descope.Kind
		prune     bool
		wantKinds []descope.Kind // kinds present in the state
		wantOwns  []string       // own() claims, "kind:match"
	}{
		{name: "everything", wantKinds: held},
		{name: "everything, pruned", prune: true, wantKinds: held,
			// SSO only of the tenants whose configurations the backup read
			wantOwns: []string{"flow:*", "permission:*", "role:*", "sso:acme", "sso:acme/*", "sso:beta", "sso:beta/*", "tenant:*", "tenant_attribute:*"}},
		{name: "tenants", only: []descope.Kind{descope.KindTenant}, wantKinds: []descope.Kind{descope.KindTenant}},
		{name: "tenants and roles, pruned", only: []descope.Kind{descope.KindRole, descope.KindTenant}, prune: true,
			wantKinds: []descope.Kind{descope.KindRole, descope.KindTenant},
			wantOwns:  []string{"role:*", "tenant:*"}},
		{name: "theme and project, pruned: nothing to own", only: []descope.Kind{descope.KindTheme, descope.KindProject}, prune: true,
			wantKinds: []descope.Kind{descope.KindProject, descope.KindTheme}},
		{name: "unknown kind", only: []descope.Kind{"user"}, prune: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := RestoreState(b, tt.only, tt.prune)
			var kinds []descope.Kind
			for _, k := range descope.Kinds {
				if s.Count()[k] > 0 {
					kinds = append(kinds, k)
				}
			}
			if !slices.Equal(kinds, tt.wantKinds) {
				t.Errorf("kinds = %q, want %q", kinds, tt.wantKinds)
			}
			var owns []string
			for _, o := range s.Owns {
				owns = append(owns, string(o.Kind)+":"+o.Match)
			}
			if !slices.Equal(owns, tt.wantOwns) {
				t.Errorf("owns = %q, want %q", owns, tt.wantOwns)
			}
		})
	}
}

func TestRestoreStateDefinitions(t *testing.T) {
	s := RestoreState(New(testMeta(), sampleState()), []descope.Kind{descope.KindTenantAttribute}, false)
	if len(s.TenantAttributes) != 2 || len(s.Tenants) != 0 {
		t.Fatalf("definitions %d, tenants %d; want 2 and 0", len(s.TenantAttributes), len(s.Tenants))
	}
	// seats was backed up without its lists: a restore clears them.
	seats := s.TenantAttribute("seats")
	if seats.Options == nil || len(*seats.Options) != 0 || seats.ViewPermissions == nil || len(*seats.ViewPermissions) != 0 || seats.DisplayName != nil {
		t.Errorf("seats = %+v: want empty options and view permissions, the display name left alone", seats)
	}
	if plan := s.TenantAttribute("plan"); *plan.DisplayName != "Plan" || (*plan.Options)[0] != "gold" {
		t.Errorf("plan = %+v", plan)
	}
}

func TestRestoreStateSetsEveryField(t *testing.T) {
	b := New(testMeta(), sampleState())
	s := RestoreState(b, nil, false)

	// beta was backed up with only id and name: everything else is cleared.
	beta := s.Tenant("beta")
	want := &descope.Tenant{
		ID: "beta", Name: "Beta",
		Domains: &[]string{}, Attributes: &map[string]any{}, EnforceSSO: descope.Ptr(false),
		Disabled: descope.Ptr(false), Parent: descope.Ptr(""), DefaultRoles: &[]string{},
	}
	if g, w := canonical(t, &descope.State{Tenants: []*descope.Tenant{beta}}), canonical(t, &descope.State{Tenants: []*descope.Tenant{want}}); g != w {
		t.Errorf("beta:\n%s\nwant:\n%s", g, w)
	}
	// acme-eu keeps its parent; its partial settings gain cleared lists and flags only.
	eu := s.Tenant("acme-eu")
	if *eu.Parent != "acme" || eu.Settings.Domains == nil || *eu.Settings.JITDisabled || *eu.Settings.EnableInactivity ||
		eu.Settings.SessionTokenExpiration != nil || *eu.Settings.AuthType != "none" {
		t.Errorf("acme-eu settings = %+v", eu.Settings)
	}
	if r := s.Role("acme", "billing"); r.Description == nil || *r.Description != "" || r.Private == nil || *r.Private {
		t.Errorf("billing role = %+v, want description and private cleared", r)
	}
	if p := s.Permission("billing.write"); p.Description == nil || *p.Description != "" {
		t.Errorf("billing.write = %+v, want description cleared", p)
	}
	if s.Project == nil || s.Project.ID != testProject || *s.Project.Name != "Acme prod" {
		t.Errorf("project = %+v", s.Project)
	}
	if f := s.Flow("onboarding"); f == nil || f.Document["flowId"] != "onboarding" {
		t.Errorf("onboarding flow = %+v", f)
	}

	// The restore state is a copy: the backup is unchanged.
	if b.Tenants[2].Domains != nil {
		t.Errorf("RestoreState changed the backup: %+v", b.Tenants[2])
	}
}
