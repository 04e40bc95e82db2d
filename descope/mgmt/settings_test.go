package mgmt

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestWireFieldsNeedEverySetting: a wire type that lacks a setting of the
// domain's table, or holds it in another type, stops the package at init,
// naming the setting.
func TestWireFieldsNeedEverySetting(t *testing.T) {
	for _, tt := range []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[struct {
			Domains []string `json:"domains"`
		}](), `no field with JSON name "authType" for setting auth_type`},
		{reflect.TypeFor[struct {
			Domains string `json:"domains"`
		}](), `.Domains is a string; setting domains is a []string`},
	} {
		got := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			wireFields(tt.typ)
			return ""
		}()
		if !strings.Contains(got, tt.want) {
			t.Errorf("wireFields(%v) panics with %q, want %q", tt.typ, got, tt.want)
		}
	}
}
