package builtins

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

// checkKwargs reports the first keyword in kwargs that is not one of params,
// with a did-you-mean hint. starlark.UnpackArgs also rejects unknown
// keywords, but its hint considers only some of the parameters.
func checkKwargs(fn string, kwargs []starlark.Tuple, params ...string) error {
	for _, kv := range kwargs {
		name := string(kv[0].(starlark.String))
		if slices.Contains(params, name) {
			continue
		}
		msg := fmt.Sprintf("%s: unexpected keyword argument %q", fn, name)
		if n := nearest(name, params); n != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", n)
		}
		return fmt.Errorf("%s; %s accepts %s", msg, fn, strings.Join(params, ", "))
	}
	return nil
}

// Nearest returns the candidate closest to name by edit distance, if it is
// close enough to be a plausible typo, else "".
func Nearest(name string, candidates []string) string { return nearest(name, candidates) }

// nearest returns the candidate closest to name by edit distance, if it is
// close enough to be a plausible typo, else "".
func nearest(name string, candidates []string) string {
	best, bestDist := "", 1+len(name)/2
	if bestDist < 3 {
		bestDist = 3
	}
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

var (
	// flowIDPattern is the rule Descope's Terraform provider applies to flow ids.
	flowIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// attrKeyPattern is the rule for tenant custom attribute keys.
	attrKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,20}$`)
	domainLabel    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// checkID validates an object id: non-empty, printable, no spaces and no '/'
// (which separates a role's tenant from its name).
func checkID(fn, what, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%s: %s must not be empty", fn, what)
	case strings.ContainsFunc(id, func(r rune) bool { return r == '/' || unicode.IsSpace(r) }):
		return fmt.Errorf("%s: %s %q must not contain spaces or '/'", fn, what, id)
	case strings.ContainsFunc(id, func(r rune) bool { return !unicode.IsPrint(r) }):
		return fmt.Errorf("%s: %s %q must be printable", fn, what, id)
	case utf8.RuneCountInString(id) > 100:
		return fmt.Errorf("%s: %s %q is longer than 100 characters", fn, what, id)
	}
	return nil
}

// checkName validates a display name: non-empty and at most max characters.
func checkName(fn, what, name string, max int) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%s: %s must not be empty", fn, what)
	}
	if utf8.RuneCountInString(name) > max {
		return fmt.Errorf("%s: %s %q is longer than %d characters", fn, what, name, max)
	}
	return nil
}

// checkDomain validates an email domain such as "acme.com": lowercase
// labels of letters, digits and hyphens, at least two of them.
func checkDomain(fn, d string) error {
	bad := func(why string) error {
		return fmt.Errorf("%s: malformed domain %q: %s (write it like \"acme.com\")", fn, d, why)
	}
	switch {
	case d == "":
		return bad("empty")
	case strings.Contains(d, "://"):
		return bad("a domain has no scheme")
	case strings.Contains(d, "@"):
		return bad("a domain is the part after '@'")
	case d != strings.ToLower(d):
		return bad("use lowercase")
	case len(d) > 253:
		return bad("longer than 253 characters")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return bad("it needs a dot")
	}
	for _, l := range labels {
		if !domainLabel.MatchString(l) {
			return bad(fmt.Sprintf("label %q is not letters, digits and inner hyphens", l))
		}
	}
	return nil
}

// oneOf checks that s is one of allowed.
func oneOf(fn, what, s string, allowed []string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	msg := fmt.Sprintf("%s: %s %q is not one of %s", fn, what, s, strings.Join(quoteAll(allowed), ", "))
	if n := nearest(s, allowed); n != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", n)
	}
	return fmt.Errorf("%s", msg)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
