package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// startEmulator runs runEmulator with opts (Addr 127.0.0.1:0) until it
// serves, and returns its URL and a stop function that cancels it and
// returns what it printed.
func startEmulator(t *testing.T, opts *EmulatorOptions) (url string, stop func() string) {
	t.Helper()
	var out bytes.Buffer
	opts.f = &Factory{
		IO:      &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: io.Discard},
		Globals: &GlobalOptions{Rate: "50/1s"},
		Getenv:  func(string) string { return "" },
		Now:     time.Now,
	}
	opts.Addr = "127.0.0.1:0"
	urls := make(chan string, 1)
	opts.ready = func(url string) { urls <- url }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runEmulator(ctx, opts) }()
	select {
	case url = <-urls:
	case err := <-done:
		cancel()
		t.Fatalf("emulator stopped before serving: %v", err)
	}
	return url, func() string {
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("runEmulator: %v", err)
		}
		return out.String()
	}
}

func TestEmulatorServesUntilCancelled(t *testing.T) {
	url, stop := startEmulator(t, &EmulatorOptions{ProjectID: "P2emulatorcommandtest0000000", ManagementKey: "K2test"})
	req, _ := http.NewRequest("GET", url+"/v1/mgmt/tenant/all", nil)
	req.Header.Set("Authorization", "Bearer P2emulatorcommandtest0000000:K2test")
	req.Header.Set("X-Descope-Project-Id", "P2emulatorcommandtest0000000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"tenants"`) {
		t.Errorf("GET tenant/all = %d %s", resp.StatusCode, body)
	}
	out := stop()
	for _, want := range []string{
		"listening on " + url,
		"export DESCOPE_BASE_URL=" + url,
		"export DESCOPE_PROJECT_ID=P2emulatorcommandtest0000000",
		"export DESCOPE_MANAGEMENT_KEY=K2test",
		"Emulator stopped.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestNewCmdEmulatorSeed(t *testing.T) {
	tests := []struct {
		args       string
		wantSeed   int64
		wantSeeded bool
	}{
		{"", 0, false},
		{"--seed 42", 42, true},
		{"--seed 0", 0, true}, // zero is a seed like any other
		{"--jitter 20ms --seed -7", -7, true},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			f := &Factory{
				IO:      &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard},
				Globals: &GlobalOptions{}, Getenv: func(string) string { return "" }, Now: time.Now,
			}
			var got *EmulatorOptions
			cmd := NewCmdEmulator(f, func(_ *cobra.Command, o *EmulatorOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got.Seed != tt.wantSeed || got.Seeded != tt.wantSeeded {
				t.Errorf("seed = %d (seeded %v), want %d (seeded %v)", got.Seed, got.Seeded, tt.wantSeed, tt.wantSeeded)
			}
		})
	}
}

// TestEmulatorSeedReproduces checks that --seed reaches the emulator: the
// same seed generates the same project id and key, another seed others.
func TestEmulatorSeedReproduces(t *testing.T) {
	exports := regexp.MustCompile(`export DESCOPE_(PROJECT_ID|MANAGEMENT_KEY)=\S+`)
	generated := func(seed int64) string {
		_, stop := startEmulator(t, &EmulatorOptions{Seed: seed, Seeded: true, Jitter: 20 * time.Millisecond})
		got := strings.Join(exports.FindAllString(stop(), -1), "\n")
		if strings.Count(got, "export") != 2 {
			t.Fatalf("seed %d: no generated id and key in the output: %q", seed, got)
		}
		return got
	}
	a, b, c := generated(42), generated(42), generated(43)
	if a != b {
		t.Errorf("seed 42 twice generated\n%s\nand\n%s", a, b)
	}
	if a == c {
		t.Errorf("seeds 42 and 43 both generated\n%s", a)
	}
}
