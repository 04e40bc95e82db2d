package emulator

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// tenantSettings is the emulator's own reading of the API's settings
// (docs/descope-api.md section 4.1); these tests hold it to the domain's
// table, descope.TenantSettingFields, by wire name, so that a setting added
// to the client side and not here (or the other way) fails.

// unmanagedSettings are the fields of tenantSettings that are no setting
// of the table: descope-run does not manage them as settings.
var unmanagedSettings = []string{"selfProvisioningDomains", "ssoSetupSuiteSettings"}

// TestSettingsWireCoversTable: each setting of the table is a field of
// tenantSettings under the same JSON name and Go type, and every other
// field is a known unmanaged one.
func TestSettingsWireCoversTable(t *testing.T) {
	typ := reflect.TypeFor[tenantSettings]()
	fields := map[string]reflect.Type{}
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		fields[name] = typ.Field(i).Type
	}
	for _, f := range descope.TenantSettingFields {
		switch got, ok := fields[f.Wire]; {
		case !ok:
			t.Errorf("tenantSettings has no field %q (setting %s)", f.Wire, f.Keyword)
		case got != f.Type():
			t.Errorf("tenantSettings field %q is a %v; setting %s is a %v", f.Wire, got, f.Keyword, f.Type())
		}
		delete(fields, f.Wire)
	}
	for _, name := range unmanagedSettings {
		delete(fields, name)
	}
	for name := range fields {
		t.Errorf("tenantSettings field %q is not in descope.TenantSettingFields", name)
	}
}

// TestSettingsRoundTrip: a settings body that sets every setting of the
// table decodes, reads back through model() and merges back whole. The two
// samples differ in every setting, so one of them differs from a new
// tenant's defaults wherever a field goes missing.
func TestSettingsRoundTrip(t *testing.T) {
	for n := range 2 {
		want := descope.SampleTenantSettings(n)
		body := map[string]any{}
		for _, f := range descope.TenantSettingFields {
			body[f.Wire] = f.Value(want)
		}
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		s := defaultSettings()
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		if err := checkSettings(&s); err != nil {
			t.Errorf("round %d: checkSettings: %v", n, err)
		}
		if got := s.model(); !reflect.DeepEqual(got, want) {
			t.Errorf("round %d: decoded and read back\n got %+v\nwant %+v", n, got, want)
		}
		merged := defaultSettings()
		merged.merge(want)
		if got := merged.model(); !reflect.DeepEqual(got, want) {
			t.Errorf("round %d: merged and read back\n got %+v\nwant %+v", n, got, want)
		}
	}
}
