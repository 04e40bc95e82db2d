package descope

import "strings"

// Action is what a plan does to one object.
type Action string

// The actions of a plan. A replace is a delete followed by a create, for a
// change the API cannot make in place.
const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionDelete  Action = "delete"
	ActionReplace Action = "replace"
)

// Change is one object that a plan creates, updates, deletes or replaces.
type Change struct {
	// ID names the change and the object: "tenant:acme", "role:Tenant Admin",
	// "role:acme/Editor", "permission:edit", "flow:sign-in", "theme", "project".
	ID string
	// Kind and Key identify the object: Key is the tenant or flow id, the role
	// key ("name" or "tenant/name"), the permission name; for the singletons
	// (theme, project) it is the kind's name.
	Kind   Kind
	Key    string
	Action Action
	// Fields are the fields that change. For a create they are every field the
	// configuration sets; a delete has none.
	Fields []FieldChange
	// UnchangedFields counts the managed fields that do not change (for a
	// document, its unchanged leaf values).
	UnchangedFields int
	// Before and After are the live and the desired object (*Tenant, *Role,
	// *Permission, *Flow, *Theme, *Project). Before is nil on create, After nil
	// on delete.
	Before, After any
	// Reason says in words why the change is a replace, which own() claim
	// allows a delete (with its position), or what else is unusual. It is
	// for people: decisions use the fields (StrandedSubTenants, say).
	Reason string
	// StrandedSubTenants, on a tenant's delete or replace, are the ids of
	// its live sub-tenants that the plan neither deletes nor replaces
	// (sorted): Descope deletes no tenant that has sub-tenants, so such a
	// plan is refused before anything is written.
	StrandedSubTenants []string
	// DefaultRoles, on a tenant's create or replace, says which default
	// roles its create sets and which a later step sets.
	DefaultRoles *TenantDefaultRoles
	// Deps are the IDs of the changes that must complete before this one.
	Deps []string
	// Origin is the call stack of the declaration behind the change: the
	// desired object's, or for a delete the own() claim's.
	Origin Origin
}

// FieldChange is one changed field. Before is nil when the field is absent
// live (an attribute key or a document subtree that is added); After is nil
// when the field is removed.
type FieldChange struct {
	// Path names the field with dots: wire names for objects
	// ("settings.sessionTokenExpiration", "customAttributes.tier"), map keys and
	// element ids or indexes for documents ("contents.tasks.3.arguments.url.value").
	Path          string
	Before, After any
	// Sensitive is set when a segment of Path is a secret's key (IsSensitiveKey):
	// renderers show neither value.
	Sensitive bool
}

// Plan is the difference between a live and a desired State, as data.
type Plan struct {
	// Changes are in a stable order for display and execution: a change
	// comes after its Deps, except where two replaces need each other's
	// halves (tenants that swap parents); Steps gives the acyclic order in
	// which a plan is carried out.
	Changes []*Change
	// Unmanaged lists, by kind, the sorted ids of the live objects that the
	// configuration neither declares nor deletes.
	Unmanaged map[Kind][]string
}

// Summary counts the objects the plan adds, changes and destroys. A replace
// counts as one add and one destroy.
func (p *Plan) Summary() (add, change, destroy int) {
	for _, c := range p.Changes {
		switch c.Action {
		case ActionCreate:
			add++
		case ActionUpdate:
			change++
		case ActionDelete:
			destroy++
		case ActionReplace:
			add++
			destroy++
		}
	}
	return add, change, destroy
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Deletes returns the number of live objects the plan destroys, replaces
// included: the figure a delete guard (--max-deletes) compares.
func (p *Plan) Deletes() int {
	_, _, destroy := p.Summary()
	return destroy
}

// UnmanagedCount returns the number of live objects the configuration does
// not manage.
func (p *Plan) UnmanagedCount() int {
	n := 0
	for _, ids := range p.Unmanaged {
		n += len(ids)
	}
	return n
}

// Change returns the change with the given ID, or nil.
func (p *Plan) Change(id string) *Change {
	for _, c := range p.Changes {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// ChangeID returns the ID of the change to the object of kind k with key key:
// "kind:key", or the bare kind for the singletons (theme, project).
func ChangeID(k Kind, key string) string {
	if k == KindTheme || k == KindProject {
		return string(k)
	}
	return string(k) + ":" + key
}

// sensitiveSuffixes end the (lower-cased, separator-free) keys that hold secrets.
var sensitiveSuffixes = []string{
	"secret", "secrets", "password", "passwd", "token", "tokens",
	"apikey", "privatekey", "accesskey", "credential", "credentials",
}

// IsSensitiveKey reports whether a map key names a secret: ignoring case and
// the separators '_', '-' and '.', it ends with secret, password, token,
// apiKey, privateKey, accessKey or credential(s) ("clientSecret",
// "api_key", "bearerToken"). Keys that only contain such a word
// ("sessionTokenExpiration") are not secrets. Renderers show the values of
// such keys, anywhere in a document or an attribute map, as "(sensitive)".
func IsSensitiveKey(key string) bool {
	if len(key) < 5 {
		return false
	}
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '_' || c == '-' || c == '.':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	k := b.String()
	for _, s := range sensitiveSuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// sensitivePath reports whether any dot-separated segment of path is a
// sensitive key.
func sensitivePath(path string) bool {
	for seg := range strings.SplitSeq(path, ".") {
		if IsSensitiveKey(seg) {
			return true
		}
	}
	return false
}

// Stranded returns the tenants' deletes and replaces that leave live
// sub-tenants behind (Change.StrandedSubTenants), in plan order.
func (p *Plan) Stranded() []*Change {
	var out []*Change
	for _, c := range p.Changes {
		if len(c.StrandedSubTenants) > 0 {
			out = append(out, c)
		}
	}
	return out
}
