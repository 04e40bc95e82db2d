package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The first interrupt stops new work and lets the call in flight run on;
// the second abandons it, and the command returns (its closers run); the
// third quits.
func TestInterrupts(t *testing.T) {
	sigs := make(chan os.Signal)
	var stderr lockedBuffer
	quit := make(chan struct{})
	ctx, stop := interruptOn(sigs, &stderr, func() *interruptNotes { return &writeInterrupts }, func() { close(quit) })
	defer stop()

	inFlight, firstSeen, checked := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var sawFirst bool
	items := []mgmt.Item{{ID: "tenant:acme", Do: func(c context.Context) error {
		close(inFlight)
		<-firstSeen
		sawFirst = c.Err() != nil // the first interrupt must not end it
		close(checked)
		<-c.Done()
		return c.Err()
	}}}
	reported := make(chan mgmt.Report)
	go func() { reported <- mgmt.NewExecutor(nil, 1).Run(ctx, items) }()

	<-inFlight
	sigs <- os.Interrupt
	<-ctx.Done()
	if !errors.Is(context.Cause(ctx), errInterrupted) {
		t.Errorf("cause %v, want errInterrupted", context.Cause(ctx))
	}
	close(firstSeen)
	<-checked
	sigs <- os.Interrupt
	rep := <-reported
	if sawFirst {
		t.Error("the first interrupt cancelled the call in flight")
	}
	if len(rep.Unknown) != 1 || rep.Unknown[0].ID != "tenant:acme" || !errors.Is(rep.Err(), errInterrupted) {
		t.Errorf("report %+v, want tenant:acme unknown, interrupted", rep)
	}
	if got := ExitCode(rep.Err()); got != ExitInterrupted {
		t.Errorf("ExitCode = %d, want %d", got, ExitInterrupted)
	}
	sigs <- os.Interrupt
	<-quit
	for _, want := range []string{"Interrupted: starting no new work", "Stopping: abandoning the calls in flight", "Quitting at once."} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q, want %q", stderr.String(), want)
		}
	}
}

// A command that an interrupt cut short exits 130 and still runs the
// closers.
func TestExecuteInterruptedRunsClosers(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errInterrupted)
	var out, errOut bytes.Buffer
	f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Globals: &GlobalOptions{},
		Getenv: func(string) string { return "" }}
	closed := false
	f.closers = append(f.closers, func() error { closed = true; return nil })
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/main.star", []byte(`tenant(id = "acme", name = "Acme")`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Execute(ctx, f, []string{"apply", dir + "/main.star"}); code != ExitInterrupted {
		t.Errorf("exit %d, want %d; stderr %s", code, ExitInterrupted, errOut.String())
	}
	if !closed {
		t.Error("the closers did not run")
	}
}

// An interrupt speaks of calls in flight only during the commands that
// write to a project; the others just stop.
func TestInterruptNotes(t *testing.T) {
	tests := []struct {
		args []string
		want *interruptNotes
	}{
		{[]string{"apply"}, &writeInterrupts},
		{[]string{"backup", "restore"}, &writeInterrupts},
		{[]string{"run"}, &writeInterrupts},
		{[]string{"eval"}, &otherInterrupts},
		{[]string{"plan"}, &otherInterrupts},
		{[]string{"emulator"}, &otherInterrupts},
		{[]string{"export"}, &otherInterrupts},
		{[]string{"backup", "create"}, &otherInterrupts},
		{[]string{"test"}, &otherInterrupts},
	}
	root := NewRootCmd(&Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		Globals: &GlobalOptions{}, Getenv: func(string) string { return "" }})
	for _, tt := range tests {
		cmd, _, err := root.Find(tt.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := interruptsFor(cmd); got != tt.want {
			t.Errorf("%v: interrupts say %q, want %q", tt.args, got[0], tt.want[0])
		}
	}

	// The command's words from the moment it starts; the others' before.
	sigs := make(chan os.Signal)
	var stderr lockedBuffer
	f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		Globals: &GlobalOptions{}, Getenv: func(string) string { return "" }}
	ctx, stop := interruptOn(sigs, &stderr, f.interruptNotes, func() {})
	defer stop()
	if got := f.interruptNotes(); got != &otherInterrupts {
		t.Errorf("before a command: %q, want %q", got[0], otherInterrupts[0])
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/main.star", []byte(`tenant(id = "acme", name = "Acme")`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Execute(ctx, f, []string{"eval", dir + "/main.star"}); code != ExitOK {
		t.Fatalf("eval exit %d", code)
	}
	sigs <- os.Interrupt
	<-ctx.Done()
	if got, want := stderr.String(), "\nInterrupted: stopping (interrupt again to stop at once).\n"; got != want {
		t.Errorf("eval's interrupt says %q, want %q", got, want)
	}
}

// The help of the global flags says each default once, and says that a
// run script has no time limit by default.
func TestGlobalFlagsHelp(t *testing.T) {
	var out bytes.Buffer
	f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, Globals: &GlobalOptions{},
		Getenv: func(string) string { return "" }}
	if code := Execute(context.Background(), f, []string{"plan", "--help"}); code != ExitOK {
		t.Fatalf("plan --help: exit %d: %s", code, out.String())
	}
	for _, tt := range []struct{ flag, want string }{
		{"--eval-timeout", "(default 1m0s; none for run scripts unless given)"},
		{"--max-memory", "(default: a quarter of the memory available, at most 1GiB)"},
	} {
		var line string
		for l := range strings.Lines(out.String()) {
			if strings.Contains(l, tt.flag+" ") {
				line = l
			}
		}
		if !strings.HasSuffix(strings.TrimSpace(line), tt.want) || strings.Count(line, "default") != 1 {
			t.Errorf("help of %s: %q, want it to end with %q, its only default", tt.flag, line, tt.want)
		}
	}
}
