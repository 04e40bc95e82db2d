package render

import (
	"fmt"
	"strings"

	"github.com/descope-run/descope-run/descope"
)

// unmanagedText returns the sentence that counts the unmanaged live objects
// ("" when there are none) and the note on the preconfigured ones among
// them.
func unmanagedText(p *descope.Plan) (subject, note string) {
	n := p.UnmanagedCount()
	if n == 0 {
		return "", ""
	}
	subject = fmt.Sprintf("%d live %s %s not managed by this configuration", n,
		plural(n, "object", "objects"), plural(n, "is", "are"))
	return subject, unmanagedNote(p)
}

// unmanagedNames returns the names of the unmanaged live objects in kind
// order, the preconfigured ones marked.
func unmanagedNames(p *descope.Plan) []string {
	var names []string
	for _, k := range descope.Kinds {
		for _, id := range p.Unmanaged[k] {
			name := objectName(k, id)
			if preconfigured(k, id) {
				name += " (preconfigured)"
			}
			names = append(names, name)
		}
	}
	return names
}

// preconfigured reports whether an unmanaged live object is one that every
// new Descope project starts with (docs/descope-api.md section 8): a
// built-in flow, the preconfigured role or permissions, or the theme.
func preconfigured(k descope.Kind, id string) bool {
	switch k {
	case descope.KindFlow:
		return descope.IsBuiltinFlow(id)
	case descope.KindRole:
		return descope.IsPreconfiguredRole(id)
	case descope.KindPermission:
		return descope.IsPreconfiguredPermission(id)
	case descope.KindTheme:
		return true
	}
	return false
}

// unmanagedNote explains the unmanaged objects that a new project starts
// with, so that a first plan does not leave a reader wondering where they
// come from and whether they will be deleted. When every unmanaged object is
// one of them (a new project, the first plans of a workspace) it says so in
// a sentence; when others are there too, it counts them in a shorter one;
// with none of them, it is "".
func unmanagedNote(p *descope.Plan) string {
	var flows, roles, permissions, theme, n int
	for k, ids := range p.Unmanaged {
		for _, id := range ids {
			if !preconfigured(k, id) {
				continue
			}
			n++
			switch k {
			case descope.KindFlow:
				flows++
			case descope.KindRole:
				roles++
			case descope.KindPermission:
				permissions++
			case descope.KindTheme:
				theme++
			}
		}
	}
	if n == 0 {
		return ""
	}
	var what []string
	if flows > 0 {
		what = append(what, "the built-in "+plural(flows, "flow", "flows"))
	}
	if theme > 0 {
		what = append(what, "the theme")
	}
	switch {
	case roles > 0 && permissions > 0:
		what = append(what, "the preconfigured "+plural(roles, "role", "roles")+" and "+plural(permissions, "permission", "permissions"))
	case roles > 0:
		what = append(what, "the preconfigured "+plural(roles, "role", "roles"))
	case permissions > 0:
		what = append(what, "the preconfigured "+plural(permissions, "permission", "permissions"))
	}
	list := what[0]
	if len(what) > 1 {
		list = strings.Join(what[:len(what)-1], ", ") + " and " + what[len(what)-1]
	}
	if n == p.UnmanagedCount() {
		return fmt.Sprintf("A new Descope project starts with %s (%s); %s left alone.",
			plural(n, "it", "them"), list, plural(n, "it is", "they are"))
	}
	return fmt.Sprintf("%d of them %s with every new Descope project (%s) and %s left alone.",
		n, plural(n, "comes", "come"), list, plural(n, "is", "are"))
}
