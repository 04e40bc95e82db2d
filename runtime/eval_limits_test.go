package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.starlark.net/starlark"
)

// evalWith evaluates src as main.star of a new workspace with the given
// predeclared names and options.
func evalWith(t *testing.T, src string, predeclared starlark.StringDict, opts EvalOptions) error {
	t.Helper()
	dir := writeWorkspace(t, map[string]string{"main.star": src})
	ws, err := OpenWorkspace(dir)
	if err != nil {
		t.Fatal(err)
	}
	return evalModules(context.Background(), ws, "main.star", predeclared, opts)
}

// TestEvalTimeoutInBuiltin: the time limit stops an evaluation even while a
// built-in call never returns to the interpreter.
func TestEvalTimeoutInBuiltin(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stuck := starlark.NewBuiltin("stuck", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		<-release
		return starlark.None, nil
	})
	start := time.Now()
	err := evalWith(t, "stuck()\n", starlark.StringDict{"stuck": stuck}, EvalOptions{Timeout: 100 * time.Millisecond})
	var se *ScriptError
	if !errors.As(err, &se) || se.Msg != "evaluation stopped inside a built-in call after 100ms, the time limit: is there a runaway loop? (raise the limit with --eval-timeout)" {
		t.Fatalf("evalModules = %v, want the time limit reported", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s to stop", d)
	}
}

// TestEvalMemoryBudget: the memory budget stops an evaluation that grows the
// heap past it, inside a built-in call or in the interpreter.
func TestEvalMemoryBudget(t *testing.T) {
	var kept [][]byte
	release, grown := make(chan struct{}), make(chan struct{})
	defer close(release)
	grow := starlark.NewBuiltin("grow", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		for i := 0; i < 8; i++ { // 128 MiB, then wait
			kept = append(kept, make([]byte, 16<<20))
		}
		close(grown)
		<-release
		return starlark.None, nil
	})
	err := evalWith(t, "grow()\n", starlark.StringDict{"grow": grow}, EvalOptions{MaxMemory: 32 << 20})
	var se *ScriptError
	if !errors.As(err, &se) || se.Msg != "evaluation stopped inside a built-in call: it used more than 32 MiB of memory, its budget: is a string or list growing without bound? (raise the budget with --max-memory)" {
		t.Fatalf("builtin: evalModules = %v, want the memory budget reported", err)
	}
	<-grown // the abandoned call grows no more

	// The loop is on one line: the interpreter stops at its next step,
	// which may be the for or the append.
	src := "def f():\n    l = []\n    for i in range(100000000): l.append(\"x\" * 1000)\nf()\n"
	err = evalWith(t, src, nil, EvalOptions{MaxMemory: 32 << 20})
	if !errors.As(err, &se) || !strings.HasPrefix(se.Pos, "main.star:3:") ||
		se.Msg != "evaluation stopped: it used more than 32 MiB of memory, its budget: is a string or list growing without bound? (raise the budget with --max-memory)" {
		t.Fatalf("interpreter: evalModules = %v, want the memory budget reported at main.star:3", err)
	}
}

// TestEvalPanic: a panic in a built-in is reported as a bug of descope-run
// (not a *ScriptError), instead of crashing the process.
func TestEvalPanic(t *testing.T) {
	boom := starlark.NewBuiltin("boom", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		panic("boom")
	})
	err := evalWith(t, "boom()\n", starlark.StringDict{"boom": boom}, EvalOptions{})
	var se *ScriptError
	if err == nil || errors.As(err, &se) || !strings.HasPrefix(err.Error(), "descope-run failed while evaluating the config (this is a bug; please report it with what follows): boom\n") {
		t.Fatalf("evalModules = %v, want the panic reported as a bug", err)
	}
}
