package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeWorkspace creates files (path -> content) under a new directory.
func writeWorkspace(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestResolve(t *testing.T) {
	w := &Workspace{Root: "/ws"}
	tests := []struct {
		from, label string
		want        string
		wantErr     string
	}{
		{"main.star", "lib/a.star", "lib/a.star", ""},
		{"lib/a.star", "b.star", "lib/b.star", ""},
		{"lib/a.star", "//data/c.yaml", "data/c.yaml", ""},
		{"lib/a.star", "./b.star", "lib/b.star", ""},
		{"lib/a.star", "../b.star", "", `".." is not allowed`},
		{"main.star", "lib/../../x", "", `".." is not allowed`},
		{"main.star", "/etc/passwd", "", "absolute paths are not allowed"},
		{"main.star", "", "", "empty path"},
		{"main.star", "//", "", "names the workspace root"},
		{"main.star", `lib\a.star`, "", "use '/'"},
	}
	for _, tt := range tests {
		got, err := w.Resolve(tt.from, tt.label)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve(%q, %q) error = %v, want one containing %q", tt.from, tt.label, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q, %q) = %q, %v; want %q", tt.from, tt.label, got, err, tt.want)
		}
	}
}

func TestFindRoot(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{
		"ws/descope-run.yaml": "",
		"ws/envs/prod.star":   "",
		"lone/main.star":      "",
	})
	dir, _ = filepath.EvalSymlinks(dir)
	tests := []struct{ script, want string }{
		{"ws/envs/prod.star", "ws"},
		{"lone/main.star", "lone"},
	}
	for _, tt := range tests {
		got, err := FindRoot(filepath.Join(dir, tt.script))
		if err != nil || got != filepath.Join(dir, tt.want) {
			t.Errorf("FindRoot(%s) = %q, %v; want %q", tt.script, got, err, filepath.Join(dir, tt.want))
		}
	}
}

func TestEvalRecordsInputs(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{
		"descope-run.yaml": "vars: {a: 1}\n",
		"main.star":        `load("lib.star", "x")` + "\n" + `d = load_yaml("d.yaml")` + "\n",
		"lib.star":         "x = vars[\"a\"]\n",
		"d.yaml":           "k: v\n",
	})
	res, err := Eval(context.Background(), EvalOptions{Script: filepath.Join(dir, "main.star")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range res.Inputs.Files {
		got = append(got, k)
	}
	if want := []string{"d.yaml", "descope-run.yaml", "lib.star", "main.star"}; fmt.Sprint(sortStrings(got)) != fmt.Sprint(want) {
		t.Errorf("inputs = %v, want %v", got, want)
	}
	d1 := res.Inputs.Digest()
	res2, err := Eval(context.Background(), EvalOptions{Script: filepath.Join(dir, "main.star"), Vars: []string{"a=2"}})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Inputs.Digest() == d1 {
		t.Error("a different --var gave the same inputs digest")
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestEvalCancelled(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{
		"main.star": "def f():\n    for i in range(1000000000):\n        pass\nf()\n",
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Eval(ctx, EvalOptions{Script: filepath.Join(dir, "main.star")})
	var se *ScriptError
	if !errors.As(err, &se) || se.Msg != "evaluation cancelled" {
		t.Fatalf("Eval with a cancelled context: %v, want a ScriptError saying it was cancelled", err)
	}
}

func TestEvalModulesOnce(t *testing.T) {
	// Both a.star and b.star load common.star; its print runs once.
	dir := writeWorkspace(t, map[string]string{
		"main.star":   `load("a.star", "a")` + "\n" + `load("b.star", "b")` + "\n",
		"a.star":      `load("common.star", "c")` + "\na = c\n",
		"b.star":      `load("common.star", "c")` + "\nb = c\n",
		"common.star": "print(\"loading common\")\nc = 1\n",
	})
	var stderr strings.Builder
	if _, err := Eval(context.Background(), EvalOptions{Script: filepath.Join(dir, "main.star"), Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(stderr.String(), "loading common"); got != 1 {
		t.Errorf("common.star evaluated %d times, want 1:\n%s", got, stderr.String())
	}
}
