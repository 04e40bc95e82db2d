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
	ctx, stop := interruptOn(sigs, &stderr, func() { close(quit) })
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
