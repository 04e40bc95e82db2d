package descope

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// Diff compares a live and a desired State and returns the plan that makes
// the live project match the desired one. It reads both States and changes
// neither; equal inputs give equal plans.
//
// The rules:
//
//   - Unset means unmanaged: only the fields the desired object sets are
//     compared. A set empty list or map clears the live value. A live field
//     that is nil compares as its zero value.
//   - Set-like lists (domains, SSO domains, tags, permission names, default
//     roles) compare as sets.
//   - Custom attributes, when set, are the whole map: a live key that the
//     desired map lacks is removed. Each key is its own field
//     ("customAttributes.tier").
//   - Tenant settings compare field by field ("settings.sessionTokenExpiration").
//   - SSO configurations compare field by field ("oidc.clientId",
//     "saml.idpUrl", "authType" for the protocol); attribute mappings key
//     by key, role mappings as a whole without regard to order. Their
//     domains compare with the live union less what the tenant's other
//     declared configurations hold (ssoLiveDomains). The client secret,
//     which the API never returns, is a change only on create, on a change
//     of protocol, and when the runtime marks it to be sent (Secret.Send).
//     A tenant's delete or replace deletes its SSO configurations too: the
//     plan deletes the undeclared ones first and creates the declared ones
//     again.
//   - Tenant custom attribute definitions compare field by field
//     ("displayName", "options", "viewPermissions"); a new "type" replaces
//     the definition, since the API cannot change it in place (a replace
//     drops every tenant's value of the key: runtime refuses one while a
//     tenant uses the key).
//   - Flow and theme documents compare as JSON trees after NormalizeDocument.
//     Paths name map keys; arrays whose elements all carry a distinct
//     "screenId" or "id" are matched by it (the path segment is the id, and a
//     new order of the same ids is a change of the array's path); other
//     arrays compare by index. A live flow that was listed but not exported
//     (Document nil) gets an update of its whole document.
//   - A tenant whose desired parent differs from its live one is replaced:
//     the API sets a parent on create only. A declared role that does not
//     exist live, while a role of the same name in another scope is deleted
//     under an own("role") claim, replaces that role (the API cannot move a
//     role between scopes).
//   - Only own() claims delete: a live tenant, flow, role, permission, SSO
//     configuration or tenant attribute definition that
//     the configuration does not declare is deleted when a claim of its kind
//     matches its id (a role's Key, a permission's name). Built-in flows and
//     the preconfigured role and permissions are never deleted. Every other
//     undeclared live object is listed in Plan.Unmanaged. The project itself
//     is never listed there. A tenant's delete or replace lists in
//     StrandedSubTenants its live sub-tenants that the plan does not delete
//     first (and its Reason names them).
//   - Order: a plan runs as steps (Plan.Steps): one per change, and two for
//     a replace, whose delete step removes the live object before its create
//     step makes the new one. A step's Deps are the steps that must finish
//     first: permission creates before the roles that name them; role
//     creates before the tenants whose default roles and the flows and theme
//     whose references.roles name them; tenant creates before their tenant
//     roles, their SSO configurations and their children; role creates
//     before the SSO configurations that map groups to them; tenant
//     attribute definitions before the tenants that set their keys, and
//     after the tenants that stop using them on delete; on delete,
//     children, tenant roles and SSO configurations before their tenant;
//     and every update of an object that uses a role or
//     permission, or removal of such an object, before that role's or
//     permission's removal (after the create of a replace that carries the
//     reference over: a tenant's default roles or a role's permissions that
//     the config leaves unset). A change's Deps are the changes whose steps its
//     own steps wait for. The steps' Deps never form a cycle; the changes'
//     can, between replaces (two tenants that swap parent and child, say).
//     Changes are sorted by the depth of their create (or only) step in the
//     steps' graph, then by kind (Kinds order), then by key.
//
// When both States declare an object twice, the first declaration counts.
func Diff(live, desired *State) *Plan {
	if live == nil {
		live = &State{}
	}
	if desired == nil {
		desired = &State{}
	}
	d := &differ{
		desired:   desired,
		plan:      &Plan{Unmanaged: map[Kind][]string{}},
		unmanaged: map[Kind][]string{},
	}
	d.project(live.Project, desired.Project)
	diffKind(d, permissionSpec, live.Permissions, desired.Permissions)
	diffKind(d, roleSpec, live.Roles, desired.Roles)
	d.pairRoleReplaces()
	diffKind(d, tenantAttributeSpec, live.TenantAttributes, desired.TenantAttributes)
	diffKind(d, tenantSpec, live.Tenants, desired.Tenants)
	d.cascadeTenantRoles(live)
	diffKind(d, ssoSpec(desired), live.SSO, desired.SSO)
	d.cascadeTenantSSO(live)
	diffKind(d, flowSpec, live.Flows, desired.Flows)
	d.theme(live.Theme, desired.Theme)
	d.tenantDefaultRoles(live)
	d.order(d.link(live))
	for k, ids := range d.unmanaged {
		slices.Sort(ids)
		d.plan.Unmanaged[k] = ids
	}
	return d.plan
}

// differ holds the work of one Diff.
type differ struct {
	desired   *State
	plan      *Plan
	unmanaged map[Kind][]string
}

func (d *differ) add(c *Change) { d.plan.Changes = append(d.plan.Changes, c) }

// claim returns the first own() claim of kind k that matches id, or nil.
func (d *differ) claim(k Kind, id string) *Ownership {
	for _, o := range d.desired.Owns {
		if o.Kind == k && o.Matches(id) {
			return o
		}
	}
	return nil
}

// kindSpec describes how Diff treats the objects of one keyed kind.
type kindSpec[T any] struct {
	kind   Kind
	key    func(*T) string
	origin func(*T) Origin
	// compare returns the fields that differ, the action and a reason; live
	// is nil when the object does not exist live.
	compare func(live, want *T) (fields, Action, string)
	// builtin reports live objects that are never deleted.
	builtin func(*T) bool
}

// diffKind adds the changes for one keyed kind: creates and updates for the
// declared objects, deletes for the owned undeclared ones, and the rest to
// the unmanaged list.
func diffKind[T any](d *differ, spec kindSpec[T], live, desired []*T) {
	liveByKey := make(map[string]*T, len(live))
	for _, l := range live {
		if k := spec.key(l); liveByKey[k] == nil {
			liveByKey[k] = l
		}
	}
	declared := make(map[string]bool, len(desired))
	for _, w := range desired {
		key := spec.key(w)
		if declared[key] {
			continue
		}
		declared[key] = true
		l := liveByKey[key]
		f, action, reason := spec.compare(l, w)
		if action == ActionUpdate && len(f.list) == 0 && reason == "" {
			continue
		}
		c := &Change{
			ID: ChangeID(spec.kind, key), Kind: spec.kind, Key: key, Action: action,
			Fields: f.list, UnchangedFields: f.unchanged,
			After: w, Reason: reason, Origin: spec.origin(w),
		}
		if l != nil {
			c.Before = l
		}
		d.add(c)
	}
	for _, l := range live {
		key := spec.key(l)
		if declared[key] {
			continue
		}
		declared[key] = true // a duplicate live key is handled once
		if o := d.claim(spec.kind, key); o != nil && !spec.builtin(l) {
			d.add(&Change{
				ID: ChangeID(spec.kind, key), Kind: spec.kind, Key: key, Action: ActionDelete,
				Before: l, Reason: ownedReason(o), Origin: o.Origin,
			})
			continue
		}
		d.unmanaged[spec.kind] = append(d.unmanaged[spec.kind], key)
	}
}

// ownedReason names the claim that allows a delete: its By, or the own()
// that made it, and where.
func ownedReason(o *Ownership) string {
	r := o.By
	if r == "" {
		r = fmt.Sprintf("owned by own(%q, %q)", o.Kind, o.Match)
	}
	if pos := o.Origin.Pos(); pos != "" {
		r += " at " + pos
	}
	return r
}

var permissionSpec = kindSpec[Permission]{
	kind:    KindPermission,
	key:     func(p *Permission) string { return p.Name },
	origin:  func(p *Permission) Origin { return p.Origin },
	builtin: func(p *Permission) bool { return p.SystemDefault || IsPreconfiguredPermission(p.Name) },
	compare: func(live, want *Permission) (fields, Action, string) {
		f, l, action := start(live)
		scalar(&f, "description", l.Description, want.Description)
		return f, action, ""
	},
}

var roleSpec = kindSpec[Role]{
	kind:    KindRole,
	key:     (*Role).Key,
	origin:  func(r *Role) Origin { return r.Origin },
	builtin: func(r *Role) bool { return r.Tenant == "" && IsPreconfiguredRole(r.Name) },
	compare: func(live, want *Role) (fields, Action, string) {
		f, l, action := start(live)
		roleFields(&f, l, want)
		return f, action, ""
	},
}

func roleFields(f *fields, l, want *Role) {
	scalar(f, "description", l.Description, want.Description)
	set(f, "permissionNames", l.Permissions, want.Permissions)
	scalar(f, "default", l.Default, want.Default)
	scalar(f, "private", l.Private, want.Private)
}

var tenantSpec = kindSpec[Tenant]{
	kind:    KindTenant,
	key:     func(t *Tenant) string { return t.ID },
	origin:  func(t *Tenant) Origin { return t.Origin },
	builtin: func(*Tenant) bool { return false },
	compare: compareTenant,
}

func compareTenant(live, want *Tenant) (fields, Action, string) {
	f, l, action := start(live)
	var name *string
	if want.Name != "" {
		name = &want.Name
	}
	scalar(&f, "name", &l.Name, name)
	set(&f, "selfProvisioningDomains", l.Domains, want.Domains)
	attributes(&f, "customAttributes", l.Attributes, want.Attributes)
	scalar(&f, "enforceSSO", l.EnforceSSO, want.EnforceSSO)
	scalar(&f, "disabled", l.Disabled, want.Disabled)
	scalar(&f, "parent", l.Parent, want.Parent)
	set(&f, "defaultRoles", l.DefaultRoles, want.DefaultRoles)
	if want.Settings != nil {
		ls := l.Settings
		if ls == nil {
			ls = &TenantSettings{}
		}
		settingsFields(&f, ls, want.Settings)
	}
	if live != nil && want.Parent != nil && *want.Parent != deref(live.Parent) {
		return f, ActionReplace, fmt.Sprintf(
			"the parent changes from %s to %s, and the API sets a tenant's parent only when it creates the tenant; the delete also drops its users' membership and its SSO configuration",
			parentName(deref(live.Parent)), parentName(*want.Parent))
	}
	return f, action, ""
}

// RemovedParentCycle returns a cycle among the live parents of the tenants
// that p removes (deletes, or replaces), as the chain of ids from the
// smallest id back to it, or nil. Descope never makes such a cycle, but a
// damaged or hand-edited project can hold one, and then none of those
// tenants can go first: each waits for its live sub-tenant's removal.
func (p *Plan) RemovedParentCycle() []string {
	parent := map[string]string{}
	for _, c := range p.Changes {
		t, ok := c.Before.(*Tenant)
		if ok && c.Kind == KindTenant && (c.Action == ActionDelete || c.Action == ActionReplace) {
			parent[t.ID] = deref(t.Parent)
		}
	}
	ids := slices.Sorted(maps.Keys(parent))
	for _, id := range ids {
		chain := []string{id}
		for cur := parent[id]; ; cur = parent[cur] {
			if _, removed := parent[cur]; !removed || len(chain) > len(parent) {
				break
			}
			chain = append(chain, cur)
			if cur == id {
				return chain
			}
		}
	}
	return nil
}

func parentName(id string) string {
	if id == "" {
		return "none (top level)"
	}
	return fmt.Sprintf("%q", id)
}

var flowSpec = kindSpec[Flow]{
	kind:    KindFlow,
	key:     func(f *Flow) string { return f.ID },
	origin:  func(f *Flow) Origin { return f.Origin },
	builtin: func(f *Flow) bool { return IsBuiltinFlow(f.ID) },
	compare: func(live, want *Flow) (fields, Action, string) {
		switch {
		case live == nil:
			return documentFields(nil, want.Document), ActionCreate, ""
		case live.Document == nil:
			return documentFields(nil, want.Document), ActionUpdate,
				"the live flow was listed but not exported, so its whole document is written"
		}
		return documentFields(live.Document, want.Document), ActionUpdate, ""
	},
}

// documentFields compares two documents after normalization; a nil live
// document compares as an empty one.
func documentFields(live, want map[string]any) fields {
	var f fields
	treeDiff{&f}.diff("", NormalizeDocument(live), NormalizeDocument(want))
	return f
}

// project adds the update of the project's name and tags. The project is
// neither created nor deleted, and is not listed as unmanaged.
func (d *differ) project(live, want *Project) {
	if want == nil {
		return
	}
	var l Project
	if live != nil {
		l = *live
	}
	f := fields{}
	scalar(&f, "name", l.Name, want.Name)
	set(&f, "tags", l.Tags, want.Tags)
	if len(f.list) == 0 {
		return
	}
	c := &Change{
		ID: ChangeID(KindProject, ""), Kind: KindProject, Key: string(KindProject), Action: ActionUpdate,
		Fields: f.list, UnchangedFields: f.unchanged, After: want, Origin: want.Origin,
	}
	if live != nil {
		c.Before = live
	}
	d.add(c)
}

// theme adds the change of the theme document: a create when the live
// project has none, else an update. The theme is never deleted.
func (d *differ) theme(live, want *Theme) {
	if want == nil {
		if live != nil {
			d.unmanaged[KindTheme] = append(d.unmanaged[KindTheme], string(KindTheme))
		}
		return
	}
	c := &Change{
		ID: ChangeID(KindTheme, ""), Kind: KindTheme, Key: string(KindTheme), Action: ActionCreate,
		After: want, Origin: want.Origin,
	}
	var f fields
	if live != nil {
		c.Action, c.Before = ActionUpdate, live
		f = documentFields(live.Document, want.Document)
		if len(f.list) == 0 {
			return
		}
	} else {
		f = documentFields(nil, want.Document)
	}
	c.Fields, c.UnchangedFields = f.list, f.unchanged
	d.add(c)
}

// pairRoleReplaces turns a role create and an owned role delete of the same
// name in another scope into one replace. Creates are taken in key order,
// each with the first unpaired delete in key order.
func (d *differ) pairRoleReplaces() {
	var creates, deletes []*Change
	for _, c := range d.plan.Changes {
		if c.Kind != KindRole {
			continue
		}
		switch c.Action {
		case ActionCreate:
			creates = append(creates, c)
		case ActionDelete:
			deletes = append(deletes, c)
		}
	}
	if len(creates) == 0 || len(deletes) == 0 {
		return
	}
	byKey := func(a, b *Change) int { return cmp.Compare(a.Key, b.Key) }
	slices.SortFunc(creates, byKey)
	slices.SortFunc(deletes, byKey)
	paired := map[*Change]bool{}
	for _, c := range creates {
		want := c.After.(*Role)
		for _, del := range deletes {
			old := del.Before.(*Role)
			if paired[del] || old.Name != want.Name {
				continue
			}
			paired[del] = true
			f := fields{}
			roleFields(&f, old, want)
			f.change("tenantId", old.Tenant, want.Tenant)
			c.Action, c.Before, c.Fields, c.UnchangedFields = ActionReplace, old, f.list, f.unchanged
			c.Reason = fmt.Sprintf("the role moves from %s to %s, and the API cannot change a role's tenant; the old role is %s",
				roleScope(old.Tenant), roleScope(want.Tenant), del.Reason)
			break
		}
	}
	d.plan.Changes = slices.DeleteFunc(d.plan.Changes, func(c *Change) bool { return paired[c] })
}

// cascadeTenantRoles accounts for what the API does when it deletes a
// tenant: it deletes the tenant's roles with it. For each tenant the plan
// deletes or replaces, a declared role of that tenant is created again after
// the replace (rather than updated or left alone), and an undeclared one
// that is not deleted already is deleted explicitly, first, so that the plan
// shows every role the change removes.
func (d *differ) cascadeTenantRoles(live *State) {
	gone := d.removedTenants()
	if len(gone) == 0 {
		return
	}
	byID := make(map[string]*Change, len(d.plan.Changes))
	// removed holds the live roles a change already deletes: a delete, or
	// the old half of a replace (a role that moves to another tenant).
	removed := map[string]bool{}
	for _, c := range d.plan.Changes {
		byID[c.ID] = c
		if old, ok := c.Before.(*Role); ok && (c.Action == ActionDelete || c.Action == ActionReplace) {
			removed[old.Key()] = true
		}
	}
	wanted := make(map[string]*Role, len(d.desired.Roles))
	for _, r := range d.desired.Roles {
		wanted[r.Key()] = r
	}
	dropped := map[string]bool{}
	for _, r := range live.Roles {
		tc := gone[r.Tenant]
		if r.Tenant == "" || tc == nil {
			continue
		}
		id := ChangeID(KindRole, r.Key())
		reason := cascadeReason(tc, r.Tenant, "roles")
		if want := wanted[r.Key()]; want != nil {
			f, l, _ := start[Role](nil)
			roleFields(&f, l, want)
			c := byID[id]
			if c == nil {
				c = &Change{ID: id, Kind: KindRole, Key: r.Key(), After: want, Origin: want.Origin}
				d.add(c)
			}
			c.Action, c.Before, c.Fields, c.UnchangedFields = ActionCreate, nil, f.list, 0
			c.Reason = "created again: " + reason
			continue
		}
		if removed[r.Key()] {
			continue // already deleted under an own() claim, or moved
		}
		d.add(&Change{ID: id, Kind: KindRole, Key: r.Key(), Action: ActionDelete, Before: r, Reason: reason, Origin: tc.Origin})
		dropped[r.Key()] = true
	}
	d.unmanaged[KindRole] = slices.DeleteFunc(d.unmanaged[KindRole], func(k string) bool { return dropped[k] })
}

func roleScope(tenant string) string {
	if tenant == "" {
		return "the project"
	}
	return fmt.Sprintf("tenant %q", tenant)
}

// fields accumulates the field changes of one object.
type fields struct {
	list      []FieldChange
	unchanged int
	// create records every set field as a change from nothing.
	create bool
}

func (f *fields) change(path string, before, after any) {
	f.list = append(f.list, FieldChange{Path: path, Before: before, After: after, Sensitive: sensitivePath(path)})
}

// start returns the accumulator and the live object to compare with: the
// zero value on create.
func start[T any](live *T) (fields, *T, Action) {
	if live == nil {
		return fields{create: true}, new(T), ActionCreate
	}
	return fields{}, live, ActionUpdate
}

// scalar compares an optional scalar field; nil want is unmanaged.
func scalar[T comparable](f *fields, path string, live, want *T) {
	if want == nil {
		return
	}
	if f.create {
		f.change(path, nil, *want)
		return
	}
	var l T
	if live != nil {
		l = *live
	}
	if l == *want {
		f.unchanged++
		return
	}
	f.change(path, l, *want)
}

// set compares an optional set-like list; values in changes are sorted
// copies without duplicates.
func set(f *fields, path string, live, want *[]string) {
	if want == nil {
		return
	}
	if f.create {
		f.change(path, nil, setCopy(*want))
		return
	}
	var l []string
	if live != nil {
		l = *live
	}
	if slices.Equal(asSet(l), asSet(*want)) {
		f.unchanged++
		return
	}
	f.change(path, setCopy(l), setCopy(*want))
}

// asSet returns s sorted and without duplicates: s itself when it already is.
func asSet(s []string) []string {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return setCopy(s)
		}
	}
	return s
}

func setCopy(s []string) []string {
	c := slices.Clone(s)
	if c == nil {
		c = []string{}
	}
	slices.Sort(c)
	return slices.Compact(c)
}

// attributes compares a custom attribute map, managed as a whole: each key is
// a field, and a live key the desired map lacks is removed.
func attributes(f *fields, path string, live, want *map[string]any) {
	if want == nil {
		return
	}
	var l map[string]any
	if live != nil && !f.create {
		l = *live
	}
	w := *want
	if len(l) == len(w) && jsonEqual(l, w) {
		f.unchanged += len(w)
		return
	}
	keys := slices.Collect(maps.Keys(w))
	for k := range l {
		if _, ok := w[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		lv, lok := l[k]
		wv, wok := w[k]
		if lok && wok && jsonEqual(lv, wv) {
			f.unchanged++
			continue
		}
		f.change(path+"."+k, lv, wv)
	}
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
