package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// EmulatorOptions are the inputs of `descope-run emulator`.
type EmulatorOptions struct {
	f             *Factory
	Addr          string
	ProjectID     string
	ManagementKey string
	StateFile     string
	Latency       time.Duration
	Jitter        time.Duration
	Penalty       time.Duration
	// Seed, when Seeded, makes the generated project id and key and the
	// --jitter draws reproducible (emulator.WithSeed).
	Seed   int64
	Seeded bool
	// ready, when set, is called with the base URL once the server listens.
	ready func(url string)
}

// NewCmdEmulator returns the emulator command. runF replaces its body in tests.
func NewCmdEmulator(f *Factory, runF func(*cobra.Command, *EmulatorOptions) error) *cobra.Command {
	opts := &EmulatorOptions{f: f}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve a local Descope Management API emulator over HTTP",
		Long: `Serve descope-run's Descope Management API emulator: the same server the
tests and the local project use, strict where the real API is, with its rate
limit (--rate sets it here), for trying configs and other tools without a
real project. It prints the environment variables to export and serves until
interrupted. --seed makes a run reproducible: the same seed gives the same
generated project id and key and the same --jitter delays, request by request.`,
		Example: `  descope-run emulator --addr 127.0.0.1:4646 --state emu.json
  descope-run emulator --rate 100/60s --latency 20ms --jitter 20ms --seed 1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Seeded = cmd.Flags().Changed("seed")
			if runF != nil {
				return runF(cmd, opts)
			}
			return runEmulator(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:4646", "listen on `HOST:PORT` (port 0 picks a free one)")
	fl.StringVar(&opts.ProjectID, "project-id", "", "the emulated project's `ID` (generated when empty)")
	fl.StringVar(&opts.ManagementKey, "management-key", "", "the management `KEY` it accepts (generated when empty, and kept in the --state file)")
	fl.StringVar(&opts.StateFile, "state", "", "keep the project, and a generated key, in `FILE` across restarts")
	fl.DurationVar(&opts.Latency, "latency", 0, "delay every request by `DURATION`")
	fl.DurationVar(&opts.Jitter, "jitter", 0, "vary each request's delay by up to `DURATION` either way, at random")
	fl.DurationVar(&opts.Penalty, "penalty", 0, "after a 429, refuse every request for `DURATION`")
	fl.Int64Var(&opts.Seed, "seed", 0, "draw the generated id and key and the --jitter delays from seed `N`, reproducibly (random when unset)")
	return cmd
}

func runEmulator(ctx context.Context, opts *EmulatorOptions) error {
	f := opts.f
	emuOpts := []emulator.Option{
		emulator.WithProject(opts.ProjectID, opts.ManagementKey),
		emulator.WithLatency(opts.Latency),
		emulator.WithJitter(opts.Jitter),
		emulator.WithPenalty(opts.Penalty),
		emulator.WithRequestLogLimit(1000), // a long-running server keeps only the newest
	}
	if f.Globals.Rate != "" {
		r, err := mgmt.ParseRate(f.Globals.Rate)
		if err != nil {
			return fmt.Errorf("--rate: %w", err)
		}
		emuOpts = append(emuOpts, emulator.WithRateLimit(r.N, r.Per))
	}
	if opts.Seeded {
		emuOpts = append(emuOpts, emulator.WithSeed(opts.Seed))
	}
	if opts.StateFile != "" {
		emuOpts = append(emuOpts, emulator.WithStateFile(opts.StateFile))
	}
	emu, err := emulator.Open(emuOpts...)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("emulator: listen on %s: %w (pick another with --addr)", opts.Addr, err)
	}
	url := "http://" + ln.Addr().String()
	state := "in memory"
	if opts.StateFile != "" {
		state = opts.StateFile
	}
	fmt.Fprintf(f.IO.Out, `Descope Management API emulator listening on %s
Project %s (state %s)

Point descope-run or a Descope SDK at it:
  export DESCOPE_BASE_URL=%s
  export DESCOPE_PROJECT_ID=%s
  export DESCOPE_MANAGEMENT_KEY=%s

Press Ctrl-C to stop.
`, url, emu.ProjectID(), state, url, emu.ProjectID(), emu.ManagementKey())

	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if opts.ready != nil {
		opts.ready(url)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("emulator: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("emulator: stop: %w", err)
	}
	// Every write is already on disk (in the state file's journal); this
	// folds the journal into the state file.
	if err := emu.Flush(); err != nil {
		return fmt.Errorf("emulator: save %s: %w", opts.StateFile, err)
	}
	fmt.Fprintln(f.IO.Out, "Emulator stopped.")
	return nil
}
