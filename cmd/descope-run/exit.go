package main

import (
	"errors"

	"github.com/descope-run/descope-run/runtime"
)

// Exit codes. They are mapped from errors in ExitCode and nowhere else.
const (
	ExitOK          = 0   // success, or no changes
	ExitError       = 1   // any other failure
	ExitChanges     = 2   // plan --detailed-exitcode found changes
	ExitScript      = 3   // the config (or a test file, or a script) failed to evaluate
	ExitRefused     = 4   // refused for safety: a runtime.Refusal (stale plan, delete guard, project mismatch, lock held, ...)
	ExitInterrupted = 130 // stopped by an interrupt (Ctrl-C, SIGTERM), as shells report 128+SIGINT
)

// errChanges is returned by plan --detailed-exitcode when the plan is not empty.
var errChanges = errors.New("changes present")

// errInterrupted is the cause of the cancellation of a command's context by
// an interrupt (see interruptible).
var errInterrupted = errors.New("interrupted")

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	var se *runtime.ScriptError
	var ses runtime.ScriptErrors
	var refusal runtime.Refusal
	var tf *runtime.TestFailures
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errInterrupted):
		return ExitInterrupted
	case errors.As(err, &tf) && tf.Broken > 0:
		return ExitScript
	case errors.As(err, &tf):
		return ExitError
	case errors.Is(err, errChanges):
		return ExitChanges
	case errors.As(err, &refusal):
		// Before the script errors: a script's refused write is reported
		// at its line, and still exits as a refusal.
		return ExitRefused
	case errors.Is(err, errNotConfirmed):
		// A script's write declined at the prompt exits as apply's does.
		return ExitError
	case errors.As(err, &se), errors.As(err, &ses):
		return ExitScript
	}
	return ExitError
}
