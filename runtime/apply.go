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

// Apply executes the plan p against t through the paced executor, in
// dependency order, then re-reads the touched objects and compares them with
// desired. Writes to endpoints that overwrite every field read the object
// first and merge, so fields descope-run does not model are kept.
func Apply(ctx context.Context, t *Target, p *descope.Plan, desired *descope.State, opts ApplyOptions) (*ApplyResult, error) {
	workers := opts.Parallel
	if workers <= 0 {
		workers = 4
	}
	items := make([]mgmt.Item, 0, len(p.Changes))
	for _, c := range p.Changes {
		w := &writer{c: t.Client}
		do, weight, err := w.work(c)
		if err != nil {
			return nil, err
		}
		items = append(items, mgmt.Item{ID: c.ID, Weight: weight, Deps: c.Deps, Do: do})
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
type writer struct{ c *mgmt.Client }

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
		return func(ctx context.Context) error { return w.createTenant(ctx, after, nil) }, createTenantCalls(after), nil
	case descope.ActionReplace:
		return func(ctx context.Context) error {
			if err := w.c.DeleteTenant(ctx, before.ID, false); err != nil && !mgmt.IsNotFound(err) {
				return fmt.Errorf("delete for replace: %w", err)
			}
			return w.createTenant(ctx, after, before)
		}, 1 + createTenantCalls(after), nil
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
			mergeTenant(live, after)
			if err := w.c.UpdateTenant(ctx, live); err != nil {
				return err
			}
		}
		if defaultRoles {
			if err := w.c.UpdateDefaultRoles(ctx, after.ID, *after.DefaultRoles); err != nil {
				return fmt.Errorf("default roles: %w", err)
			}
		}
		if settings {
			if err := w.configureSettings(ctx, after.ID, after.Settings); err != nil {
				return err
			}
		}
		return nil
	}, calls, nil
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

// createTenant creates t; for a replace, fields t leaves unset keep the
// replaced tenant's values.
func (w *writer) createTenant(ctx context.Context, t, replaced *descope.Tenant) error {
	wire := &mgmt.Tenant{ID: t.ID, Name: t.Name}
	if replaced != nil {
		wire.Name = replaced.Name
		mergeTenant(wire, replaced)
	}
	mergeTenant(wire, t)
	if t.Parent != nil {
		wire.Parent = *t.Parent
	}
	if _, err := w.c.CreateTenant(ctx, wire); err != nil {
		return err
	}
	roles := t.DefaultRoles
	if roles == nil && replaced != nil {
		roles = replaced.DefaultRoles
	}
	if roles != nil && len(*roles) > 0 {
		if err := w.c.UpdateDefaultRoles(ctx, t.ID, *roles); err != nil {
			return fmt.Errorf("default roles: %w", err)
		}
	}
	if t.Settings != nil {
		return w.configureSettings(ctx, t.ID, t.Settings)
	}
	return nil
}

// mergeTenant overlays the fields t sets onto wire.
func mergeTenant(wire *mgmt.Tenant, t *descope.Tenant) {
	if t.Name != "" {
		wire.Name = t.Name
	}
	if t.Domains != nil {
		wire.SelfProvisioningDomains = slices.Clone(*t.Domains)
	}
	if t.Attributes != nil {
		wire.CustomAttributes = make(map[string]any, len(*t.Attributes))
		for k, v := range *t.Attributes {
			wire.CustomAttributes[k] = v
		}
	}
	if t.EnforceSSO != nil {
		wire.EnforceSSO = *t.EnforceSSO
	}
	if t.Disabled != nil {
		wire.Disabled = *t.Disabled
	}
}

// configureSettings reads the tenant's settings, overlays the managed fields
// and writes them back: the endpoint overwrites every field.
func (w *writer) configureSettings(ctx context.Context, id string, s *descope.TenantSettings) error {
	cur, err := w.c.TenantSettings(ctx, id)
	if err != nil {
		return fmt.Errorf("read settings before update: %w", err)
	}
	setIf(&cur.AuthType, s.AuthType)
	setIf(&cur.SessionSettingsEnabled, s.SessionSettingsEnabled)
	setIf(&cur.RefreshTokenExpiration, s.RefreshTokenExpiration)
	setIf(&cur.RefreshTokenExpirationUnit, s.RefreshTokenExpirationUnit)
	setIf(&cur.SessionTokenExpiration, s.SessionTokenExpiration)
	setIf(&cur.SessionTokenExpirationUnit, s.SessionTokenExpirationUnit)
	setIf(&cur.StepupTokenExpiration, s.StepupTokenExpiration)
	setIf(&cur.StepupTokenExpirationUnit, s.StepupTokenExpirationUnit)
	setIf(&cur.EnableInactivity, s.EnableInactivity)
	setIf(&cur.InactivityTime, s.InactivityTime)
	setIf(&cur.InactivityTimeUnit, s.InactivityTimeUnit)
	setIf(&cur.JITDisabled, s.JITDisabled)
	if s.Domains != nil {
		cur.Domains = slices.Clone(*s.Domains)
	}
	if err := w.c.ConfigureTenantSettings(ctx, id, cur); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (w *writer) role(c *descope.Change) (func(context.Context) error, int, error) {
	before, _ := c.Before.(*descope.Role)
	after, _ := c.After.(*descope.Role)
	switch c.Action {
	case descope.ActionDelete:
		return func(ctx context.Context) error { return w.c.DeleteRole(ctx, before.Name, before.Tenant) }, 1, nil
	case descope.ActionCreate:
		return func(ctx context.Context) error { return w.c.CreateRole(ctx, roleWire(nil, after)) }, 1, nil
	case descope.ActionReplace:
		return func(ctx context.Context) error {
			if err := w.c.DeleteRole(ctx, before.Name, before.Tenant); err != nil && !mgmt.IsNotFound(err) {
				return fmt.Errorf("delete for replace: %w", err)
			}
			return w.c.CreateRole(ctx, roleWire(before, after))
		}, 2, nil
	}
	// role/update overwrites every field: merge onto the live role.
	return func(ctx context.Context) error {
		return w.c.UpdateRole(ctx, before.Name, before.Tenant, roleWire(before, after))
	}, 1, nil
}

// roleWire is the role to send: base (the live role, may be nil) with the
// fields r sets overlaid.
func roleWire(base, r *descope.Role) *mgmt.Role {
	out := &mgmt.Role{Name: r.Name, TenantID: r.Tenant}
	for _, src := range []*descope.Role{base, r} {
		if src == nil {
			continue
		}
		if src.Description != nil {
			out.Description = *src.Description
		}
		if src.Permissions != nil {
			out.PermissionNames = slices.Clone(*src.Permissions)
		}
		if src.Default != nil {
			out.Default = *src.Default
		}
		if src.Private != nil {
			out.Private = *src.Private
		}
	}
	return out
}

func (w *writer) permission(c *descope.Change) (func(context.Context) error, int, error) {
	before, _ := c.Before.(*descope.Permission)
	after, _ := c.After.(*descope.Permission)
	wire := func() *mgmt.Permission {
		p := &mgmt.Permission{Name: after.Name}
		if before != nil && before.Description != nil {
			p.Description = *before.Description
		}
		if after.Description != nil {
			p.Description = *after.Description
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
