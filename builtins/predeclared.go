package builtins

import (
	"go.starlark.net/lib/json"
	"go.starlark.net/lib/math"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// FileOptions is the dialect of configs and scripts (docs/design.md section
// 3): set() and top-level for and if statements are allowed, so that a config
// can loop over its customers without a function; recursion, while loops and
// reassigning a top-level name are not. A top-level for loop's variable is a
// global, assigned by that loop only.
var FileOptions = &syntax.FileOptions{Set: true, TopLevelControl: true}

// Config returns the predeclared names of a config (docs/design.md section 3):
// the declarations, which record into c; the file helpers, which read
// through files; vars (nil: none); and the data modules. It returns a fresh
// dict on every call and never touches starlark.Universe.
func Config(c *Collector, files Files, vars *Vars) starlark.StringDict {
	d := &declarer{c: c, files: files}
	r := &reader{files: files}
	if vars == nil {
		vars = NewVars(nil)
	}
	names := starlark.StringDict{
		"project":       starlark.NewBuiltin("project", d.project),
		"tenant":        starlark.NewBuiltin("tenant", d.tenant),
		"flow":          starlark.NewBuiltin("flow", d.flow),
		"theme":         starlark.NewBuiltin("theme", d.theme),
		"permission":    starlark.NewBuiltin("permission", d.permission),
		"role":          starlark.NewBuiltin("role", d.role),
		"own":           starlark.NewBuiltin("own", d.own),
		"sso":           starlark.NewBuiltin("sso", d.sso),
		"oidc":          starlark.NewBuiltin("oidc", oidcBuiltin),
		"saml":          starlark.NewBuiltin("saml", samlBuiltin),
		"saml_metadata": starlark.NewBuiltin("saml_metadata", samlMetadataBuiltin),
		"secret":        starlark.NewBuiltin("secret", secretBuiltin),
		"vars":          vars,
		"read_file":     starlark.NewBuiltin("read_file", r.readFile),
		"load_json":     starlark.NewBuiltin("load_json", r.loadJSON),
		"load_yaml":     starlark.NewBuiltin("load_yaml", r.loadYAML),
		"load_csv":      starlark.NewBuiltin("load_csv", r.loadCSV),
		"json":          json.Module,
		"yaml":          YAMLModule,
		"math":          math.Module,
		"struct":        starlark.NewBuiltin("struct", starlarkstruct.Make),
	}
	names["tenant_attribute"] = starlark.NewBuiltin("tenant_attribute", d.tenantAttribute)
	return names
}
