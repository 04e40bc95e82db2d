package runtime

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// BenchmarkScriptBatchSettings runs scripts/automation/tenant_settings.star's
// read, batch(p.tenant_settings) over 1,000 tenants, against an emulator
// that allows 100 calls per 5 s with a burst of 100, each call taking 20 ms
// +- 20 ms, with the script's project paced at --rate 100/5s. N accepted
// calls (the settings reads, the read of the tenants and the licence
// handshake) cannot finish before max(0, N-100)*5s/100, about 45 s (target:
// within 5%, zero 429s). Metrics are medians over b.N runs; each run takes
// about 45 s, so run it with -benchtime=1x.
func BenchmarkScriptBatchSettings(b *testing.B) {
	const (
		tenants = 1000
		limit   = 100
		window  = 5 * time.Second
	)
	dir := b.TempDir()
	script := filepath.Join(dir, "settings.star")
	src := `p = descope.project()
tenants = p.read(kinds = ["tenant"]).tenants
settings = batch(lambda t: p.tenant_settings(t), tenants, workers = 8)
print(len([s for s in settings if s != None]))
`
	if err := os.WriteFile(script, []byte(src), 0o600); err != nil {
		b.Fatal(err)
	}
	seed := &descope.State{}
	for i := range tenants {
		seed.Tenants = append(seed.Tenants, &descope.Tenant{ID: fmt.Sprintf("t%04d", i), Name: fmt.Sprintf("Tenant %d", i)})
	}
	bc := boundCaseScript{limit: limit, window: window}
	var runs []scriptRunStats
	for i := range b.N {
		srv := emulator.NewServer(emulator.WithRateLimit(limit, window), emulator.WithLatency(20*time.Millisecond),
			emulator.WithJitter(20*time.Millisecond), emulator.WithSeed(int64(i)))
		if err := srv.Seed(seed); err != nil {
			b.Fatal(err)
		}
		runs = append(runs, bc.run(b, srv, script))
		srv.Close()
	}
	bc.report(b, runs)
}

// boundCaseScript is a script's pacing against an emulator allowing limit
// calls per window with a burst of limit, paced by the project's pacer at
// the same rate.
type boundCaseScript struct {
	limit  int
	window time.Duration
}

type scriptRunStats struct {
	elapsed           time.Duration
	accepted, refused int
}

// run runs script against srv and counts the requests the emulator
// accepted and refused.
func (bc boundCaseScript) run(b *testing.B, srv *emulator.Server, script string) scriptRunStats {
	b.Helper()
	pacer := mgmt.NewPacer(mgmt.Rate{N: bc.limit, Per: bc.window}, bc.limit)
	env := map[string]string{
		mgmt.EnvProjectID: srv.ProjectID(), mgmt.EnvManagementKey: srv.ManagementKey(), mgmt.EnvBaseURL: srv.URL,
	}
	var out bytes.Buffer
	t0 := time.Now()
	err := RunScript(context.Background(), ScriptOptions{
		EvalOptions: EvalOptions{Script: script},
		Stdout:      &out,
		Open: func(ws *Workspace, name string) (*Target, string, error) {
			t, err := OpenTarget(ws, TargetOptions{Getenv: func(k string) string { return env[k] }, Pacer: pacer, Version: "bench"})
			return t, "", err
		},
	})
	r := scriptRunStats{elapsed: time.Since(t0)}
	if err != nil {
		b.Fatalf("run: %v", err)
	}
	if got := out.String(); got != "1000\n" {
		b.Fatalf("the script printed %q, want 1000 settings read", got)
	}
	for _, q := range srv.Requests() {
		if q.Status == http.StatusTooManyRequests {
			r.refused++
			continue
		}
		r.accepted++
	}
	return r
}

// bound is the least time r's accepted calls could take: max(0, N-B)*W/L
// (docs/design.md section 5).
func (bc boundCaseScript) bound(r scriptRunStats) time.Duration {
	return time.Duration(max(0, r.accepted-bc.limit)) * bc.window / time.Duration(bc.limit)
}

func (bc boundCaseScript) report(b *testing.B, runs []scriptRunStats) {
	median := func(f func(scriptRunStats) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	b.ReportMetric(median(func(r scriptRunStats) float64 { return r.elapsed.Seconds() }), "s/run")
	b.ReportMetric(median(func(r scriptRunStats) float64 { return bc.bound(r).Seconds() }), "bound-s")
	b.ReportMetric(median(func(r scriptRunStats) float64 { return r.elapsed.Seconds() / bc.bound(r).Seconds() }), "x-bound")
	b.ReportMetric(median(func(r scriptRunStats) float64 { return float64(r.accepted) }), "calls/run")
	b.ReportMetric(median(func(r scriptRunStats) float64 { return float64(r.refused) }), "429s/run")
}
