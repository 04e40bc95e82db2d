package emulator

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// benchClient sends requests in-process and fails the benchmark on anything
// but 200.
type benchClient struct {
	e  *Emulator
	hc *http.Client
}

func newBench(b *testing.B, tenants int, opts ...Option) *benchClient {
	b.Helper()
	e := New(append([]Option{WithRateLimit(0, 0), WithSeed(1), WithRequestLogLimit(1)}, opts...)...)
	s := &descope.State{}
	for i := range tenants {
		s.Tenants = append(s.Tenants, &descope.Tenant{ID: fmt.Sprintf("T2t%05d", i), Name: fmt.Sprintf("Tenant %d", i), Domains: &[]string{fmt.Sprintf("t%d.com", i)}})
	}
	if err := e.Seed(s); err != nil {
		b.Fatal(err)
	}
	return &benchClient{e: e, hc: &http.Client{Transport: e.Transport()}}
}

func (c *benchClient) do(b *testing.B, method, path, body string) {
	req, _ := http.NewRequest(method, "http://emulator.test"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.e.ProjectID()+":"+c.e.ManagementKey())
	req.Header.Set("X-Descope-Project-Id", c.e.ProjectID())
	resp, err := c.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s %s: status %d", method, path, resp.StatusCode)
	}
}

// BenchmarkRequest measures one request, repeated, against a project of
// the given number of tenants.
func BenchmarkRequest(b *testing.B) {
	benches := []struct {
		name               string
		tenants            int
		stateFile          bool
		method, path, body string
	}{
		{"License", 0, false, "GET", "/v1/mgmt/license", ""},
		{"TenantUpdate/1000", 1000, false, "POST", "/v1/mgmt/tenant/update", `{"id":"T2t00500","name":"Tenant 500","enforceSSO":true}`},
		{"TenantUpdate/1000/StateFile", 1000, true, "POST", "/v1/mgmt/tenant/update", `{"id":"T2t00500","name":"Tenant 500","enforceSSO":true}`},
		{"TenantLoad/1000", 1000, false, "GET", "/v1/mgmt/tenant?id=T2t00500", ""},
		{"TenantLoadAll/1000", 1000, false, "GET", "/v1/mgmt/tenant/all", ""},
		{"TenantSearch/1000", 1000, false, "POST", "/v1/mgmt/tenant/search", `{"tenantSelfProvisioningDomains":["t500.com"]}`},
		{"FlowExport", 0, false, "POST", "/v2/mgmt/flow/export", `{"flowId":"sign-up-or-in"}`},
		{"FlowList", 0, false, "POST", "/v1/mgmt/flow/list", ""},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			var opts []Option
			if bb.stateFile {
				opts = append(opts, WithStateFile(filepath.Join(b.TempDir(), "local.json")))
			}
			c := newBench(b, bb.tenants, opts...)
			for b.Loop() {
				c.do(b, bb.method, bb.path, bb.body)
			}
		})
	}
}

func BenchmarkLicenseParallel(b *testing.B) {
	c := newBench(b, 0)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.do(b, "GET", "/v1/mgmt/license", "")
		}
	})
}

func BenchmarkTenantCreate(b *testing.B) {
	c := newBench(b, 0)
	i := 0
	for b.Loop() {
		c.do(b, "POST", "/v1/mgmt/tenant/create", fmt.Sprintf(`{"name":"Tenant %d","selfProvisioningDomains":["t.com"]}`, i))
		i++
	}
}

func BenchmarkRoleCreateBatch1000Tenants(b *testing.B) {
	c := newBench(b, 1000)
	i := 0
	for b.Loop() {
		c.do(b, "POST", "/v1/mgmt/role/create/batch", fmt.Sprintf(`{"roles":[{"name":"r%d"}]}`, i))
		i++
	}
}
