package builtins

import (
	"fmt"
	"slices"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/render"
)

// A PlanValue is the plan diff() makes: a sequence of its changes that
// renders (str, print) as descope-run plan does, and that p.apply() takes.
type PlanValue struct {
	plan *descope.Plan
	// desired is the plan's desired side, which p.apply() applies.
	desired *descope.State

	changes []starlark.Value // built on first use
}

var (
	_ starlark.Indexable = (*PlanValue)(nil)
	_ starlark.Iterable  = (*PlanValue)(nil)
	_ starlark.HasAttrs  = (*PlanValue)(nil)
)

// NewPlanValue returns the value of p, whose desired side is desired.
func NewPlanValue(p *descope.Plan, desired *descope.State) *PlanValue {
	return &PlanValue{plan: p, desired: desired}
}

// Plan returns the plan the value holds.
func (v *PlanValue) Plan() *descope.Plan { return v.plan }

// String renders the plan as descope-run plan does, without colour.
func (v *PlanValue) String() string {
	var b strings.Builder
	if err := render.Text(&b, v.plan, render.TextOptions{}); err != nil {
		return fmt.Sprintf("<plan: %v>", err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
func (v *PlanValue) Type() string          { return "plan" }
func (v *PlanValue) Freeze()               {}
func (v *PlanValue) Truth() starlark.Bool  { return starlark.Bool(!v.plan.Empty()) }
func (v *PlanValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: plan") }
func (v *PlanValue) Len() int              { return len(v.plan.Changes) }
func (v *PlanValue) Index(i int) starlark.Value {
	return v.changeValues()[i]
}
func (v *PlanValue) Iterate() starlark.Iterator {
	return starlark.NewList(v.changeValues()).Iterate()
}
func (v *PlanValue) AttrNames() []string { return []string{"changes", "summary"} }

// Attr returns the plan's changes or summary.
func (v *PlanValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "changes":
		l := starlark.NewList(v.changeValues())
		l.Freeze()
		return l, nil
	case "summary":
		add, change, destroy := v.plan.Summary()
		return starlarkstruct.FromStringDict(starlark.String("summary"), starlark.StringDict{
			"add": starlark.MakeInt(add), "change": starlark.MakeInt(change), "delete": starlark.MakeInt(destroy),
		}), nil
	}
	return nil, nil
}

// changeValues returns the changes as structs: action, kind, id, fields
// (each a struct of path, before and after, secrets masked) and reason.
func (v *PlanValue) changeValues() []starlark.Value {
	if v.changes != nil || len(v.plan.Changes) == 0 {
		return v.changes
	}
	out := make([]starlark.Value, len(v.plan.Changes))
	for i, c := range v.plan.Changes {
		fields := make([]starlark.Value, len(c.Fields))
		for j, f := range c.Fields {
			before, after := fieldValue(f.Before, f.Sensitive), fieldValue(f.After, f.Sensitive)
			fields[j] = starlarkstruct.FromStringDict(starlark.String("field"), starlark.StringDict{
				"path": starlark.String(f.Path), "before": before, "after": after,
			})
		}
		fl := starlark.NewList(fields)
		ch := starlarkstruct.FromStringDict(starlark.String("change"), starlark.StringDict{
			"action": starlark.String(c.Action),
			"kind":   starlark.String(c.Kind),
			"id":     starlark.String(c.Key),
			"fields": fl,
			"reason": starlark.String(c.Reason),
		})
		ch.Freeze()
		out[i] = ch
	}
	v.changes = out
	return out
}

// fieldValue is the Starlark form of a field's value: plain data, or
// "(sensitive)" for a secret.
func fieldValue(x any, sensitive bool) starlark.Value {
	if x == nil {
		return starlark.None
	}
	if sensitive {
		return starlark.String("(sensitive)")
	}
	return FromGo(plainData(x))
}

// plainData turns the values of a field (strings, bools, lists, maps, and
// pointers to them) into what FromGo takes.
func plainData(x any) any {
	switch x := x.(type) {
	case *string:
		return deref(x)
	case *bool:
		return deref(x)
	case *int64:
		return deref(x)
	case *[]string:
		return deref(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case int:
		return int64(x)
	}
	return x
}

func (s *scripter) diff(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var a, want starlark.Value
	prune := false
	if err := starlark.UnpackArgs(fn, args, kwargs, "a", &a, "b", &want, "prune?", &prune); err != nil {
		return nil, err
	}
	ctx := contextOf(thread)
	desired, err := desiredOf(ctx, fn, "b", want)
	if err != nil {
		return nil, err
	}
	if prune {
		for _, k := range descope.OwnableKinds {
			if holds(want, desired, k) {
				desired.Owns = append(desired.Owns, &descope.Ownership{Kind: k, Match: "*", By: "not in b: " + fn + "(a, b, prune = True)", Origin: originOf(thread)})
			}
		}
	}
	var live *descope.State
	switch a := a.(type) {
	case *StateValue:
		if live, err = a.live(ctx, desired); err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
	default:
		if live, err = desiredOf(ctx, fn, "a", a); err != nil {
			return nil, err
		}
	}
	return NewPlanValue(descope.Diff(live, desired), desired), nil
}

// holds reports whether the desired side x of a diff holds objects of kind
// k: a state read from a project or a backup holds the kinds read (a live
// read holds no SSO configuration), any other the kinds it has objects of.
func holds(x starlark.Value, s *descope.State, k descope.Kind) bool {
	if v, ok := x.(*StateValue); ok && v.src != nil {
		if v.src.project != nil && k == descope.KindSSO {
			return false // p.read() reads no SSO configuration: claiming them would delete them all
		}
		return v.src.kinds == nil || slices.Contains(v.src.kinds, k)
	}
	switch k {
	case descope.KindTenant:
		return len(s.Tenants) > 0
	case descope.KindRole:
		return len(s.Roles) > 0
	case descope.KindPermission:
		return len(s.Permissions) > 0
	case descope.KindFlow:
		return len(s.Flows) > 0
	case descope.KindSSO:
		return len(s.SSO) > 0
	case descope.KindTenantAttribute:
		return len(s.TenantAttributes) > 0
	}
	return false
}
