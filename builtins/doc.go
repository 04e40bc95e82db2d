// Package builtins holds everything Starlark code can call: the declarations
// that build a desired state (project, tenant, flow, theme, permission, role,
// sso with oidc, saml, saml_metadata and secret, tenant_attribute, own), the
// data helpers (read_file, load_json, load_yaml, json, yaml, math, struct)
// and, for automation scripts, the live API.
//
// The package knows nothing of where files come from or how modules are
// loaded: the host supplies a [Files] and collects declarations through a
// [Collector]. Every declaration records its Starlark call stack, so that
// errors found later (a duplicate, a parent that does not exist, an API
// failure) point at the file and line that declared the object.
package builtins
