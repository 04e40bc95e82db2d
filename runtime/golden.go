package runtime

// This file runs golden scripts: testdata/*.txtar files of a workspace, run
// by go-internal's testscript through RunT with a T of our own, so that no
// `go test` is needed.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/descope-run/descope-run/descope"
)

// GoldenCommands documents the commands a golden script may use beyond
// testscript's own (cmp, stdout, exists, ...).
const GoldenCommands = `descope-run ARGS...              run descope-run in the script's copy of the workspace ('!': expect a failure)
exitcode N descope-run ARGS...  run it and expect exit code N
seed FILE                       make FILE (a state in JSON, as eval prints it) the local project
                                of the id in its project.id`

// runGolden runs one golden script as one test named after the file.
func (r *testRunner) runGolden(ctx context.Context, tf testFile) {
	start := r.now()
	name := strings.TrimSuffix(filepath.Base(tf.name), ".txtar")
	r.emit(TestEvent{Action: TestStart, File: tf.name})
	if r.opts.Run != nil && !r.opts.Run.MatchString(name) {
		r.emit(TestEvent{Action: TestSkip, File: tf.name, Elapsed: r.now().Sub(start)})
		return
	}
	r.emit(TestEvent{Action: TestRun, File: tf.name, Test: name})
	before, _ := os.ReadFile(tf.path)

	top := &goldenT{verbose: r.opts.Verbose}
	top.do(func() { testscript.RunT(top, r.goldenParams(ctx, tf)) })
	t := top
	if len(top.children) == 1 {
		t = top.children[0]
	}
	if log := r.cleanLog(tf, top.log.String()+t.log.String()); log != "" && (t.failed || top.failed || r.opts.Verbose) {
		r.emit(TestEvent{Action: TestOutput, File: tf.name, Test: name, Output: log})
	}
	end := TestEvent{Action: TestPass, File: tf.name, Test: name}
	switch {
	case t.failed || top.failed:
		r.failed++
		end.Action = TestFail
	case t.skipped:
		end.Action = TestSkip
	}
	end.Elapsed = r.now().Sub(start)
	r.emit(end)
	if after, err := os.ReadFile(tf.path); err == nil && !bytes.Equal(before, after) {
		r.emit(TestEvent{Action: TestOutput, File: tf.name, Output: "updated " + tf.name})
	}
	end.Test = ""
	r.emit(end)
}

// phaseTime is the time testscript appends to a phase's comment in its log.
var phaseTime = regexp.MustCompile(`(?m)^(#.*) \([0-9.]+s\)$`)

// cleanLog makes a script's log read the same from run to run: the file
// under its root-relative name, and no phase times.
func (r *testRunner) cleanLog(tf testFile, log string) string {
	log = strings.ReplaceAll(log, tf.path, tf.name)
	log = phaseTime.ReplaceAllString(log, "$1")
	return strings.TrimRight(log, "\n")
}

// goldenParams are the testscript parameters of a golden script: it runs
// in a copy of its workspace, with a home of its own and no colour.
func (r *testRunner) goldenParams(ctx context.Context, tf testFile) testscript.Params {
	p := testscript.Params{
		Files:              []string{tf.path},
		UpdateScripts:      r.opts.Update,
		RequireUniqueNames: true,
		Setup: func(env *testscript.Env) error {
			if err := copyWorkspace(tf.root, env.WorkDir); err != nil {
				return fmt.Errorf("copy the workspace: %w", err)
			}
			home := filepath.Join(env.WorkDir, ".home")
			if err := os.Mkdir(home, 0o700); err != nil {
				return err
			}
			env.Setenv("HOME", home)
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"descope-run": r.cmdDescopeRun,
			"exitcode":    r.cmdExitcode,
			"seed":        cmdSeed,
		},
	}
	if deadline, ok := ctx.Deadline(); ok {
		p.Deadline = deadline
	}
	return p
}

// cmdDescopeRun runs descope-run: descope-run ARGS...
func (r *testRunner) cmdDescopeRun(ts *testscript.TestScript, neg bool, args []string) {
	err := ts.Exec(r.executable(), args...)
	var ee *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &ee):
		ts.Fatalf("descope-run: %v", err)
	case err == nil && neg:
		ts.Fatalf("descope-run succeeded, want a failure")
	case err != nil && !neg:
		ts.Fatalf("descope-run exited with %d, want 0", ee.ExitCode())
	}
}

// cmdExitcode runs descope-run and checks its exit code:
// exitcode N descope-run ARGS...
func (r *testRunner) cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || args[1] != "descope-run" {
		ts.Fatalf("usage: exitcode N descope-run ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(r.executable(), args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("descope-run: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("descope-run exited with %d, want %d", got, want)
	}
}

func (r *testRunner) executable() string {
	if r.opts.Executable != "" {
		return r.opts.Executable
	}
	return "descope-run"
}

// cmdSeed makes a state file the workspace's local project: seed FILE.
func cmdSeed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seed FILE")
	}
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile(args[0])))
	dec.DisallowUnknownFields()
	var st descope.State
	if err := dec.Decode(&st); err != nil {
		ts.Fatalf("seed %s: %v (want a descope.State in JSON, as descope-run eval prints it)", args[0], err)
	}
	root, err := FindRootFromDir(ts.MkAbs("."))
	ts.Check(err)
	ws, err := OpenWorkspace(root)
	ts.Check(err)
	if err := SeedLocal(ws, &st); err != nil {
		ts.Fatalf("seed %s: %v", args[0], err)
	}
}

// SeedLocal replaces the workspace's local project of the id that s.Project
// pins (or DefaultLocalProjectID) with s.
func SeedLocal(ws *Workspace, s *descope.State) error {
	id := ""
	if s.Project != nil {
		id = s.Project.ID
	}
	t, err := openLocal(ws, TargetOptions{PinnedProjectID: id}, hclog.NewNullLogger())
	if err != nil {
		return err
	}
	if err := t.emulator.Seed(s); err != nil {
		return err
	}
	return t.Close()
}

// copyWorkspace copies the files of the workspace at root into dst, except
// hidden files and directories (the local projects among them), testdata
// directories, and files dst already has (the script's own).
func copyWorkspace(root, dst string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || (d.IsDir() && d.Name() == "testdata") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if _, err := os.Lstat(target); err == nil {
				return nil
			}
			return os.Symlink(link, target)
		case !d.Type().IsRegular():
			return nil
		}
		if _, err := os.Lstat(target); err == nil {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// goldenT is the testscript.T of a golden script: it records the log and
// the outcome instead of reporting to `go test`. Run runs a subtest to its
// end before it returns; FailNow and Skip end the calling goroutine, as
// testing.T's do.
type goldenT struct {
	verbose bool

	mu              sync.Mutex
	log             strings.Builder
	failed, skipped bool
	children        []*goldenT
}

var _ testscript.T = (*goldenT)(nil)

// do runs f on a goroutine of its own and waits for it to end.
func (t *goldenT) do(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				buf := make([]byte, 16<<10)
				buf = buf[:goruntime.Stack(buf, false)]
				t.Log(fmt.Sprintf("panic: %v\n%s", v, buf))
				t.mu.Lock()
				t.failed = true
				t.mu.Unlock()
			}
		}()
		f()
	}()
	<-done
}

func (t *goldenT) Run(name string, f func(testscript.T)) {
	c := &goldenT{verbose: t.verbose}
	t.mu.Lock()
	t.children = append(t.children, c)
	t.mu.Unlock()
	c.do(func() { f(c) })
}

func (t *goldenT) Log(args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(&t.log, args...)
}

func (t *goldenT) Fatal(args ...any) {
	t.Log(args...)
	t.FailNow()
}

func (t *goldenT) FailNow() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	goruntime.Goexit()
}

func (t *goldenT) Skip(args ...any) {
	t.Log(args...)
	t.mu.Lock()
	t.skipped = true
	t.mu.Unlock()
	goruntime.Goexit()
}

func (t *goldenT) Parallel()     {}
func (t *goldenT) Verbose() bool { return t.verbose }
