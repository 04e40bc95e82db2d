package runtime

// This file runs a workspace's tests (descope-run test): *_test.star files
// of test_* functions, and the golden scripts in testdata/*.txtar
// (golden.go). It reports what happens as TestEvents; the CLI renders them.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.starlark.net/starlark"

	"github.com/descope-run/descope-run/builtins"
)

// A TestAction is what a TestEvent reports. The names are test2json's.
type TestAction string

// The actions of TestEvents.
const (
	TestStart  TestAction = "start"  // a test file starts
	TestRun    TestAction = "run"    // a test starts
	TestOutput TestAction = "output" // a test (or, without Test, the file) printed Output
	TestPass   TestAction = "pass"   // a test or a file passed
	TestFail   TestAction = "fail"   // a test or a file failed
	TestSkip   TestAction = "skip"   // a test was skipped, or a file had no test to run
)

// A TestEvent is one step of a test run. File is the test file's path
// relative to its workspace root (as Starlark positions show it); Test is
// the test function, or the golden script's name, and is empty for events
// of the whole file.
type TestEvent struct {
	Time    time.Time
	Action  TestAction
	File    string
	Test    string
	Output  string        // for TestOutput: text, without a final newline
	Elapsed time.Duration // for pass, fail and skip
	// Broken marks the fail event of a file that does not evaluate.
	Broken bool
}

// TestOptions say which tests RunTests runs and how.
type TestOptions struct {
	// Paths are test files (*_test.star, *.txtar) and directories, searched
	// recursively; none means the current directory.
	Paths []string
	// Run, if set, selects the tests whose name it matches.
	Run *regexp.Regexp
	// Verbose keeps the log of golden scripts that pass.
	Verbose bool
	// Update makes golden scripts rewrite the expected files in their
	// archive instead of failing a cmp.
	Update bool
	// VarFiles and Vars are --var-file paths and --var NAME=VALUE pairs.
	VarFiles []string
	Vars     []string
	// MaxSteps and Timeout bound each test and each test file's
	// evaluation (0: DefaultMaxSteps, DefaultTimeout).
	MaxSteps uint64
	Timeout  time.Duration
	// Executable is the descope-run binary that golden scripts run.
	Executable string
	// Now is the clock of event times and elapsed times (nil: time.Now).
	Now func() time.Time
	// Report receives every event, in order.
	Report func(TestEvent)
}

// TestFailures is the outcome of a test run in which tests failed (Failed)
// or test files did not evaluate (Broken).
type TestFailures struct {
	Failed, Broken int
}

func (e *TestFailures) Error() string {
	switch {
	case e.Broken > 0 && e.Failed > 0:
		return fmt.Sprintf("%d tests failed and %d test files do not evaluate", e.Failed, e.Broken)
	case e.Broken > 0:
		return fmt.Sprintf("%d test files do not evaluate", e.Broken)
	}
	return fmt.Sprintf("%d tests failed", e.Failed)
}

// testFile is a test file found by findTests.
type testFile struct {
	path   string // as found, for reading and rewriting
	root   string // its workspace root
	name   string // root-relative, slash-separated
	golden bool
}

// RunTests runs the tests that opts name, reporting each step to
// opts.Report. It returns a *TestFailures when a test failed or a test
// file does not evaluate, and other errors when the run could not start
// (a path that does not exist, a bad --var).
func RunTests(ctx context.Context, opts TestOptions) error {
	files, err := findTests(opts.Paths)
	if err != nil {
		return err
	}
	r := &testRunner{opts: opts, now: opts.Now, report: opts.Report, workspaces: make(map[string]*testWorkspace)}
	if r.now == nil {
		r.now = time.Now
	}
	if r.report == nil {
		r.report = func(TestEvent) {}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.golden {
			r.runGolden(ctx, f)
			continue
		}
		if err := r.runStar(ctx, f); err != nil {
			return err
		}
	}
	if r.failed > 0 || r.broken > 0 {
		return &TestFailures{Failed: r.failed, Broken: r.broken}
	}
	return nil
}

// findTests returns the test files that paths name, each once, sorted by
// workspace and path: *_test.star files below each directory (not in
// testdata or hidden directories), and the .txtar files directly inside its
// testdata directories.
func findTests(paths []string) ([]testFile, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	seen := make(map[string]bool)
	var out []testFile
	add := func(path string, golden bool) error {
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		if seen[abs] {
			return nil
		}
		seen[abs] = true
		tf, err := newTestFile(path, golden)
		if err != nil {
			return err
		}
		out = append(out, tf)
		return nil
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("test %s: %w", p, err)
		}
		if !info.IsDir() {
			switch {
			case strings.HasSuffix(p, "_test.star"):
				err = add(p, false)
			case strings.HasSuffix(p, ".txtar"):
				err = add(p, true)
			default:
				err = fmt.Errorf("test %s: not a test file (want a *_test.star file, a golden .txtar script or a directory)", p)
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			switch {
			case d.IsDir() && path != p && strings.HasPrefix(name, "."):
				return filepath.SkipDir
			case d.IsDir() && name == "testdata":
				golden, err := filepath.Glob(filepath.Join(path, "*.txtar"))
				if err != nil {
					return err
				}
				for _, g := range golden {
					if err := add(g, true); err != nil {
						return err
					}
				}
				return filepath.SkipDir
			case !d.IsDir() && strings.HasSuffix(name, "_test.star"):
				return add(path, false)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("test %s: %w", p, err)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].root != out[j].root {
			return out[i].root < out[j].root
		}
		if out[i].golden != out[j].golden {
			return !out[i].golden // unit tests first, then the slower golden scripts
		}
		return out[i].name < out[j].name
	})
	return out, nil
}

// newTestFile finds the workspace of a test file. A golden script's
// workspace is the one its testdata directory is in.
func newTestFile(path string, golden bool) (testFile, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return testFile{}, err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	dir := filepath.Dir(abs)
	if golden && filepath.Base(dir) == "testdata" {
		dir = filepath.Dir(dir)
	}
	root, err := FindRootFromDir(dir)
	if err != nil {
		return testFile{}, fmt.Errorf("test %s: %w", path, err)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return testFile{}, fmt.Errorf("test %s is outside its workspace %s", path, root)
	}
	return testFile{path: path, root: root, name: filepath.ToSlash(rel), golden: golden}, nil
}

// testRunner runs the test files of one RunTests call.
type testRunner struct {
	opts           TestOptions
	now            func() time.Time
	report         func(TestEvent)
	workspaces     map[string]*testWorkspace
	failed, broken int
}

// testWorkspace is a workspace and its vars, opened once per run.
type testWorkspace struct {
	ws   *Workspace
	vars *starlark.Dict
}

func (r *testRunner) emit(e TestEvent) {
	e.Time = r.now()
	r.report(e)
}

func (r *testRunner) workspace(root string) (*testWorkspace, error) {
	if tw, ok := r.workspaces[root]; ok {
		return tw, nil
	}
	ws, err := OpenWorkspace(root)
	if err != nil {
		return nil, err
	}
	vars, err := LoadVars(ws.Config.Vars, r.opts.VarFiles, r.opts.Vars)
	if err != nil {
		return nil, err
	}
	dict, err := vars.Dict()
	if err != nil {
		return nil, err
	}
	tw := &testWorkspace{ws: ws, vars: dict}
	r.workspaces[root] = tw
	return tw, nil
}

func (r *testRunner) maxSteps() uint64 {
	if r.opts.MaxSteps == 0 {
		return DefaultMaxSteps
	}
	return r.opts.MaxSteps
}

func (r *testRunner) timeout() time.Duration {
	if r.opts.Timeout == 0 {
		return DefaultTimeout
	}
	return r.opts.Timeout
}

// thread returns a thread for the test (or, with test "", the file) that
// loads through l, bounded by the step limit and the time limit until stop
// is called. print() becomes output of the test.
func (r *testRunner) thread(ctx context.Context, l *loader, file, test string) (thread *starlark.Thread, stop func()) {
	thread = &starlark.Thread{
		Name: file,
		Load: l.load,
		Print: func(thread *starlark.Thread, msg string) {
			r.emit(TestEvent{Action: TestOutput, File: file, Test: test, Output: fmt.Sprintf("%s: %s", thread.CallFrame(1).Pos, msg)})
		},
	}
	thread.SetMaxExecutionSteps(r.maxSteps())
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			thread.Cancel(ctx.Err().Error())
		case <-done:
		}
	}()
	return thread, func() {
		close(done)
		cancel()
	}
}

// runStar runs the test functions of one *_test.star file. Each test gets
// a fresh thread and a scratch state; modules are loaded once per file.
func (r *testRunner) runStar(ctx context.Context, tf testFile) error {
	start := r.now()
	tw, err := r.workspace(tf.root)
	if err != nil {
		return err
	}
	r.emit(TestEvent{Action: TestStart, File: tf.name})

	fileState := builtins.NewCollector()
	modules, predeclared := builtins.Test(fileState, tw.ws, builtins.NewVars(tw.vars))
	l := &loader{ws: tw.ws, predeclared: modules, modules: make(map[string]*module)}
	globals, err := r.execTestFile(ctx, l, tf.name, predeclared)
	if err != nil {
		r.broken++
		msg := scriptError(err, r.maxSteps(), r.timeout(), predeclared).Error()
		r.emit(TestEvent{Action: TestOutput, File: tf.name, Output: msg})
		r.emit(TestEvent{Action: TestFail, File: tf.name, Broken: true, Elapsed: r.now().Sub(start)})
		return nil
	}

	failed, ran := false, 0
	for _, fn := range testFunctions(globals) {
		if r.opts.Run != nil && !r.opts.Run.MatchString(fn.Name()) {
			continue
		}
		ran++
		if !r.runTest(ctx, l, tf.name, fn, predeclared) {
			failed = true
		}
	}
	end := TestEvent{Action: TestPass, File: tf.name, Elapsed: r.now().Sub(start)}
	switch {
	case failed:
		end.Action = TestFail
	case ran == 0:
		end.Action = TestSkip
	}
	r.emit(end)
	return nil
}

// execTestFile evaluates a test file with the test builtins; the modules it
// loads get l's.
func (r *testRunner) execTestFile(ctx context.Context, l *loader, name string, predeclared starlark.StringDict) (starlark.StringDict, error) {
	thread, stop := r.thread(ctx, l, name, "")
	defer stop()
	src, err := l.ws.ReadPath(name)
	if err != nil {
		return nil, err
	}
	l.stack = []string{name}
	defer func() { l.stack = nil }()
	return starlark.ExecFileOptions(fileOptions, thread, name, src, predeclared)
}

// testFunctions returns the test_* functions of a test file in the order
// they are defined.
func testFunctions(globals starlark.StringDict) []*starlark.Function {
	var fns []*starlark.Function
	for name, v := range globals {
		if fn, ok := v.(*starlark.Function); ok && strings.HasPrefix(name, "test_") && fn.Name() == name {
			fns = append(fns, fn)
		}
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].Position().Line < fns[j].Position().Line })
	return fns
}

// runTest runs one test function and reports whether it passed.
func (r *testRunner) runTest(ctx context.Context, l *loader, file string, fn *starlark.Function, predeclared starlark.StringDict) bool {
	start := r.now()
	name := fn.Name()
	r.emit(TestEvent{Action: TestRun, File: file, Test: name})
	thread, stop := r.thread(ctx, l, file, name)
	builtins.SetCollector(thread, builtins.NewCollector())
	var failure string
	if fn.NumParams() > 0 {
		failure = fmt.Sprintf("%s: %s has parameters, but a test function is called with none: %s()", fn.Position(), name, name)
	} else if _, err := starlark.Call(thread, fn, nil, nil); err != nil {
		failure = r.describeFailure(err, predeclared)
	}
	stop()
	end := TestEvent{Action: TestPass, File: file, Test: name}
	if failure != "" {
		r.failed++
		r.emit(TestEvent{Action: TestOutput, File: file, Test: name, Output: failure})
		end.Action = TestFail
	}
	end.Elapsed = r.now().Sub(start)
	r.emit(end)
	return failure == ""
}

// describeFailure says why a test failed: a failed assertion at the
// file:line of the assert call, any other error as eval reports it.
func (r *testRunner) describeFailure(err error, predeclared starlark.StringDict) string {
	var ae *builtins.AssertionError
	var ee *starlark.EvalError
	if !errors.As(err, &ae) || !errors.As(err, &ee) {
		return scriptError(err, r.maxSteps(), r.timeout(), predeclared).Error()
	}
	var b strings.Builder
	for i := len(ee.CallStack) - 1; i >= 0; i-- {
		if pos := ee.CallStack[i].Pos; pos.Filename() != "<builtin>" {
			fmt.Fprintf(&b, "%s:%d: ", pos.Filename(), pos.Line)
			break
		}
	}
	b.WriteString(ae.Msg)
	// An assertion in a helper: show how the test got there.
	if bt := frames(ee.CallStack); len(bt) > 1 {
		b.WriteString("\nTraceback (most recent call last):")
		for _, fr := range bt {
			b.WriteString("\n  " + fr)
		}
	}
	return b.String()
}
