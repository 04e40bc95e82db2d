package runtime

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// Tenant custom attribute definitions (descope.TenantAttribute): what a
// plan checks before anything is written, and how apply writes them.
//
// Descope refuses a tenant that sets a custom attribute key the project
// does not define (docs/descope-api.md section 4.1). A config declares the
// definitions it relies on with tenant_attribute(); a plan refuses a key
// that is neither declared nor defined live, naming where it is set. The
// local project is as strict once the config declares a definition; a
// config that declares none keeps the old behaviour there (a key is
// defined when a tenant first uses it, see openLocal) and its plans say that
// a Descope project will need the definitions.

// UndefinedAttributesError reports tenant custom attribute keys that a
// config sets but neither declares nor finds defined in the target
// project: Descope refuses a tenant that uses one (docs/descope-api.md
// section 4.1), so the plan stops before anything is written, naming where
// each key is set.
type UndefinedAttributesError struct {
	// Target describes the project.
	Target string
	// Keys are the undefined keys, sorted, each with the first tenant that
	// sets it.
	Keys []UndefinedAttribute
}

// UndefinedAttribute is one key a config sets that the project does not
// define.
type UndefinedAttribute struct {
	Key string
	// Tenant is the id of the first tenant (by id) that sets it, and Pos
	// where that tenant is declared ("file:line:col", or "").
	Tenant, Pos string
}

func (e *UndefinedAttributesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s does not define the tenant custom attributes these tenants set:\n", e.Target)
	for _, k := range e.Keys {
		b.WriteString("  ")
		if k.Pos != "" {
			b.WriteString(k.Pos + ": ")
		}
		fmt.Fprintf(&b, "tenant %q sets %q\n", k.Tenant, k.Key)
	}
	b.WriteString("declare each with tenant_attribute(key, type=...) in the configuration (or define it in the Descope console: Tenants, Custom Attributes), then plan again")
	return b.String()
}

// AttributeInUseError is a plan that deletes or replaces a tenant custom
// attribute definition while tenants hold a value of its key: Descope
// refuses to delete a definition in use or drops the values with it, so the
// plan is refused before anything is written.
type AttributeInUseError struct {
	// Key is the definition's key; Action the plan's delete or replace;
	// Reason why the plan does it (its Change.Reason).
	Key    string
	Action descope.Action
	Reason string
	// Holders are the tenants that would still hold a value, each with
	// why ("sets it at main.star:3:1", "is not in this configuration").
	Holders []string
}

// Refusal names the tenants that hold a value.
func (e *AttributeInUseError) Refusal() (string, string) {
	what := "deletes"
	hint := fmt.Sprintf("remove %q from these tenants' attributes first, or declare it again with tenant_attribute(%q, ...)", e.Key, e.Key)
	if e.Action == descope.ActionReplace {
		what = "replaces"
		hint = fmt.Sprintf("keep its type, or remove %q from every tenant's attributes in one apply and change the type in the next", e.Key)
	}
	return fmt.Sprintf("the plan %s tenant_attribute %q (%s), but tenants hold a value of it: %s",
		what, e.Key, e.Reason, strings.Join(e.Holders, "; ")), hint
}

func (e *AttributeInUseError) Error() string { return refusalText(e) }

// checkTenantAttributes checks the tenant custom attributes of a plan of
// desired against live (which holds the definitions of the keys that live
// or desired tenants use and that desired declares, see ReadOptionsFor):
// every key a desired tenant sets is declared or defined live
// (*UndefinedAttributesError), except on a local project whose config
// declares no definition (which defines keys on first use: the returned
// note says so); and no definition the plan deletes or replaces holds
// tenants' values afterwards (*AttributeInUseError).
func checkTenantAttributes(t *Target, live, desired *descope.State, plan *descope.Plan) (note string, err error) {
	keys := desired.AttributeKeys()
	switch {
	case len(keys) == 0:
	case t.Local && len(desired.TenantAttributes) == 0:
		what := "the tenant custom attributes " + quoteList(keys)
		if len(keys) == 1 {
			what = "the tenant custom attribute " + quoteList(keys)
		}
		note = fmt.Sprintf("this configuration sets %s and declares no tenant_attribute(): "+
			"the local project defines a key when a tenant first uses it, but a Descope project refuses a key it does not define, "+
			"so declare each with tenant_attribute(key, type=...)", what)
	default:
		if err := undefinedAttributes(t, live, desired, keys); err != nil {
			return "", err
		}
	}
	for _, c := range plan.Changes {
		if c.Kind != descope.KindTenantAttribute || (c.Action != descope.ActionDelete && c.Action != descope.ActionReplace) {
			continue
		}
		if holders := attributeHolders(c, live, desired, plan); len(holders) > 0 {
			return "", &AttributeInUseError{Key: c.Key, Action: c.Action, Reason: c.Reason, Holders: holders}
		}
	}
	return note, nil
}

// undefinedAttributes reports the keys of desired tenants that desired does
// not declare and live does not define. A key that a live tenant uses is
// defined: the API enforced it.
func undefinedAttributes(t *Target, live, desired *descope.State, keys []string) error {
	defined := map[string]bool{}
	for _, k := range live.AttributeKeys() {
		defined[k] = true
	}
	for _, a := range slices.Concat(live.TenantAttributes, desired.TenantAttributes) {
		defined[a.Key] = true
	}
	undefined := &UndefinedAttributesError{Target: t.Description}
	for _, k := range keys {
		if defined[k] {
			continue
		}
		for _, dt := range desired.Tenants {
			if dt.Attributes != nil {
				if _, ok := (*dt.Attributes)[k]; ok {
					undefined.Keys = append(undefined.Keys, UndefinedAttribute{Key: k, Tenant: dt.ID, Pos: dt.Origin.Pos()})
					break
				}
			}
		}
	}
	if len(undefined.Keys) > 0 {
		return undefined
	}
	return nil
}

// attributeHolders returns the tenants that hold a value of the key of c, a
// definition's delete or replace, once plan is done, or for a replace while
// it runs: a desired tenant that sets the key (unless the replace creates
// the definition before it), a desired tenant whose attributes are
// unmanaged and whose live one has it, and a live tenant the plan neither
// declares nor deletes that has it.
func attributeHolders(c *descope.Change, live, desired *descope.State, plan *descope.Plan) []string {
	key := c.Key
	has := func(t *descope.Tenant) bool {
		if t == nil || t.Attributes == nil {
			return false
		}
		_, ok := (*t.Attributes)[key]
		return ok
	}
	removed := map[string]bool{}
	for _, pc := range plan.Changes {
		if pc.Kind == descope.KindTenant && pc.Action == descope.ActionDelete {
			removed[pc.Key] = true
		}
	}
	var holders []string
	for _, lt := range live.Tenants {
		dt := desired.Tenant(lt.ID)
		switch {
		case removed[lt.ID] || !has(lt):
		case dt == nil:
			holders = append(holders, fmt.Sprintf("tenant %q is not in this configuration and has it", lt.ID))
		case dt.Attributes == nil:
			holders = append(holders, fmt.Sprintf("tenant %q (%s) leaves its attributes unmanaged and has it", lt.ID, orUnknown(dt.Origin.Pos())))
		case c.Action == descope.ActionReplace:
			holders = append(holders, fmt.Sprintf("tenant %q has it, and the replace would drop it", lt.ID))
		}
	}
	if c.Action == descope.ActionDelete {
		for _, dt := range desired.Tenants {
			if has(dt) {
				holders = append(holders, fmt.Sprintf("tenant %q sets it at %s", dt.ID, orUnknown(dt.Origin.Pos())))
			}
		}
	}
	slices.Sort(holders)
	return slices.Compact(holders)
}

func orUnknown(pos string) string {
	if pos == "" {
		return "an unknown position"
	}
	return pos
}

// attributeReadKeys returns the keys whose definitions a plan of desired
// reads besides those the live tenants use: the keys desired declares, its
// tenants set, and own("tenant_attribute", ...) claims name without a
// pattern.
func attributeReadKeys(desired *descope.State) []string {
	keys := desired.AttributeKeys()
	for _, a := range desired.TenantAttributes {
		keys = append(keys, a.Key)
	}
	for _, o := range desired.Owns {
		if o.Kind == descope.KindTenantAttribute && !strings.ContainsAny(o.Match, "*?[\\") {
			keys = append(keys, o.Match)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// tenantAttribute returns what performs c, a change of a definition: one
// POST that writes the whole definition (the live fields the config leaves
// unset kept), or a DELETE; a replace deletes, then creates.
func (w *writer) tenantAttribute(c *descope.Change) work {
	before, _ := c.Before.(*descope.TenantAttribute)
	after, _ := c.After.(*descope.TenantAttribute)
	set := func(ctx context.Context) error {
		return w.c.SetTenantAttribute(ctx, mgmt.TenantAttributeFromModel(after, before))
	}
	switch c.Action {
	case descope.ActionDelete:
		return work{do: func(ctx context.Context) error { return w.c.DeleteTenantAttribute(ctx, before.Key) }, calls: 1}
	case descope.ActionReplace:
		return work{
			del: func(ctx context.Context) error {
				if err := w.c.DeleteTenantAttribute(ctx, before.Key); err != nil && !mgmt.IsNotFound(err) {
					return fmt.Errorf("delete for replace: %w", err)
				}
				return nil
			},
			delCalls: 1,
			do:       set,
			calls:    1,
		}
	}
	return work{do: set, calls: 1}
}
