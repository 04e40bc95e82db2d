package builtins

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/descope"
)

// stateSource is where a state a script holds was read from: a live
// project, whose flow and theme documents (and tenants' settings, for a
// diff) are fetched on first use, once, or a backup.
type stateSource struct {
	// project is the live project; nil for a backup.
	project Project
	// ctx is the context of the fetches: the script's.
	ctx context.Context
	// kinds are the kinds the state holds (nil: all).
	kinds []descope.Kind

	mu       sync.Mutex
	fetches  map[string]*fetch
	settings map[string]*descope.TenantSettings
}

// fetch is one document fetched on first use.
type fetch struct {
	once sync.Once
	doc  map[string]any
	val  starlark.Value
	err  error
}

// newLiveState returns the value of s, the state read from project p,
// whose documents are fetched on first use.
func newLiveState(ctx context.Context, s *descope.State, p Project, kinds []descope.Kind) *StateValue {
	return withSource(s, &stateSource{project: p, ctx: ctx, kinds: kinds})
}

// newBackupState returns the value of s, the state of a backup.
func newBackupState(s *descope.State) *StateValue {
	return withSource(s, &stateSource{})
}

func withSource(s *descope.State, src *stateSource) *StateValue {
	v := NewStateValue(s)
	v.src = src
	for _, m := range v.byKey {
		for _, d := range m {
			d.src = src
		}
	}
	// A live tenant has no parent as "": None, as for a declaration that
	// sets none.
	for _, d := range v.byKey[descope.KindTenant] {
		attr := d.attr
		d.attr = func(name string) starlark.Value {
			if v := attr(name); name != "parent" || v != starlark.String("") {
				return v
			}
			return starlark.None
		}
	}
	for _, x := range []starlark.Value{v.project, v.theme} {
		if d, ok := x.(*Declared); ok {
			d.src = src
		}
	}
	return v
}

// documentValue returns the document of d, a flow or the theme of the
// state, fetching it first from a live project.
func (s *stateSource) documentValue(d *Declared) (starlark.Value, error) {
	if s.project == nil {
		v := d.attr("document")
		v.Freeze()
		return v, nil
	}
	f := s.fetch(d.kind, d.key)
	return f.val, f.err
}

// fetch returns the document of the flow key, or of the theme, fetched
// once.
func (s *stateSource) fetch(kind descope.Kind, key string) *fetch {
	id := descope.ChangeID(kind, key)
	s.mu.Lock()
	if s.fetches == nil {
		s.fetches = make(map[string]*fetch)
	}
	f := s.fetches[id]
	if f == nil {
		f = &fetch{}
		s.fetches[id] = f
	}
	s.mu.Unlock()
	f.once.Do(func() {
		if kind == descope.KindTheme {
			f.doc, f.err = s.project.ThemeDocument(s.ctx)
		} else {
			f.doc, f.err = s.project.FlowDocument(s.ctx, key)
		}
		if f.err != nil {
			f.err = fmt.Errorf("fetch the document of %s from %s: %w", objectName(kind, key), s.project.Target(), f.err)
			return
		}
		f.val = FromGo(f.doc)
		f.val.Freeze()
	})
	return f
}

// tenantSettings returns the settings of tenant id, read once.
func (s *stateSource) tenantSettings(ctx context.Context, id string) (*descope.TenantSettings, error) {
	s.mu.Lock()
	st, ok := s.settings[id]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.project.TenantSettings(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read the settings of tenant %q from %s: %w", id, s.project.Target(), err)
	}
	s.mu.Lock()
	if s.settings == nil {
		s.settings = make(map[string]*descope.TenantSettings)
	}
	s.settings[id] = st
	s.mu.Unlock()
	return st, nil
}

func objectName(kind descope.Kind, key string) string {
	if kind == descope.KindTheme || kind == descope.KindProject {
		return "the " + string(kind)
	}
	return fmt.Sprintf("%s %q", kind, key)
}

// object returns the object d declares, with its document when d is a
// flow or the theme of a live state.
func (d *Declared) object() (any, error) {
	if d.src == nil || d.src.project == nil {
		return d.obj, nil
	}
	switch o := d.obj.(type) {
	case *descope.Flow:
		f := d.src.fetch(descope.KindFlow, o.ID)
		if f.err != nil {
			return nil, f.err
		}
		c := *o
		c.Document = f.doc
		return &c, nil
	case *descope.Theme:
		f := d.src.fetch(descope.KindTheme, "")
		if f.err != nil {
			return nil, f.err
		}
		c := *o
		c.Document = f.doc
		return &c, nil
	}
	return d.obj, nil
}

// desired returns the state v holds as a desired state: every document
// there, and for a state read from a project or a backup, no project id,
// which pins nothing there (the state may go to another project).
func (v *StateValue) desired(ctx context.Context) (*descope.State, error) {
	s := copyState(v.state)
	if v.src == nil {
		return s, nil
	}
	if s.Project != nil {
		p := *s.Project
		p.ID = ""
		s.Project = &p
	}
	if v.src.project == nil {
		return s, nil
	}
	keys := make([]string, len(s.Flows))
	for i, f := range s.Flows {
		keys[i] = f.ID
	}
	return s, v.src.documents(s, keys, s.Theme != nil)
}

// live returns the state v holds as the live side of a plan to desired:
// with the documents of the flows and theme desired declares, and the
// settings of the tenants whose settings it declares.
func (v *StateValue) live(ctx context.Context, desired *descope.State) (*descope.State, error) {
	s := copyState(v.state)
	if v.src == nil || v.src.project == nil {
		return s, nil
	}
	var flows []string
	for _, f := range desired.Flows {
		flows = append(flows, f.ID)
	}
	if err := v.src.documents(s, flows, desired.Theme != nil); err != nil {
		return nil, err
	}
	for i, t := range s.Tenants {
		if w := desired.Tenant(t.ID); w == nil || w.Settings == nil || t.Settings != nil {
			continue
		}
		st, err := v.src.tenantSettings(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		c := *t
		c.Settings = st
		s.Tenants[i] = &c
	}
	return s, nil
}

// documents puts into s (a copy of the source's state) the documents of
// the flows named and, with theme, of the theme, fetching them at most
// eight at a time.
func (src *stateSource) documents(s *descope.State, flows []string, theme bool) error {
	type job struct {
		kind descope.Kind
		key  string
	}
	var jobs []job
	for _, f := range s.Flows {
		if slices.Contains(flows, f.ID) && f.Document == nil {
			jobs = append(jobs, job{descope.KindFlow, f.ID})
		}
	}
	if theme && s.Theme != nil && s.Theme.Document == nil {
		jobs = append(jobs, job{descope.KindTheme, ""})
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			src.fetch(j.kind, j.key)
			<-sem
		}()
	}
	wg.Wait()
	for i, f := range s.Flows {
		if slices.Contains(flows, f.ID) && f.Document == nil {
			got := src.fetch(descope.KindFlow, f.ID)
			if got.err != nil {
				return got.err
			}
			c := *f
			c.Document = got.doc
			s.Flows[i] = &c
		}
	}
	if theme && s.Theme != nil && s.Theme.Document == nil {
		got := src.fetch(descope.KindTheme, "")
		if got.err != nil {
			return got.err
		}
		c := *s.Theme
		c.Document = got.doc
		s.Theme = &c
	}
	return nil
}

// copyState returns a copy of s whose lists may be changed: the objects
// are shared.
func copyState(s *descope.State) *descope.State {
	return &descope.State{
		Project:     s.Project,
		Permissions: slices.Clone(s.Permissions),
		Roles:       slices.Clone(s.Roles),
		Tenants:     slices.Clone(s.Tenants),
		Flows:       slices.Clone(s.Flows),
		Theme:       s.Theme,
		SSO:         slices.Clone(s.SSO),
		SSOTenants:  slices.Clone(s.SSOTenants),
		Owns:        slices.Clone(s.Owns),

		TenantAttributes: slices.Clone(s.TenantAttributes),
	}
}

// declaredState returns the state of a list of declared values, as
// p.apply() and diff() take it: each object once.
func declaredState(fn string, list starlark.Indexable) (*descope.State, error) {
	s := &descope.State{}
	seen := make(map[string]int)
	for i := range list.Len() {
		d, ok := list.Index(i).(*Declared)
		if !ok {
			return nil, fmt.Errorf("%s: item %d is a %s; want a declaration (tenant(...), role(...), ...) or an item of a state", fn, i, list.Index(i).Type())
		}
		id := descope.ChangeID(d.kind, d.key)
		if j, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s: %s is in the list twice (items %d and %d)", fn, objectName(d.kind, d.key), j, i)
		}
		seen[id] = i
		obj, err := d.object()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		switch o := obj.(type) {
		case *descope.Tenant:
			s.Tenants = append(s.Tenants, o)
		case *descope.Role:
			s.Roles = append(s.Roles, o)
		case *descope.Permission:
			s.Permissions = append(s.Permissions, o)
		case *descope.Flow:
			s.Flows = append(s.Flows, o)
		case *descope.SSO:
			s.SSO = append(s.SSO, o)
		case *descope.TenantAttribute:
			s.TenantAttributes = append(s.TenantAttributes, o)
		case *descope.Theme:
			s.Theme = o
		case *descope.Project:
			if d.src != nil {
				c := *o
				c.ID = "" // read from a project: no pin
				o = &c
			}
			s.Project = o
		default:
			return nil, fmt.Errorf("%s: item %d (%s) cannot be applied", fn, i, d.String())
		}
	}
	s.Normalize()
	return s, nil
}

// desiredOf returns the desired side of p.apply() or diff(): a state, a
// list of declarations, or None (nothing).
func desiredOf(ctx context.Context, fn, param string, x starlark.Value) (*descope.State, error) {
	switch x := x.(type) {
	case starlark.NoneType:
		return &descope.State{}, nil
	case *StateValue:
		s, err := x.desired(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		return s, nil
	case *starlark.List, starlark.Tuple:
		return declaredState(fn, x.(starlark.Indexable))
	}
	return nil, fmt.Errorf("%s: %s must be a state, a list of declarations or None, not %s", fn, param, x.Type())
}
