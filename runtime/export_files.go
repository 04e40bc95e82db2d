package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/descope-run/descope-run/descope"
)

// InlineTenants is the most tenants an export declares inline in main.star;
// a project with more gets them as data, one entry each in
// data/tenants.yaml, declared by the template module lib/tenants.star.
const InlineTenants = 10

// Paths of the files an export writes, relative to its folder.
const (
	exportEntry       = "main.star"
	exportTenantsData = "data/tenants.yaml"
	exportTenantsLib  = "lib/tenants.star"
)

// expr is Starlark source written as it is, such as a call.
type expr string

// tenantKeywords are tenant()'s keywords, in the order of its signature.
var tenantKeywords = []string{"id", "name", "domains", "attributes", "enforce_sso", "disabled", "parent", "default_roles", "settings"}

// tenantDefaults are the values a data entry takes for a keyword it leaves
// out: what a new tenant has. settings, when exported, defaults to the
// settings most tenants share (see commonSettings).
var tenantDefaults = []arg{
	{"domains", []string{}},
	{"attributes", map[string]any{}},
	{"enforce_sso", false},
	{"disabled", false},
	{"default_roles", []string{}},
}

// exportFiles returns the files of the workspace that declares m, by path.
func exportFiles(m *exportModel, opts *ExportOptions) (map[string][]byte, error) {
	files := map[string][]byte{
		ConfigFile:   workspaceConfig(m, opts),
		".gitignore": []byte("# The local project, descope-run's stand-in for Descope when DESCOPE_PROJECT_ID\n# is not set.\n/" + LocalDir + "/\n"),
	}
	asData := len(m.tenants) > InlineTenants
	var defaults []arg
	if asData {
		defaults = dataDefaults(m.tenants)
		files[exportTenantsData] = tenantsData(m, defaults)
		files[exportTenantsLib] = []byte(tenantsLib)
	}
	files[exportEntry] = []byte(entryScript(m, defaults, asData))
	for path, doc := range m.docs {
		data, err := encodeDocument(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		files[path] = data
	}
	return files, nil
}

// projectLabel names the project in comments: its id, and its name when known.
func (m *exportModel) projectLabel() string {
	if m.projectName == "" {
		return "project " + m.projectID
	}
	return fmt.Sprintf("project %s (%s)", m.projectID, starString(m.projectName))
}

// entryScript returns main.star.
func entryScript(m *exportModel, defaults []arg, asData bool) string {
	var b strings.Builder
	writeComment(&b, "", fmt.Sprintf("Descope %s, as `descope-run export` read it. "+
		"`descope-run plan main.star` shows no changes until the project or this config changes: "+
		"edit it, plan, apply.", m.projectLabel()))
	if len(m.notes) > 0 {
		writeComment(&b, "", "\nLeft unmanaged (the live values stay as they are):")
		for _, n := range m.notes {
			writeComment(&b, "", "- "+n)
		}
	}
	if asData {
		b.WriteString("\n" + `load("//` + exportTenantsLib + `", "tenants")` + "\n")
	}
	b.WriteString("\n")
	writeCall(&b, m.project)
	if len(m.permissions)+len(m.roles) > 0 {
		b.WriteString("\n")
		writeComment(&b, "", authorizationComment(m))
		writeCalls(&b, m.permissions)
		if len(m.permissions) > 0 && len(m.roles) > 0 {
			b.WriteString("\n")
		}
		writeCalls(&b, m.roles)
	}
	if len(m.attributes) > 0 {
		b.WriteString("\n")
		writeComment(&b, "", "Tenant custom attribute definitions: a tenant may set a key in its attributes once the project defines it.")
		writeCalls(&b, m.attributes)
	}
	switch {
	case asData:
		b.WriteString("\n")
		writeComment(&b, "", fmt.Sprintf("Tenants: one entry each in %s, parents before their sub-tenants. "+
			"An entry's keys are tenant() keywords; a key it leaves out takes its value from defaults, "+
			"and a key set to null is unmanaged (%s).", exportTenantsData, exportTenantsLib))
		var d strings.Builder
		d.WriteString("{\n")
		for _, a := range defaults {
			d.WriteString(starIndent + starIndent + starString(a.name) + ": ")
			starValue(&d, a.value, starIndent+starIndent, 2*len(starIndent)+len(a.name)+4)
			d.WriteString(",\n")
		}
		d.WriteString(starIndent + "}")
		writeCall(&b, decl{fn: "tenants", args: []arg{
			{"", expr(fmt.Sprintf("load_yaml(%s)", starString(exportTenantsData)))},
			{"defaults", expr(d.String())},
		}})
	case len(m.tenants) > 0:
		b.WriteString("\n")
		writeComment(&b, "", "Tenants, parents before their sub-tenants.")
		writeCalls(&b, m.tenants)
	}
	if len(m.tenantRoles) > 0 {
		b.WriteString("\n")
		writeComment(&b, "", "Roles of one tenant each.")
		writeCalls(&b, m.tenantRoles)
	}
	if len(m.sso) > 0 {
		b.WriteString("\n")
		writeComment(&b, "", "SSO configurations. The API never returns a client secret: "+
			"secret() names the variable a plan reads one from when it sends it.")
		writeCalls(&b, m.sso)
	}
	if len(m.flows) > 0 {
		b.WriteString("\n")
		writeComment(&b, "", "Flows, each from the document the flow export API returned.")
		writeCalls(&b, m.flows)
	}
	if m.theme != nil {
		b.WriteString("\n")
		writeComment(&b, "", "The project theme, as the theme export API returned it.")
		writeCall(&b, *m.theme)
	}
	if len(m.owns) > 0 {
		b.WriteString("\n")
		writeComment(&b, "", "Ownership. Uncommenting a line makes this config own every live object of that kind "+
			"(that matches): apply then deletes the ones it does not declare, at most --max-deletes at once. "+
			"As long as they stay commented out, objects made in the console are listed as unmanaged and left alone.")
		for _, d := range m.owns {
			var line strings.Builder
			writeCall(&line, d)
			b.WriteString("# " + line.String())
		}
	}
	return b.String()
}

// authorizationComment introduces the permissions and project roles.
func authorizationComment(m *exportModel) string {
	text := "Project roles."
	switch {
	case len(m.permissions) > 0 && len(m.roles) > 0:
		text = "Permissions, then the roles that bundle them."
	case len(m.permissions) > 0:
		text = "Permissions."
	}
	var preconfigured []string
	for _, d := range slices.Concat(m.permissions, m.roles) {
		name, _ := d.get("name")
		if d.fn == "permission" && descope.IsPreconfiguredPermission(name.(string)) ||
			d.fn == "role" && descope.IsPreconfiguredRole(name.(string)) {
			preconfigured = append(preconfigured, starString(name.(string)))
		}
	}
	switch len(preconfigured) {
	case 0:
	case 1:
		text += fmt.Sprintf(" Descope preconfigures %s in every project: it is declared like the others, and never deleted.", preconfigured[0])
	default:
		last := len(preconfigured) - 1
		text += fmt.Sprintf(" Descope preconfigures %s and %s in every project: they are declared like the others, and never deleted.",
			strings.Join(preconfigured[:last], ", "), preconfigured[last])
	}
	return text
}

// writeCalls writes the calls ds, with a blank line between them when one
// takes more than one line.
func writeCalls(b *strings.Builder, ds []decl) {
	calls := make([]string, len(ds))
	sep := ""
	for i, d := range ds {
		var call strings.Builder
		writeCall(&call, d)
		calls[i] = call.String()
		if strings.Count(calls[i], "\n") > 1 {
			sep = "\n"
		}
	}
	b.WriteString(strings.Join(calls, sep))
}

// dataDefaults returns the defaults of the data entries: tenantDefaults for
// the keywords some tenant sets, and the most common settings.
func dataDefaults(tenants []decl) []arg {
	var out []arg
	for _, def := range tenantDefaults {
		for _, t := range tenants {
			if _, ok := t.get(def.name); ok {
				out = append(out, def)
				break
			}
		}
	}
	if s, ok := commonSettings(tenants); ok {
		out = append(out, arg{"settings", s})
	}
	return out
}

// commonSettings returns the settings most tenants have (of equal counts,
// the first in canonical JSON order).
func commonSettings(tenants []decl) (any, bool) {
	count := map[string]int{}
	value := map[string]any{}
	for _, t := range tenants {
		if s, ok := t.get("settings"); ok {
			k := canonicalValue(s)
			count[k]++
			value[k] = s
		}
	}
	best := ""
	for k, n := range count {
		if best == "" || n > count[best] || n == count[best] && k < best {
			best = k
		}
	}
	return value[best], best != ""
}

// canonicalValue is v's JSON, keys sorted: equal data gives equal strings.
func canonicalValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("export: %v", err))
	}
	return string(b)
}

// tenantsData returns data/tenants.yaml: one entry per tenant, its keywords
// in tenant()'s order, without the values that defaults give.
func tenantsData(m *exportModel, defaults []arg) []byte {
	var b strings.Builder
	writeComment(&b, "", fmt.Sprintf("The tenants of %s, one entry each, parents before their sub-tenants. "+
		"main.star declares them with %s: an entry's keys are tenant() keywords; "+
		"a key left out takes its value from the defaults in main.star, and null leaves the field unmanaged.",
		m.projectLabel(), exportTenantsLib))
	b.WriteString("\n")
	defs := decl{args: defaults}
	for _, t := range m.tenants {
		indent := "- "
		for _, k := range tenantKeywords {
			v, set := t.get(k)
			def, hasDefault := defs.get(k)
			switch {
			case !set && !hasDefault, set && hasDefault && canonicalValue(def) == canonicalValue(v):
				continue
			case !set:
				v = nil // unmanaged
			}
			writeYAMLEntry(&b, indent, k, v)
			indent = "  "
		}
	}
	return []byte(b.String())
}

// tenantsLib is lib/tenants.star, the template that declares the tenants of
// data/tenants.yaml.
const tenantsLib = `"""Tenants from data: the template main.star declares data/tenants.yaml with.

Written by ` + "`descope-run export`" + `; yours to change.
"""

def tenants(entries, defaults = None):
    """Declares one tenant per entry.

    Args:
      entries: a list of dicts of tenant() keywords: id, name, domains,
        attributes, enforce_sso, disabled, parent, default_roles, settings.
      defaults: the keywords of an entry that leaves them out. An entry's
        keyword set to None (null in YAML) is unmanaged: the live value stays.

    Returns:
      a dict from tenant id to the declared tenant, to pass on as a parent or
      as the tenant of a role.
    """
    declared = {}
    for entry in entries:
        kwargs = dict(defaults or {})
        kwargs.update(entry)
        declared[entry["id"]] = tenant(**kwargs)
    return declared
`

// workspaceConfig returns descope-run.yaml: the project's id under a name,
// with a placeholder for the variable that holds its key.
func workspaceConfig(m *exportModel, opts *ExportOptions) []byte {
	name := opts.ProjectName
	if name == "" {
		name = slug(m.projectName)
	}
	keyEnv := opts.KeyEnv
	if keyEnv == "" {
		keyEnv = "DESCOPE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_MANAGEMENT_KEY"
		if !isEnvName(keyEnv) {
			keyEnv = "DESCOPE_MANAGEMENT_KEY"
		}
	}
	var b bytes.Buffer
	writeComment(&b, "", fmt.Sprintf("Workspace defaults for descope-run, written by `descope-run export` from %s. "+
		"This file marks the workspace root: a \"//\" path in load() or load_yaml() starts here. "+
		"Every key is optional; command-line flags win.", m.projectLabel()))
	b.WriteString("\n")
	writeComment(&b, "", "The project main.star pins, and the environment variable that holds its management key "+
		"(a placeholder: rename it to the one your CI sets; the key itself never goes in this file). "+
		"With DESCOPE_PROJECT_ID unset, plan and apply use the local project of this id under "+LocalDir+"/.")
	b.WriteString("projects:\n")
	fmt.Fprintf(&b, "  %s:\n    id: %s\n    key_env: %s\n", yamlScalar(name), yamlScalar(m.projectID), yamlScalar(keyEnv))
	return b.Bytes()
}

// slug returns name in lowercase ASCII letters and digits, runs of anything
// else as one '-': "Ledgerly Production" gives "ledgerly-production". It
// returns "project" when nothing is left.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	if b.Len() == 0 {
		return "project"
	}
	return b.String()
}

// isEnvName reports whether s is a portable environment variable name.
func isEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
