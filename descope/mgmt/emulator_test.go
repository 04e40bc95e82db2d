package mgmt_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// emulatorClient returns a client of srv with the licence handshake on,
// adjusted by edit.
func emulatorClient(t testing.TB, srv *emulator.Server, edit ...func(*mgmt.Config)) *mgmt.Client {
	t.Helper()
	return configured(t, mgmt.Config{
		ProjectID:     srv.ProjectID(),
		ManagementKey: srv.ManagementKey(),
		BaseURL:       srv.URL,
		HTTPClient:    srv.Client(),
		Version:       "test",
	}, edit...)
}

// everything reads the whole live project, as a backup does.
var everything = mgmt.ReadOptions{AllFlows: true, AllSettings: true, AllSSO: true, Theme: true, Project: true}

// sameState fails the test unless got and want have the same canonical form.
func sameState(t *testing.T, got, want *descope.State) {
	t.Helper()
	g, err := got.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("state read through the client differs from the emulator's:\n got %s\nwant %s", g, w)
	}
}

// TestContractWithEmulator runs every client call against the emulator,
// which is strict where the real API might be: each must be accepted, and
// what the client reads must be what the emulator holds.
func TestContractWithEmulator(t *testing.T) {
	srv := emulator.NewServer()
	defer srv.Close()
	c := emulatorClient(t, srv)
	ctx := context.Background()

	var acmeID string
	var flowDoc, theme map[string]any
	var globex *mgmt.Tenant
	var settings *mgmt.TenantSettings
	steps := []struct {
		name string
		do   func() error
	}{
		{"license", func() error {
			tier, err := c.License(ctx)
			if err == nil && tier == "" {
				err = fmt.Errorf("empty tier")
			}
			return err
		}},
		{"permission create", func() error { return c.CreatePermission(ctx, &mgmt.Permission{Name: "read", Description: "may read"}) }},
		{"permission create batch", func() error {
			return c.CreatePermissions(ctx, []*mgmt.Permission{{Name: "write"}, {Name: "admin", Description: "x"}})
		}},
		{"permission update", func() error {
			return c.UpdatePermission(ctx, "admin", &mgmt.Permission{Name: "administer", Description: "everything"})
		}},
		{"permission update batch", func() error {
			return c.UpdatePermissions(ctx, []mgmt.PermissionUpdate{{Name: "write", Permission: &mgmt.Permission{Name: "write", Description: "may write"}}})
		}},
		{"permission load all", func() error {
			ps, err := c.LoadAllPermissions(ctx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.Name == "SSO Admin" && p.SystemDefault {
					return nil
				}
			}
			return fmt.Errorf("no preconfigured SSO Admin in %v", ps)
		}},
		{"role create", func() error {
			return c.CreateRole(ctx, &mgmt.Role{Name: "Reader", PermissionNames: []string{"read"}, Default: true})
		}},
		{"role create batch", func() error {
			return c.CreateRoles(ctx, []*mgmt.Role{{Name: "Writer", PermissionNames: []string{"write"}}, {Name: "Auditor"}})
		}},
		{"role update", func() error {
			return c.UpdateRole(ctx, "Auditor", "", &mgmt.Role{Name: "Auditor", Description: "audits", PermissionNames: []string{"read"}})
		}},
		{"role update batch", func() error {
			return c.UpdateRoles(ctx, []mgmt.RoleUpdate{{Name: "Writer", Role: &mgmt.Role{Name: "Writer", PermissionNames: []string{"read", "write"}}}})
		}},
		{"role search", func() error {
			rs, err := c.SearchRoles(ctx, mgmt.RoleSearch{RoleNames: []string{"Reader"}})
			if err == nil && len(rs) != 1 {
				err = fmt.Errorf("found %d roles", len(rs))
			}
			return err
		}},
		{"tenant create", func() (err error) {
			acmeID, err = c.CreateTenant(ctx, &mgmt.Tenant{Name: "Acme"})
			if err == nil && acmeID == "" {
				err = fmt.Errorf("no id")
			}
			return err
		}},
		{"tenant attribute set", func() error {
			return c.SetTenantAttribute(ctx, &mgmt.TenantAttribute{Name: "tier", DisplayName: "Tier", Type: "singleselect", Options: []string{"gold", "silver"}, ViewPermissions: []string{"read"}})
		}},
		{"tenant attribute set (overwrite, from the model)", func() error {
			live, err := c.LoadTenantAttribute(ctx, "tier")
			if err != nil {
				return err
			}
			return c.SetTenantAttribute(ctx, mgmt.TenantAttributeFromModel(&descope.TenantAttribute{Key: "tier", Type: "singleselect", Options: &[]string{"gold", "silver", "bronze"}}, live.Model()))
		}},
		{"tenant attribute set unused", func() error {
			return c.SetTenantAttribute(ctx, &mgmt.TenantAttribute{Name: "region", Type: "string"})
		}},
		{"tenant attribute load", func() error {
			a, err := c.LoadTenantAttribute(ctx, "tier")
			if err == nil && (a == nil || a.DisplayName != "Tier" || len(a.Options) != 3 || !slices.Equal(a.ViewPermissions, []string{"read"})) {
				err = fmt.Errorf("loaded %+v", a)
			}
			return err
		}},
		{"tenant create with id", func() error {
			_, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: "globex", Name: "Globex", SelfProvisioningDomains: []string{"globex.com"}, CustomAttributes: map[string]any{"tier": "gold"}})
			return err
		}},
		{"tenant create child", func() error {
			_, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: "globex-eu", Name: "Globex EU", Parent: "globex"})
			return err
		}},
		{"tenant role create", func() error { return c.CreateRole(ctx, &mgmt.Role{Name: "Local", TenantID: "globex", Private: true}) }},
		{"tenant load", func() (err error) {
			child, err := c.LoadTenant(ctx, "globex-eu")
			if err == nil && child.Parent != "globex" {
				err = fmt.Errorf("parent = %q", child.Parent)
			}
			if globex, err = c.LoadTenant(ctx, "globex"); err == nil && !slices.Equal(globex.Successors, []string{"globex-eu"}) {
				err = fmt.Errorf("successors = %v", globex.Successors)
			}
			return err
		}},
		{"tenant load all", func() error {
			ts, err := c.LoadAllTenants(ctx)
			if err == nil && len(ts) != 3 {
				err = fmt.Errorf("%d tenants", len(ts))
			}
			return err
		}},
		{"tenant search", func() error {
			ts, err := c.SearchTenants(ctx, mgmt.TenantSearch{Names: []string{"Globex"}})
			if err == nil && (len(ts) != 1 || ts[0].ID != "globex") {
				err = fmt.Errorf("found %v", ts)
			}
			return err
		}},
		{"tenant update (read, merge, write)", func() error {
			return c.UpdateTenant(ctx, mgmt.MergeTenant(globex, &descope.Tenant{Name: "Globex Corp", Disabled: descope.Ptr(true)}))
		}},
		{"tenant settings get", func() (err error) { settings, err = c.TenantSettings(ctx, "globex"); return err }},
		{"tenant settings configure", func() error {
			return c.ConfigureTenantSettings(ctx, "globex", mgmt.MergeSettings(settings, &descope.TenantSettings{
				SessionSettingsEnabled: descope.Ptr(true), SessionTokenExpiration: descope.Ptr(int64(30)),
				SessionTokenExpirationUnit: descope.Ptr("minutes"), Domains: &[]string{"sso.globex.com"},
			}))
		}},
		{"tenant default roles", func() error { return c.UpdateDefaultRoles(ctx, "globex", []string{"Reader", "Local"}) }},
		{"flow list", func() error {
			fs, err := c.ListFlows(ctx)
			if err == nil && len(fs) < 4 {
				err = fmt.Errorf("%d flows, want the 4 built-in ones", len(fs))
			}
			return err
		}},
		{"flow export", func() (err error) { flowDoc, err = c.ExportFlow(ctx, "sign-in"); return err }},
		{"flow import", func() error { return c.ImportFlow(ctx, "sign-in-copy", flowDoc) }},
		{"theme export", func() (err error) { theme, err = c.ExportTheme(ctx); return err }},
		{"theme import", func() error { return c.ImportTheme(ctx, theme) }},
		{"project update name", func() error { return c.UpdateProjectName(ctx, "Contract") }},
		{"project update tags", func() error { return c.UpdateProjectTags(ctx, []string{"test"}) }},
		{"project snapshot export", func() error {
			files, err := c.ExportSnapshot(ctx)
			if err == nil && files["project.json"] == nil {
				err = fmt.Errorf("no project.json in %v", files)
			}
			return err
		}},
		{"read state", func() error {
			opts := everything
			opts.TenantAttributes = []string{"region"} // not used by a tenant: read when asked for
			s, err := c.ReadState(ctx, opts)
			if err == nil {
				sameState(t, s, srv.State())
			}
			return err
		}},
		{"tenant attribute delete", func() error { return c.DeleteTenantAttribute(ctx, "region") }},
		{"flow delete", func() error { return c.DeleteFlows(ctx, []string{"sign-in-copy"}) }},
		{"tenant role delete", func() error { return c.DeleteRole(ctx, "Local", "globex") }},
		{"role delete batch", func() error { return c.DeleteRoles(ctx, "", []string{"Writer", "Auditor"}) }},
		{"role delete", func() error { return c.DeleteRole(ctx, "Reader", "") }},
		{"permission delete", func() error { return c.DeletePermission(ctx, "read") }},
		{"permission delete batch", func() error { return c.DeletePermissions(ctx, []string{"write", "administer"}) }},
		{"tenant delete child", func() error { return c.DeleteTenant(ctx, "globex-eu", false) }},
		{"tenant delete", func() error { return c.DeleteTenant(ctx, "globex", true) }},
		{"tenant delete generated", func() error { return c.DeleteTenant(ctx, acmeID, false) }},
		{"tenant attribute delete once unused", func() error { return c.DeleteTenantAttribute(ctx, "tier") }},
		{"read state again", func() error {
			s, err := c.ReadState(ctx, everything)
			if err == nil {
				sameState(t, s, srv.State())
			}
			return err
		}},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	for _, r := range srv.Requests() {
		if r.Status < 200 || r.Status > 299 {
			t.Errorf("%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
		}
		if got := r.Header.Get("X-Descope-Sdk-Name"); got != "descope-run" {
			t.Errorf("%s %s: sdk name %q", r.Method, r.Path, got)
		}
		if r.Path != "/v1/mgmt/license" && r.Header.Get("X-Descope-License") == "" {
			t.Errorf("%s %s: no licence header", r.Method, r.Path)
		}
	}
}

// faultWorkload is what the fault tests apply: every kind of write, with
// dependencies, over a seeded project.
type faultWorkload struct {
	seed  *descope.State
	items []mgmt.Item
}

func newFaultWorkload(c *mgmt.Client) faultWorkload {
	var w faultWorkload
	w.seed = &descope.State{}
	add := func(id string, weight int, deps []string, do func(ctx context.Context) error) {
		w.items = append(w.items, mgmt.Item{ID: id, Weight: weight, Deps: deps, Do: do})
	}
	for i := range 5 {
		name := fmt.Sprintf("perm-%d", i)
		add("permission:"+name, 1, nil, func(ctx context.Context) error {
			return c.CreatePermission(ctx, &mgmt.Permission{Name: name, Description: "p"})
		})
		role := fmt.Sprintf("role-%d", i)
		add("role:"+role, 1, []string{"permission:" + name}, func(ctx context.Context) error {
			return c.CreateRole(ctx, &mgmt.Role{Name: role, PermissionNames: []string{name}})
		})
	}
	for i := range 20 {
		id := fmt.Sprintf("cust-%02d", i)
		add("tenant:"+id, 1, nil, func(ctx context.Context) error {
			_, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: id, Name: "Customer " + id, SelfProvisioningDomains: []string{id + ".example"}})
			return err
		})
		if i%2 == 0 {
			child := id + "-eu"
			add("tenant:"+child, 1, []string{"tenant:" + id}, func(ctx context.Context) error {
				_, err := c.CreateTenant(ctx, &mgmt.Tenant{ID: child, Name: "Customer " + child, Parent: id})
				return err
			})
		}
		if i%4 == 0 {
			role := fmt.Sprintf("role-%d", i%5)
			add("default-roles:"+id, 1, []string{"tenant:" + id, "role:" + role}, func(ctx context.Context) error {
				return c.UpdateDefaultRoles(ctx, id, []string{role})
			})
			add("settings:"+id, 2, []string{"tenant:" + id}, func(ctx context.Context) error {
				s, err := c.TenantSettings(ctx, id)
				if err != nil {
					return err
				}
				return c.ConfigureTenantSettings(ctx, id, mgmt.MergeSettings(s, &descope.TenantSettings{
					SessionSettingsEnabled: descope.Ptr(true), InactivityTime: descope.Ptr(int64(15)), InactivityTimeUnit: descope.Ptr("minutes")}))
			})
		}
	}
	for i := range 5 {
		id := fmt.Sprintf("old-%d", i)
		w.seed.Tenants = append(w.seed.Tenants, &descope.Tenant{ID: id, Name: "Old " + id})
		add("delete:"+id, 1, nil, func(ctx context.Context) error { return c.DeleteTenant(ctx, id, false) })
	}
	for i := range 3 {
		id := fmt.Sprintf("flow-%d", i)
		add("flow:"+id, 1, nil, func(ctx context.Context) error {
			return c.ImportFlow(ctx, id, map[string]any{"metadata": map[string]any{"name": id}, "contents": map[string]any{}, "screens": []any{}})
		})
	}
	return w
}

// writeKey names the object a logged write request is about, or "" for a
// request that is not a create or delete.
func writeKey(r emulator.Request) string {
	var b struct {
		ID, Name, TenantID string
	}
	json.Unmarshal(r.Body, &b)
	switch r.Path {
	case "/v1/mgmt/tenant/create":
		return "tenant create " + b.ID
	case "/v1/mgmt/tenant/delete":
		return "tenant delete " + b.ID
	case "/v1/mgmt/role/create":
		return "role create " + b.TenantID + "/" + b.Name
	case "/v1/mgmt/permission/create":
		return "permission create " + b.Name
	}
	return ""
}

// TestExecutorUnderFaults applies a workload through the executor while the
// emulator injects faults, and checks in its request log and state that
// every write landed exactly once.
func TestExecutorUnderFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults map[string]emulator.Fault
		checks bool // creates whose answer was lost must have been checked by a read
	}{
		{"20% 503 before handling", map[string]emulator.Fault{"*": {Status: 503, Probability: 0.2}}, false},
		{"20% 503 after the write landed", map[string]emulator.Fault{"*": {Status: 503, Probability: 0.2, After: true}}, true},
		{"10% dropped connections before handling", map[string]emulator.Fault{"*": {Drop: true, Probability: 0.1}}, false},
		{"10% dropped connections after the write landed", map[string]emulator.Fault{"*": {Drop: true, Probability: 0.1, After: true}}, true},
		{"429 burst", map[string]emulator.Fault{"*": {Status: 429, RetryAfter: 2 * time.Second, Times: 12}}, false},
		{"mixed", map[string]emulator.Fault{
			"/v1/mgmt/tenant/create":     {Status: 503, Probability: 0.2, After: true},
			"/v1/mgmt/role/create":       {Drop: true, Probability: 0.1, After: true},
			"/v1/mgmt/permission/create": {Drop: true, Probability: 0.1},
			"/v1/mgmt/tenant/delete":     {Drop: true, Probability: 0.1, After: true},
			"/v1/mgmt/tenant/settings":   {Status: 520, Probability: 0.2},
			"/v1/mgmt/tenant*":           {Status: 429, RetryAfter: time.Second, Probability: 0.05},
			"*":                          {Status: 503, Probability: 0.2},
		}, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator.NewServer(emulator.WithSeed(int64(i+1)), emulator.WithRateLimit(0, 0))
			defer srv.Close()
			// The pacer's clock takes no real time: pauses for Retry-After are virtual.
			pacer := mgmt.NewPacer(mgmt.Rate{N: 1000, Per: time.Second}, 10, mgmt.WithClock(&instantClock{}))
			c := emulatorClient(t, srv, func(cfg *mgmt.Config) {
				cfg.Pacer = pacer
				cfg.Retry = mgmt.RetryPolicy{MaxAttempts: 12, BaseDelay: 100 * time.Microsecond, MaxDelay: 2 * time.Millisecond, MaxRateLimited: 30}
			})
			w := newFaultWorkload(c)
			if err := srv.Seed(w.seed); err != nil {
				t.Fatal(err)
			}
			for pattern, f := range tc.faults {
				srv.SetFault(pattern, f)
			}
			rep := mgmt.NewExecutor(pacer, 8).Run(context.Background(), w.items)
			if err := rep.Err(); err != nil {
				t.Fatalf("run: %v", err)
			}
			srv.ClearFaults()

			// A write that landed twice would show as a 409 (creates) in the
			// log; one that never landed is missing from the state below.
			// (A 2xx is counted, but a Status fault with After is logged with
			// the fault's status, so the count can be below one.)
			landed := map[string]int{}
			faulted, checks := 0, 0
			for _, r := range srv.Requests() {
				if r.Status == http.StatusConflict {
					t.Errorf("%s %s collided with itself: %s", r.Method, r.Path, r.Body)
				}
				if r.Status == 0 || r.Status >= 400 || r.Dropped {
					faulted++
				}
				if k := writeKey(r); k != "" && r.Status >= 200 && r.Status <= 299 {
					landed[k]++
				}
				if r.Method == http.MethodGet && (r.Path == "/v1/mgmt/tenant" || r.Path == "/v1/mgmt/role/all" || r.Path == "/v1/mgmt/permission/all") {
					checks++
				}
			}
			if faulted == 0 {
				t.Error("no fault was injected")
			}
			if tc.checks && checks == 0 {
				t.Error("no create was checked by a read")
			}
			for k, n := range landed {
				if n > 1 {
					t.Errorf("%s landed %d times", k, n)
				}
			}

			s := srv.State()
			for i := range 20 {
				id := fmt.Sprintf("cust-%02d", i)
				if tenant := s.Tenant(id); tenant != nil && i%4 == 0 {
					if got := *tenant.DefaultRoles; !slices.Equal(got, []string{fmt.Sprintf("role-%d", i%5)}) {
						t.Errorf("%s default roles = %v", id, got)
					}
					if got := *tenant.Settings.InactivityTime; got != 15 {
						t.Errorf("%s inactivity = %d", id, got)
					}
				}
			}
			for i := range 5 {
				if s.Tenant(fmt.Sprintf("old-%d", i)) != nil {
					t.Errorf("old-%d not deleted", i)
				}
			}
			for _, it := range w.items {
				kind, id, _ := strings.Cut(it.ID, ":")
				missing := false
				switch kind {
				case "permission":
					missing = s.Permission(id) == nil
				case "role":
					missing = s.Role("", id) == nil
				case "tenant":
					missing = s.Tenant(id) == nil
				case "flow":
					missing = s.Flow(id) == nil
				}
				if missing {
					t.Errorf("%s did not land", it.ID)
				}
			}
		})
	}
}
