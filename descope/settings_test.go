package descope

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestTenantSettingFields checks the table against TenantSettings: each
// field has one row, whose accessors reach that field, whose Wire is the
// field's JSON name and whose Type and Kind are the field's.
func TestTenantSettingFields(t *testing.T) {
	typ := reflect.TypeFor[TenantSettings]()
	rowOf := map[string]string{} // field name -> keyword
	keywords, wires := map[string]bool{}, map[string]bool{}
	for _, f := range TenantSettingFields {
		if keywords[f.Keyword] || wires[f.Wire] {
			t.Errorf("setting %s (%s) is in the table twice", f.Keyword, f.Wire)
		}
		keywords[f.Keyword], wires[f.Wire] = true, true
		if f.Keyword != strings.ToLower(f.Keyword) || strings.ContainsAny(f.Keyword, " -") {
			t.Errorf("keyword %q is not snake_case", f.Keyword)
		}
		want := map[SettingKind]reflect.Type{
			SettingDomains: reflect.TypeFor[[]string](), SettingEnum: reflect.TypeFor[string](),
			SettingBool: reflect.TypeFor[bool](), SettingInt: reflect.TypeFor[int64](),
		}[f.Kind]
		if f.Type() != want || (f.Kind == SettingEnum) != (len(f.Values) > 0) {
			t.Errorf("setting %s: kind %d, type %v, values %q do not agree", f.Keyword, f.Kind, f.Type(), f.Values)
		}

		// Load sets exactly one field: the row's.
		s := new(TenantSettings)
		f.Load(s, reflect.New(f.Type()).Interface())
		v := reflect.ValueOf(s).Elem()
		var set []string
		for i := range typ.NumField() {
			if !v.Field(i).IsNil() {
				set = append(set, typ.Field(i).Name)
			}
		}
		if len(set) != 1 {
			t.Errorf("setting %s sets fields %q, want one", f.Keyword, set)
			continue
		}
		field, _ := typ.FieldByName(set[0])
		if prev, ok := rowOf[field.Name]; ok {
			t.Errorf("settings %s and %s both set TenantSettings.%s", prev, f.Keyword, field.Name)
		}
		rowOf[field.Name] = f.Keyword
		if name, _, _ := strings.Cut(field.Tag.Get("json"), ","); name != f.Wire {
			t.Errorf("setting %s: TenantSettings.%s has JSON name %q, want its Wire %q", f.Keyword, field.Name, name, f.Wire)
		}
		if field.Type.Elem() != f.Type() {
			t.Errorf("setting %s: TenantSettings.%s is a %v, want *%v", f.Keyword, field.Name, field.Type, f.Type())
		}
	}
	for i := range typ.NumField() {
		if name := typ.Field(i).Name; rowOf[name] == "" {
			t.Errorf("TenantSettings.%s has no row in TenantSettingFields", name)
		}
	}
}

// TestTenantSettingAccessors round trips every setting through Value, Store
// and Clone.
func TestTenantSettingAccessors(t *testing.T) {
	s := SampleTenantSettings(1)
	c := s.Clone()
	if !reflect.DeepEqual(c, s) {
		t.Fatalf("Clone = %+v, want %+v", c, s)
	}
	cv, sv := reflect.ValueOf(c).Elem(), reflect.ValueOf(s).Elem()
	for i := range cv.NumField() {
		if !cv.Field(i).IsNil() && cv.Field(i).Pointer() == sv.Field(i).Pointer() {
			t.Errorf("Clone shares TenantSettings.%s", cv.Type().Field(i).Name)
		}
	}
	empty := new(TenantSettings)
	for _, f := range TenantSettingFields {
		to := reflect.New(f.Type())
		if !f.Store(s, to.Interface()) || !reflect.DeepEqual(to.Elem().Interface(), f.Value(s)) {
			t.Errorf("setting %s: Store gives %v, Value %v", f.Keyword, to.Elem(), f.Value(s))
		}
		if f.Value(empty) != nil || f.Store(empty, to.Interface()) {
			t.Errorf("setting %s: unset, Value or Store reports a value", f.Keyword)
		}
	}
	if (*TenantSettings)(nil).Clone() != nil {
		t.Error("nil.Clone() is not nil")
	}
}

// TestDiffEverySetting: a plan compares every setting, under its wire name.
func TestDiffEverySetting(t *testing.T) {
	state := func(n int) *State {
		return &State{Tenants: []*Tenant{{ID: "acme", Name: "Acme", Settings: SampleTenantSettings(n)}}}
	}
	for _, tt := range []struct {
		name string
		live *State
	}{{"create", &State{}}, {"update", state(0)}} {
		p := Diff(tt.live, state(1))
		if len(p.Changes) != 1 {
			t.Fatalf("%s: %d changes, want 1", tt.name, len(p.Changes))
		}
		var got, want []string
		for _, fc := range p.Changes[0].Fields {
			if strings.HasPrefix(fc.Path, "settings.") {
				got = append(got, fc.Path)
			}
		}
		for _, f := range TenantSettingFields {
			want = append(want, "settings."+f.Wire)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: settings fields %q, want %q", tt.name, got, want)
		}
	}
}
