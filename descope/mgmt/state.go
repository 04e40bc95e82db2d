package mgmt

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/descope-run/descope-run/descope"
)

// ReadOptions says what ReadState reads beyond its fixed calls.
type ReadOptions struct {
	// Flows are the ids of the flows to export (their Document); ids that
	// the live project does not have are skipped. AllFlows exports every
	// flow.
	Flows    []string
	AllFlows bool
	// Settings are the ids of the tenants whose settings to read (the API
	// has no bulk read: one call each); ids the live project does not have
	// are skipped. AllSettings reads every tenant's.
	Settings    []string
	AllSettings bool
	// SSO are the ids of the tenants whose SSO configurations to read (one
	// call each, docs/descope-api.md section 4.8.2), and of those whose
	// configurations an own("sso", ...) claim of SSOClaims may match; ids
	// the live project does not have are skipped. AllSSO reads every
	// tenant's. The State's SSOTenants lists the tenants read.
	SSO       []string
	SSOClaims []*descope.Ownership
	AllSSO    bool
	// TenantAttributes are the keys of the tenant custom attribute
	// definitions to read besides those of the keys the live tenants use
	// (which are always read). The API reads definitions one key at a time;
	// a key the project does not define is skipped.
	TenantAttributes []string
	// Theme exports the project theme.
	Theme bool
	// Project reads the project's name and tags from a snapshot export: one
	// call, but a large answer (the whole project configuration). Without
	// it the State's Project is nil.
	Project bool
	// SnapshotFiles, when set with Project, receives the snapshot's files
	// (the whole project configuration, as the export returns it), for a
	// backup to keep.
	SnapshotFiles *map[string]any
	// Concurrency bounds the calls in flight (default 8); the pacer paces them.
	Concurrency int
	// Known, when set, is the project as read earlier under the same lock
	// (a plan's read): the objects of the kinds not in Fresh are taken from
	// it, with the flow documents, tenant settings, theme and project it
	// holds, and only what it lacks is read. A backup after a plan reads
	// the documents and settings the plan did not; a verification reads
	// the kinds it changed (Fresh).
	Known *descope.State
	// Fresh are the kinds read again although Known holds them.
	Fresh []descope.Kind
	// Progress, when set, is told how far the read has got: once every
	// fixed call has started, then after each call answered, and as the
	// flow list and the tenant list bring the per-flow and per-tenant
	// reads. It is never called concurrently, and should return quickly.
	Progress func(ReadProgress)
}

// ReadProgress is how far a ReadState has got, for a progress display.
type ReadProgress struct {
	// Done counts the calls answered; Total the calls known so far, which
	// grows when the flow list and the tenant list come back with the
	// exports and settings reads they bring. Done reaches Total once the
	// read is complete, and only then.
	Done, Total int
	// Settings and SettingsTotal count the tenant settings reads among
	// them (one call per tenant: what makes a read long).
	Settings, SettingsTotal int
}

// ReadState reads the live project at a fixed cost: one call each for all
// tenants, all roles, all permissions and the flow list, one theme export
// (opts.Theme), one export per requested flow, one settings read per
// requested tenant, one definition read per tenant custom attribute key
// that the tenants use or opts names (the API has no call that lists
// them), one snapshot export (opts.Project), and never one call per tenant
// otherwise; with opts.Known, only what Known lacks. Independent
// reads run in parallel. Every optional field of the objects read is set, as
// a live State is complete; Flow documents and tenant Settings are set for
// the requested ones only (and those Known holds).
func (c *Client) ReadState(ctx context.Context, opts ReadOptions) (*descope.State, error) {
	g := newGroup(ctx, cmp.Or(max(opts.Concurrency, 0), 8))
	tr := newReadTracker(opts.Progress)
	// call runs one of the fixed calls, counted.
	call := func(f func(ctx context.Context) error) {
		tr.add(1, 0)
		g.Go(func(ctx context.Context) error {
			err := f(ctx)
			tr.done(false)
			return err
		})
	}
	known := opts.Known
	reuse := func(k descope.Kind) bool { return known != nil && !slices.Contains(opts.Fresh, k) }
	var (
		mu       sync.Mutex
		s        = &descope.State{}
		docs     = map[string]map[string]any{}
		settings = map[string]*TenantSettings{}
		sso      = map[string][]*SSOSettings{}
		// definitions holds nil for a key the project does not define.
		definitions = map[string]*TenantAttribute{}
		theme       map[string]any
		files       map[string]any
	)
	readSettings := func() {
		lacking := slices.DeleteFunc(slices.Clone(s.Tenants), func(t *descope.Tenant) bool { return t.Settings != nil })
		ids := selectIDs(opts.Settings, opts.AllSettings, lacking, func(t *descope.Tenant) string { return t.ID })
		readEach(g, &mu, ids, settings, c.TenantSettings, tr, true)
	}
	// readSSO reads the configurations of the tenants asked for. Those
	// Known holds are taken from it, unless SSO is read afresh: then the
	// tenants asked for are read again, and Known's others kept.
	readSSO := func() {
		asked := func(id string) bool {
			return opts.AllSSO || slices.Contains(opts.SSO, id) ||
				slices.ContainsFunc(opts.SSOClaims, func(o *descope.Ownership) bool { return o.MayMatchSSO(id) })
		}
		var have []string
		if known != nil {
			fresh := slices.Contains(opts.Fresh, descope.KindSSO)
			have = slices.DeleteFunc(slices.Clone(known.SSOTenants), func(id string) bool { return fresh && asked(id) })
			s.SSO = copyEach(slices.DeleteFunc(slices.Clone(known.SSO), func(x *descope.SSO) bool { return !slices.Contains(have, x.Tenant) }))
			s.SSOTenants = have
		}
		lacking := slices.DeleteFunc(slices.Clone(s.Tenants), func(t *descope.Tenant) bool {
			return slices.Contains(have, t.ID) || !asked(t.ID)
		})
		readEach(g, &mu, selectIDs(nil, true, lacking, func(t *descope.Tenant) string { return t.ID }), sso, c.LoadAllSSO, tr, false)
	}
	// Definitions are read once the tenants are known: those of the keys
	// they use, and those asked for.
	readDefinitions := func() {
		if reuse(descope.KindTenantAttribute) {
			return
		}
		keys := slices.Concat((&descope.State{Tenants: s.Tenants}).AttributeKeys(), opts.TenantAttributes)
		slices.Sort(keys)
		readEach(g, &mu, slices.Compact(keys), definitions, c.LoadTenantAttribute, tr, false)
	}
	if reuse(descope.KindTenantAttribute) {
		s.TenantAttributes = copyEach(known.TenantAttributes)
	}
	if reuse(descope.KindTenant) {
		s.Tenants = copyEach(known.Tenants)
		readSettings()
		readSSO()
		readDefinitions()
	} else {
		call(func(ctx context.Context) error {
			tenants, err := c.LoadAllTenants(ctx)
			if err != nil {
				return err
			}
			for _, t := range tenants {
				s.Tenants = append(s.Tenants, t.Model())
			}
			readSettings()
			readSSO()
			readDefinitions()
			return nil
		})
	}
	if reuse(descope.KindRole) {
		s.Roles = slices.Clone(known.Roles)
	} else {
		call(func(ctx context.Context) error {
			roles, err := c.LoadAllRoles(ctx)
			for _, r := range roles {
				s.Roles = append(s.Roles, r.Model())
			}
			return err
		})
	}
	if reuse(descope.KindPermission) {
		s.Permissions = slices.Clone(known.Permissions)
	} else {
		call(func(ctx context.Context) error {
			perms, err := c.LoadAllPermissions(ctx)
			for _, p := range perms {
				s.Permissions = append(s.Permissions, p.Model())
			}
			return err
		})
	}
	readDocs := func() {
		lacking := slices.DeleteFunc(slices.Clone(s.Flows), func(f *descope.Flow) bool { return f.Document != nil })
		ids := selectIDs(opts.Flows, opts.AllFlows, lacking, func(f *descope.Flow) string { return f.ID })
		readEach(g, &mu, ids, docs, c.ExportFlow, tr, false)
	}
	if reuse(descope.KindFlow) {
		s.Flows = copyEach(known.Flows)
		readDocs()
	} else {
		call(func(ctx context.Context) error {
			flows, err := c.ListFlows(ctx)
			if err != nil {
				return err
			}
			for _, f := range flows {
				s.Flows = append(s.Flows, &descope.Flow{ID: f.ID, Name: f.Name})
			}
			readDocs()
			return nil
		})
	}
	if reuse(descope.KindTheme) && known.Theme != nil {
		s.Theme = known.Theme
	} else if opts.Theme {
		call(func(ctx context.Context) (err error) { theme, err = c.ExportTheme(ctx); return err })
	}
	snapshot := opts.Project && (!reuse(descope.KindProject) || known.Project == nil || opts.SnapshotFiles != nil)
	if reuse(descope.KindProject) && !snapshot {
		s.Project = known.Project
	}
	if snapshot {
		call(func(ctx context.Context) (err error) { files, err = c.ExportSnapshot(ctx); return err })
	}
	tr.start()
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("read project %s: %w", c.projectID, err)
	}

	for _, t := range s.Tenants {
		if ts, ok := settings[t.ID]; ok {
			withSettings(t, ts)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(sso)) {
		s.SSOTenants = append(s.SSOTenants, id)
		for _, x := range sso[id] {
			s.SSO = append(s.SSO, x.Model(id))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(definitions)) {
		if a := definitions[k]; a != nil {
			s.TenantAttributes = append(s.TenantAttributes, a.Model())
		}
	}
	for _, f := range s.Flows {
		if doc, ok := docs[f.ID]; ok {
			f.Document = doc
		}
	}
	if theme != nil {
		s.Theme = &descope.Theme{Document: theme}
	}
	if snapshot {
		p, err := projectFromSnapshot(c.projectID, files)
		if err != nil {
			return nil, fmt.Errorf("read project %s: %w", c.projectID, err)
		}
		s.Project = p
		if opts.SnapshotFiles != nil {
			*opts.SnapshotFiles = files
		}
	}
	s.Normalize()
	return s, nil
}

// withSettings sets the model tenant t's Settings from ts, and its SSO setup
// suite (kept with the fields descope-run does not manage).
func withSettings(t *descope.Tenant, ts *TenantSettings) {
	t.Settings = ts.Model()
	if len(ts.SSOSetupSuiteSettings) > 0 {
		x := descope.TenantExtra{}
		if t.Extra != nil {
			x = *t.Extra
		}
		x.SSOSetupSuiteSettings = ts.SSOSetupSuiteSettings
		t.Extra = &x
	}
}

// copyEach returns copies of the objects of list, so that setting a field
// of one leaves list's alone.
func copyEach[T any](list []*T) []*T {
	out := make([]*T, len(list))
	for i, x := range list {
		c := *x
		out[i] = &c
	}
	return out
}

// readEach reads every id with read, concurrently under g, into out
// (guarded by mu), counting the calls with tr (settings reads when
// settings).
func readEach[T any](g *group, mu *sync.Mutex, ids []string, out map[string]T, read func(context.Context, string) (T, error), tr *readTracker, settings bool) {
	if settings {
		tr.add(len(ids), len(ids))
	} else {
		tr.add(len(ids), 0)
	}
	// A few workers share the ids, rather than a goroutine each: a plan of
	// 10,000 tenants with settings would start 10,000.
	var next atomic.Int64
	for range min(cap(g.slots), len(ids)) {
		g.Go(func(ctx context.Context) error {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ids) || ctx.Err() != nil {
					return nil
				}
				v, err := read(ctx, ids[i])
				if err != nil {
					return err
				}
				tr.done(settings)
				mu.Lock()
				out[ids[i]] = v
				mu.Unlock()
			}
		})
	}
}

// readTracker counts the calls of one ReadState for ReadOptions.Progress.
// It is safe for concurrent use; a nil one counts nothing.
type readTracker struct {
	mu      sync.Mutex
	fn      func(ReadProgress)
	p       ReadProgress
	started bool
}

func newReadTracker(fn func(ReadProgress)) *readTracker {
	if fn == nil {
		return nil
	}
	return &readTracker{fn: fn}
}

// add counts calls about to start, settings of them tenant settings reads.
func (t *readTracker) add(calls, settings int) {
	if t == nil || calls == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Total += calls
	t.p.SettingsTotal += settings
	t.reportLocked()
}

// done counts a call answered (a tenant settings read when settings).
func (t *readTracker) done(settings bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Done++
	if settings {
		t.p.Settings++
	}
	t.reportLocked()
}

// start reports the progress so far, once every fixed call is counted:
// until then Done could reach a Total that is not yet complete.
func (t *readTracker) start() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.started = true
	t.reportLocked()
}

func (t *readTracker) reportLocked() {
	if t.started {
		t.fn(t.p)
	}
}

// selectIDs returns the ids of live that are wanted (all of them with
// every), in live's order and without duplicates.
func selectIDs[T any](wanted []string, every bool, live []T, id func(T) string) []string {
	want := make(map[string]bool, len(wanted))
	for _, w := range wanted {
		want[w] = true
	}
	var ids []string
	seen := map[string]bool{}
	for _, x := range live {
		if i := id(x); (every || want[i]) && !seen[i] {
			seen[i] = true
			ids = append(ids, i)
		}
	}
	return ids
}

// projectFromSnapshot reads name and tags from the snapshot's project.json.
func projectFromSnapshot(id string, files map[string]any) (*descope.Project, error) {
	raw, ok := files["project.json"]
	if !ok {
		return nil, fmt.Errorf("snapshot export has no project.json")
	}
	var doc struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	var data []byte
	switch v := raw.(type) {
	case string:
		data = []byte(v)
	default:
		var err error
		if data, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("snapshot project.json: %w", err)
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("snapshot project.json: %w", err)
	}
	return &descope.Project{ID: id, Name: descope.Ptr(doc.Name), Tags: descope.Ptr(nonNil(doc.Tags))}, nil
}

// group runs funcs concurrently, at most limit at once; the first error
// cancels the others' ctx. Go may be called from a running func.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	slots  chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

func newGroup(ctx context.Context, limit int) *group {
	ctx, cancel := context.WithCancel(ctx)
	return &group{ctx: ctx, cancel: cancel, slots: make(chan struct{}, limit)}
}

func (g *group) Go(f func(ctx context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		select {
		case g.slots <- struct{}{}:
		case <-g.ctx.Done():
			g.fail(g.ctx.Err())
			return
		}
		err := f(g.ctx)
		<-g.slots
		if err != nil {
			g.fail(err)
		}
	}()
}

func (g *group) fail(err error) {
	g.once.Do(func() {
		g.err = err
		g.cancel()
	})
}

func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Model returns t as a live descope.Tenant: every optional field set (a
// top-level tenant's Parent is Ptr("")), Settings nil (read apart).
func (t *Tenant) Model() *descope.Tenant {
	return &descope.Tenant{
		ID:           t.ID,
		Name:         t.Name,
		Domains:      descope.Ptr(slices.Clone(nonNil(t.SelfProvisioningDomains))),
		Attributes:   descope.Ptr(attributesModel(t.CustomAttributes)),
		EnforceSSO:   descope.Ptr(t.EnforceSSO),
		Disabled:     descope.Ptr(t.Disabled),
		Parent:       descope.Ptr(t.Parent),
		DefaultRoles: descope.Ptr(slices.Clone(nonNil(t.DefaultRoles))),
		Extra:        t.extra(),
	}
}

// extra returns t's unmanaged fields, or nil when none is set.
func (t *Tenant) extra() *descope.TenantExtra {
	if t.RoleInheritance == "" && len(t.EnforceSSOExclusions) == 0 && len(t.FederatedAppIDs) == 0 {
		return nil
	}
	return &descope.TenantExtra{
		RoleInheritance:      t.RoleInheritance,
		EnforceSSOExclusions: slices.Clone(t.EnforceSSOExclusions),
		FederatedAppIDs:      slices.Clone(t.FederatedAppIDs),
	}
}

// attributesModel copies custom attributes into the model's value types:
// numbers become int64 when integral, else float64.
func attributesModel(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = attributeValue(v)
	}
	return out
}

func attributeValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case float64:
		if v == float64(int64(v)) {
			return int64(v)
		}
		return v
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = attributeValue(x)
		}
		return out
	}
	return v
}

// Model returns r as a live descope.Role, every field set.
func (r *Role) Model() *descope.Role {
	return &descope.Role{
		Name:        r.Name,
		Tenant:      r.TenantID,
		Description: descope.Ptr(r.Description),
		Permissions: descope.Ptr(slices.Clone(nonNil(r.PermissionNames))),
		Default:     descope.Ptr(r.Default),
		Private:     descope.Ptr(r.Private),
	}
}

// Model returns p as a live descope.Permission, SystemDefault kept.
func (p *Permission) Model() *descope.Permission {
	return &descope.Permission{Name: p.Name, Description: descope.Ptr(p.Description), SystemDefault: p.SystemDefault}
}

// MergeTenant returns the body of a read-merge-write update: live with the
// fields d manages (non-nil) replaced, every other field as read. Parent,
// DefaultRoles and Settings are not part of a tenant update.
func MergeTenant(live *Tenant, d *descope.Tenant) *Tenant {
	t := *live
	if d.Name != "" {
		t.Name = d.Name
	}
	if d.Domains != nil {
		t.SelfProvisioningDomains = slices.Clone(nonNil(*d.Domains))
	}
	if d.Attributes != nil {
		t.CustomAttributes = maps.Clone(*d.Attributes)
		if t.CustomAttributes == nil {
			t.CustomAttributes = map[string]any{}
		}
	}
	if d.EnforceSSO != nil {
		t.EnforceSSO = *d.EnforceSSO
	}
	if d.Disabled != nil {
		t.Disabled = *d.Disabled
	}
	return &t
}

// TenantFromModel returns the tenant to create for d, parent included;
// fields d leaves unset are empty.
func TenantFromModel(d *descope.Tenant) *Tenant {
	t := MergeTenant(&Tenant{ID: d.ID}, d)
	if d.Parent != nil {
		t.Parent = *d.Parent
	}
	// A tenant created again from a backup gets its unmanaged fields back.
	if x := d.Extra; x != nil {
		t.RoleInheritance = x.RoleInheritance
		t.EnforceSSOExclusions = slices.Clone(x.EnforceSSOExclusions)
		t.FederatedAppIDs = slices.Clone(x.FederatedAppIDs)
	}
	return t
}

// MergeRole returns live with the fields d manages replaced: the body of a
// read-merge-write role update (the API overwrites every field).
func MergeRole(live *Role, d *descope.Role) *Role {
	r := *live
	r.Name, r.TenantID = d.Name, d.Tenant
	set(&r.Description, d.Description)
	if d.Permissions != nil {
		r.PermissionNames = slices.Clone(nonNil(*d.Permissions))
	}
	set(&r.Default, d.Default)
	set(&r.Private, d.Private)
	return &r
}

// RoleFromModel returns the role to create for d.
func RoleFromModel(d *descope.Role) *Role { return MergeRole(&Role{}, d) }

// PermissionFromModel returns the permission to create or write for d.
func PermissionFromModel(d *descope.Permission) *Permission {
	p := &Permission{Name: d.Name}
	set(&p.Description, d.Description)
	return p
}

// set stores *v in *dst when v is not nil.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
