package main

import (
	"context"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/emulator"
)

// BenchmarkApply100CreatesLatency50ms applies a config of 100 new tenants
// with `descope-run apply --auto-approve` and the default flags, against an
// emulator that takes 50 ms per request: plan, backup, the creates and the
// verify included (target: under 1.2 s).
func BenchmarkApply100CreatesLatency50ms(b *testing.B) {
	b.Setenv("HOME", b.TempDir())
	script := tenantsWorkspace(b, 100)
	var total time.Duration
	for i := range b.N {
		srv := emulator.NewServer(emulator.WithLatency(50*time.Millisecond), emulator.WithSeed(int64(i)))
		f, stderr := emulatorFactory(srv)
		start := time.Now()
		code := Execute(context.Background(), f, []string{"apply", "--auto-approve", script})
		total += time.Since(start)
		srv.Close()
		if code != ExitOK {
			b.Fatalf("apply exited %d:\n%s", code, stderr)
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/apply")
}
