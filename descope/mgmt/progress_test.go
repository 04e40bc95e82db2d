package mgmt_test

import (
	"context"
	"testing"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// ReadOptions.Progress counts every call: Done never passes Total, and
// reaches it only at the end, with every settings read counted.
func TestReadStateProgress(t *testing.T) {
	tests := []struct {
		name                string
		opts                mgmt.ReadOptions
		calls, settingsRead int
	}{
		// Besides the fixed calls, the definitions of the 3 tenant
		// attribute keys the tenants use.
		{name: "fixed calls only", calls: 4 + 3},
		{name: "every flow and every tenant's settings", opts: mgmt.ReadOptions{AllFlows: true, AllSettings: true, Theme: true, Project: true, Concurrency: 2},
			calls: 6 + 3 + 2 + 3, settingsRead: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, liveProject)
			var seen []mgmt.ReadProgress
			tc.opts.Progress = func(p mgmt.ReadProgress) { seen = append(seen, p) }
			if _, err := newClient(t, rec).ReadState(context.Background(), tc.opts); err != nil {
				t.Fatal(err)
			}
			if len(seen) == 0 {
				t.Fatal("no progress reported")
			}
			for i, p := range seen {
				if p.Done > p.Total || p.Settings > p.SettingsTotal {
					t.Errorf("progress %d: %+v: done past the total", i, p)
				}
				if i > 0 && (p.Done < seen[i-1].Done || p.Total < seen[i-1].Total) {
					t.Errorf("progress %d: %+v after %+v: went back", i, p, seen[i-1])
				}
				if p.Done == p.Total && i != len(seen)-1 {
					t.Errorf("progress %d: %+v: complete before the end", i, p)
				}
			}
			last := seen[len(seen)-1]
			want := mgmt.ReadProgress{Done: tc.calls, Total: tc.calls, Settings: tc.settingsRead, SettingsTotal: tc.settingsRead}
			if last != want {
				t.Errorf("last progress %+v, want %+v", last, want)
			}
			if n := len(rec.requests()); n != tc.calls {
				t.Errorf("%d calls made, want %d", n, tc.calls)
			}
		})
	}
}
