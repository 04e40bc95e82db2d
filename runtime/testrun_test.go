package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestFindTests(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{
		"ws/descope-run.yaml":               "",
		"ws/a_test.star":                    "",
		"ws/lib/b_test.star":                "",
		"ws/lib/b.star":                     "",
		"ws/testdata/plan.txtar":            "",
		"ws/testdata/c_test.star":           "", // fixtures, not tests
		"ws/testdata/nested/d.txtar":        "",
		"ws/.descope-run/local/e_test.star": "",
		"ws/lib/testdata/sub.txtar":         "",
		"bare/x_test.star":                  "", // no descope-run.yaml: its own root
		"bare/testdata/y.txtar":             "",
	})
	tests := []struct {
		paths []string
		want  []string // root base name + ":" + name
	}{
		{[]string{"ws"}, []string{"ws:a_test.star", "ws:lib/b_test.star", "ws:lib/testdata/sub.txtar", "ws:testdata/plan.txtar"}},
		{[]string{"ws/lib"}, []string{"ws:lib/b_test.star", "ws:lib/testdata/sub.txtar"}},
		{[]string{"ws/lib/b_test.star", "ws"}, []string{"ws:a_test.star", "ws:lib/b_test.star", "ws:lib/testdata/sub.txtar", "ws:testdata/plan.txtar"}},
		{[]string{"ws/testdata/nested/d.txtar"}, []string{"ws:testdata/nested/d.txtar"}},
		{[]string{"bare"}, []string{"bare:x_test.star", "bare:testdata/y.txtar"}},
	}
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		files, err := findTests(tt.paths)
		if err != nil {
			t.Fatalf("%v: %v", tt.paths, err)
		}
		var got []string
		for _, f := range files {
			got = append(got, filepath.Base(f.root)+":"+f.name)
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%v:\ngot  %v\nwant %v", tt.paths, got, tt.want)
		}
	}
	for _, bad := range []string{"ws/lib/b.star", "nowhere"} {
		if _, err := findTests([]string{bad}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestRunTestsEvents checks the events of a run: a passing test, a failing
// one with its output, print(), a file that does not evaluate, -run.
func TestRunTestsEvents(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{
		"descope-run.yaml": "",
		"a_test.star": `
def test_pass():
    print("hi")
    tenant(id = "a", name = "A")
    assert.eq(len(state().tenants), 1)

def test_fail():
    assert.eq(len(state().tenants), 1)

def test_args(x):
    pass
`,
		"b_test.star": "x = \n",
	})
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { tick = tick.Add(time.Millisecond); return tick }
	run := func(re string) ([]string, error) {
		var events []string
		opts := TestOptions{Paths: []string{dir}, Now: now, Report: func(e TestEvent) {
			s := strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Action, e.File, e.Test))
			if e.Output != "" {
				s += ": " + strings.SplitN(e.Output, "\n", 2)[0]
			}
			if e.Broken {
				s += " (broken)"
			}
			events = append(events, s)
		}}
		if re != "" {
			opts.Run = regexp.MustCompile(re)
		}
		return events, RunTests(context.Background(), opts)
	}

	events, err := run("")
	var tf *TestFailures
	if !errors.As(err, &tf) || tf.Failed != 2 || tf.Broken != 1 {
		t.Errorf("got %v, want 2 failed, 1 broken", err)
	}
	want := []string{
		"start a_test.star",
		"run a_test.star test_pass",
		"output a_test.star test_pass: a_test.star:3:10: hi",
		"pass a_test.star test_pass",
		"run a_test.star test_fail",
		"output a_test.star test_fail: a_test.star:8: assert.eq: got 0, want 1",
		"fail a_test.star test_fail",
		"run a_test.star test_args",
		"output a_test.star test_args: a_test.star:10:1: test_args has parameters, but a test function is called with none: test_args()",
		"fail a_test.star test_args",
		"fail a_test.star",
		"start b_test.star",
		"output b_test.star: b_test.star:1:5: got newline, want primary expression",
		"fail b_test.star (broken)",
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}

	events, err = run("pass")
	if !errors.As(err, &tf) || tf.Failed != 0 || tf.Broken != 1 {
		t.Errorf("-run pass: got %v, want only the broken file", err)
	}
	if n := strings.Count(strings.Join(events, "\n"), "run "); n != 1 {
		t.Errorf("-run pass ran %d tests, want 1:\n%s", n, strings.Join(events, "\n"))
	}
}
