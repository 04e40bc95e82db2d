package runtime

import (
	"context"
	"fmt"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// An apply reads each object once: the backup reads only what the plan did
// not (the flows' documents, the theme, the project snapshot), and the
// verification only the kind it changed. The total is in the log (go test
// -run TestApplyReadsEachObjectOnce -v): 311 calls for 300 new tenants on
// the emulator (319 before, counting the licence handshake, which the test
// target skips).
func TestApplyReadsEachObjectOnce(t *testing.T) {
	fx := newOpFixture(t, nil)
	flows, err := fx.target.Client.ListFlows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fx.emu.ResetRequests()
	desired := &descope.State{}
	for i := range 300 {
		desired.Tenants = append(desired.Tenants, &descope.Tenant{ID: fmt.Sprintf("t%03d", i), Name: fmt.Sprintf("T %d", i)})
	}
	if _, err := Apply(context.Background(), fx.target, desired, fx.pol); err != nil {
		t.Fatal(err)
	}
	reqs := fx.emu.Requests()
	calls := map[string]int{}
	for _, r := range reqs {
		calls[r.Method+" "+r.Path]++
	}
	want := map[string]int{
		"POST /v1/mgmt/tenant/create": 300,
		// the plan's read; the verification's
		"GET /v1/mgmt/tenant/all": 2,
		// the plan's read, which the backup reuses
		"GET /v1/mgmt/role/all": 1, "GET /v1/mgmt/permission/all": 1, "POST /v1/mgmt/flow/list": 1,
		// what only the backup reads
		"POST /v2/mgmt/flow/export": len(flows), "POST /v2/mgmt/theme/export": 1, "POST /v1/mgmt/project/snapshot/export": 1,
	}
	for k, n := range want {
		if calls[k] != n {
			t.Errorf("%s: %d calls, want %d", k, calls[k], n)
		}
	}
	for k, n := range calls {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %d calls, want none", k, n)
		}
	}
	t.Logf("%d calls: %s", len(reqs), endpointCounts(reqs))
}
