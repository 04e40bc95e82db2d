package mgmt_test

import (
	"context"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// sequence answers the n-th request with replies[n], and the last reply after that.
func sequence(replies ...reply) func(request, int) reply {
	return func(_ request, n int) reply { return replies[min(n, len(replies)-1)] }
}

var unavailable = reply{status: 503}

func TestRetryTransient(t *testing.T) {
	tests := []struct {
		name    string
		replies []reply
		wantN   int
		wantErr bool
	}{
		{"503 then ok", []reply{unavailable, ok(`{}`)}, 2, false},
		{"52x then ok", []reply{{status: 520}, {status: 522}, {status: 524}, {status: 530}, ok(`{}`)}, 5, false},
		{"dropped connection then ok", []reply{{drop: true}, ok(`{}`)}, 2, false},
		{"gives up", []reply{unavailable}, 5, true},
		{"500 is not retried", []reply{{status: 500}}, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, sequence(tc.replies...))
			c := newClient(t, rec)
			err := c.UpdateTenant(context.Background(), &mgmt.Tenant{ID: "acme", Name: "Acme"})
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			reqs := rec.requests()
			if len(reqs) != tc.wantN {
				t.Fatalf("%d requests, want %d", len(reqs), tc.wantN)
			}
			for _, r := range reqs[1:] {
				if r.Body != reqs[0].Body {
					t.Errorf("retried body %s differs from %s", r.Body, reqs[0].Body)
				}
			}
		})
	}
}

// TestRetryConnectionRefused checks that a refused dial is not retried.
func TestRetryConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := mgmt.New(mgmt.Config{ProjectID: testProjectID, ManagementKey: testKey, BaseURL: "http://" + addr,
		NoLicense: true, Pacer: mgmt.NewPacer(mgmt.Unlimited, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.LoadAllTenants(context.Background())
	if err == nil || mgmt.IsTransient(err) || !strings.HasPrefix(err.Error(), "tenant load all: ") {
		t.Errorf("error = %v, want a permanent error naming the call", err)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	var (
		mu    sync.Mutex
		times []time.Time
	)
	rec := newRecorder(t, func(request, int) reply {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		return unavailable
	})
	c := newClient(t, rec, func(cfg *mgmt.Config) {
		cfg.Retry = mgmt.RetryPolicy{MaxAttempts: 5, BaseDelay: 4 * time.Millisecond, MaxDelay: 10 * time.Millisecond}
	})
	if _, err := c.LoadAllRoles(context.Background()); !mgmt.IsTransient(err) {
		t.Fatalf("error = %v, want the last 503", err)
	}
	// Delays are jittered into [d/2, d] for d = 4, 8, 10, 10 ms.
	mins := []time.Duration{2, 4, 5, 5}
	for i, m := range mins {
		if gap := times[i+1].Sub(times[i]); gap < m*time.Millisecond {
			t.Errorf("gap %d = %v, want at least %v", i, gap, m*time.Millisecond)
		}
	}
	if total := times[4].Sub(times[0]); total > 2*time.Second {
		t.Errorf("total backoff %v, the cap did not hold", total)
	}
}

// TestRetryAfter429 checks that a 429 pauses the pacer and the call is sent
// again after the pause.
func TestRetryAfter429(t *testing.T) {
	rec := newRecorder(t, sequence(
		reply{status: 429, header: map[string]string{"Retry-After": "3"}, body: `{"errorCode":"E130429"}`},
		ok(`{"roles":[]}`)))
	clock := &instantClock{}
	pacer := mgmt.NewPacer(mgmt.Rate{N: 10, Per: time.Second}, 10, mgmt.WithClock(clock))
	c := newClient(t, rec, func(cfg *mgmt.Config) { cfg.Pacer = pacer })
	start := clock.Now()
	if _, err := c.LoadAllRoles(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if s := pacer.Stats(); s.Pauses != 1 {
		t.Errorf("pauses = %d, want 1", s.Pauses)
	}
	if waited := clock.Now().Sub(start); waited < 3*time.Second {
		t.Errorf("retried after %v, want after the 3s Retry-After", waited)
	}
}

// TestCreateCheckedBeforeRetry covers the create that may have landed: after
// a lost answer the client reads, and counts the create done if the object
// is there.
func TestCreateCheckedBeforeRetry(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		do      func(c *mgmt.Client) (any, error)
		replies map[string][]reply // by "METHOD /path", in order
		want    []string
		result  any
	}{
		{
			name: "tenant with id landed",
			do: func(c *mgmt.Client) (any, error) {
				return c.CreateTenant(ctx, &mgmt.Tenant{ID: "acme", Name: "Acme"})
			},
			replies: map[string][]reply{
				"POST /v1/mgmt/tenant/create": {unavailable},
				"GET /v1/mgmt/tenant":         {ok(`{"id":"acme","name":"Acme"}`)},
			},
			want:   []string{"POST /v1/mgmt/tenant/create", "GET /v1/mgmt/tenant"},
			result: "acme",
		},
		{
			name: "tenant with id not landed",
			do: func(c *mgmt.Client) (any, error) {
				return c.CreateTenant(ctx, &mgmt.Tenant{ID: "acme", Name: "Acme"})
			},
			replies: map[string][]reply{
				"POST /v1/mgmt/tenant/create": {{drop: true}, ok(`{"id":"acme"}`)},
				"GET /v1/mgmt/tenant":         {{status: 404, body: `{"errorCode":"E011004"}`}},
			},
			want:   []string{"POST /v1/mgmt/tenant/create", "GET /v1/mgmt/tenant", "POST /v1/mgmt/tenant/create"},
			result: "acme",
		},
		{
			name: "tenant without id found by name",
			do: func(c *mgmt.Client) (any, error) {
				return c.CreateTenant(ctx, &mgmt.Tenant{Name: "Acme"})
			},
			replies: map[string][]reply{
				"POST /v1/mgmt/tenant/create": {unavailable},
				"POST /v1/mgmt/tenant/search": {ok(`{"tenants":[{"id":"T2gen","name":"Acme"}]}`)},
			},
			want:   []string{"POST /v1/mgmt/tenant/create", "POST /v1/mgmt/tenant/search"},
			result: "T2gen",
		},
		{
			name: "role landed",
			do: func(c *mgmt.Client) (any, error) {
				return nil, c.CreateRole(ctx, &mgmt.Role{Name: "Editor", TenantID: "t"})
			},
			replies: map[string][]reply{
				"POST /v1/mgmt/role/create": {{status: 522}},
				"GET /v1/mgmt/role/all":     {ok(`{"roles":[{"name":"Editor"},{"name":"Editor","tenantId":"t"}]}`)},
			},
			want: []string{"POST /v1/mgmt/role/create", "GET /v1/mgmt/role/all"},
		},
		{
			name: "role in another tenant does not count",
			do: func(c *mgmt.Client) (any, error) {
				return nil, c.CreateRole(ctx, &mgmt.Role{Name: "Editor", TenantID: "t"})
			},
			replies: map[string][]reply{
				"POST /v1/mgmt/role/create": {{status: 522}, ok(`{}`)},
				"GET /v1/mgmt/role/all":     {ok(`{"roles":[{"name":"Editor"}]}`)},
			},
			want: []string{"POST /v1/mgmt/role/create", "GET /v1/mgmt/role/all", "POST /v1/mgmt/role/create"},
		},
		{
			name: "permission not landed",
			do:   func(c *mgmt.Client) (any, error) { return nil, c.CreatePermission(ctx, &mgmt.Permission{Name: "edit"}) },
			replies: map[string][]reply{
				"POST /v1/mgmt/permission/create": {{drop: true}, ok(`{}`)},
				"GET /v1/mgmt/permission/all":     {ok(`{"permissions":[{"name":"view"}]}`)},
			},
			want: []string{"POST /v1/mgmt/permission/create", "GET /v1/mgmt/permission/all", "POST /v1/mgmt/permission/create"},
		},
		{
			name: "conflict after a lost answer counts as done",
			do:   func(c *mgmt.Client) (any, error) { return nil, c.CreatePermission(ctx, &mgmt.Permission{Name: "edit"}) },
			replies: map[string][]reply{
				"POST /v1/mgmt/permission/create": {unavailable, {status: 409, body: `{"errorCode":"E011003"}`}},
				// The first read lags behind the write.
				"GET /v1/mgmt/permission/all": {ok(`{"permissions":[]}`), ok(`{"permissions":[{"name":"edit"}]}`)},
			},
			want: []string{"POST /v1/mgmt/permission/create", "GET /v1/mgmt/permission/all",
				"POST /v1/mgmt/permission/create", "GET /v1/mgmt/permission/all"},
		},
		{
			name: "flow import is sent again without a read",
			do:   func(c *mgmt.Client) (any, error) { return nil, c.ImportFlow(ctx, "f", map[string]any{}) },
			replies: map[string][]reply{
				"POST /v2/mgmt/flow/import": {unavailable, ok(`{}`)},
			},
			want: []string{"POST /v2/mgmt/flow/import", "POST /v2/mgmt/flow/import"},
		},
		{
			name: "delete whose answer was lost, then not found",
			do:   func(c *mgmt.Client) (any, error) { return nil, c.DeleteTenant(ctx, "acme", false) },
			replies: map[string][]reply{
				"POST /v1/mgmt/tenant/delete": {{drop: true}, {status: 404, body: `{"errorCode":"E011004"}`}},
			},
			want: []string{"POST /v1/mgmt/tenant/delete", "POST /v1/mgmt/tenant/delete"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]int{}
			rec := newRecorder(t, func(req request, _ int) reply {
				key := req.Method + " " + req.Path
				mu.Lock()
				n := seen[key]
				seen[key]++
				mu.Unlock()
				list, found := tc.replies[key]
				if !found {
					return reply{status: 404, body: `{"errorCode":"E011004"}`}
				}
				return list[min(n, len(list)-1)]
			})
			c := newClient(t, rec)
			got, err := tc.do(c)
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if tc.result != nil && got != tc.result {
				t.Errorf("result = %v, want %v", got, tc.result)
			}
			if paths := rec.paths(); !reflect.DeepEqual(paths, tc.want) {
				t.Errorf("requests:\n got %v\nwant %v", paths, tc.want)
			}
		})
	}
}

// TestPlainConflictIsAnError checks that a conflict on a first attempt is
// the caller's to handle.
func TestPlainConflictIsAnError(t *testing.T) {
	rec := newRecorder(t, sequence(reply{status: 409, body: `{"errorCode":"E011003","errorDescription":"exists"}`}))
	c := newClient(t, rec)
	err := c.CreatePermission(context.Background(), &mgmt.Permission{Name: "edit"})
	if !mgmt.IsConflict(err) || !strings.HasPrefix(err.Error(), `permission create "edit": `) {
		t.Errorf("error = %v, want a conflict naming the call", err)
	}
}
