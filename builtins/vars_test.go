package builtins

import (
	"slices"
	"testing"

	"go.starlark.net/starlark"
)

func TestVarsReads(t *testing.T) {
	names := []string{"env", "n", "region"}
	tests := []struct {
		name, src  string
		wantUnread []string
		wantAsked  []string
	}{
		{"none", `x = 1`, names, []string{}},
		{"index", `x = vars["env"]`, []string{"n", "region"}, []string{"env"}},
		{"get of a missing name", `x = vars.get("regoin", "eu")`, names, []string{"regoin"}},
		{"in", `x = "n" in vars`, []string{"env", "region"}, []string{"n"}},
		{"in a function", "def f():\n    return vars[\"env\"]\nx = f()", []string{"n", "region"}, []string{"env"}},
		{"iteration reads all", `x = [k for k in vars]`, nil, []string{}},
		{"items reads all", `x = vars.items()`, nil, []string{}},
		{"data conversion reads all", `x = json.encode(vars)`, nil, []string{}},
		{"union reads all", `x = vars | {}`, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVars(FromGo(map[string]any{"env": "prod", "n": int64(1), "region": "eu"}).(*starlark.Dict))
			pre := Config(NewCollector(), newFakeFiles(nil), v)
			if _, err := starlark.ExecFileOptions(fileOptions, new(starlark.Thread), "main.star", tt.src, pre); err != nil {
				t.Fatal(err)
			}
			if got := v.Unread(names); !slices.Equal(got, tt.wantUnread) {
				t.Errorf("Unread = %q, want %q", got, tt.wantUnread)
			}
			if got := v.Asked(); !slices.Equal(got, tt.wantAsked) {
				t.Errorf("Asked = %q, want %q", got, tt.wantAsked)
			}
		})
	}
}
