package emulator

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
)

func TestConcurrentWriters(t *testing.T) {
	t.Run("in memory", func(t *testing.T) { testConcurrentWriters(t, 8, 25, "") })
	// Every write syncs the state file to disk, so fewer of them.
	t.Run("state file", func(t *testing.T) { testConcurrentWriters(t, 4, 4, filepath.Join(t.TempDir(), "local.json")) })
}

// testConcurrentWriters has writers clients, half over a socket and half
// in-process, each create each tenants and permissions while reading.
func testConcurrentWriters(t *testing.T, writers, each int, path string) {
	opts := []Option{WithRateLimit(0, 0), WithRequestLogLimit(50)}
	if path != "" {
		opts = append(opts, WithStateFile(path))
	}
	srv := NewServer(opts...)
	defer srv.Close()
	clients := []*tclient{
		{t: t, e: srv.Emulator, http: srv.Client(), base: srv.URL},
		{t: t, e: srv.Emulator, http: &http.Client{Transport: srv.Transport()}, base: "http://emulator.test"},
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*3)
	for w := range writers {
		c := clients[w%len(clients)]
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("w%d-%d", w, i)
				for _, req := range []struct{ method, path, body string }{
					{"POST", "/v1/mgmt/tenant/create", `{"name":"` + name + `"}`},
					{"POST", "/v1/mgmt/permission/create", `{"name":"` + name + `"}`},
					{"GET", "/v1/mgmt/tenant/all", ""},
				} {
					var body any
					if req.body != "" {
						body = req.body
					}
					r, err := c.request(req.method, req.path, body, c.sdkHeaders())
					if err == nil && r.status != http.StatusOK {
						err = fmt.Errorf("%s %s: status %d: %s", req.method, req.path, r.status, r.body)
					}
					if err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := srv.State()
	if len(s.Tenants) != writers*each || len(s.Permissions) != writers*each+3 {
		t.Errorf("%d tenants and %d permissions, want %d and %d", len(s.Tenants), len(s.Permissions), writers*each, writers*each+3)
	}
	if path == "" {
		return
	}
	reloaded, err := Open(WithStateFile(path))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(reloaded.State().Tenants); n != writers*each {
		t.Errorf("the state file holds %d tenants, want %d", n, writers*each)
	}
}
