package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
}

// LoadVars merges the sources of vars. files are paths as the user gave
// them; pairs are "k=v" strings.
func LoadVars(defaults map[string]any, files []string, pairs []string) (*Vars, error) {
	v := &Vars{values: make(map[string]any)}
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
		}
	}
	for _, p := range pairs {
		k, x, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--var %q: want NAME=VALUE", p)
		}
		v.values[k] = x
	}
	return v, nil
}

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
