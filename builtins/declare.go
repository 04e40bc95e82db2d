package builtins

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/descope"
)

// Files is the workspace as builtins see it. Reads are sandboxed to the
// workspace root and recorded by the host for the plan's input digest.
type Files interface {
	// Read returns the content of the file that label names, as written in
	// the module whose root-relative path is from ("//x" is relative to the
	// root, anything else to the module's directory). It also returns the
	// file's root-relative path.
	Read(from, label string) (path string, data []byte, err error)
}

// callerFile returns the root-relative file of the Starlark code that called
// the running builtin.
func callerFile(thread *starlark.Thread) string {
	return thread.CallFrame(1).Pos.Filename()
}

type declarer struct {
	c     *Collector
	files Files
}

func (d *declarer) project(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, "id", "name", "tags"); err != nil {
		return nil, err
	}
	var id, name, tags starlark.Value
	if err := starlark.UnpackArgs(fn, args, kwargs, "id??", &id, "name??", &name, "tags??", &tags); err != nil {
		return nil, err
	}
	p := &descope.Project{Origin: originOf(thread)}
	if id != nil {
		s, ok := starlark.AsString(id)
		if !ok {
			return nil, fmt.Errorf("%s: id must be a string, not %s", fn, id.Type())
		}
		if err := checkID(fn, "id", s); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(s, "P") {
			return nil, fmt.Errorf("%s: id %q is not a Descope project id (they start with \"P\"; find it under Project Settings)", fn, s)
		}
		p.ID = s
	}
	if name != nil {
		s, ok := starlark.AsString(name)
		if !ok {
			return nil, fmt.Errorf("%s: name must be a string, not %s", fn, name.Type())
		}
		if err := checkName(fn, "name", s, 100); err != nil {
			return nil, err
		}
		p.Name = &s
	}
	if tags != nil {
		ts, err := stringList(fn, "tags", tags)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if n := utf8.RuneCountInString(t); n < 1 || n > 50 {
				return nil, fmt.Errorf("%s: tag %q must be 1 to 50 characters", fn, t)
			}
		}
		p.Tags = &ts
	}
	if err := d.collector(thread).addProject(p); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return projectValue(p), nil
}

var tenantParams = []string{"id", "name", "domains", "attributes", "enforce_sso", "disabled", "parent", "default_roles", "settings"}

func (d *declarer) tenant(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, tenantParams...); err != nil {
		return nil, err
	}
	var (
		id, name                             string
		domains, attrs, enforceSSO, disabled starlark.Value
		parent, defaultRoles, settings       starlark.Value
	)
	if err := starlark.UnpackArgs(fn, args, kwargs,
		"id", &id, "name", &name, "domains??", &domains, "attributes??", &attrs,
		"enforce_sso??", &enforceSSO, "disabled??", &disabled, "parent??", &parent,
		"default_roles??", &defaultRoles, "settings??", &settings); err != nil {
		return nil, err
	}
	if err := checkID(fn, "id", id); err != nil {
		return nil, err
	}
	if err := checkName(fn, "name", name, 100); err != nil {
		return nil, err
	}
	t := &descope.Tenant{ID: id, Name: name, Origin: originOf(thread)}
	var err error
	if domains != nil {
		if t.Domains, err = domainList(fn, "domains", domains); err != nil {
			return nil, err
		}
	}
	if attrs != nil {
		if t.Attributes, err = attributes(fn, attrs); err != nil {
			return nil, err
		}
	}
	if t.EnforceSSO, err = optBoolArg(fn, "enforce_sso", enforceSSO); err != nil {
		return nil, err
	}
	if t.Disabled, err = optBoolArg(fn, "disabled", disabled); err != nil {
		return nil, err
	}
	if parent != nil {
		p, err := idOf(fn, "parent", descope.KindTenant, parent)
		if err != nil {
			return nil, err
		}
		if p == id {
			return nil, fmt.Errorf("%s: tenant %q cannot be its own parent", fn, id)
		}
		t.Parent = &p
	}
	if defaultRoles != nil {
		rs, err := stringList(fn, "default_roles", defaultRoles)
		if err != nil {
			return nil, err
		}
		t.DefaultRoles = &rs
	}
	if settings != nil {
		if t.Settings, err = tenantSettings(fn, settings); err != nil {
			return nil, err
		}
	}
	if err := d.collector(thread).addTenant(t); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return tenantValue(t), nil
}

var tenantFields = []string{"attributes", "default_roles", "disabled", "domains", "enforce_sso", "id", "name", "parent", "settings"}

func tenantValue(t *descope.Tenant) *Declared {
	return newDeclared(descope.KindTenant, t.ID, t, tenantFields, func(name string) starlark.Value {
		switch name {
		case "id":
			return starlark.String(t.ID)
		case "name":
			return starlark.String(t.Name)
		case "domains":
			return optList(t.Domains)
		case "enforce_sso":
			return optBool(t.EnforceSSO)
		case "disabled":
			return optBool(t.Disabled)
		case "parent":
			return optString(t.Parent)
		case "default_roles":
			return optList(t.DefaultRoles)
		case "attributes":
			if t.Attributes != nil {
				return FromGo(*t.Attributes)
			}
		case "settings":
			if t.Settings != nil {
				return FromGo(settingsMap(t.Settings))
			}
		}
		return starlark.None
	})
}

// nonEmpty returns &s, or nil for "" (an id that is not set).
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optBoolArg(fn, param string, v starlark.Value) (*bool, error) {
	if v == nil {
		return nil, nil
	}
	b, ok := v.(starlark.Bool)
	if !ok {
		return nil, fmt.Errorf("%s: %s must be True or False, not %s", fn, param, v.Type())
	}
	x := bool(b)
	return &x, nil
}

func domainList(fn, param string, v starlark.Value) (*[]string, error) {
	ds, err := stringList(fn, param, v)
	if err != nil {
		return nil, err
	}
	for _, dom := range ds {
		if err := checkDomain(fn, dom); err != nil {
			return nil, err
		}
	}
	return &ds, nil
}

func attributes(fn string, v starlark.Value) (*map[string]any, error) {
	dict, ok := v.(*starlark.Dict)
	if !ok {
		return nil, fmt.Errorf("%s: attributes must be a dict, not %s", fn, v.Type())
	}
	out := make(map[string]any, dict.Len())
	for _, item := range dict.Items() {
		k, ok := starlark.AsString(item[0])
		if d, isDecl := item[0].(*Declared); isDecl && d.kind == descope.KindTenantAttribute {
			k, ok = d.key, true
		}
		if !ok {
			return nil, fmt.Errorf("%s: attribute key %s must be a string (or a tenant_attribute)", fn, item[0])
		}
		if !attrKeyPattern.MatchString(k) {
			return nil, fmt.Errorf("%s: attribute key %q must be 1 to 20 letters, digits, '_' or '-'", fn, k)
		}
		x, err := attributeValue(item[1])
		if err != nil {
			return nil, fmt.Errorf("%s: attribute %q: %w", fn, k, err)
		}
		out[k] = x
	}
	return &out, nil
}

// attributeValue accepts what Descope stores in a custom attribute: a
// string, number, bool, or a list of those.
func attributeValue(v starlark.Value) (any, error) {
	switch v.(type) {
	case starlark.String, starlark.Int, starlark.Float, starlark.Bool:
		return ToGo(v)
	case *starlark.List, starlark.Tuple:
		seq := v.(starlark.Indexable)
		out := make([]any, seq.Len())
		for i := range out {
			switch seq.Index(i).(type) {
			case starlark.String, starlark.Int, starlark.Float, starlark.Bool:
			default:
				return nil, fmt.Errorf("list element %d is a %s; want string, number or bool", i, seq.Index(i).Type())
			}
			x, err := ToGo(seq.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("value is a %s; want string, number, bool or a list of them", v.Type())
}

// settingsParams[i] names descope.TenantSettingFields[i] in errors:
// "settings.auth_type".
var settingsParams = func() []string {
	params := make([]string, len(descope.TenantSettingFields))
	for i, f := range descope.TenantSettingFields {
		params[i] = "settings." + f.Keyword
	}
	return params
}()

// setSetting checks v as the value of tenant(settings = {...})'s key f,
// named param, and sets it in s.
func setSetting(fn, param string, f *descope.TenantSetting, s *descope.TenantSettings, v starlark.Value) error {
	switch f.Kind {
	case descope.SettingDomains:
		ds, err := domainList(fn, param, v)
		if err != nil {
			return err
		}
		f.Load(s, ds)
	case descope.SettingEnum:
		str, ok := starlark.AsString(v)
		if !ok {
			return fmt.Errorf("%s: %s must be a string, not %s", fn, param, v.Type())
		}
		if err := oneOf(fn, param, str, f.Values); err != nil {
			return err
		}
		f.Load(s, &str)
	case descope.SettingBool:
		b, err := optBoolArg(fn, param, v)
		if err != nil {
			return err
		}
		f.Load(s, b)
	case descope.SettingInt:
		var n int64
		if err := starlark.AsInt(v, &n); err != nil || n < 0 {
			return fmt.Errorf("%s: %s must be a non-negative int, not %s", fn, param, v)
		}
		f.Load(s, &n)
	default:
		panic(fmt.Sprintf("setting %s has no kind", f.Keyword))
	}
	return nil
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func settingsNames() []string {
	names := make([]string, len(descope.TenantSettingFields))
	for i, f := range descope.TenantSettingFields {
		names[i] = f.Keyword
	}
	return names
}

func tenantSettings(fn string, v starlark.Value) (*descope.TenantSettings, error) {
	dict, ok := v.(*starlark.Dict)
	if !ok {
		return nil, fmt.Errorf("%s: settings must be a dict, not %s", fn, v.Type())
	}
	s := new(descope.TenantSettings)
items:
	for _, item := range dict.Items() {
		k, _ := starlark.AsString(item[0])
		if item[1] == starlark.None {
			continue // unset: unmanaged
		}
		for i, f := range descope.TenantSettingFields {
			if f.Keyword == k {
				if err := setSetting(fn, settingsParams[i], f, s, item[1]); err != nil {
					return nil, err
				}
				continue items
			}
		}
		msg := fmt.Sprintf("%s: unknown settings key %s", fn, item[0])
		if n := nearest(k, settingsNames()); n != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", n)
		}
		return nil, fmt.Errorf("%s; settings keys are %s", msg, strings.Join(settingsNames(), ", "))
	}
	return s, nil
}

// settingsMap is the Starlark-facing form of settings: only the keys set.
func settingsMap(s *descope.TenantSettings) map[string]any {
	out := make(map[string]any)
	for _, f := range descope.TenantSettingFields {
		if v := f.Value(s); v != nil {
			out[f.Keyword] = v
		}
	}
	return out
}

func (d *declarer) flow(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, "id", "src"); err != nil {
		return nil, err
	}
	var id, src string
	if err := starlark.UnpackArgs(fn, args, kwargs, "id", &id, "src", &src); err != nil {
		return nil, err
	}
	if id == "" {
		return nil, fmt.Errorf("%s: id must not be empty", fn)
	}
	if !flowIDPattern.MatchString(id) {
		return nil, fmt.Errorf("%s: flow id %q must be letters, digits, '_' or '-'", fn, id)
	}
	path, doc, err := d.readDocument(thread, fn, src)
	if err != nil {
		return nil, err
	}
	if _, ok := doc["contents"]; !ok {
		return nil, fmt.Errorf("%s: %s has no \"contents\" key: it is not a flow export document (export one with the Descope console or `descope-run backup`)", fn, path)
	}
	f := &descope.Flow{ID: id, Document: doc, Src: path, Origin: originOf(thread)}
	if err := d.collector(thread).addFlow(f); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return flowValue(f), nil
}

func (d *declarer) theme(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, "src"); err != nil {
		return nil, err
	}
	var src string
	if err := starlark.UnpackArgs(fn, args, kwargs, "src", &src); err != nil {
		return nil, err
	}
	path, doc, err := d.readDocument(thread, fn, src)
	if err != nil {
		return nil, err
	}
	if _, ok := doc["styles"]; !ok {
		return nil, fmt.Errorf("%s: %s has no \"styles\" key: it is not a theme export document (export one with the Descope console or `descope-run backup`)", fn, path)
	}
	t := &descope.Theme{Document: doc, Src: path, Origin: originOf(thread)}
	if err := d.collector(thread).addTheme(t); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return themeValue(t), nil
}

// readDocument reads a JSON object document (a flow or theme export).
func (d *declarer) readDocument(thread *starlark.Thread, fn, src string) (string, map[string]any, error) {
	if src == "" {
		return "", nil, fmt.Errorf("%s: src must not be empty", fn)
	}
	path, data, err := d.files.Read(callerFile(thread), src)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", fn, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", nil, fmt.Errorf("%s: %s is not a JSON object: %s", fn, path, jsonErrorPos(data, err))
	}
	if doc == nil {
		return "", nil, fmt.Errorf("%s: %s is not a JSON object", fn, path)
	}
	if err := duplicateJSONKey(data); err != nil {
		return "", nil, fmt.Errorf("%s: %s is not valid JSON: %w", fn, path, err)
	}
	return path, doc, nil
}

// jsonErrorPos describes a JSON syntax error with its line and column.
func jsonErrorPos(data []byte, err error) string {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 {
		return err.Error()
	}
	// Offset counts the bytes read, the offending one included.
	line, col := 1, 1
	for _, c := range data[:max(0, min(int(off)-1, len(data)))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

func (d *declarer) permission(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, "name", "description"); err != nil {
		return nil, err
	}
	var name string
	var desc starlark.Value
	if err := starlark.UnpackArgs(fn, args, kwargs, "name", &name, "description??", &desc); err != nil {
		return nil, err
	}
	if err := checkName(fn, "name", name, 100); err != nil {
		return nil, err
	}
	p := &descope.Permission{Name: name, Origin: originOf(thread)}
	var err error
	if p.Description, err = description(fn, desc); err != nil {
		return nil, err
	}
	if err := d.collector(thread).addPermission(p); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return permissionValue(p), nil
}

func description(fn string, v starlark.Value) (*string, error) {
	if v == nil {
		return nil, nil
	}
	s, ok := starlark.AsString(v)
	if !ok {
		return nil, fmt.Errorf("%s: description must be a string, not %s", fn, v.Type())
	}
	if utf8.RuneCountInString(s) > 254 {
		return nil, fmt.Errorf("%s: description is longer than 254 characters", fn)
	}
	return &s, nil
}

var roleParams = []string{"name", "description", "permissions", "tenant", "default", "private"}

func (d *declarer) role(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, roleParams...); err != nil {
		return nil, err
	}
	var name string
	var desc, perms, tenant, def, private starlark.Value
	if err := starlark.UnpackArgs(fn, args, kwargs, "name", &name, "description??", &desc,
		"permissions??", &perms, "tenant??", &tenant, "default??", &def, "private??", &private); err != nil {
		return nil, err
	}
	if err := checkName(fn, "name", name, 100); err != nil {
		return nil, err
	}
	if strings.Contains(name, "/") {
		return nil, fmt.Errorf("%s: role name %q must not contain '/'", fn, name)
	}
	r := &descope.Role{Name: name, Origin: originOf(thread)}
	var err error
	if r.Description, err = description(fn, desc); err != nil {
		return nil, err
	}
	if perms != nil {
		ps, err := stringList(fn, "permissions", perms)
		if err != nil {
			return nil, err
		}
		r.Permissions = &ps
	}
	if tenant != nil {
		if r.Tenant, err = idOf(fn, "tenant", descope.KindTenant, tenant); err != nil {
			return nil, err
		}
		if err := checkID(fn, "tenant", r.Tenant); err != nil {
			return nil, err
		}
	}
	if r.Default, err = optBoolArg(fn, "default", def); err != nil {
		return nil, err
	}
	if r.Private, err = optBoolArg(fn, "private", private); err != nil {
		return nil, err
	}
	if err := d.collector(thread).addRole(r); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return roleValue(r), nil
}

func (d *declarer) own(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, "kind", "match"); err != nil {
		return nil, err
	}
	var kind string
	match := "*"
	if err := starlark.UnpackArgs(fn, args, kwargs, "kind", &kind, "match?", &match); err != nil {
		return nil, err
	}
	kinds := make([]string, len(descope.OwnableKinds))
	for i, k := range descope.OwnableKinds {
		kinds[i] = string(k)
	}
	if err := oneOf(fn, "kind", kind, kinds); err != nil {
		return nil, err
	}
	if match == "" {
		return nil, fmt.Errorf("%s: match must not be empty (use \"*\" to own every %s)", fn, kind)
	}
	o := &descope.Ownership{Kind: descope.Kind(kind), Match: match, Origin: originOf(thread)}
	if err := d.collector(thread).addOwn(o); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return starlark.None, nil
}
