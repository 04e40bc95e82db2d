package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/runtime"
)

// clock is the clock of `descope-run test`: the times of --json events and
// the elapsed times it prints. The golden tests stop it (script_test.go) so
// that their output is the same on every run.
var clock = time.Now

// TestCmdOptions are the inputs of `descope-run test`.
type TestCmdOptions struct {
	f       *Factory
	Paths   []string
	Run     string
	Verbose bool
	JSON    bool
	Update  bool
}

// NewCmdTest returns the test command. runF replaces its body in tests.
func NewCmdTest(f *Factory, runF func(*cobra.Command, *TestCmdOptions) error) *cobra.Command {
	opts := &TestCmdOptions{f: f}
	cmd := &cobra.Command{
		Use:   "test [DIR|FILE...]",
		Short: "Run the tests of a workspace",
		Long: `Run the tests below each DIR (default: the current directory), or the test
FILEs named, and report like go test: ok or FAIL per file, with its time.

Unit tests are the test_* functions of *_test.star files. A test file loads
workspace modules as a config does and may declare objects: each test starts
with an empty scratch state, which state() returns. The assert module checks:
  assert.eq(got, want, msg = None)     assert.ne(got, unwanted, msg = None)
  assert.true(cond, msg = None)        assert.contains(container, item, msg = None)
  assert.fails(fn, "regexp")           (returns the error message)
A failed assertion stops its test and names the file:line of the assert call.

Golden tests are the testdata/*.txtar scripts (go-internal testscript), each
run in a copy of its workspace, with these commands beside testscript's own:
` + indentLines(runtime.GoldenCommands, "  ") + `
With --update, a failing 'cmp stdout want.txt' rewrites want.txt in the archive.

Exit status: 0 when every test passes, 1 when one fails, 3 when a test file
does not evaluate.`,
		Example: `  descope-run test scripts
  descope-run test scripts/lib/tenants_test.star -run enterprise -v
  descope-run test scripts -update     # rewrite the golden files of testdata/*.txtar
  descope-run test --json scripts      # one JSON event per line, as go test -json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if runF != nil {
				return runF(cmd, opts)
			}
			return runTests(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Run, "run", "", "run only the tests whose name matches `REGEXP` (test functions and golden scripts)")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "report every test, and what passing tests print")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON event per line, as go test -json does")
	fl.BoolVar(&opts.Update, "update", false, "rewrite the expected files of golden scripts whose cmp fails")
	return cmd
}

func runTests(cmd *cobra.Command, opts *TestCmdOptions) error {
	f := opts.f
	var run *regexp.Regexp
	if opts.Run != "" {
		var err error
		if run, err = regexp.Compile(opts.Run); err != nil {
			return fmt.Errorf("--run %q: %w", opts.Run, err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the descope-run binary for golden tests: %w", err)
	}
	rep := &testReporter{out: f.IO.Out, verbose: opts.Verbose || opts.JSON}
	if opts.JSON {
		rep.enc = json.NewEncoder(f.IO.Out)
	}
	err = runtime.RunTests(cmd.Context(), runtime.TestOptions{
		Paths: opts.Paths, Run: run, Verbose: opts.Verbose, Update: opts.Update,
		VarFiles: f.Globals.VarFiles, Vars: f.Globals.Vars,
		MaxSteps: f.Globals.MaxSteps, Timeout: f.Globals.EvalTimeout,
		Executable: exe, Now: clock, Report: rep.event,
	})
	if rep.files == 0 && err == nil {
		where := "."
		if len(opts.Paths) > 0 {
			where = strings.Join(opts.Paths, " ")
		}
		fmt.Fprintf(f.IO.ErrOut, "no test files in %s (tests are *_test.star files and testdata/*.txtar scripts)\n", where)
	}
	if rep.failed && rep.enc == nil {
		fmt.Fprintln(f.IO.Out, "FAIL")
	}
	return err
}

// testReporter renders test events as go test does, or, with enc, as the
// JSON events of go test -json: the same text in output events, between
// the events of each action.
type testReporter struct {
	out     io.Writer
	verbose bool
	enc     *json.Encoder

	files   int
	failed  bool
	ran     int
	pending map[string][]string // output of tests not shown yet
	fileOut []string            // output of the file itself
}

// testJSONEvent is an event of go test -json (cmd/test2json); Package is
// the test file.
type testJSONEvent struct {
	Time    time.Time
	Action  string
	Package string   `json:",omitempty"`
	Test    string   `json:",omitempty"`
	Elapsed *float64 `json:",omitempty"`
	Output  string   `json:",omitempty"`
}

func (r *testReporter) event(e runtime.TestEvent) {
	switch e.Action {
	case runtime.TestStart:
		r.files++
		r.ran, r.pending, r.fileOut = 0, make(map[string][]string), nil
		r.action(e)
	case runtime.TestRun:
		r.ran++
		r.action(e)
		if r.verbose {
			r.line(e, "=== RUN   "+e.Test)
		}
	case runtime.TestOutput:
		switch {
		case e.Test == "":
			r.fileOut = append(r.fileOut, e.Output)
		case r.verbose:
			r.line(e, indentLines(e.Output, "    "))
		default:
			r.pending[e.Test] = append(r.pending[e.Test], indentLines(e.Output, "    "))
		}
	case runtime.TestPass, runtime.TestFail, runtime.TestSkip:
		if e.Action == runtime.TestFail {
			r.failed = true
		}
		if e.Test != "" {
			r.endTest(e)
		} else {
			r.endFile(e)
		}
		r.action(e)
	}
}

func (r *testReporter) endTest(e runtime.TestEvent) {
	if e.Action != runtime.TestFail && !r.verbose {
		return
	}
	word := map[runtime.TestAction]string{runtime.TestPass: "PASS", runtime.TestFail: "FAIL", runtime.TestSkip: "SKIP"}[e.Action]
	r.line(e, fmt.Sprintf("--- %s: %s (%.2fs)", word, e.Test, e.Elapsed.Seconds()))
	for _, out := range r.pending[e.Test] {
		r.line(e, out)
	}
}

func (r *testReporter) endFile(e runtime.TestEvent) {
	for _, out := range r.fileOut {
		r.line(e, out)
	}
	secs := e.Elapsed.Seconds()
	switch {
	case e.Broken:
		r.line(e, fmt.Sprintf("FAIL\t%s [does not evaluate]", e.File))
	case e.Action == runtime.TestFail:
		r.line(e, fmt.Sprintf("FAIL\t%s\t%.3fs", e.File, secs))
	case r.ran == 0:
		r.line(e, fmt.Sprintf("ok  \t%s\t%.3fs [no tests to run]", e.File, secs))
	default:
		r.line(e, fmt.Sprintf("ok  \t%s\t%.3fs", e.File, secs))
	}
}

// line prints a line of text, or with --json, an output event holding it.
func (r *testReporter) line(e runtime.TestEvent, text string) {
	if r.enc == nil {
		fmt.Fprintln(r.out, text)
		return
	}
	_ = r.enc.Encode(testJSONEvent{Time: e.Time, Action: "output", Package: e.File, Test: e.Test, Output: text + "\n"})
}

// action prints the JSON event of an action (with --json only).
func (r *testReporter) action(e runtime.TestEvent) {
	if r.enc == nil {
		return
	}
	je := testJSONEvent{Time: e.Time, Action: string(e.Action), Package: e.File, Test: e.Test}
	if e.Action == runtime.TestPass || e.Action == runtime.TestFail || e.Action == runtime.TestSkip {
		secs := math.Round(e.Elapsed.Seconds()*1000) / 1000
		je.Elapsed = &secs
	}
	_ = r.enc.Encode(je)
}

// indentLines puts prefix before every line of s that is not empty.
func indentLines(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
