package emulator

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// openClient opens the emulator of the state file at path and returns a
// client for it.
func openClient(t *testing.T, path string, opts ...Option) (*Emulator, *tclient) {
	t.Helper()
	e, err := Open(append([]Option{WithStateFile(path), WithRateLimit(0, 0), WithSeed(3)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return e, &tclient{t: t, e: e, http: &http.Client{Transport: e.Transport()}, base: "http://emulator.test"}
}

// Every answered write is in the journal: an emulator opened from the files
// while the first one still runs (as after a crash: no Flush) sees them
// all, generated ids and fingerprints included, and answers the same.
func TestJournalReplayGivesTheSameProject(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	e1, c := openClient(t, path)
	c.post("/v1/mgmt/permission/create", map[string]any{"name": "edit"})
	created := c.post("/v1/mgmt/tenant/create", map[string]any{"name": "Generated id"})
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2c", "name": "C", "parent": created["id"]})
	c.post("/v1/mgmt/role/create/batch", map[string]any{"roles": []any{map[string]any{"name": "A", "permissionNames": []string{"edit"}}, map[string]any{"name": "B"}}})
	c.post("/v1/mgmt/tenant/updateDefaultRoles", map[string]any{"id": "T2c", "defaultRoles": []string{"A"}})
	c.post("/v2/mgmt/flow/import", map[string]any{"flow": map[string]any{"flowId": "custom", "contents": map[string]any{"n": 1}}})
	c.post("/v1/mgmt/tenant/settings", map[string]any{"tenantId": "T2c", "enabled": true})
	c.post("/v1/mgmt/project/update/tags", map[string]any{"tags": []string{"x"}})
	files := c.post("/v1/mgmt/project/snapshot/export", map[string]any{})["files"]
	c.post("/v1/mgmt/permission/delete", map[string]any{"name": "edit"})
	c.post("/v1/mgmt/project/snapshot/import", map[string]any{"files": files})                      // creates edit again
	c.do(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"id": "T2c", "name": "Refused"}) // 409: not journaled

	e2, c2 := openClient(t, path)
	a, _ := e1.State().CanonicalJSON()
	b, _ := e2.State().CanonicalJSON()
	if !bytes.Equal(a, b) {
		t.Fatalf("project replayed from the journal differs:\n%s\n%s", a, b)
	}
	for _, p := range []string{"/v1/mgmt/tenant/all", "/v1/mgmt/role/all", "/v1/mgmt/permission/all"} {
		if x, y := c.get(p), c2.get(p); fmt.Sprint(x) != fmt.Sprint(y) {
			t.Errorf("%s differs after replay:\n%v\n%v", p, x, y)
		}
	}
	x := c.post("/v1/mgmt/flow/list", nil)
	y := c2.post("/v1/mgmt/flow/list", nil)
	if fmt.Sprint(x) != fmt.Sprint(y) {
		t.Errorf("flow list (fingerprints, versions) differs after replay:\n%v\n%v", x, y)
	}
}

// A journal replays with the options that change what a write does: here,
// keys defined on first use.
func TestJournalReplayKeepsOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	_, c := openClient(t, path, WithAttributesDefinedOnUse())
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A", "customAttributes": map[string]any{"plan": "gold"}})
	_, c2 := openClient(t, path, WithAttributesDefinedOnUse())
	if got := c2.get("/v1/mgmt/tenant?id=T2a")["customAttributes"]; fmt.Sprint(got) != "map[plan:gold]" {
		t.Errorf("replayed tenant's attributes = %v", got)
	}
}

// Flush folds the journal into the state file; a process that only read
// never rewrites either file.
func TestJournalCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	e, c := openClient(t, path)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	if lines := journalLines(t, path); lines != 2 {
		t.Errorf("journal holds %d lines after one write, want a header and one record", lines)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if lines := journalLines(t, path); lines != 1 {
		t.Errorf("journal holds %d lines after Flush, want only its header", lines)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte(`"T2a"`)) {
		t.Errorf("state file after Flush lacks the write:\n%s", raw)
	}

	before, _ := os.Stat(path)
	reader, rc := openClient(t, path)
	rc.get("/v1/mgmt/tenant/all")
	if err := reader.Flush(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(path); !after.ModTime().Equal(before.ModTime()) {
		t.Error("a process that only read rewrote the state file")
	}
	if s := reader.State(); s.Tenant("T2a") == nil {
		t.Error("reader does not see the flushed write")
	}
}

// A big journal is compacted as it grows, without a Flush.
func TestJournalCompactsWhenLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	e, c := openClient(t, path)
	e.mu.Lock()
	e.compactAt = 2000
	e.mu.Unlock()
	for i := range 40 {
		c.post("/v1/mgmt/tenant/create", map[string]any{"id": fmt.Sprintf("T2t%02d", i), "name": fmt.Sprintf("T%d", i)})
	}
	raw, _ := os.ReadFile(path)
	if lines := journalLines(t, path); lines > 40 || !bytes.Contains(raw, []byte(`"T2t00"`)) {
		t.Errorf("journal holds %d lines and the state file lacks the first tenant: it was not compacted", lines)
	}
	_, c2 := openClient(t, path)
	if n := len(c2.get("/v1/mgmt/tenant/all")["tenants"].([]any)); n != 40 {
		t.Errorf("%d tenants after reopening, want 40", n)
	}
}

// A last line cut short by a crash was never answered: it is ignored. A
// journal left beside a state file that was deleted (to start afresh)
// belongs to the old project and is ignored too.
func TestJournalTornLineAndStaleJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	_, c := openClient(t, path)
	c.post("/v1/mgmt/tenant/create", map[string]any{"id": "T2a", "name": "A"})
	f, err := os.OpenFile(path+journalSuffix, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"seq":2,"time":1,"rng":"`)
	_ = f.Close()
	_, c2 := openClient(t, path)
	if n := len(c2.get("/v1/mgmt/tenant/all")["tenants"].([]any)); n != 1 {
		t.Errorf("%d tenants after a torn last line, want 1", n)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, c3 := openClient(t, path)
	if n := len(c3.get("/v1/mgmt/tenant/all")["tenants"].([]any)); n != 0 {
		t.Errorf("a new project replayed the old project's journal: %d tenants", n)
	}
}

// A generated management key is kept with the project, so that it stays
// the same across restarts; a key given with WithProject is never written.
func TestGeneratedKeyIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emu.json")
	e1, err := Open(WithStateFile(path))
	if err != nil {
		t.Fatal(err)
	}
	e2, err := Open(WithStateFile(path))
	if err != nil {
		t.Fatal(err)
	}
	if e1.ManagementKey() != e2.ManagementKey() {
		t.Errorf("management key changed across a restart: %s, then %s", e1.ManagementKey(), e2.ManagementKey())
	}
	e3, err := Open(WithStateFile(path), WithProject(e1.ProjectID(), "K2given"))
	if err != nil {
		t.Fatal(err)
	}
	if e3.ManagementKey() != "K2given" {
		t.Errorf("key %s, want the given one", e3.ManagementKey())
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("K2given")) {
		t.Error("the state file holds the given key")
	}
}

// Writers that arrive together share fsyncs, and none is lost.
func TestJournalConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	_, c := openClient(t, path)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 25 {
				r, err := c.request(http.MethodPost, "/v1/mgmt/tenant/create", map[string]any{"id": fmt.Sprintf("T2w%dn%02d", w, i), "name": fmt.Sprintf("W%d N%d", w, i)}, nil)
				if err != nil || r.status != http.StatusOK {
					t.Errorf("create: %v %d %s", err, r.status, r.body)
				}
			}
		})
	}
	wg.Wait()
	_, c2 := openClient(t, path)
	if n := len(c2.get("/v1/mgmt/tenant/all")["tenants"].([]any)); n != 200 {
		t.Errorf("%d tenants after reopening, want 200", n)
	}
}

func journalLines(t *testing.T, path string) int {
	t.Helper()
	raw, err := os.ReadFile(path + journalSuffix)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(raw, []byte("\n"))
}

// crashWriterEnv makes the test binary run TestCrashWriter as the process
// that TestKillDashNine kills.
const crashWriterEnv = "EMULATOR_CRASH_WRITER_STATE"

// TestKillDashNine kills (SIGKILL) a process that creates tenants in a
// state file, after it has printed that some were created: every tenant it
// was told was created is in the file afterwards.
func TestKillDashNine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := filepath.Join(t.TempDir(), "local.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.v")
	cmd.Env = append(os.Environ(), crashWriterEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 300
	printed := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "created "); ok {
			printed, _ = strconv.Atoi(n)
			if printed >= killAfter {
				break
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if printed < killAfter {
		t.Fatalf("the writer printed %d creations before it ended, want %d", printed, killAfter)
	}
	_, c := openClient(t, path)
	have := len(c.get("/v1/mgmt/tenant/all")["tenants"].([]any))
	if have < printed {
		t.Errorf("after kill -9 at %d printed creations the state holds %d tenants", printed, have)
	}
	t.Logf("printed %d, state holds %d", printed, have)
}

// TestCrashWriter is the process TestKillDashNine kills: it creates tenants
// until killed, printing each one it was answered for.
func TestCrashWriter(t *testing.T) {
	path := os.Getenv(crashWriterEnv)
	if path == "" {
		t.Skip("run by TestKillDashNine")
	}
	_, c := openClient(t, path)
	for i := 1; i < 1_000_000; i++ {
		c.post("/v1/mgmt/tenant/create", map[string]any{"id": fmt.Sprintf("T2n%06d", i), "name": fmt.Sprintf("N%d", i)})
		fmt.Printf("created %d\n", i)
	}
}
