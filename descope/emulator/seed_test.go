package emulator

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

func seedState() *descope.State {
	return &descope.State{
		Project:     &descope.Project{ID: "P2ignored", Name: descope.Ptr("Seeded"), Tags: &[]string{"dev"}},
		Permissions: []*descope.Permission{{Name: "edit", Description: descope.Ptr("Edit")}, {Name: "User Admin", Description: descope.Ptr("Mine")}},
		Tenants: []*descope.Tenant{
			{ID: "T2child", Name: "Child", Parent: descope.Ptr("T2parent"), DefaultRoles: &[]string{"Editor", "Local"}},
			{ID: "T2parent", Name: "Parent", Domains: &[]string{"p.com"}, Attributes: &map[string]any{"n": int64(3), "tags": []any{"a"}},
				Settings: &descope.TenantSettings{AuthType: descope.Ptr("saml"), SessionTokenExpiration: descope.Ptr(int64(15))}},
		},
		Roles: []*descope.Role{
			{Name: "Editor", Permissions: &[]string{"edit"}, Default: descope.Ptr(true)},
			{Name: "Local", Tenant: "T2child"},
			{Name: "Tenant Admin", Description: descope.Ptr("Overridden")},
		},
		Flows: []*descope.Flow{
			{ID: "custom", Name: "Custom"},
			{ID: "sign-in", Document: map[string]any{"metadata": map[string]any{"name": "My sign in"}, "contents": map[string]any{"n": 1}}},
		},
		Theme: &descope.Theme{Document: map[string]any{"styles": map[string]any{"light": map[string]any{}}}},
	}
}

func TestSeedAndState(t *testing.T) {
	e, c := newTest(t)
	if err := e.Seed(seedState()); err != nil {
		t.Fatal(err)
	}
	s := e.State()
	if s.Project.ID != e.ProjectID() || *s.Project.Name != "Seeded" {
		t.Errorf("project = %+v", s.Project)
	}
	child := s.Tenant("T2child")
	if child == nil || *child.Parent != "T2parent" || !slices.Equal(*child.DefaultRoles, []string{"Editor", "Local"}) {
		t.Fatalf("child = %+v", child)
	}
	parent := s.Tenant("T2parent")
	if *parent.Settings.AuthType != "saml" || *parent.Settings.SessionTokenExpiration != 15 || *parent.Settings.SessionTokenExpirationUnit != "minutes" {
		t.Errorf("settings not merged onto the defaults: %+v", parent.Settings)
	}
	if attrs := *parent.Attributes; attrs["n"] != int64(3) {
		t.Errorf("attributes = %#v: want numbers as int64", attrs)
	}
	if r := s.Role("", "Tenant Admin"); r == nil || *r.Description != "Overridden" {
		t.Errorf("preconfigured role not overridden: %+v", r)
	}
	if p := s.Permission("User Admin"); p == nil || !p.SystemDefault || *p.Description != "Mine" {
		t.Errorf("preconfigured permission = %+v", p)
	}
	if p := s.Permission("Impersonate"); p == nil {
		t.Error("a preconfigured permission that s does not name is gone")
	}
	if f := s.Flow("sign-up"); f == nil || f.Document == nil {
		t.Error("a built-in flow that s does not name is gone")
	}
	if f := s.Flow("sign-in"); f.Name != "My sign in" || f.Document["contents"].(map[string]any)["n"] != int64(1) {
		t.Errorf("sign-in = %+v", f)
	}
	if f := s.Flow("custom"); f.Name != "Custom" || f.Document["flowId"] != "custom" {
		t.Errorf("custom = %+v", f)
	}
	// The API sees the same project; the parent was created first.
	if got := names(t, c.get("/v1/mgmt/tenant/all")["tenants"], "id"); !slices.Equal(got, []string{"T2child", "T2parent"}) {
		t.Errorf("tenant/all = %v", got)
	}
	if err := e.Seed(nil); err != nil {
		t.Fatal(err)
	}
	if s := e.State(); len(s.Tenants) != 0 || len(s.Flows) != 4 || len(s.Roles) != 1 || len(s.Permissions) != 3 {
		t.Errorf("Seed(nil) left %v", s.Count())
	}
}

func TestSeedErrorsChangeNothing(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*descope.State)
		want   string
	}{
		{"missing parent", func(s *descope.State) { s.Tenants = s.Tenants[:1] }, `parent tenant "T2parent" does not exist`},
		{"duplicate tenant", func(s *descope.State) { s.Tenants = append(s.Tenants, &descope.Tenant{ID: "T2parent", Name: "X"}) }, `tenant "T2parent" already exists`},
		{"unknown permission", func(s *descope.State) { s.Roles[0].Permissions = &[]string{"nope"} }, `role "Editor": permission "nope" does not exist`},
		{"unknown default role", func(s *descope.State) { s.Tenants[0].DefaultRoles = &[]string{"nope"} }, `default role "nope"`},
		{"bad tag", func(s *descope.State) { s.Project.Tags = &[]string{""} }, "1 to 50"},
		{"bad settings", func(s *descope.State) { s.Tenants[1].Settings.InactivityTimeUnit = descope.Ptr("ages") }, "inactivityTimeUnit"},
		{"bad flow id", func(s *descope.State) { s.Flows[0].ID = "a/b" }, "letters, digits"},
		{"theme without styles", func(s *descope.State) { s.Theme.Document = map[string]any{} }, "styles"},
		{"empty tenant id", func(s *descope.State) { s.Tenants[0].ID = "" }, "id field is required"},
	}
	for _, tt := range tests {
		e := New()
		before, _ := e.State().CanonicalJSON()
		s := seedState()
		tt.mutate(s)
		err := e.Seed(s)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		if after, _ := e.State().CanonicalJSON(); !bytes.Equal(before, after) {
			t.Errorf("%s: a failed Seed changed the state", tt.name)
		}
	}
}

func TestStateSeedRoundTrip(t *testing.T) {
	e1 := New()
	if err := e1.Seed(seedState()); err != nil {
		t.Fatal(err)
	}
	e2 := New()
	if err := e2.Seed(e1.State()); err != nil {
		t.Fatal(err)
	}
	a, b := withoutVolatile(e1.State()), withoutVolatile(e2.State())
	a.Project.ID, b.Project.ID = "", ""
	ja, _ := a.CanonicalJSON()
	jb, _ := b.CanonicalJSON()
	if !bytes.Equal(ja, jb) {
		t.Errorf("State -> Seed -> State changed the state:\n%s\n%s", ja, jb)
	}
}

func withoutVolatile(s *descope.State) *descope.State {
	for _, f := range s.Flows {
		f.Document = stripVolatile(f.Document)
	}
	return s
}

func TestStateIsACopy(t *testing.T) {
	e := New()
	s := e.State()
	s.Flows[0].Document["flowId"] = "changed"
	s.Theme.Document["styles"] = nil
	if e.State().Flows[0].Document["flowId"] == "changed" || e.State().Theme.Document["styles"] == nil {
		t.Error("changing State()'s result changed the emulator")
	}
}
