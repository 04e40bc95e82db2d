package mgmt

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/descope-run/descope-run/descope"
)

// TenantSettings (wire.go) declares the settings as the API sends them; the
// conversions to and from descope.TenantSettings derive from the domain's
// table, descope.TenantSettingFields, matching each row to the field of
// TenantSettings whose JSON name is the row's Wire name.

// settingFields[i] is the index in TenantSettings of the field that carries
// descope.TenantSettingFields[i].
var settingFields = wireFields(reflect.TypeFor[TenantSettings]())

// wireFields returns the index in the struct type t of the field of each
// setting of descope.TenantSettingFields, found by its JSON name. It panics
// when t lacks a setting or holds it in another type: a row added to the
// table needs its field in the wire type too.
func wireFields(t reflect.Type) []int {
	byName := make(map[string]reflect.StructField, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		byName[name] = f
	}
	index := make([]int, len(descope.TenantSettingFields))
	for i, s := range descope.TenantSettingFields {
		f, ok := byName[s.Wire]
		if !ok {
			panic(fmt.Sprintf("mgmt: %s has no field with JSON name %q for setting %s", t, s.Wire, s.Keyword))
		}
		if f.Type != s.Type() {
			panic(fmt.Sprintf("mgmt: %s.%s is a %s; setting %s is a %s", t, f.Name, f.Type, s.Keyword, s.Type()))
		}
		index[i] = f.Index[0]
	}
	return index
}

// Model returns s as live descope.TenantSettings, every field set.
func (s *TenantSettings) Model() *descope.TenantSettings {
	m := new(descope.TenantSettings)
	v := reflect.ValueOf(s).Elem()
	for i, f := range descope.TenantSettingFields {
		f.Load(m, v.Field(settingFields[i]).Addr().Interface())
	}
	return m
}

// MergeSettings returns live with the settings d manages replaced.
func MergeSettings(live *TenantSettings, d *descope.TenantSettings) *TenantSettings {
	s := *live
	v := reflect.ValueOf(&s).Elem()
	for i, f := range descope.TenantSettingFields {
		f.Store(d, v.Field(settingFields[i]).Addr().Interface())
	}
	return &s
}

// body returns the body of POST /v1/mgmt/tenant/settings that writes s to
// tenant id: every setting, and the self-provisioning domains.
func (s *TenantSettings) body(id string) map[string]any {
	body := make(map[string]any, len(settingFields)+3)
	v := reflect.ValueOf(s).Elem()
	for i, f := range descope.TenantSettingFields {
		body[f.Wire] = v.Field(settingFields[i]).Interface()
	}
	body["selfProvisioningDomains"] = s.SelfProvisioningDomains
	body["tenantId"] = id
	return body
}
