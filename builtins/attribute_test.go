package builtins

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// Once evaluated, a config's definitions are checked against the
// permissions it declares, and tenants' values against the definitions, at
// the line of the declaration at fault.
func TestTenantAttributeReferences(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "values are not checked against the type (Descope does not say it does)",
			src: `permission(name = "billing")
tenant_attribute("tier", type = "singleselect", options = ["gold", "silver"], view_permissions = ["billing", "SSO Admin"])
tenant_attribute("seats", type = "number")
tenant_attribute("beta", type = "boolean")
tenant_attribute("regions", type = "multiselect", options = ["eu", "us"])
tenant_attribute("note")
tenant_attribute("since", type = "date")
tenant(id = "acme", name = "Acme", attributes = {"tier": "gold", "seats": 3, "beta": True, "regions": ["eu"], "note": "x", "since": 1700000000, "undeclared": 1})
tenant(id = "b", name = "B", attributes = {"seats": "many", "regions": ["apac"], "tier": 1})
`,
		},
		{
			name: "a view permission neither declared nor preconfigured",
			src: `permission(name = "billing")
tenant_attribute("tier", view_permissions = ["biling", "User Admin"])
`,
			want: []string{`main.star:2:17: tenant_attribute "tier": view permission "biling" is neither declared in this configuration nor preconfigured by Descope (declare it with permission(name="biling")) (did you mean "billing"?)`},
		},
		{
			name: "a select without declared options takes any string",
			src: `tenant_attribute("tier", type = "singleselect")
tenant(id = "acme", name = "Acme", attributes = {"tier": "anything"})
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := collect(t, tt.src).State()
			var got []string
			for _, de := range declErrors(t, err) {
				got = append(got, de.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("State errors:\ngot\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
			if s == nil {
				t.Fatal("nil state")
			}
		})
	}
}

func TestTenantAttributeState(t *testing.T) {
	s, err := collect(t, `tenant_attribute("tier", name = "Tier", type = "singleselect", options = ["silver", "gold"])
tenant_attribute("region")
own("tenant_attribute", "t*")
`).State()
	if err != nil {
		t.Fatal(err)
	}
	want := []*descope.TenantAttribute{
		{Key: "region", Type: "string"},
		{Key: "tier", DisplayName: descope.Ptr("Tier"), Type: "singleselect", Options: &[]string{"gold", "silver"}},
	}
	if len(s.TenantAttributes) != 2 {
		t.Fatalf("definitions: %+v", s.TenantAttributes)
	}
	for i, w := range want {
		g := *s.TenantAttributes[i]
		g.Origin = nil
		if b, wb := jsonOf(t, &g), jsonOf(t, w); b != wb {
			t.Errorf("definition %d = %s, want %s", i, b, wb)
		}
	}
	if pos := s.TenantAttributes[1].Origin.Pos(); pos != "main.star:1:17" {
		t.Errorf("origin %q", pos)
	}
	if len(s.Owns) != 1 || s.Owns[0].Kind != descope.KindTenantAttribute {
		t.Errorf("owns %+v", s.Owns)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
