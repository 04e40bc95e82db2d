package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/runtime"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// IOStreams are the standard streams of one invocation, and what the
// terminal can do.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY report whether Out and ErrOut are terminals; InTTY
	// whether In is one, which a confirmation needs (see confirm).
	InTTY, OutTTY, ErrTTY bool
}

// SystemIO returns the process's streams.
func SystemIO() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		InTTY:  isatty.IsTerminal(os.Stdin.Fd()),
		OutTTY: isatty.IsTerminal(os.Stdout.Fd()),
		ErrTTY: isatty.IsTerminal(os.Stderr.Fd()),
	}
}

// GlobalOptions are the flags every command accepts.
type GlobalOptions struct {
	LogLevel    string
	NoColor     bool
	Vars        []string
	VarFiles    []string
	MaxSteps    uint64
	EvalTimeout time.Duration
	MaxMemory   byteSize
	Rate        string
	// BackupURL is --backup-url, on the commands that write or read
	// backups (see Factory.storeURL).
	BackupURL string
}

// byteSize is a flag value in bytes, written with a unit ("512MiB", "2G").
type byteSize uint64

func (b *byteSize) String() string { return runtime.FormatBytes(uint64(*b)) }
func (b *byteSize) Type() string   { return "size" }
func (b *byteSize) Set(s string) error {
	n, err := runtime.ParseBytes(s)
	if err != nil {
		return err
	}
	if n < 1<<20 {
		return fmt.Errorf("%q: want at least 1MiB", s)
	}
	*b = byteSize(n)
	return nil
}

// Factory carries what commands need from the outside world; tests replace
// its parts.
type Factory struct {
	IO      *IOStreams
	Globals *GlobalOptions
	Getenv  func(string) string
	Now     func() time.Time
	// RotateSecrets sends every secret() again (plan and apply
	// --rotate-secrets).
	RotateSecrets bool
	logger        hclog.Logger
	// closers run when the command is done (targets save what they hold).
	closers []func() error
	// ctx is the command's context, and command what it runs
	// ("descope-run apply main.star", for a shared lock), once it started.
	ctx     context.Context
	command string
	// shared holds the stores opened from a store URL, by URL and target.
	shared map[[2]string]*backup.BlobStore
	// display shows the progress of long phases (see progress).
	display *progressDisplay
	// interrupts is what an interrupt says during the command (see
	// interruptsFor); nil before a command starts.
	interrupts atomic.Pointer[interruptNotes]
}

// Logger returns the logger configured by --log-level or DESCOPE_RUN_LOG.
func (f *Factory) Logger() hclog.Logger {
	if f.logger == nil {
		level := f.Globals.LogLevel
		if level == "" {
			level = f.Getenv("DESCOPE_RUN_LOG")
		}
		if level == "" {
			level = "warn"
		}
		f.logger = hclog.New(&hclog.LoggerOptions{
			Name:       "descope-run",
			Level:      hclog.LevelFromString(level),
			Output:     f.IO.ErrOut,
			Color:      hclog.ColorOff,
			TimeFormat: "15:04:05.000",
		})
	}
	return f.logger
}

// logLevels are the values --log-level and DESCOPE_RUN_LOG accept.
var logLevels = []string{"trace", "debug", "info", "warn", "error", "off"}

// checkGlobals refuses global flag values (and DESCOPE_RUN_LOG) that would
// otherwise be taken silently for something else, and the --parallel of the
// commands that have one.
func (f *Factory) checkGlobals(cmd *cobra.Command) error {
	g := f.Globals
	for _, l := range []struct{ name, value string }{
		{"--log-level", g.LogLevel},
		{"DESCOPE_RUN_LOG", f.Getenv("DESCOPE_RUN_LOG")},
	} {
		if l.value != "" && hclog.LevelFromString(l.value) == hclog.NoLevel {
			return fmt.Errorf("%s %q: want one of %s", l.name, l.value, strings.Join(logLevels, ", "))
		}
	}
	if g.EvalTimeout <= 0 {
		return fmt.Errorf("--eval-timeout %s: want a positive duration, e.g. 60s", g.EvalTimeout)
	}
	if g.MaxSteps == 0 {
		return fmt.Errorf("--max-steps 0: want a positive number of steps")
	}
	if fl := cmd.Flags().Lookup("parallel"); fl != nil {
		if n, err := cmd.Flags().GetInt("parallel"); err == nil && n < 1 {
			return fmt.Errorf("--parallel %d: want 1 or more", n)
		}
	}
	return nil
}

// Color reports whether output to a stream may be coloured: only on a
// terminal, never with --no-color or NO_COLOR.
func (f *Factory) Color(tty bool) bool {
	return tty && !f.Globals.NoColor && f.Getenv("NO_COLOR") == ""
}

// EvalOptions returns the runtime options the global flags imply.
func (f *Factory) EvalOptions(script string) runtime.EvalOptions {
	return runtime.EvalOptions{
		Script:    script,
		Vars:      f.Globals.Vars,
		VarFiles:  f.Globals.VarFiles,
		MaxSteps:  f.Globals.MaxSteps,
		Timeout:   f.Globals.EvalTimeout,
		MaxMemory: uint64(f.Globals.MaxMemory),
		Stderr:    f.IO.ErrOut,
	}
}

// NewRootCmd returns the descope-run command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "descope-run",
		Short: "Manage a Descope project as code",
		Long: `descope-run manages a Descope project as code. A config is a Starlark program
that declares the desired project: tenants and their SSO configurations,
tenant custom attributes, flows, the theme, roles and permissions, the
project's name and tags. descope-run reads the live project,
shows a plan, backs the project up and applies the plan at a safe pace.

With no DESCOPE_PROJECT_ID set, commands run against a local project stored in
the workspace, so you can try everything without credentials.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       toolVersion(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			f.ctx, f.command = cmd.Context(), strings.Join(append([]string{cmd.CommandPath()}, args...), " ")
			f.interrupts.Store(interruptsFor(cmd))
			return f.checkGlobals(cmd)
		},
	}
	root.SetVersionTemplate("descope-run {{.Version}}\n")
	g := f.Globals
	pf := root.PersistentFlags()
	pf.StringVar(&g.LogLevel, "log-level", "", "log level: trace, debug, info, warn, error, off (default warn; also DESCOPE_RUN_LOG)")
	pf.BoolVar(&g.NoColor, "no-color", false, "never colour output (NO_COLOR does the same)")
	pf.StringArrayVar(&g.Vars, "var", nil, "set a config variable, `NAME=VALUE` (repeatable; read as vars[\"NAME\"])")
	pf.StringArrayVar(&g.VarFiles, "var-file", nil, "read config variables from a YAML or JSON `FILE` (repeatable)")
	pf.Uint64Var(&g.MaxSteps, "max-steps", runtime.DefaultMaxSteps, "stop a config after this many Starlark steps")
	pf.DurationVar(&g.EvalTimeout, "eval-timeout", runtime.DefaultTimeout,
		"stop a config or a test that runs longer than this (default "+runtime.DefaultTimeout.String()+"; none for run scripts unless given)")
	if g.MaxMemory == 0 {
		g.MaxMemory = byteSize(runtime.MaxMemoryDefault())
	}
	pf.Var(&g.MaxMemory, "max-memory", "stop a config that uses more than `SIZE` of memory to evaluate, e.g. 512MiB (default: a quarter of the memory available, at most 1GiB)")
	// Their usage says the default, which pflag would add again, after
	// the exception (run) or as the machine's figure: a zero DefValue
	// keeps it out.
	pf.Lookup("eval-timeout").DefValue = "0s"
	pf.Lookup("max-memory").DefValue = ""
	pf.StringVar(&g.Rate, "rate", "", "pace every API call at `N/DURATION`, e.g. 200/60s (default: descope-run.yaml's rate, else "+DefaultRate+")")

	root.AddCommand(
		NewCmdEval(f, nil),
		NewCmdPlan(f, nil),
		NewCmdApply(f, nil),
		NewCmdRun(f, nil),
		NewCmdEmulator(f, nil),
		NewCmdExport(f, nil),
		NewCmdBackup(f),
		NewCmdLock(f, nil),
		NewCmdTest(f, nil),
		NewCmdFmt(f, nil),
		NewCmdVersion(f),
	)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	return root
}

// Main runs descope-run with the process's arguments and returns the exit code.
func Main() int {
	// A crash of the Go runtime (out of memory, say) or a panic outside the
	// command's goroutine would otherwise exit 2, the code of "changes
	// present": abort instead (SIGABRT, 134 in shells).
	debug.SetTraceback("crash")
	f := &Factory{IO: SystemIO(), Globals: &GlobalOptions{}, Getenv: os.Getenv, Now: time.Now}
	ctx, stop := interruptible(f.IO.ErrOut, f.interruptNotes)
	defer stop()
	return Execute(ctx, f, os.Args[1:])
}

// interruptNotes are what the first, second and third interrupt say.
type interruptNotes [3]string

var (
	// writeInterrupts are said by the commands that write to a project
	// (writeCommands): their calls in flight run to their end, so that
	// what they did is known.
	writeInterrupts = interruptNotes{
		"\nInterrupted: starting no new work, waiting for the calls in flight (interrupt again to stop waiting).",
		"Stopping: abandoning the calls in flight and their retries (their outcome is unknown: run plan to see where the project stands); saving and unlocking first (interrupt again to quit at once).",
		"Quitting at once.",
	}
	// otherInterrupts are said by every other command (eval, plan, the
	// emulator, ...), which has nothing in flight worth waiting for.
	otherInterrupts = interruptNotes{
		"\nInterrupted: stopping (interrupt again to stop at once).",
		"Stopping at once (interrupt again to quit).",
		"Quitting at once.",
	}
)

// writeCommands are the commands that write to a project through the
// executor, by path below the root.
var writeCommands = []string{"apply", "backup restore", "run"}

// interruptsFor returns what interrupts say during cmd.
func interruptsFor(cmd *cobra.Command) *interruptNotes {
	path := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	if slices.Contains(writeCommands, path) {
		return &writeInterrupts
	}
	return &otherInterrupts
}

// interruptNotes returns what interrupts say now: the command's, once it
// started.
func (f *Factory) interruptNotes() *interruptNotes {
	if n := f.interrupts.Load(); n != nil {
		return n
	}
	return &otherInterrupts
}

// interruptible returns a context that the first interrupt (Ctrl-C or
// SIGTERM) cancels, with errInterrupted as its cause: an apply then starts
// no new work and waits for the calls in flight, so that their outcome is
// known. The second interrupt ends the context's stop (mgmt.WithStop): the
// calls in flight and their retries are abandoned (reported as of unknown
// outcome) and the command returns, so that its closers still run (the
// local project is saved, the lock released). A third quits at once. Each
// says so on stderr in the words notes returns then.
func interruptible(stderr io.Writer, notes func() *interruptNotes) (context.Context, func()) {
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, stop := interruptOn(sigs, stderr, notes, func() { os.Exit(ExitInterrupted) })
	return ctx, func() {
		signal.Stop(sigs)
		stop()
	}
}

// interruptOn is interruptible for the signals of sigs; quit ends the
// process at the third.
func interruptOn(sigs <-chan os.Signal, stderr io.Writer, notes func() *interruptNotes, quit func()) (context.Context, func()) {
	hard, abandon := context.WithCancelCause(context.Background())
	ctx, cancel := context.WithCancelCause(mgmt.WithStop(context.Background(), hard))
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-sigs:
			case <-done:
				return
			}
			fmt.Fprintln(stderr, notes()[min(n, 3)-1])
			switch n {
			case 1:
				cancel(errInterrupted)
			case 2:
				abandon(errInterrupted)
			default:
				quit()
				return
			}
		}
	}()
	return ctx, func() {
		close(done)
		cancel(context.Canceled)
		abandon(context.Canceled)
	}
}

// Execute runs the command tree with args and maps the outcome to an exit
// code, printing any error on f.IO.ErrOut.
func Execute(ctx context.Context, f *Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(terraformFlags(args))
	err := run(ctx, root)
	if err != nil && !errors.Is(err, errInterrupted) && errors.Is(context.Cause(ctx), errInterrupted) {
		// What an interrupt ended reports its own error: a read cut off,
		// say. The exit code says it was interrupted.
		err = fmt.Errorf("%w (%w)", err, errInterrupted)
	}
	for _, c := range f.closers {
		if cerr := c(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	f.closers = nil
	if err == nil {
		return ExitOK
	}
	code := ExitCode(err)
	if code != ExitChanges {
		printError(f.IO.ErrOut, err)
	}
	return code
}

// run executes root, turning a panic in the command into an error (exit
// 1): unrecovered, it would exit 2, the code of "changes present".
func run(ctx context.Context, root *cobra.Command) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("descope-run failed (this is a bug; please report it with what follows): %v\n%s", r, debug.Stack())
		}
	}()
	return root.ExecuteContext(ctx)
}

func printError(w io.Writer, err error) {
	var se *runtime.ScriptError
	var ses runtime.ScriptErrors
	var tf *runtime.TestFailures
	switch {
	case errors.As(err, &tf):
		// the test report has said what failed
	case errors.As(err, &ses), errors.As(err, &se):
		fmt.Fprintln(w, strings.TrimRight(err.Error(), "\n"))
	default:
		fmt.Fprintf(w, "error: %s\n", err)
	}
}

// singleDashFlags are the long flags also accepted with one dash, as
// Terraform (plan -out, fmt -check -diff) and go test (test -run -update
// -json) spell them, which pflag would read as clusters of short flags.
var singleDashFlags = []string{"-out", "-check", "-diff", "-run", "-update", "-json"}

// terraformFlags rewrites the single-dash spelling of singleDashFlags
// ("-out FILE", "-out=FILE") to the double-dash one.
func terraformFlags(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		name, _, _ := strings.Cut(a, "=")
		if slices.Contains(singleDashFlags, name) {
			a = "-" + a
		}
		out[i] = a
	}
	return out
}
