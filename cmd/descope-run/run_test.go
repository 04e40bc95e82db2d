package main

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestRunPanic: a panic in a command is an error (exit 1), never the Go
// runtime's exit 2, which means "changes present".
func TestRunPanic(t *testing.T) {
	cmd := &cobra.Command{Use: "x", SilenceErrors: true, SilenceUsage: true,
		RunE: func(*cobra.Command, []string) error { panic("boom") }}
	cmd.SetArgs(nil)
	err := run(context.Background(), cmd)
	if err == nil || !strings.HasPrefix(err.Error(), "descope-run failed (this is a bug; please report it with what follows): boom\n") {
		t.Fatalf("run = %v, want the panic as an error", err)
	}
	if got := ExitCode(err); got != ExitError {
		t.Errorf("ExitCode = %d, want %d", got, ExitError)
	}
}
