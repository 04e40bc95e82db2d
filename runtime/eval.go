package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/descope-run/descope-run/builtins"
	"github.com/descope-run/descope-run/descope"
)

// Defaults for the evaluation bounds.
const (
	DefaultMaxSteps = 100_000_000
	DefaultTimeout  = 60 * time.Second
)

// fileOptions is the dialect of configs: top-level for and if, no
// recursion, no top-level reassignment, no while loops.
var fileOptions = builtins.FileOptions

// EvalOptions say what to evaluate and how.
type EvalOptions struct {
	// Script is the entry script's path as the user wrote it.
	Script string
	// VarFiles and Vars are --var-file paths and --var NAME=VALUE pairs.
	VarFiles []string
	Vars     []string
	// MaxSteps bounds the Starlark steps of the whole evaluation (0: DefaultMaxSteps).
	MaxSteps uint64
	// Timeout bounds its wall time (0: DefaultTimeout).
	Timeout time.Duration
	// MaxMemory bounds the growth of the heap while it runs, in bytes (0:
	// MaxMemoryDefault()).
	MaxMemory uint64
	// Stderr receives print() output, each line prefixed with its position.
	Stderr io.Writer
}

// Result is an evaluated config.
type Result struct {
	State     *descope.State
	Workspace *Workspace
	// Entry is the entry script's root-relative path.
	Entry  string
	Inputs Inputs
}

// A ScriptError is a config that failed to evaluate: a syntax error, a
// Starlark runtime error, a failed load, or a declaration that is invalid
// once the whole program has run. Pos is the innermost position
// (file:line:col, root-relative), Msg the message, Backtrace the Starlark call
// stack, outermost first.
type ScriptError struct {
	Pos       string
	Msg       string
	Backtrace []string
	Err       error
}

func (e *ScriptError) Error() string {
	var b strings.Builder
	if e.Pos != "" {
		b.WriteString(e.Pos + ": ")
	}
	b.WriteString(e.Msg)
	if len(e.Backtrace) > 0 {
		b.WriteString("\nTraceback (most recent call last):")
		for _, fr := range e.Backtrace {
			b.WriteString("\n  " + fr)
		}
	}
	return b.String()
}

func (e *ScriptError) Unwrap() error { return e.Err }

// ScriptErrors is more than one ScriptError, as found by the checks that run
// after evaluation.
type ScriptErrors []*ScriptError

func (es ScriptErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Eval evaluates the config at opts.Script into a desired state. A failure of
// the script itself is a *ScriptError or ScriptErrors; any other error is
// about the invocation (a missing script, an unreadable descope-run.yaml).
func Eval(ctx context.Context, opts EvalOptions) (*Result, error) {
	ws, entry, err := openEntry(opts.Script)
	if err != nil {
		return nil, err
	}
	vars, err := LoadVars(ws.Config.Vars, opts.VarFiles, opts.Vars)
	if err != nil {
		return nil, err
	}
	varsDigest, err := vars.Digest()
	if err != nil {
		return nil, err
	}
	state, err := evalEntry(ctx, ws, entry, vars, opts)
	if err != nil {
		return nil, err
	}
	return &Result{
		State:     state,
		Workspace: ws,
		Entry:     entry,
		Inputs:    Inputs{Files: ws.Inputs(), Vars: varsDigest},
	}, nil
}

// dirEntryError says that the entry script named is a directory, and
// which .star files in it could be meant.
func dirEntryError(dir string) error {
	names, _ := filepath.Glob(filepath.Join(dir, "*.star"))
	var configs []string
	for _, n := range names {
		if !strings.HasSuffix(n, "_test.star") {
			configs = append(configs, n)
		}
	}
	if len(configs) == 0 {
		return fmt.Errorf("%s is a directory, with no .star file in it: name a .star file", dir)
	}
	return fmt.Errorf("%s is a directory: name a .star file in it, such as %s", dir, strings.Join(configs, " or "))
}

// openEntry opens the workspace of the entry script at path (as the user
// wrote it) and returns the script's root-relative path.
func openEntry(path string) (*Workspace, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("script %s: %w", path, err)
	}
	if info.IsDir() {
		return nil, "", dirEntryError(path)
	}
	root, err := FindRoot(path)
	if err != nil {
		return nil, "", fmt.Errorf("script %s: %w", path, err)
	}
	ws, err := OpenWorkspace(root)
	if err != nil {
		return nil, "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	entry, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(entry, "..") {
		return nil, "", fmt.Errorf("script %s is outside its workspace %s", path, root)
	}
	return ws, filepath.ToSlash(entry), nil
}

// evalEntry evaluates the config at entry (root-relative) in ws with vars
// into its desired state.
func evalEntry(ctx context.Context, ws *Workspace, entry string, vars *Vars, opts EvalOptions) (*descope.State, error) {
	varsDict, err := vars.Dict()
	if err != nil {
		return nil, err
	}
	read := builtins.NewVars(varsDict)
	collector := builtins.NewCollector()
	predeclared := builtins.Config(collector, ws, read)
	if err := evalModules(ctx, ws, entry, predeclared, opts); err != nil {
		return nil, err
	}
	state, err := collector.State()
	if err != nil {
		return nil, declErrors(err)
	}
	if err := vars.CheckRead(entry, read); err != nil {
		return nil, err
	}
	return state, nil
}

// evalModules runs the entry module and, through load(), the modules it
// needs, on one thread so that the step limit and the backtrace span them all.
func evalModules(ctx context.Context, ws *Workspace, entry string, predeclared starlark.StringDict, opts EvalOptions) error {
	maxSteps := opts.MaxSteps
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	stderr := opts.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	thread := &starlark.Thread{
		Name: entry,
		Print: func(thread *starlark.Thread, msg string) {
			fmt.Fprintf(stderr, "%s: %s\n", thread.CallFrame(1).Pos, msg)
		},
	}
	return runModules(ctx, ws, entry, predeclared, thread, evalLimits{maxSteps: maxSteps, timeout: timeout, maxMemory: opts.MaxMemory})
}

// runModules runs the entry module on thread, and through load() the
// modules it needs, within limits (a zero maxMemory: MaxMemoryDefault())
// and ctx, whose deadline is limits.timeout (0 for none). Its failure is a
// *ScriptError.
func runModules(ctx context.Context, ws *Workspace, entry string, predeclared starlark.StringDict, thread *starlark.Thread, limits evalLimits) error {
	l := &loader{ws: ws, predeclared: predeclared, modules: make(map[string]*module)}
	thread.Load = l.load
	thread.SetMaxExecutionSteps(limits.maxSteps)

	if limits.maxMemory == 0 {
		limits.maxMemory = MaxMemoryDefault()
	}
	// The watch starts before the evaluation, so that its start does not
	// count what the evaluation has already grown.
	heap := watchHeap(limits.maxMemory)
	defer heap.stop()

	// The interpreter stops at its next step once the thread is cancelled,
	// but not inside a built-in call, so the evaluation runs on its own
	// goroutine: when it does not stop within stopGrace of a cancel, it is
	// abandoned (the CLI exits soon after) and the limit is reported
	// without a position.
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- &evalPanic{fmt.Sprintf("descope-run failed while evaluating the config (this is a bug; please report it with what follows): %v\n%s", r, debug.Stack())}
			}
		}()
		_, err := l.exec(thread, entry)
		done <- err
	}()

	var reason string
	select {
	case err := <-done:
		return limits.scriptError(err, predeclared)
	case <-ctx.Done():
		reason = ctx.Err().Error()
	case <-heap.exceeded:
		reason = memoryBudgetExceeded
	}
	thread.Cancel(reason)
	select {
	case err := <-done:
		return limits.scriptError(err, predeclared)
	case <-heap.overshot:
	case <-time.After(stopGrace):
	}
	return &ScriptError{Msg: limits.message(reason, true), Err: errors.New(reason)}
}

// evalPanic is a panic during evaluation: a bug of descope-run, not of the
// config (exit 1, not 3).
type evalPanic struct{ msg string }

func (e *evalPanic) Error() string { return e.msg }

// stopGrace is how long a cancelled evaluation may take to stop before it
// is abandoned: the interpreter checks for a cancel at every step, so only
// a built-in call takes that long (or a machine too busy to run it).
// Memory that grows on past the budget abandons it at once: a built-in
// call can grow by gigabytes a second.
var stopGrace = time.Second

// memoryBudgetExceeded is the reason a thread is cancelled for memory.
const memoryBudgetExceeded = "memory budget exceeded"

// evalLimits are the bounds of one evaluation, for the messages that
// report them.
type evalLimits struct {
	maxSteps  uint64
	timeout   time.Duration
	maxMemory uint64
}

// message says which limit stopped the evaluation, for a cancel reason;
// inBuiltin says it stopped inside a built-in call.
func (l evalLimits) message(reason string, inBuiltin bool) string {
	where := ""
	if inBuiltin {
		where = " inside a built-in call"
	}
	switch reason {
	case memoryBudgetExceeded:
		return fmt.Sprintf("evaluation stopped%s: it used more than %s of memory, its budget: is a string or list growing without bound? (raise the budget with --max-memory)",
			where, FormatBytes(l.maxMemory))
	case context.DeadlineExceeded.Error():
		return fmt.Sprintf("evaluation stopped%s after %s, the time limit: is there a runaway loop? (raise the limit with --eval-timeout)", where, l.timeout)
	}
	return "evaluation cancelled"
}

// module is a loaded module: its frozen globals or its error.
type module struct {
	globals starlark.StringDict
	err     error
}

// loader implements Thread.Load: modules are cached by resolved path and
// evaluated once; a load cycle is reported with the whole chain.
type loader struct {
	ws          *Workspace
	predeclared starlark.StringDict
	modules     map[string]*module
	stack       []string // modules being loaded, outermost first
}

func (l *loader) load(thread *starlark.Thread, label string) (starlark.StringDict, error) {
	from := thread.CallFrame(0).Pos.Filename()
	path, err := l.ws.Resolve(from, label)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".star") {
		return nil, fmt.Errorf("%s is not a Starlark module (want a .star file)", label)
	}
	return l.exec(thread, path)
}

func (l *loader) exec(thread *starlark.Thread, path string) (starlark.StringDict, error) {
	if m, ok := l.modules[path]; ok {
		return m.globals, m.err
	}
	for i, p := range l.stack {
		if p == path {
			chain := append(append([]string(nil), l.stack[i:]...), path)
			return nil, fmt.Errorf("load cycle: %s", strings.Join(chain, " -> "))
		}
	}
	src, err := l.ws.ReadPath(path)
	if err != nil {
		return nil, err
	}
	l.stack = append(l.stack, path)
	globals, err := starlark.ExecFileOptions(fileOptions, thread, path, src, l.predeclared)
	l.stack = l.stack[:len(l.stack)-1]
	l.modules[path] = &module{globals: globals, err: err} // ExecFileOptions froze globals
	return globals, err
}

// scriptError is evalLimits.scriptError for the step and time limits.
func scriptError(err error, maxSteps uint64, timeout time.Duration, predeclared starlark.StringDict) error {
	return evalLimits{maxSteps: maxSteps, timeout: timeout}.scriptError(err, predeclared)
}

// scriptError turns an evaluation failure into a *ScriptError that reports
// the innermost failure first (nil stays nil).
func (l evalLimits) scriptError(err error, predeclared starlark.StringDict) error {
	var p *evalPanic
	if err == nil || errors.As(err, &p) {
		return err
	}
	var (
		inner    *starlark.EvalError
		outerSE  *starlark.EvalError
		synErr   syntax.Error
		resErr   resolve.ErrorList
		hasSyn   bool
		hasRes   bool
		pathErr  *PathError
		hasPathE bool
	)
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch x := e.(type) {
		case *starlark.EvalError:
			if outerSE == nil {
				outerSE = x
			}
			inner = x
		case syntax.Error:
			synErr, hasSyn = x, true
		case resolve.ErrorList:
			resErr, hasRes = x, true
		case *PathError:
			pathErr, hasPathE = x, true
		}
	}
	se := &ScriptError{Err: err}
	if inner != nil {
		se.Backtrace = frames(inner.CallStack)
		se.Pos = innermostPos(inner.CallStack)
		se.Msg = inner.Msg
	}
	switch {
	case hasSyn:
		se.Pos, se.Msg = synErr.Pos.String(), synErr.Msg
	case hasRes && len(resErr) > 0:
		se.Pos, se.Msg = resErr[0].Pos.String(), undefinedHint(resErr[0].Msg, predeclared)
		for _, e := range resErr[1:] {
			se.Msg += fmt.Sprintf("\n%s: %s", e.Pos, undefinedHint(e.Msg, predeclared))
		}
	case inner == nil && hasPathE:
		se.Msg = "cannot read entry script: " + pathErr.Error()
	case inner == nil:
		se.Msg = err.Error()
	}
	switch {
	case strings.Contains(se.Msg, "cancelled: too many steps"):
		se.Msg = fmt.Sprintf("evaluation stopped after %d steps, the step limit: is there a runaway loop? (raise the limit with --max-steps)", l.maxSteps)
	case strings.Contains(se.Msg, "cancelled: "+context.DeadlineExceeded.Error()):
		se.Msg = l.message(context.DeadlineExceeded.Error(), false)
	case strings.Contains(se.Msg, "cancelled: "+memoryBudgetExceeded):
		se.Msg = l.message(memoryBudgetExceeded, false)
	case strings.Contains(se.Msg, "cancelled: context canceled"):
		se.Msg = "evaluation cancelled"
	case strings.Contains(se.Msg, "called recursively"):
		// Starlark raises it on entry to the inner call; point at the call.
		if inner != nil && len(se.Backtrace) > 1 {
			se.Backtrace = se.Backtrace[:len(se.Backtrace)-1]
			se.Pos, _, _ = strings.Cut(se.Backtrace[len(se.Backtrace)-1], ": in ")
		}
		se.Msg += " (recursion is not allowed in configs: write a loop over the data instead)"
	case hasRes && strings.Contains(se.Msg, "cannot reassign global"):
		se.Msg += " (top-level names are assigned once in configs, a top-level for loop's variable included: pick a new name, or build the value in a function)"
	}
	return se
}

// frames renders a call stack outermost first, without builtin frames.
func frames(stack starlark.CallStack) []string {
	out := make([]string, 0, len(stack))
	for _, fr := range stack {
		if fr.Pos.Filename() == "<builtin>" {
			continue
		}
		out = append(out, fmt.Sprintf("%s: in %s", fr.Pos, fr.Name))
	}
	return out
}

func innermostPos(stack starlark.CallStack) string {
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].Pos.Filename() != "<builtin>" {
			return stack[i].Pos.String()
		}
	}
	return ""
}

// declErrors turns the collector's cross-reference errors into ScriptErrors.
func declErrors(err error) error {
	var out ScriptErrors
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var de *builtins.DeclError
		if !errors.As(e, &de) {
			out = append(out, &ScriptError{Msg: e.Error(), Err: e})
			continue
		}
		bt := make([]string, len(de.Origin))
		for i, fr := range de.Origin {
			bt[len(bt)-1-i] = fr
		}
		out = append(out, &ScriptError{Pos: de.Origin.Pos(), Msg: de.Msg, Backtrace: bt, Err: e})
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

// undefinedHint adds a did-you-mean to the resolver's "undefined: x" when x
// is close to a predeclared or universal name.
func undefinedHint(msg string, predeclared starlark.StringDict) string {
	name, ok := strings.CutPrefix(msg, "undefined: ")
	if !ok || strings.Contains(name, " ") {
		return msg
	}
	names := append(predeclared.Keys(), starlark.Universe.Keys()...)
	if n := builtins.Nearest(name, names); n != "" {
		return fmt.Sprintf("%s (did you mean %s?)", msg, n)
	}
	return msg
}
