package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"gopkg.in/yaml.v3"

	"github.com/descope-run/descope-run/builtins"
)

// Vars are the values a config sees as `vars`: the defaults of
// descope-run.yaml, then each --var-file in order, then each --var k=v. Later
// sources win.
type Vars struct {
	values map[string]any
	// given maps the names set by --var or --var-file to their source
	// ("--var", "--var-file PATH"); descope-run.yaml defaults are not in it.
	given map[string]string
}

// LoadVars merges the sources of vars. files are paths as the user gave
// them; pairs are "k=v" strings.
func LoadVars(defaults map[string]any, files []string, pairs []string) (*Vars, error) {
	v := &Vars{values: make(map[string]any), given: make(map[string]string)}
	for k, x := range defaults {
		v.values[k] = x
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--var-file: %w", err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil { // YAML is a superset of JSON
			return nil, fmt.Errorf("--var-file %s: want a mapping of names to values: %w", filepath.ToSlash(f), err)
		}
		for k, x := range m {
			v.values[k] = x
			v.given[k] = "--var-file " + filepath.ToSlash(f)
		}
	}
	for _, p := range pairs {
		k, x, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--var %q: want NAME=VALUE", p)
		}
		v.values[k] = x
		v.given[k] = "--var"
	}
	return v, nil
}

// CheckRead returns an error naming every variable set by --var or
// --var-file that the config (entry, root-relative) did not read during its
// evaluation, with the name it may have meant: such a variable has no
// effect, most likely because of a typo. Defaults from descope-run.yaml are
// not checked.
func (v *Vars) CheckRead(entry string, read *builtins.Vars) error {
	names := make([]string, 0, len(v.given))
	for k := range v.given {
		names = append(names, k)
	}
	sort.Strings(names)
	unread := read.Unread(names)
	if len(unread) == 0 {
		return nil
	}
	// What the config may have meant: the names it read, and the defaults.
	known := read.Asked()
	for k := range v.values {
		if _, given := v.given[k]; !given {
			known = append(known, k)
		}
	}
	labels, hints := make([]string, len(unread)), make([]string, len(unread))
	for i, k := range unread {
		if src := v.given[k]; src == "--var" {
			labels[i] = "--var " + k
		} else {
			labels[i] = src + ": " + k
		}
		if n := builtins.Nearest(k, slices.DeleteFunc(slices.Clone(known), func(s string) bool { return s == k })); n != "" {
			hints[i] = fmt.Sprintf(" (did you mean %q?)", n)
		}
	}
	if len(unread) == 1 {
		return &UnreadVarsError{Names: unread, Msg: fmt.Sprintf("%s has no effect: %s never reads vars[%q]%s; remove it, or read it in the config",
			labels[0], entry, unread[0], hints[0])}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "these variables have no effect: %s never reads them (remove them, or read them in the config):", entry)
	for i := range unread {
		b.WriteString("\n  " + labels[i] + hints[i])
	}
	return &UnreadVarsError{Names: unread, Msg: b.String()}
}

// UnreadVarsError is a --var or --var-file variable that the config never
// reads.
type UnreadVarsError struct {
	// Names are the variables, sorted; Msg says where each was set.
	Names []string
	Msg   string
}

func (e *UnreadVarsError) Error() string { return e.Msg }

// Dict returns the vars as a frozen Starlark dict with sorted keys.
func (v *Vars) Dict() (*starlark.Dict, error) {
	d, ok := builtins.FromGo(normalizeYAML(v.values)).(*starlark.Dict)
	if !ok {
		return nil, fmt.Errorf("vars: not a mapping")
	}
	d.Freeze()
	return d, nil
}

// Digest returns the sha256 of the vars' canonical JSON form.
func (v *Vars) Digest() (string, error) {
	b, err := json.Marshal(normalizeYAML(v.values)) // encoding/json sorts map keys
	if err != nil {
		return "", fmt.Errorf("vars: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// normalizeYAML turns what yaml.v3 decodes (map[string]any, int, ...) into
// the plain data builtins.FromGo and encoding/json accept.
func normalizeYAML(x any) any {
	switch x := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			out[k] = normalizeYAML(v)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			out[fmt.Sprint(k)] = normalizeYAML(v)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = normalizeYAML(v)
		}
		return out
	case int:
		return int64(x)
	case uint64:
		return int64(x)
	}
	return x
}
