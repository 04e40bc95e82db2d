package builtins

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"
)

// fileOptions is the dialect of configs.
var fileOptions = FileOptions

// fakeFiles is a Files over a map from root-relative path to content. A
// label "//x" names x from the root, anything else is relative to the
// directory of the calling module, as in the real workspace.
type fakeFiles struct {
	files map[string]string

	mu    sync.Mutex
	reads []string // "from -> label", in order
}

var _ Files = (*fakeFiles)(nil)

func newFakeFiles(files map[string]string) *fakeFiles { return &fakeFiles{files: files} }

func (f *fakeFiles) Read(from, label string) (string, []byte, error) {
	f.mu.Lock()
	f.reads = append(f.reads, from+" -> "+label)
	f.mu.Unlock()
	p, ok := strings.CutPrefix(label, "//")
	if !ok {
		p = path.Join(path.Dir(from), label)
	}
	data, ok := f.files[p]
	if !ok {
		return p, nil, fmt.Errorf("%s: no such file in the workspace", label)
	}
	return p, []byte(data), nil
}

// workspace is the fake workspace that every testdata/*.star program sees.
var workspace = map[string]string{
	"notes.txt": "hello\nworld\n",
	"data/customers.yaml": `# customers, in the order they signed
zeta:
  name: Zeta Corp
  domains: [zeta.io]
alpha:
  name: Alpha Inc
  domains: [alpha.com, alpha.org]
`,
	"data/multi.yaml":     "a: 1\n---\nb: 2\n---\n- x\n",
	"data/empty.yaml":     "",
	"data/bad.yaml":       "a: [1, 2\nb: 3\n",
	"data/customers.json": `{"zeta": {"tier": 1}, "alpha": {"tier": 2.5, "tags": ["x", null, true]}}`,
	"data/bad.json":       `{"a": 1,}`,
	"data/sub/inner.json": `{"inner": true}`,
	"flows/login.json":    `{"flowId": "login", "metadata": {"name": "Login"}, "contents": {}, "screens": []}`,
	"flows/bad.json":      "{\n  \"flowId\": \"login\",\n}\n",
	"flows/array.json":    `[1, 2]`,
	"flows/null.json":     `null`,
	"flows/string.json":   `"login"`,
	"theme.json":          `{"styles": {"light": {}}, "componentsVersion": "1.0"}`,
	"not-theme.json":      `{"flowId": "oops"}`,
	"data/churned.csv":    "\ufefftenant_id,account\ncust-a,\"Acme, Inc.\"\ncust-b,Beta\n",
	"data/ragged.csv":     "id,name\na,A\nb\n",
	"data/twice.csv":      "id,id\na,b\n",
}

// errSkip is returned by the skip() builtin to end a Starlark test function
// early; the harness turns it into t.Skip.
type errSkip struct{ reason string }

func (e *errSkip) Error() string { return "skip: " + e.reason }

func skipBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var reason string
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &reason); err != nil {
		return nil, err
	}
	return nil, &errSkip{fmt.Sprintf("%s: %s", thread.CallFrame(1).Pos, reason)}
}

// catchBuiltin is catch(f): the message of the error f() fails with, or
// None.
func catchBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var f starlark.Callable
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &f); err != nil {
		return nil, err
	}
	if _, err := starlark.Call(thread, f, nil, nil); err != nil {
		var ee *starlark.EvalError
		if errors.As(err, &ee) {
			return starlark.String(ee.Msg), nil
		}
		return starlark.String(err.Error()), nil
	}
	return starlark.None, nil
}

// testVars returns the vars the programs see.
func testVars() *Vars {
	return NewVars(FromGo(map[string]any{
		"env":    "prod",
		"n":      int64(3),
		"nested": map[string]any{"list": []any{"a", "b"}},
	}).(*starlark.Dict))
}

// execStar evaluates src as file name with the config builtins plus assert
// skip and catch, on a thread that reports assert failures to t.
func execStar(t testing.TB, name, src string, c *Collector, files Files) (starlark.StringDict, *starlark.Thread, error) {
	t.Helper()
	assert, err := starlarktest.LoadAssertModule()
	if err != nil {
		t.Fatal(err)
	}
	predeclared := Config(c, files, testVars())
	predeclared["assert"] = assert["assert"]
	predeclared["skip"] = starlark.NewBuiltin("skip", skipBuiltin)
	predeclared["catch"] = starlark.NewBuiltin("catch", catchBuiltin)
	thread := &starlark.Thread{Name: name}
	starlarktest.SetReporter(thread, t)
	globals, err := starlark.ExecFileOptions(fileOptions, thread, name, src, predeclared)
	return globals, thread, err
}

// TestStarlark runs every function test_* of every testdata/*.star program,
// each on a fresh evaluation (a fresh Collector), as a subtest
// "file/function". The functions check themselves with the assert module;
// skip("reason") skips the rest of a function, and catch(f) returns the
// message of the error f() fails with (or None).
func TestStarlark(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.star"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no testdata/*.star programs")
	}
	for _, p := range paths {
		name := filepath.Base(p)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		t.Run(strings.TrimSuffix(name, ".star"), func(t *testing.T) {
			globals, _, err := execStar(t, name, src, NewCollector(), newFakeFiles(workspace))
			if err != nil {
				t.Fatalf("%s: %v", name, backtrace(err))
			}
			var tests []string
			for k, v := range globals {
				if _, ok := v.(*starlark.Function); ok && strings.HasPrefix(k, "test_") {
					tests = append(tests, k)
				}
			}
			sort.Strings(tests)
			if len(tests) == 0 {
				t.Fatalf("%s defines no test_ function", name)
			}
			for _, fn := range tests {
				t.Run(strings.TrimPrefix(fn, "test_"), func(t *testing.T) {
					globals, thread, err := execStar(t, name, src, NewCollector(), newFakeFiles(workspace))
					if err != nil {
						t.Fatalf("%s: %v", name, backtrace(err))
					}
					_, err = starlark.Call(thread, globals[fn], nil, nil)
					var skip *errSkip
					if errors.As(err, &skip) {
						t.Skip(skip.reason)
					}
					if err != nil {
						t.Fatalf("%s: %v", fn, backtrace(err))
					}
				})
			}
		})
	}
}

func backtrace(err error) string {
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		return ee.Backtrace()
	}
	return err.Error()
}

// TestFilesResolvedFromCaller checks that file helpers and flow() ask Files
// for the label as written in the module that makes the call, and that the
// declared value reports the resolved path.
func TestFilesResolvedFromCaller(t *testing.T) {
	files := newFakeFiles(map[string]string{
		"lib/x.json":       `{"k": 1}`,
		"root.json":        `{"k": 2}`,
		"lib/flows/f.json": `{"flowId": "f", "contents": {}}`,
	})
	src := `
a = load_json("x.json")
b = load_json("//root.json")
f = flow(id = "f", src = "flows/f.json")
assert.eq(a, {"k": 1})
assert.eq(b, {"k": 2})
assert.eq(f.src, "lib/flows/f.json")
`
	c := NewCollector()
	if _, _, err := execStar(t, "lib/mod.star", src, c, files); err != nil {
		t.Fatal(backtrace(err))
	}
	want := []string{"lib/mod.star -> x.json", "lib/mod.star -> //root.json", "lib/mod.star -> flows/f.json"}
	if got := files.reads; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("reads:\ngot  %q\nwant %q", got, want)
	}
	s, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Flows) != 1 || s.Flows[0].Src != "lib/flows/f.json" || s.Flows[0].Document["flowId"] != "f" {
		t.Errorf("flows: got %+v", s.Flows)
	}
}
