package runtime

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// Parallel is the number of workers (default 4).
	Parallel int
	// OnEvent receives progress: each change started, done or failed.
	OnEvent func(mgmt.Event)
}

// ApplyResult is what an apply did.
type ApplyResult struct {
	Report mgmt.Report
	// Mismatches are the changes that reported success but that the re-read
	// live project does not reflect, one line each.
	Mismatches []string
}

// Apply executes the plan of pl against t through the paced executor, in
// dependency order, then re-reads the touched objects and compares them with
// the desired state. Writes to endpoints that overwrite every field read the
// object first and merge, so fields descope-run does not model are kept.
func Apply(ctx context.Context, t *Target, pl *Planned, opts ApplyOptions) (*ApplyResult, error) {
	p, desired := pl.Plan, pl.Desired
	workers := opts.Parallel
	if workers <= 0 {
		workers = 4
	}
	w := &writer{c: t.Client, projectRoles: projectRoles(pl.Live, desired), tenantRoles: tenantRoles(pl.Live)}
	items := make([]mgmt.Item, 0, len(p.Changes))
	for _, c := range p.Changes {
		do, weight, err := w.work(c)
		if err != nil {
			return nil, err
		}
		items = append(items, mgmt.Item{ID: c.ID, Weight: weight, Deps: c.Deps, Do: do})
		if follow := w.defaultRolesAfterReplace(c, p); follow != nil {
			items = append(items, *follow)
		}
	}
	var exopts []mgmt.ExecutorOption
	if opts.OnEvent != nil {
		exopts = append(exopts, mgmt.OnEvent(opts.OnEvent))
	}
	report := mgmt.NewExecutor(t.Client.Pacer(), workers, exopts...).Run(ctx, items)
	res := &ApplyResult{Report: report}
	if len(report.Done) == 0 || ctx.Err() != nil {
		return res, nil
	}
	// Verify: the plan of the re-read project must not contain a change
	// that was reported done.
	live, _, err := ReadLive(ctx, t, desired)
	if err != nil {
		return res, fmt.Errorf("verify after apply: %w", err)
	}
	again := descope.Diff(live, desired)
	for _, c := range again.Changes {
		if slices.Contains(report.Done, c.ID) {
			var paths []string
			for _, f := range c.Fields {
				paths = append(paths, f.Path)
			}
			res.Mismatches = append(res.Mismatches, fmt.Sprintf("%s: still differs after a successful %s (%s)", c.ID, c.Action, strings.Join(paths, ", ")))
		}
	}
	return res, nil
}

// writer turns one change into API calls.
type writer struct {
	c *mgmt.Client
	// projectRoles are the project roles that exist, live or declared (and
	// the preconfigured ones): the names a tenant's default roles may keep.
	projectRoles map[string]bool
	// tenantRoles are the live tenant roles' names, by tenant id.
	tenantRoles map[string]map[string]bool
}

func tenantRoles(live *descope.State) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	if live == nil {
		return out
	}
	for _, r := range live.Roles {
		if r.Tenant != "" {
			if out[r.Tenant] == nil {
				out[r.Tenant] = map[string]bool{}
			}
			out[r.Tenant][r.Name] = true
		}
	}
	return out
}

func projectRoles(states ...*descope.State) map[string]bool {
	names := map[string]bool{}
	for _, n := range descope.PreconfiguredRoles {
		names[n] = true
	}
	for _, s := range states {
		if s == nil {
			continue
		}
		for _, r := range s.Roles {
			if r.Tenant == "" {
				names[r.Name] = true
			}
		}
	}
	return names
}

// work returns the function that performs change c and the number of calls
// it makes.
func (w *writer) work(c *descope.Change) (func(context.Context) error, int, error) {
	switch c.Kind {
	case descope.KindTenant:
		return w.tenant(c)
	case descope.KindRole:
		return w.role(c)
	case descope.KindPermission:
		return w.permission(c)
	case descope.KindFlow:
		return w.flow(c)
	case descope.KindTheme:
		after, _ := c.After.(*descope.Theme)
		if after == nil {
			return nil, 0, fmt.Errorf("%s: a theme cannot be deleted", c.ID)
		}
		return func(ctx context.Context) error { return w.c.ImportTheme(ctx, after.Document) }, 1, nil
	case descope.KindProject:
		return w.project(c)
	}
	return nil, 0, fmt.Errorf("%s: unknown kind %q", c.ID, c.Kind)
}

func (w *writer) tenant(c *descope.Change) (func(context.Context) error, int, error) {
	before, _ := c.Before.(*descope.Tenant)
	after, _ := c.After.(*descope.Tenant)
	switch c.Action {
	case descope.ActionDelete:
		return func(ctx context.Context) error { return w.c.DeleteTenant(ctx, before.ID, false) }, 1, nil
	case descope.ActionCreate:
		return func(ctx context.Context) error { return w.createTenant(ctx, after, nil, nil) }, createTenantCalls(after), nil
	case descope.ActionReplace:
		// Read what the delete loses and the config may leave unset (the
		// settings), delete, create again, then put the settings back with
		// the config's on top.
		calls := 3 + createTenantCalls(after)
		if after.Settings == nil {
			calls++
		}
		return func(ctx context.Context) error {
			old, err := w.c.TenantSettings(ctx, before.ID)
			if err != nil {
				return fmt.Errorf("read settings before replace: %w", err)
			}
			if err := w.c.DeleteTenant(ctx, before.ID, false); err != nil && !mgmt.IsNotFound(err) {
				return fmt.Errorf("delete for replace: %w", err)
			}
			return w.createTenant(ctx, after, before, old)
		}, calls, nil
	}
	// Update: only the endpoints whose fields change are called.
	var tenantFields, settings, defaultRoles bool
	for _, f := range c.Fields {
		switch {
		case strings.HasPrefix(f.Path, "settings."):
			settings = true
		case f.Path == "defaultRoles":
			defaultRoles = true
		default:
			tenantFields = true
		}
	}
	calls := 0
	if tenantFields {
		calls += 2 // read, merge, write
	}
	if settings {
		calls += 2
	}
	if defaultRoles {
		calls++
	}
	return func(ctx context.Context) error {
		if tenantFields {
			live, err := w.c.LoadTenant(ctx, after.ID)
			if err != nil {
				return fmt.Errorf("read before update: %w", err)
			}
			if err := w.c.UpdateTenant(ctx, mgmt.MergeTenant(live, after)); err != nil {
				return err
			}
		}
		if defaultRoles {
			if err := w.c.UpdateDefaultRoles(ctx, after.ID, *after.DefaultRoles); err != nil {
				return fmt.Errorf("default roles: %w", err)
			}
		}
		if settings {
			if err := w.configureSettings(ctx, after.ID, nil, after.Settings); err != nil {
				return err
			}
		}
		return nil
	}, calls, nil
}

// defaultRolesAfterReplace returns the work that gives a replaced tenant
// back the default roles that name its own roles, once the plan has created
// those roles again; nil when there are none. The config leaves the
// tenant's default roles unset, so they are carried over; createTenant has
// already set the project roles among them.
func (w *writer) defaultRolesAfterReplace(c *descope.Change, p *descope.Plan) *mgmt.Item {
	before, _ := c.Before.(*descope.Tenant)
	after, _ := c.After.(*descope.Tenant)
	if c.Kind != descope.KindTenant || c.Action != descope.ActionReplace || after.DefaultRoles != nil || before.DefaultRoles == nil {
		return nil
	}
	var roles, deps []string
	for _, r := range *before.DefaultRoles {
		switch {
		case w.tenantRoles[before.ID][r]:
			rc := p.Change(descope.ChangeID(descope.KindRole, before.ID+"/"+r))
			if rc == nil || rc.Action != descope.ActionCreate {
				continue // gone with the tenant, and not declared again
			}
			roles, deps = append(roles, r), append(deps, rc.ID)
		case w.projectRoles[r]:
			roles = append(roles, r)
		}
	}
	if len(deps) == 0 {
		return nil
	}
	id := before.ID
	return &mgmt.Item{
		ID: c.ID + "#defaultRoles", Weight: 1, Deps: append(deps, c.ID),
		Do: func(ctx context.Context) error { return w.c.UpdateDefaultRoles(ctx, id, roles) },
	}
}

func createTenantCalls(t *descope.Tenant) int {
	n := 1
	if t.DefaultRoles != nil && len(*t.DefaultRoles) > 0 {
		n++
	}
	if t.Settings != nil {
		n += 2
	}
	return n
}

// createTenant creates t. For a replace, fields t leaves unset keep the
// replaced tenant's values: its own fields, its default roles that are
// still project roles, and oldSettings, its settings before the delete.
func (w *writer) createTenant(ctx context.Context, t, replaced *descope.Tenant, oldSettings *mgmt.TenantSettings) error {
	wire := mgmt.TenantFromModel(t)
	if replaced != nil {
		wire = mgmt.MergeTenant(mgmt.TenantFromModel(replaced), t)
		wire.Parent = deref(t.Parent)
	}
	if _, err := w.c.CreateTenant(ctx, wire); err != nil {
		return err
	}
	var roles []string
	switch {
	case t.DefaultRoles != nil:
		roles = *t.DefaultRoles
	case replaced != nil && replaced.DefaultRoles != nil:
		// The tenant's own roles went with it (a name there means the
		// tenant's role, not a project role of the same name); keep the
		// project roles.
		for _, r := range *replaced.DefaultRoles {
			if w.projectRoles[r] && !w.tenantRoles[replaced.ID][r] {
				roles = append(roles, r)
			}
		}
	}
	if len(roles) > 0 {
		if err := w.c.UpdateDefaultRoles(ctx, t.ID, roles); err != nil {
			return fmt.Errorf("default roles: %w", err)
		}
	}
	if oldSettings != nil {
		oldSettings.SelfProvisioningDomains = wire.SelfProvisioningDomains
		return w.configureSettings(ctx, t.ID, oldSettings, t.Settings)
	}
	if t.Settings != nil {
		return w.configureSettings(ctx, t.ID, nil, t.Settings)
	}
	return nil
}

// configureSettings overlays the managed fields s (may be nil) on base and
// writes the result: the endpoint overwrites every field. A nil base is
// read first.
func (w *writer) configureSettings(ctx context.Context, id string, base *mgmt.TenantSettings, s *descope.TenantSettings) error {
	cur := base
	if cur == nil {
		var err error
		if cur, err = w.c.TenantSettings(ctx, id); err != nil {
			return fmt.Errorf("read settings before update: %w", err)
		}
	}
	if s != nil {
		cur = mgmt.MergeSettings(cur, s)
	}
	if err := w.c.ConfigureTenantSettings(ctx, id, cur); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (w *writer) role(c *descope.Change) (func(context.Context) error, int, error) {
	before, _ := c.Before.(*descope.Role)
	after, _ := c.After.(*descope.Role)
	switch c.Action {
	case descope.ActionDelete:
		return func(ctx context.Context) error { return w.c.DeleteRole(ctx, before.Name, before.Tenant) }, 1, nil
	case descope.ActionCreate:
		return func(ctx context.Context) error { return w.c.CreateRole(ctx, mgmt.RoleFromModel(after)) }, 1, nil
	case descope.ActionReplace:
		return func(ctx context.Context) error {
			if err := w.c.DeleteRole(ctx, before.Name, before.Tenant); err != nil && !mgmt.IsNotFound(err) {
				return fmt.Errorf("delete for replace: %w", err)
			}
			return w.c.CreateRole(ctx, mgmt.MergeRole(mgmt.RoleFromModel(before), after))
		}, 2, nil
	}
	// role/update overwrites every field: merge onto the live role.
	return func(ctx context.Context) error {
		return w.c.UpdateRole(ctx, before.Name, before.Tenant, mgmt.MergeRole(mgmt.RoleFromModel(before), after))
	}, 1, nil
}

func (w *writer) permission(c *descope.Change) (func(context.Context) error, int, error) {
	before, _ := c.Before.(*descope.Permission)
	after, _ := c.After.(*descope.Permission)
	wire := func() *mgmt.Permission {
		p := mgmt.PermissionFromModel(after)
		if after.Description == nil && before != nil {
			p.Description = deref(before.Description)
		}
		return p
	}
	switch c.Action {
	case descope.ActionDelete:
		return func(ctx context.Context) error { return w.c.DeletePermission(ctx, before.Name) }, 1, nil
	case descope.ActionCreate:
		return func(ctx context.Context) error { return w.c.CreatePermission(ctx, wire()) }, 1, nil
	case descope.ActionUpdate:
		return func(ctx context.Context) error { return w.c.UpdatePermission(ctx, before.Name, wire()) }, 1, nil
	}
	return nil, 0, fmt.Errorf("%s: cannot %s a permission", c.ID, c.Action)
}

func (w *writer) flow(c *descope.Change) (func(context.Context) error, int, error) {
	before, _ := c.Before.(*descope.Flow)
	after, _ := c.After.(*descope.Flow)
	switch c.Action {
	case descope.ActionDelete:
		return func(ctx context.Context) error { return w.c.DeleteFlows(ctx, []string{before.ID}) }, 1, nil
	case descope.ActionCreate, descope.ActionUpdate:
		return func(ctx context.Context) error { return w.c.ImportFlow(ctx, after.ID, after.Document) }, 1, nil
	}
	return nil, 0, fmt.Errorf("%s: cannot %s a flow", c.ID, c.Action)
}

func (w *writer) project(c *descope.Change) (func(context.Context) error, int, error) {
	after, _ := c.After.(*descope.Project)
	if after == nil {
		return nil, 0, fmt.Errorf("project: a project cannot be deleted by a plan")
	}
	var name, tags bool
	for _, f := range c.Fields {
		name = name || f.Path == "name"
		tags = tags || f.Path == "tags"
	}
	calls := 0
	if name {
		calls++
	}
	if tags {
		calls++
	}
	return func(ctx context.Context) error {
		if name {
			if err := w.c.UpdateProjectName(ctx, *after.Name); err != nil {
				return err
			}
		}
		if tags {
			return w.c.UpdateProjectTags(ctx, *after.Tags)
		}
		return nil
	}, calls, nil
}
