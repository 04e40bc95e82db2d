package builtins

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"github.com/descope-run/descope-run/descope"
)

// liveProject is the value of descope.project(): a handle on a live
// project. It holds no key and shows none.
type liveProject struct {
	p    Project
	host Host
}

var (
	_ starlark.HasAttrs   = (*liveProject)(nil)
	_ starlark.Comparable = (*liveProject)(nil)
)

var projectAttrs = []string{"apply", "backup", "backups", "delete", "id", "name", "read", "read_backup", "target", "tenant_settings"}

func (v *liveProject) String() string {
	if n := v.p.Name(); n != "" {
		return fmt.Sprintf("<project %s: %s>", n, v.p.Target())
	}
	return fmt.Sprintf("<project %s>", v.p.Target())
}
func (v *liveProject) Type() string          { return "project" }
func (v *liveProject) Freeze()               {}
func (v *liveProject) Truth() starlark.Bool  { return starlark.True }
func (v *liveProject) Hash() (uint32, error) { return starlark.String(v.p.ID()).Hash() }
func (v *liveProject) AttrNames() []string   { return projectAttrs }

// CompareSameType makes two handles on the same project equal.
func (v *liveProject) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	w := y.(*liveProject)
	switch op {
	case syntax.EQL:
		return v.p == w.p, nil
	case syntax.NEQ:
		return v.p != w.p, nil
	}
	return false, fmt.Errorf("%s %s %s not implemented", v.Type(), op, w.Type())
}

func (v *liveProject) Attr(name string) (starlark.Value, error) {
	method := func(fn func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)) starlark.Value {
		return starlark.NewBuiltin("p."+name, fn)
	}
	switch name {
	case "id":
		return starlark.String(v.p.ID()), nil
	case "name":
		return optString(nonEmpty(v.p.Name())), nil
	case "target":
		return starlark.String(v.p.Target()), nil
	case "read":
		return method(v.read), nil
	case "apply":
		return method(v.apply), nil
	case "delete":
		return method(v.delete), nil
	case "backup":
		return method(v.backup), nil
	case "backups":
		return method(v.backups), nil
	case "read_backup":
		return method(v.readBackup), nil
	case "tenant_settings":
		return method(v.tenantSettings), nil
	}
	return nil, nil
}

// readableKinds are the kinds p.read(kinds) takes.
var readableKinds = []string{"tenant", "role", "permission", "flow", "theme", "project", "tenant_attribute"}

func (v *liveProject) read(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var kindsArg starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "kinds?", &kindsArg); err != nil {
		return nil, err
	}
	var kinds []descope.Kind
	if kindsArg != starlark.None {
		names, err := stringList(b.Name(), "kinds", kindsArg)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if err := oneOf(b.Name(), "kind", n, readableKinds); err != nil {
				return nil, err
			}
			kinds = append(kinds, descope.Kind(n))
		}
	}
	ctx := contextOf(thread)
	s, err := v.p.Read(callContext(thread, v.p), kinds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return newLiveState(ctx, s, v.p, kinds), nil
}

// checkWrite refuses a write from a batch item: a batch runs its items
// concurrently, and a write is one operation with one plan, confirmation
// and backup.
func checkWrite(thread *starlark.Thread, fn string) error {
	if thread.Local(batchKey) != nil {
		return fmt.Errorf("%s: a batch item cannot write: collect what to change in the batch, then apply it once after", fn)
	}
	return nil
}

func (v *liveProject) apply(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "x", &x); err != nil {
		return nil, err
	}
	if err := checkWrite(thread, b.Name()); err != nil {
		return nil, err
	}
	ctx := contextOf(thread)
	w := Write{Pos: callerPos(thread)}
	switch x := x.(type) {
	case *PlanValue:
		w.Desired, w.Shown = x.desired, x.plan
	case *StateValue, *starlark.List, starlark.Tuple:
		s, err := desiredOf(ctx, b.Name(), "x", x)
		if err != nil {
			return nil, err
		}
		w.Desired = s
	default:
		return nil, fmt.Errorf("%s: x must be a plan from diff(), a state or a list of declarations, not %s", b.Name(), x.Type())
	}
	return v.write(ctx, b.Name(), w)
}

func (v *liveProject) delete(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var kind string
	var ids starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "kind", &kind, "ids", &ids); err != nil {
		return nil, err
	}
	if err := checkWrite(thread, b.Name()); err != nil {
		return nil, err
	}
	kinds := make([]string, len(descope.OwnableKinds))
	for i, k := range descope.OwnableKinds {
		kinds[i] = string(k)
	}
	if err := oneOf(b.Name(), "kind", kind, kinds); err != nil {
		return nil, err
	}
	seq, ok := ids.(starlark.Indexable)
	if !ok || ids.Type() == "string" {
		return nil, fmt.Errorf("%s: ids must be a list of %s ids (or %s values), not %s", b.Name(), kind, kind, ids.Type())
	}
	origin := originOf(thread)
	desired := &descope.State{}
	for i := range seq.Len() {
		id, err := idOf(b.Name(), fmt.Sprintf("ids[%d]", i), descope.Kind(kind), seq.Index(i))
		if err != nil {
			return nil, err
		}
		if id == "" || strings.ContainsAny(id, "*?") {
			return nil, fmt.Errorf("%s: ids[%d] %q is not an id: p.delete deletes the objects it names, no patterns", b.Name(), i, id)
		}
		desired.Owns = append(desired.Owns, &descope.Ownership{Kind: descope.Kind(kind), Match: id, By: "deleted by the script's " + b.Name(), Origin: origin})
	}
	return v.write(contextOf(thread), b.Name(), Write{Desired: desired, Pos: callerPos(thread)})
}

func (v *liveProject) write(ctx context.Context, fn string, w Write) (starlark.Value, error) {
	done, err := v.p.Write(ctx, w)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	backupID := starlark.Value(starlark.None)
	if done.Backup != "" {
		backupID = starlark.String(done.Backup)
	}
	return starlarkstruct.FromStringDict(starlark.String("written"), starlark.StringDict{
		"added":   starlark.MakeInt(done.Added),
		"changed": starlark.MakeInt(done.Changed),
		"deleted": starlark.MakeInt(done.Deleted),
		"backup":  backupID,
		"dry_run": starlark.Bool(v.host.DryRun()),
	}), nil
}

func (v *liveProject) backup(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	reason := ""
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "reason?", &reason); err != nil {
		return nil, err
	}
	if err := checkWrite(thread, b.Name()); err != nil {
		return nil, err
	}
	id, err := v.p.Backup(contextOf(thread), reason)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if id == "" {
		return starlark.None, nil
	}
	return starlark.String(id), nil
}

func (v *liveProject) backups(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	entries, err := v.p.Backups()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	out := make([]starlark.Value, 0, len(entries))
	for _, e := range entries {
		if e.Err != nil {
			continue // damaged: backup list reports it
		}
		counts := make(map[string]any, len(e.Counts))
		for k, n := range e.Counts {
			counts[k] = int64(n)
		}
		out = append(out, starlarkstruct.FromStringDict(starlark.String("backup"), starlark.StringDict{
			"id":         starlark.String(e.ID),
			"created_at": starlark.String(e.CreatedAt.UTC().Format(time.RFC3339)),
			"operation":  starlark.String(e.Operation),
			"reason":     starlark.String(e.Reason),
			"user":       starlark.String(e.User),
			"counts":     FromGo(counts),
		}))
	}
	l := starlark.NewList(out)
	l.Freeze()
	return l, nil
}

func (v *liveProject) readBackup(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	ref := "latest"
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "id?", &ref); err != nil {
		return nil, err
	}
	s, _, err := v.p.ReadBackup(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return newBackupState(s), nil
}

func (v *liveProject) tenantSettings(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var idArg starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "id", &idArg); err != nil {
		return nil, err
	}
	id, err := idOf(b.Name(), "id", descope.KindTenant, idArg)
	if err != nil {
		return nil, err
	}
	s, err := v.p.TenantSettings(callContext(thread, v.p), id)
	if err != nil {
		return nil, fmt.Errorf("%s(%q): %w", b.Name(), id, err)
	}
	d := FromGo(settingsMap(s))
	d.Freeze()
	return d, nil
}
