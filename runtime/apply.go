package runtime

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// executeOptions configure execute.
type executeOptions struct {
	// Parallel is the number of workers (default mgmt.DefaultWorkers).
	Parallel int
	// Events receives progress: each change started, done or failed
	// (EventChange), then EventVerify.
	Events func(Event)
}

// ApplyResult is what the execution of a plan did.
type ApplyResult struct {
	Report mgmt.Report
	// Mismatches are the changes that reported success but that the re-read
	// live project does not reflect, one line each.
	Mismatches []string
}

// err returns the failures of the execution, and the mismatches, as one
// error about target t; nil when every change is done and verified.
func (r *ApplyResult) err(t *Target) error {
	if err := r.Report.Err(); err != nil {
		return fmt.Errorf("apply to %s: %w", t.Description, err)
	}
	if len(r.Mismatches) > 0 {
		return fmt.Errorf("apply to %s: %d changes did not verify", t.Description, len(r.Mismatches))
	}
	return nil
}

// execute carries out the plan of pl against t through the paced executor,
// in dependency order, then re-reads the touched objects and compares them
// with the desired state. Writes to endpoints that overwrite every field
// read the object first and merge, so fields descope-run does not model are
// kept. It applies no guard: Apply does.
func execute(ctx context.Context, t *Target, pl *Planned, opts executeOptions) (*ApplyResult, error) {
	p, desired := pl.Plan, pl.Desired
	workers := opts.Parallel
	if workers <= 0 {
		workers = mgmt.DefaultWorkers
	}
	items, err := planItems(t.Client, pl)
	if err != nil {
		return nil, err
	}
	var exopts []mgmt.ExecutorOption
	if opts.Events != nil {
		exopts = append(exopts, mgmt.OnEvent(changeEvents(p, opts.Events)))
	}
	report := mgmt.NewExecutor(t.Client.Pacer(), workers, exopts...).Run(ctx, items)
	res := &ApplyResult{Report: report}
	if len(report.Done) == 0 || ctx.Err() != nil {
		return res, nil
	}
	// Verify: the plan of the re-read project must not contain a change
	// that was reported done. Only what those changes touched is read: the
	// kinds they changed, their flows, their tenants' settings; the rest is
	// as the plan read it.
	emit(opts.Events, Event{Kind: EventVerify})
	vopts := verifyReadOptions(pl, report.Done)
	vopts.Progress = t.observe(PhaseVerify)
	live, err := t.Client.ReadState(ctx, vopts)
	if err != nil {
		return res, fmt.Errorf("verify after apply: read %s: %w", t.Description, err)
	}
	again := descope.Diff(live, desired)
	done := make(map[string]bool, len(report.Done))
	for _, id := range report.Done {
		done[id] = true
	}
	for _, c := range again.Changes {
		if done[c.ID] {
			var paths []string
			for _, f := range c.Fields {
				paths = append(paths, f.Path)
			}
			res.Mismatches = append(res.Mismatches, fmt.Sprintf("%s: still differs after a successful %s (%s)", c.ID, c.Action, strings.Join(paths, ", ")))
		}
	}
	return res, nil
}

// planItems returns the executor's items that carry out the plan of pl
// with c: one per step (descope.Plan.Steps), each weighing the calls it
// makes.
func planItems(c *mgmt.Client, pl *Planned) ([]mgmt.Item, error) {
	p := pl.Plan
	w := newWriter(c, pl.Live, p)
	w.secrets = pl.secrets
	works := make(map[*descope.Change]work, len(p.Changes))
	for _, c := range p.Changes {
		wk, err := w.work(c)
		if err != nil {
			return nil, err
		}
		works[c] = wk
	}
	steps := p.Steps()
	items := make([]mgmt.Item, 0, len(steps))
	for _, s := range steps {
		wk := works[s.Change]
		// The steps of a replace after its delete finish what the delete
		// began: they run even when the apply stops for a failure elsewhere
		// or an interrupt, so the object is not left deleted
		// (mgmt.Item.Finish).
		finish := s.Change.Action == descope.ActionReplace && !s.Delete
		switch {
		case s.Delete:
			items = append(items, mgmt.Item{ID: s.ID, Weight: wk.delCalls, Deps: s.Deps, Do: wk.del})
		case s.DefaultRoles:
			items = append(items, mgmt.Item{ID: s.ID, Weight: 1, Deps: s.Deps, Do: w.laterDefaultRoles(s.Change), Finish: finish})
		default:
			items = append(items, mgmt.Item{ID: s.ID, Weight: wk.calls, Deps: s.Deps, Do: wk.do, Finish: finish})
		}
	}
	return items, nil
}

// verifyReadOptions is what the plan of pl reads, narrowed to the objects
// of the changes done, and reusing what pl read of the other kinds.
func verifyReadOptions(pl *Planned, done []string) mgmt.ReadOptions {
	opts := ReadOptionsFor(pl.Desired)
	touched := make(map[string]bool, len(done))
	for _, id := range done {
		touched[id] = true
	}
	opts.Known = pl.Live
	for _, c := range pl.Plan.Changes {
		if (touched[c.ID] || touched[descope.DeleteStepID(c.ID)]) && !slices.Contains(opts.Fresh, c.Kind) {
			opts.Fresh = append(opts.Fresh, c.Kind)
		}
	}
	opts.Flows = slices.DeleteFunc(opts.Flows, func(id string) bool { return !touched[descope.ChangeID(descope.KindFlow, id)] })
	opts.Settings = slices.DeleteFunc(opts.Settings, func(id string) bool { return !touched[descope.ChangeID(descope.KindTenant, id)] })
	opts.SSO, opts.SSOClaims = verifySSOTenants(pl.Plan, touched), nil
	opts.Theme = opts.Theme && touched[descope.ChangeID(descope.KindTheme, "")]
	opts.Project = opts.Project && touched[descope.ChangeID(descope.KindProject, "")]
	return opts
}

// changeEvents passes the executor's events on to fn as EventChange events
// of the plan's changes: the items that are not a change of their own (a replace's
// delete step, the default roles after a replace) report only a failure,
// and Finished and Total count changes. The executor never calls it
// concurrently.
func changeEvents(p *descope.Plan, fn func(Event)) func(mgmt.Event) {
	changes := make(map[string]bool, len(p.Changes))
	for _, c := range p.Changes {
		changes[c.ID] = true
	}
	finished := 0
	return func(ev mgmt.Event) {
		if !changes[ev.ID] && ev.Kind != mgmt.EventFailed {
			return
		}
		if ev.Kind != mgmt.EventStarted {
			finished++
		}
		ev.Finished, ev.Total = finished, len(p.Changes)
		fn(Event{Kind: EventChange, Change: ev})
	}
}

// writer turns one change into API calls.
type writer struct {
	c *mgmt.Client
	// liveRoles are the live roles by key; removedPermissions the
	// permissions the plan deletes.
	liveRoles          map[string]*descope.Role
	removedPermissions map[string]bool
	// secrets are the values of the secrets the plan sends, by SSO
	// configuration key (see apply_sso.go).
	secrets map[string]string
}

func newWriter(c *mgmt.Client, live *descope.State, p *descope.Plan) *writer {
	w := &writer{c: c, liveRoles: map[string]*descope.Role{}, removedPermissions: map[string]bool{}}
	if live != nil {
		for _, r := range live.Roles {
			w.liveRoles[r.Key()] = r
		}
	}
	for _, c := range p.Changes {
		if pm, ok := c.Before.(*descope.Permission); ok && c.Action == descope.ActionDelete {
			w.removedPermissions[pm.Name] = true
		}
	}
	return w
}

// work is what the executor runs for one change: do, making calls API
// calls, and for a replace first del, its delete step, making delCalls.
type work struct {
	do       func(context.Context) error
	calls    int
	del      func(context.Context) error
	delCalls int
}

// work returns what performs change c.
func (w *writer) work(c *descope.Change) (work, error) {
	var do func(context.Context) error
	var calls int
	var err error
	switch c.Kind {
	case descope.KindTenant:
		return w.tenant(c), nil
	case descope.KindRole:
		return w.role(c), nil
	case descope.KindSSO:
		return w.sso(c), nil
	case descope.KindPermission:
		do, calls, err = w.permission(c)
	case descope.KindFlow:
		do, calls, err = w.flow(c)
	case descope.KindTheme:
		after, _ := c.After.(*descope.Theme)
		if after == nil {
			return work{}, fmt.Errorf("%s: a theme cannot be deleted", c.ID)
		}
		do, calls = func(ctx context.Context) error { return w.c.ImportTheme(ctx, after.Document) }, 1
	case descope.KindProject:
		do, calls, err = w.project(c)
	case descope.KindTenantAttribute:
		return w.tenantAttribute(c), nil
	default:
		err = fmt.Errorf("%s: unknown kind %q", c.ID, c.Kind)
	}
	return work{do: do, calls: calls}, err
}

func (w *writer) tenant(c *descope.Change) work {
	before, _ := c.Before.(*descope.Tenant)
	after, _ := c.After.(*descope.Tenant)
	switch c.Action {
	case descope.ActionDelete:
		return work{do: func(ctx context.Context) error { return w.c.DeleteTenant(ctx, before.ID, false) }, calls: 1}
	case descope.ActionCreate:
		roles := c.DefaultRoles.OnCreate
		return work{do: func(ctx context.Context) error { return w.createTenant(ctx, after, nil, roles, nil) }, calls: createTenantCalls(after, roles, false)}
	case descope.ActionReplace:
		// The delete step reads what the delete loses and the config may
		// leave unset (the settings), and deletes; the create step creates
		// the tenant again, with the default roles it keeps, and puts the
		// settings back with the config's on top.
		roles := c.DefaultRoles.OnCreate
		// Set by the delete step, which runs first: the tenant and its
		// settings as the API holds them, fields descope-run does not
		// model included (federated apps, SSO exclusions, role
		// inheritance, the SSO setup suite).
		var oldTenant *mgmt.Tenant
		var old *mgmt.TenantSettings
		return work{
			del: func(ctx context.Context) error {
				t, err := w.c.LoadTenant(ctx, before.ID)
				if err != nil {
					return fmt.Errorf("read before replace: %w", err)
				}
				s, err := w.c.TenantSettings(ctx, before.ID)
				if err != nil {
					return fmt.Errorf("read settings before replace: %w", err)
				}
				if err := w.c.DeleteTenant(ctx, before.ID, false); err != nil && !mgmt.IsNotFound(err) {
					return fmt.Errorf("delete for replace: %w", err)
				}
				oldTenant, old = t, s
				return nil
			},
			delCalls: 3,
			do:       func(ctx context.Context) error { return w.createTenant(ctx, after, oldTenant, roles, old) },
			calls:    createTenantCalls(after, roles, true),
		}
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
	return work{do: func(ctx context.Context) error {
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
	}, calls: calls}
}

// laterDefaultRoles returns the work of the default-roles step of a
// tenant's create or replace (descope.TenantDefaultRoles): one call.
func (w *writer) laterDefaultRoles(c *descope.Change) func(context.Context) error {
	id, roles := c.Key, c.DefaultRoles.Later
	return func(ctx context.Context) error { return w.c.UpdateDefaultRoles(ctx, id, roles) }
}

// createTenantCalls is the number of calls createTenant makes: the create,
// the default roles if any, and the settings (a write after a replace's
// read, else a read and a write when t sets them).
func createTenantCalls(t *descope.Tenant, roles []string, replace bool) int {
	n := 1
	if len(roles) > 0 {
		n++
	}
	switch {
	case replace:
		n++
	case t.Settings != nil:
		n += 2
	}
	return n
}

// createTenant creates t with the default roles roles. For a replace,
// fields t leaves unset keep the replaced tenant's values: replaced, the
// tenant as read before the delete, and oldSettings, its settings.
func (w *writer) createTenant(ctx context.Context, t *descope.Tenant, replaced *mgmt.Tenant, roles []string, oldSettings *mgmt.TenantSettings) error {
	wire := mgmt.TenantFromModel(t)
	if replaced != nil {
		wire = mgmt.MergeTenant(replaced, t)
		wire.Parent = deref(t.Parent)
	}
	if _, err := w.c.CreateTenant(ctx, wire); err != nil {
		return err
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
		var base *mgmt.TenantSettings
		if x := t.Extra; x != nil && x.SSOSetupSuiteSettings != nil {
			// A tenant restored from a backup gets its SSO setup suite back.
			cur, err := w.c.TenantSettings(ctx, t.ID)
			if err != nil {
				return fmt.Errorf("read settings: %w", err)
			}
			cur.SSOSetupSuiteSettings = x.SSOSetupSuiteSettings
			base = cur
		}
		return w.configureSettings(ctx, t.ID, base, t.Settings)
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

func (w *writer) role(c *descope.Change) work {
	before, _ := c.Before.(*descope.Role)
	after, _ := c.After.(*descope.Role)
	switch c.Action {
	case descope.ActionDelete:
		return work{do: func(ctx context.Context) error { return w.c.DeleteRole(ctx, before.Name, before.Tenant) }, calls: 1}
	case descope.ActionCreate:
		// A role the plan creates although it is live is one that its
		// tenant's replace deletes (descope.Diff's cascade): it comes back
		// with the live fields the config leaves unset.
		// Permissions the plan deletes are not carried: deleting a
		// permission takes it from every role.
		role := mgmt.RoleFromModel(after)
		if live := w.liveRoles[after.Key()]; live != nil {
			role = mgmt.MergeRole(mgmt.RoleFromModel(live), after)
			if after.Permissions == nil {
				role.PermissionNames = slices.DeleteFunc(role.PermissionNames, func(n string) bool { return w.removedPermissions[n] })
			}
		}
		return work{do: func(ctx context.Context) error { return w.c.CreateRole(ctx, role) }, calls: 1}
	case descope.ActionReplace:
		// The role moves to another scope: the delete step deletes it
		// where it is, the create step creates it where it goes.
		return work{
			del: func(ctx context.Context) error {
				if err := w.c.DeleteRole(ctx, before.Name, before.Tenant); err != nil && !mgmt.IsNotFound(err) {
					return fmt.Errorf("delete for replace: %w", err)
				}
				return nil
			},
			delCalls: 1,
			do: func(ctx context.Context) error {
				return w.c.CreateRole(ctx, mgmt.MergeRole(mgmt.RoleFromModel(before), after))
			},
			calls: 1,
		}
	}
	// role/update overwrites every field: merge onto the live role.
	return work{do: func(ctx context.Context) error {
		return w.c.UpdateRole(ctx, before.Name, before.Tenant, mgmt.MergeRole(mgmt.RoleFromModel(before), after))
	}, calls: 1}
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
