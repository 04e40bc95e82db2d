package runtime

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestFormatStar(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"formatted stays", "x = 1\n", "x = 1\n"},
		{"layout, quotes and keywords",
			"def f(a,b=1):\n  return tenant(id='x'+a,name=b,\n     domains=[])\n",
			"def f(a, b = 1):\n    return tenant(\n        id = \"x\" + a,\n        name = b,\n        domains = [],\n    )\n"},
		{"loads moved up, merged and sorted",
			"x = 1\nload(\"//b.star\", \"y\")\nload('//a.star', 'z')\nload(\"//b.star\", \"w\")\n",
			"load(\"//a.star\", \"z\")\nload(\"//b.star\", \"w\", \"y\")\n\nx = 1\n"},
		{"docstrings re-indented",
			"def f():\n  \"\"\"Does f.\n\n  More.\n  \"\"\"\n  pass\n",
			"def f():\n    \"\"\"Does f.\n\n    More.\n    \"\"\"\n    pass\n"},
		{"comments kept", "# top\nx = 1  # one\n", "# top\nx = 1  # one\n"},
		{"numbers", "x = 0o17 + 1.5e3\n", "x = 0o17 + 1.5e3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatStar("x.star", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestFormatStarRefuses(t *testing.T) {
	// buildifier sorts a list under a "keep sorted" comment: that changes
	// the program, so fmt leaves the file alone.
	_, err := FormatStar("x.star", []byte("X = [\n    # keep sorted\n    \"b\",\n    \"a\",\n]\n"))
	if err == nil || !strings.Contains(err.Error(), "x.star: formatting would change what the file means") {
		t.Errorf("got %v, want a refusal", err)
	}
	_, err = FormatStar("x.star", []byte("x = (\n"))
	var se *ScriptError
	if !errors.As(err, &se) || se.Pos != "x.star:2:1" {
		t.Errorf("got %v, want a *ScriptError at x.star:2:1", err)
	}
}

func TestProgramShape(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"x = 'a'", `x = "a"`, true},
		{"x = (1 + 2)", "x = 1 + 2", true},
		{"x = 1 # c", "x = 1", true},
		{"def f():\n  'doc'\n  return 1", "def f():\n    \"other doc\"\n    return 1", true},
		{"load('a', 'x')\nload('b', 'y')", "load('b', 'y')\nload('a', 'x')", true},
		{"load('a', 'x', 'y')", "load('a', 'y')\nload('a', 'x')", true},
		{"x = 1.0", "x = 1.", true},
		{"x = 1", "x = 2", false},
		{"x = [1, 2]", "x = [2, 1]", false},
		{"x = (1 + 2) * 3", "x = 1 + 2 * 3", false},
		{"load('a', 'x')", "load('a', y = 'x')", false},
		{"f(a = 1)", "f(b = 1)", false},
		{"x = 'a'", "x = b'a'", false},
	}
	for _, tt := range tests {
		a, err := programShape("a.star", []byte(tt.a))
		if err != nil {
			t.Fatal(err)
		}
		b, err := programShape("b.star", []byte(tt.b))
		if err != nil {
			t.Fatal(err)
		}
		if (a == b) != tt.same {
			t.Errorf("%q vs %q: same = %v, want %v\n%s\n%s", tt.a, tt.b, a == b, tt.same, a, b)
		}
	}
}

// repoRoot is the repository, two levels up from this package.
const repoRoot = ".."

// TestRepositoryStarFilesFormatted checks every .star file of the
// repository: it formats without a change of meaning, formatting is
// idempotent, and the file is already formatted (as gofmt is for Go).
func TestRepositoryStarFilesFormatted(t *testing.T) {
	files, err := StarFiles([]string{repoRoot})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d .star files under %s, want the repository's", len(files), repoRoot)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		once, err := FormatStar(name, src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		twice, err := FormatStar(name, once)
		if err != nil || string(twice) != string(once) {
			t.Errorf("%s: formatting is not idempotent: %v", name, err)
		}
		if string(once) != string(src) {
			t.Errorf("%s is not formatted: run descope-run fmt %s", name, name)
		}
	}
}

// messUp lays a .star file out differently without changing what it
// evaluates to: two-space indentation and trailing blanks (which change
// only docstrings, the one kind of multi-line string the example uses).
func messUp(src string) string {
	lead := regexp.MustCompile(`(?m)^((?:    )+)`)
	src = lead.ReplaceAllStringFunc(src, func(s string) string { return s[:len(s)/2] })
	return strings.ReplaceAll(src, "\n", "  \n")
}

// TestFormatKeepsEvaluation evaluates the example's entry scripts in a
// messed-up copy of the workspace and again once every .star file of the
// copy is formatted: the desired states are the same.
func TestFormatKeepsEvaluation(t *testing.T) {
	messy := t.TempDir()
	if err := copyWorkspace(filepath.Join(repoRoot, "scripts"), messy); err != nil {
		t.Fatal(err)
	}
	files, err := StarFiles([]string{messy})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(messUp(string(src))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	formatted := t.TempDir()
	if err := copyWorkspace(messy, formatted); err != nil {
		t.Fatal(err)
	}
	changed := 0
	err = filepath.WalkDir(formatted, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".star") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out, err := FormatStar(path, src)
		if err != nil {
			return err
		}
		if string(out) != string(src) {
			changed++
		}
		return os.WriteFile(path, out, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if changed == 0 {
		t.Fatal("formatting changed nothing: messUp did not mess up")
	}
	for _, entry := range []string{"prod.star", "staging.star"} {
		before := evalCanonical(t, filepath.Join(messy, entry))
		after := evalCanonical(t, filepath.Join(formatted, entry))
		if before != after {
			t.Errorf("%s evaluates differently once formatted", entry)
		}
	}
}

func evalCanonical(t *testing.T, script string) string {
	t.Helper()
	res, err := Eval(context.Background(), EvalOptions{Script: script})
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	b, err := res.State.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
