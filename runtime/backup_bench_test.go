package runtime

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// The size of the project the backup benchmarks back up and restore.
const (
	backupBenchTenants = 1000
	backupBenchFlows   = 20
)

// Realistic vocabulary for the generated project.
var (
	benchNamePrefixes = []string{
		"Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Cyberdyne", "Tyrell",
		"Soylent", "Hooli", "Pied Piper", "Vandelay", "Gringotts", "Oscorp", "Aperture", "Black Mesa", "Massive",
		"Dunder", "Monarch", "Sterling", "Prestige", "Bluth", "Krusty", "Nakatomi", "Virtucon", "Zorg", "Gekko",
		"Duff", "Ollivander", "Spacely", "Cogswell", "Primatech", "Rekall", "Octan", "Weyland",
	}
	benchNameSuffixes = []string{
		"Logistics", "Analytics", "Health", "Foods", "Robotics", "Capital", "Media", "Energy", "Pharma", "Labs",
		"Retail", "Airlines", "Insurance", "Bank", "Motors", "Software", "Security", "Telecom", "Studios",
		"Consulting", "Hotels", "Mining", "Textiles", "Shipping", "Biotech", "Realty", "Games", "Printing", "Farms",
	}
	benchLegalForms   = []string{"Inc.", "LLC", "GmbH", "Ltd", "S.A.", "B.V.", "AG"}
	benchPermissions  = []string{"projects.read", "projects.write", "billing.read", "billing.write", "users.read", "users.invite", "users.manage", "audit.read", "reports.read", "reports.export", "settings.manage", "api-keys.manage"}
	benchProjectRoles = map[string][]string{
		"Viewer":          {"projects.read", "reports.read"},
		"Member":          {"projects.read", "projects.write", "reports.read", "users.read"},
		"Billing Manager": {"billing.read", "billing.write", "reports.read", "reports.export"},
		"Support Agent":   {"users.read", "audit.read", "projects.read"},
		"Admin":           {"projects.read", "projects.write", "users.manage", "users.invite", "settings.manage", "api-keys.manage", "audit.read"},
		"Auditor":         {"audit.read", "reports.read", "reports.export", "billing.read"},
	}
	benchFlowIDs = []string{
		"sign-up-or-in-b2b", "invite-user", "sso-login", "mfa-enroll", "password-reset", "magic-link-login",
		"step-up-admin", "tenant-onboarding", "user-profile", "email-verification", "phone-verification",
		"passkey-enroll", "social-login", "account-linking", "consent", "impersonation", "offboarding",
		"sso-config", "api-key-request", "trial-signup",
	}
	benchActions = []string{
		"validate-email", "send-otp", "verify-otp", "load-user", "update-user", "create-tenant", "add-user-to-tenant",
		"sso-start", "sso-exchange", "mfa-check", "http-webhook", "enrich-ip", "set-custom-claims", "audit-event",
	}
	benchComponents = []string{"descope-text-field", "descope-email-field", "descope-password", "descope-button", "descope-checkbox", "descope-text", "descope-link", "descope-phone-field"}
)

// backupBenchProject returns the live project the backup benchmarks seed:
// 1,000 tenants (about one in seven a sub-tenant, every one with its own
// settings, custom attributes and self-provisioning domains, one in 25 with
// a tenant role of its own), 20 flows with v2 documents of 10 to 20 KB,
// twelve permissions, six project roles and a theme. It is the same every
// call.
func backupBenchProject() *descope.State {
	g := &stateGen{r: rand.New(rand.NewPCG(1000, 20))}
	s := &descope.State{Theme: &descope.Theme{Document: g.themeDoc()}}
	for _, p := range benchPermissions {
		s.Permissions = append(s.Permissions, &descope.Permission{Name: p, Description: descope.Ptr("Allows " + strings.ReplaceAll(p, ".", " "))})
	}
	roles := slices.Sorted(maps.Keys(benchProjectRoles))
	for _, name := range roles {
		s.Roles = append(s.Roles, &descope.Role{Name: name, Description: descope.Ptr(name + " of a customer account"), Permissions: descope.Ptr(slices.Clone(benchProjectRoles[name]))})
	}
	var topLevel []string
	for i := range backupBenchTenants {
		t := backupBenchTenant(g, i, topLevel)
		if *t.Parent == "" {
			topLevel = append(topLevel, t.ID)
		}
		if i%25 == 0 {
			s.Roles = append(s.Roles, &descope.Role{
				Name: "Regional Admin", Tenant: t.ID, Description: descope.Ptr("Administers " + t.Name + "'s region"),
				Permissions: descope.Ptr([]string{"users.manage", "users.invite", "reports.read"}),
			})
			if i%50 == 0 {
				*t.DefaultRoles = append(*t.DefaultRoles, "Regional Admin")
			}
		}
		s.Tenants = append(s.Tenants, t)
	}
	for _, id := range benchFlowIDs[:backupBenchFlows] {
		s.Flows = append(s.Flows, &descope.Flow{ID: id, Document: backupBenchFlowDoc(g, id, roles)})
	}
	return s
}

// backupBenchTenant returns customer i: a unique name and id, domains,
// attributes, settings, default roles, and, for about one in seven, a
// parent drawn from the top-level tenants so far.
func backupBenchTenant(g *stateGen, i int, topLevel []string) *descope.Tenant {
	// i -> (prefix, suffix) is one-to-one below 37*29 = 1,073 tenants.
	base := benchNamePrefixes[i%len(benchNamePrefixes)] + " " + benchNameSuffixes[i/len(benchNamePrefixes)%len(benchNameSuffixes)]
	slug := strings.ToLower(strings.ReplaceAll(base, " ", "-"))
	domains := []string{slug + ".com"}
	if g.chance(0.3) {
		domains = append(domains, slug+".io")
	}
	attrs := map[string]any{
		"plan":      pick(g, []string{"starter", "growth", "growth", "enterprise"}),
		"seats":     int64(5 + g.r.IntN(2000)),
		"region":    pick(g, []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}),
		"industry":  strings.ToLower(benchNameSuffixes[i/len(benchNamePrefixes)%len(benchNameSuffixes)]),
		"crmId":     fmt.Sprintf("0015g%010d", 7919*i+104729),
		"renewal":   time.Date(2026, time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
		"beta":      g.chance(0.15),
		"features":  anyList(subset(g, []string{"sso", "scim", "audit-log", "custom-domain", "webhooks", "ip-allowlist"}, 0.4)),
		"csmEmail":  pick(g, []string{"ana", "bo", "chen", "dara", "eli"}) + "@vendor.example",
		"mrrUSD":    float64(g.r.IntN(500000)) / 100,
		"createdBy": "import-2024",
	}
	defaults := []string{}
	if g.chance(0.85) {
		defaults = append(defaults, pick(g, []string{"Viewer", "Member", "Member"}))
	}
	parent := ""
	if len(topLevel) > 10 && g.chance(0.15) {
		parent = pick(g, topLevel)
	}
	return &descope.Tenant{
		ID:           "t-" + slug,
		Name:         base + " " + pick(g, benchLegalForms),
		Domains:      &domains,
		Attributes:   &attrs,
		EnforceSSO:   descope.Ptr(g.chance(0.2)),
		Disabled:     descope.Ptr(g.chance(0.02)),
		Parent:       &parent,
		DefaultRoles: &defaults,
		Settings:     backupBenchSettings(g, domains[0]),
	}
}

// lifetime is a token lifetime as the settings hold it.
type lifetime struct {
	n    int64
	unit string
}

// backupBenchSettings returns settings as customers configure them: SSO
// for about one in four, with an SSO domain, and the usual token lifetimes.
func backupBenchSettings(g *stateGen, domain string) *descope.TenantSettings {
	auth := pick(g, []string{"none", "none", "none", "saml", "oidc"})
	sso := []string{}
	if auth != "none" {
		sso = append(sso, "sso."+domain)
	}
	life := func(choices ...lifetime) (*int64, *string) {
		l := pick(g, choices)
		return &l.n, &l.unit
	}
	s := &descope.TenantSettings{
		Domains:                &sso,
		AuthType:               &auth,
		SessionSettingsEnabled: descope.Ptr(g.chance(0.4)),
		EnableInactivity:       descope.Ptr(g.chance(0.3)),
		JITDisabled:            descope.Ptr(g.chance(0.1)),
	}
	s.RefreshTokenExpiration, s.RefreshTokenExpirationUnit = life(lifetime{4, "weeks"}, lifetime{30, "days"}, lifetime{12, "hours"})
	s.SessionTokenExpiration, s.SessionTokenExpirationUnit = life(lifetime{10, "minutes"}, lifetime{30, "minutes"}, lifetime{1, "hours"})
	s.StepupTokenExpiration, s.StepupTokenExpirationUnit = life(lifetime{10, "minutes"}, lifetime{5, "minutes"})
	s.InactivityTime, s.InactivityTimeUnit = life(lifetime{12, "hours"}, lifetime{30, "minutes"}, lifetime{2, "hours"})
	return s
}

// backupBenchFlowDoc returns a v2 flow export of 10 to 20 KB: a task graph
// of actions, conditions and screens, screens with component trees, and
// references to project roles and connectors.
func backupBenchFlowDoc(g *stateGen, id string, roles []string) map[string]any {
	nScreens := 3 + g.r.IntN(4)
	nTasks := 14 + g.r.IntN(12)
	tasks := map[string]any{}
	for i := range nTasks {
		next := []any{fmt.Sprintf("task-%d", min(i+1, nTasks-1))}
		task := map[string]any{
			"id":   fmt.Sprintf("task-%d", i),
			"view": map[string]any{"x": float64(240 * (i % 6)), "y": float64(160 * (i / 6))},
			"next": next,
		}
		switch {
		case i%(nTasks/nScreens) == 0 && i/(nTasks/nScreens) < nScreens:
			task["type"], task["screenId"] = "screen", fmt.Sprintf("%s-screen-%d", id, i/(nTasks/nScreens))
		case i%5 == 4:
			task["type"] = "condition"
			task["conditions"] = []any{
				map[string]any{"operand": "user.verifiedEmail", "predicate": "is-true", "next": next[0]},
				map[string]any{"operand": "form.tenant", "predicate": "is-empty", "next": "task-0"},
			}
		default:
			action := pick(g, benchActions)
			task["type"], task["action"] = "action", action
			task["arguments"] = map[string]any{
				"url":         "https://hooks." + id + ".example.com/" + action,
				"timeoutMs":   float64(1000 * (1 + g.r.IntN(10))),
				"failOnError": g.chance(0.5),
				"headers":     map[string]any{"x-flow": id, "x-step": action},
			}
		}
		tasks[task["id"].(string)] = task
	}
	var screens []any
	for i := range nScreens {
		var children []any
		for j := range 6 + g.r.IntN(5) {
			kind := pick(g, benchComponents)
			children = append(children, map[string]any{
				"id": fmt.Sprintf("%s-%d", kind, j), "type": kind,
				"props": map[string]any{
					"label":       pick(g, []string{"Email address", "Password", "Company", "Continue", "Phone number", "Remember me"}),
					"placeholder": "Type here", "required": g.chance(0.6), "size": pick(g, []string{"sm", "md", "lg"}),
					"full-width": true, "data-testid": fmt.Sprintf("%s-%d-%d", id, i, j),
				},
				"style": map[string]any{"margin": "8px 0", "color": pick(g, []string{"primary", "secondary"})},
			})
		}
		screens = append(screens, map[string]any{
			"screenId": fmt.Sprintf("%s-screen-%d", id, i),
			"title":    pick(g, []string{"Welcome", "Sign in", "Verify your email", "Choose your organization", "Set up MFA"}),
			"inputs":   []any{map[string]any{"name": "email", "type": "string"}, map[string]any{"name": "tenant", "type": "string"}},
			"interactions": []any{
				map[string]any{"id": "submit", "type": "button", "label": "Continue"},
				map[string]any{"id": "back", "type": "link", "label": "Back"},
			},
			"htmlTemplate": map[string]any{"type": "descope-container", "props": map[string]any{"direction": "column", "align": "center"}, "children": children},
		})
	}
	refs := map[string]any{
		"connectors": map[string]any{"crm-webhook": map[string]any{"type": "http", "name": "CRM webhook"}},
	}
	if g.chance(0.6) {
		used := map[string]any{}
		for _, r := range subset(g, roles, 0.3) {
			used[r] = "ROL" + strings.ToUpper(strings.ReplaceAll(r, " ", ""))
		}
		refs["roles"] = used
	}
	return map[string]any{
		"flowId": id,
		"metadata": map[string]any{
			"name": strings.ToUpper(id[:1]) + strings.ReplaceAll(id[1:], "-", " "), "description": "The " + id + " flow",
			"componentsVersion": "1.60.1", "disabled": false,
		},
		"contents":   map[string]any{"startTask": "task-0", "tasks": tasks},
		"screens":    screens,
		"references": refs,
	}
}

func anyList[T any](list []T) []any {
	out := make([]any, len(list))
	for i, x := range list {
		out[i] = x
	}
	return out
}

// backupBenchDrift returns base as the project looks some time after a
// backup of it: one tenant in ten changed (name, attributes, settings,
// domains, or SSO enforcement and default roles), the leaf tenants among
// every 50th deleted (17) and 20 added, 5 flows changed, one deleted and one added, a role's
// permissions and the theme changed, and a permission added. No deleted
// tenant has a role of its own among its default roles: Apply cannot create
// such a tenant again today (it sets the default roles before the tenant
// role exists).
func backupBenchDrift(base *descope.State) *descope.State {
	g := &stateGen{r: rand.New(rand.NewPCG(2, 20))}
	s := cloneState(base)
	isParent := map[string]bool{}
	var topLevel []string
	for _, t := range s.Tenants {
		if p := deref(t.Parent); p != "" {
			isParent[p] = true
		} else {
			topLevel = append(topLevel, t.ID)
		}
	}
	deleted := map[string]bool{}
	var tenants []*descope.Tenant
	for i, t := range s.Tenants {
		switch {
		case i%50 == 7 && !isParent[t.ID]:
			deleted[t.ID] = true
			continue
		case i%10 == 3:
			switch i / 10 % 5 {
			case 0:
				t.Name += " Holdings"
			case 1:
				(*t.Attributes)["seats"] = float64(10 + g.r.IntN(3000))
				(*t.Attributes)["plan"] = "enterprise"
			case 2:
				t.Settings.SessionTokenExpiration, t.Settings.SessionTokenExpirationUnit = descope.Ptr(int64(45)), descope.Ptr("minutes")
				t.Settings.EnableInactivity = descope.Ptr(!*t.Settings.EnableInactivity)
			case 3:
				*t.Domains = append(*t.Domains, strings.TrimPrefix(t.ID, "t-")+".eu")
			case 4:
				t.EnforceSSO = descope.Ptr(!*t.EnforceSSO)
				t.DefaultRoles = &[]string{"Viewer", "Billing Manager"}
			}
		}
		tenants = append(tenants, t)
	}
	for i := range 20 {
		tenants = append(tenants, backupBenchTenant(g, backupBenchTenants+i, topLevel))
	}
	s.Tenants = tenants
	s.Roles = slices.DeleteFunc(s.Roles, func(r *descope.Role) bool { return deleted[r.Tenant] })
	for _, r := range s.Roles {
		if r.Name == "Support Agent" && r.Tenant == "" {
			*r.Permissions = append(*r.Permissions, "billing.read")
		}
	}
	s.Permissions = append(s.Permissions, &descope.Permission{Name: "beta.access", Description: descope.Ptr("Early access features")})
	for i, f := range s.Flows {
		if i%4 == 0 {
			screen := f.Document["screens"].([]any)[0].(map[string]any)
			screen["title"] = "Welcome back"
			f.Document["metadata"].(map[string]any)["description"] = "The " + f.ID + " flow, revised"
		}
	}
	s.Flows = append(s.Flows[:len(s.Flows)-1], &descope.Flow{ID: "beta-signup", Document: backupBenchFlowDoc(g, "beta-signup", nil)})
	colors := s.Theme.Document["styles"].(map[string]any)["light"].(map[string]any)["globals"].(map[string]any)["colors"].(map[string]any)
	colors["primary"] = map[string]any{"main": "#7b2cbf"}
	return s
}

// seededBackupBench returns an emulator target (built with opts) seeded
// with backupBenchProject, and a fresh store.
func seededBackupBench(b *testing.B, opts ...emulator.Option) (*Target, *emulator.Emulator, *backup.DirStore, *descope.State) {
	b.Helper()
	project := backupBenchProject()
	target, emu := newEmulatorTarget(b, opts...)
	if err := emu.Seed(project); err != nil {
		b.Fatalf("seed: %v", err)
	}
	store, err := backup.NewDirStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var sizes []int
	for _, f := range project.Flows {
		doc, err := json.Marshal(f.Document)
		if err != nil {
			b.Fatal(err)
		}
		sizes = append(sizes, len(doc))
	}
	subTenants := 0
	for _, t := range project.Tenants {
		if *t.Parent != "" {
			subTenants++
		}
	}
	b.Logf("project: %d tenants (%d sub-tenants), %d roles, %d permissions, %d flows of %.1f to %.1f KB",
		len(project.Tenants), subTenants, len(project.Roles), len(project.Permissions), len(project.Flows),
		float64(slices.Min(sizes))/1024, float64(slices.Max(sizes))/1024)
	return target, emu, store, project
}

func backupBenchMeta(operation string) backup.Metadata {
	return NewMetadata(operation, "benchmark", "bench", "", time.Now())
}

// benchmarkBackupCreate measures TakeBackup of backupBenchProject with
// every tenant's settings, against an emulator built with opts: the read
// (calls/op API calls), the encoding and the synced write (file-bytes).
func benchmarkBackupCreate(b *testing.B, opts ...emulator.Option) {
	ctx := context.Background()
	target, emu, store, _ := seededBackupBench(b, opts...)
	var calls int
	var size int64
	for b.Loop() {
		emu.ResetRequests()
		entry, _, err := TakeBackup(ctx, target, store, backupBenchMeta(backup.OperationManual), nil, true)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		calls, size = len(emu.Requests()), entry.Size
		if err := os.Remove(entry.Path); err != nil { // keep the folder the store scans small
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(calls), "calls/op")
	b.ReportMetric(float64(size), "file-bytes")
	// What the client's default pacing (docs/design.md section 5) adds on a real
	// project, whatever the latency: the calls beyond one burst wait for
	// the rate.
	paced := time.Duration(max(calls-mgmt.DefaultBurst, 0)) * mgmt.DefaultRate.Per / time.Duration(mgmt.DefaultRate.N)
	b.Logf("%d calls; at the default pacing (%d/%v, burst %d) a real backup takes at least %v", calls, mgmt.DefaultRate.N, mgmt.DefaultRate.Per, mgmt.DefaultBurst, paced)
}

// BenchmarkBackupCreate1kTenants20Flows is a full backup (backup create) of
// 1,000 tenants and 20 flows against the in-process emulator.
func BenchmarkBackupCreate1kTenants20Flows(b *testing.B) { benchmarkBackupCreate(b) }

// BenchmarkBackupCreate1kTenants20FlowsLatency20ms is the same backup with
// 20 ms per request, as a real API answers, at the client's default read
// concurrency: the wall time of a real backup, but for pacing. Run it with
// -benchtime 1x.
func BenchmarkBackupCreate1kTenants20FlowsLatency20ms(b *testing.B) {
	benchmarkBackupCreate(b, emulator.WithLatency(20*time.Millisecond))
}

// BenchmarkBackupRestore1kTenants20Flows measures a restore (backup restore
// --prune) of a backup of backupBenchProject onto the project as
// backupBenchDrift left it: loading and verifying the file, the plan (with
// every tenant's settings read) and the apply, Parallel 8, with its
// verifying re-read. The drifted project is seeded again before each
// iteration, outside the timer; so is the check that the next plan is empty.
func BenchmarkBackupRestore1kTenants20Flows(b *testing.B) {
	ctx := context.Background()
	target, emu, store, project := seededBackupBench(b)
	entry, _, err := TakeBackup(ctx, target, store, backupBenchMeta(backup.OperationManual), nil, true)
	if err != nil {
		b.Fatal(err)
	}
	drift := backupBenchDrift(project)
	var calls, changes int
	var byEndpoint string
	for b.Loop() {
		b.StopTimer()
		if err := emu.Seed(drift); err != nil {
			b.Fatalf("seed the drifted project: %v", err)
		}
		emu.ResetRequests()
		b.StartTimer()

		bk, _, err := store.Load(target.ProjectID, entry.ID)
		if err != nil {
			b.Fatal(err)
		}
		desired := backup.RestoreState(bk, nil, true)
		planned, err := MakePlan(ctx, target, desired)
		if err != nil {
			b.Fatal(err)
		}
		res, err := execute(ctx, target, planned, executeOptions{Parallel: 8})
		if err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		reqs := emu.Requests()
		calls, changes, byEndpoint = len(reqs), len(planned.Plan.Changes), endpointCounts(reqs)
		if err := res.Report.Err(); err != nil || len(res.Report.NotStarted) > 0 || len(res.Mismatches) > 0 {
			b.Fatalf("restore: %v; not started %q; mismatches:\n%s\nplan:\n%s", err, res.Report.NotStarted, strings.Join(res.Mismatches, "\n"), describePlan(planned.Plan))
		}
		again, err := MakePlan(ctx, target, desired)
		if err != nil {
			b.Fatal(err)
		}
		if !again.Plan.Empty() {
			b.Fatalf("the plan after the restore is not empty:\n%s", describePlan(again.Plan))
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(calls), "calls/op")
	b.ReportMetric(float64(changes), "changes/op")
	b.Logf("calls of a restore: %s", byEndpoint)
}

// endpointCounts counts requests by endpoint, most called first.
func endpointCounts(reqs []emulator.Request) string {
	n := map[string]int{}
	for _, r := range reqs {
		n[r.Method+" "+r.Path]++
	}
	keys := slices.SortedFunc(maps.Keys(n), func(a, b string) int { return cmp.Or(n[b]-n[a], strings.Compare(a, b)) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", n[k], k)
	}
	return strings.Join(parts, ", ")
}
