package mgmt_test

import (
	"context"
	"errors"
	"net"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope/mgmt"
)

// classes lists the classifiers that hold for err.
func classes(err error) []string {
	var out []string
	for _, c := range []struct {
		name string
		is   func(error) bool
	}{
		{"NotFound", mgmt.IsNotFound}, {"Conflict", mgmt.IsConflict}, {"BadRequest", mgmt.IsBadRequest},
		{"Auth", mgmt.IsAuth}, {"RateLimited", mgmt.IsRateLimited}, {"Transient", mgmt.IsTransient},
	} {
		if c.is(err) {
			out = append(out, c.name)
		}
	}
	return out
}

// TestErrorParsing follows the table "Error, 429 and retry behaviour" of
// docs/descope-api.md section 9, through the client. A 429 is retried once here
// (MaxRateLimited 1) on a pacer whose clock takes no real time.
func TestErrorParsing(t *testing.T) {
	const rateBody = `{"errorCode":"E130429","errorDescription":"Rate limit exceeded","errorMessage":"too many requests"}`
	tests := []struct {
		name     string
		reply    reply
		wantErr  string
		want     mgmt.Error
		classes  []string
		requests int
	}{
		{
			name:     "429 E130429 with Retry-After",
			reply:    reply{status: 429, header: map[string]string{"Retry-After": "7"}, body: rateBody},
			wantErr:  "tenant load all: [E130429] Rate limit exceeded: too many requests (HTTP 429 GET /v1/mgmt/tenant/all, retry after 7s)",
			want:     mgmt.Error{Status: 429, Code: "E130429", Description: "Rate limit exceeded", Message: "too many requests", RetryAfter: 7 * time.Second},
			classes:  []string{"RateLimited"},
			requests: 2,
		},
		{
			// Unlike the SDK, Retry-After is kept whatever the code: the pacer honours it.
			name:     "429 other code with Retry-After",
			reply:    reply{status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"errorCode":"E011001","errorDescription":"Bad request","errorMessage":"x"}`},
			wantErr:  "tenant load all: [E011001] Bad request: x (HTTP 429 GET /v1/mgmt/tenant/all, retry after 7s)",
			want:     mgmt.Error{Status: 429, Code: "E011001", Description: "Bad request", Message: "x", RetryAfter: 7 * time.Second},
			classes:  []string{"RateLimited"},
			requests: 2,
		},
		{
			name:     "429 with an HTTP-date Retry-After",
			reply:    reply{status: 429, header: map[string]string{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, body: rateBody},
			wantErr:  "tenant load all: [E130429] Rate limit exceeded: too many requests (HTTP 429 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 429, Code: "E130429", Description: "Rate limit exceeded", Message: "too many requests"},
			classes:  []string{"RateLimited"},
			requests: 2,
		},
		{
			name:     "429 empty body",
			reply:    reply{status: 429},
			wantErr:  "tenant load all: [G020002] Invalid server response (HTTP 429 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 429, Code: "G020002", Description: "Invalid server response"},
			classes:  []string{"RateLimited"},
			requests: 2,
		},
		{
			name:     "400 missing arguments",
			reply:    reply{status: 400, body: `{"errorCode":"E011002","errorDescription":"Missing arguments","errorMessage":"name is required"}`},
			wantErr:  "tenant load all: [E011002] Missing arguments: name is required (HTTP 400 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 400, Code: "E011002", Description: "Missing arguments", Message: "name is required"},
			classes:  []string{"BadRequest"},
			requests: 1,
		},
		{
			name:     "404 not found",
			reply:    reply{status: 404, body: `{"errorCode":"E074104","errorDescription":"Tenant not found","errorMessage":"tenant T2nope not found"}`},
			wantErr:  "tenant load all: [E074104] Tenant not found: tenant T2nope not found (HTTP 404 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 404, Code: "E074104", Description: "Tenant not found", Message: "tenant T2nope not found"},
			classes:  []string{"NotFound"},
			requests: 1,
		},
		{
			name:     "401 without description",
			reply:    reply{status: 401, body: `{"errorCode":"E011003","errorMessage":"bad key"}`},
			wantErr:  "tenant load all: [E011003] Server error: bad key (HTTP 401 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 401, Code: "E011003", Description: "Server error", Message: "bad key"},
			classes:  []string{"Auth"},
			requests: 1,
		},
		{
			name:     "403",
			reply:    reply{status: 403, body: `{"errorCode":"E011003","errorDescription":"Forbidden"}`},
			wantErr:  "tenant load all: [E011003] Forbidden (HTTP 403 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 403, Code: "E011003", Description: "Forbidden"},
			classes:  []string{"Auth"},
			requests: 1,
		},
		{
			name:     "400 without errorCode",
			reply:    reply{status: 400, body: `{"message":"bad"}`},
			wantErr:  "tenant load all: [G020002] Invalid server response (HTTP 400 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 400, Code: "G020002", Description: "Invalid server response"},
			classes:  []string{"BadRequest"},
			requests: 1,
		},
		{
			name:     "500 text/plain, not retried",
			reply:    reply{status: 500, header: map[string]string{"Content-Type": "text/plain"}, body: "internal error"},
			wantErr:  "tenant load all: [G020002] Invalid server response (HTTP 500 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 500, Code: "G020002", Description: "Invalid server response"},
			requests: 1,
		},
		{
			name:     "409 conflict",
			reply:    reply{status: 409, body: `{"errorCode":"E011003","errorDescription":"Conflict","errorMessage":"tenant acme already exists"}`},
			wantErr:  "tenant load all: [E011003] Conflict: tenant acme already exists (HTTP 409 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 409, Code: "E011003", Description: "Conflict", Message: "tenant acme already exists"},
			classes:  []string{"Conflict"},
			requests: 1,
		},
		{
			name:     "400 duplicate",
			reply:    reply{status: 400, body: `{"errorCode":"E011001","errorDescription":"Bad request","errorMessage":"Tenant with this ID already exists"}`},
			wantErr:  "tenant load all: [E011001] Bad request: Tenant with this ID already exists (HTTP 400 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 400, Code: "E011001", Description: "Bad request", Message: "Tenant with this ID already exists"},
			classes:  []string{"Conflict"},
			requests: 1,
		},
		{
			name:     "503 every time",
			reply:    reply{status: 503, body: `{"errorCode":"E130503","errorDescription":"Service unavailable","errorMessage":"down"}`},
			wantErr:  "tenant load all: [E130503] Service unavailable: down (HTTP 503 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 503, Code: "E130503", Description: "Service unavailable", Message: "down"},
			classes:  []string{"Transient"},
			requests: 4,
		},
		{
			name:     "520 every time",
			reply:    reply{status: 520},
			wantErr:  "tenant load all: [G020002] Invalid server response (HTTP 520 GET /v1/mgmt/tenant/all)",
			want:     mgmt.Error{Status: 520, Code: "G020002", Description: "Invalid server response"},
			classes:  []string{"Transient"},
			requests: 4,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, func(request, int) reply { return tc.reply })
			c := newClient(t, rec, func(cfg *mgmt.Config) {
				cfg.Pacer = mgmt.NewPacer(mgmt.DefaultRate, mgmt.DefaultBurst, mgmt.WithClock(&instantClock{}))
				cfg.Retry.MaxRateLimited = 1
				cfg.Retry.MaxAttempts = 4
			})
			_, err := c.LoadAllTenants(context.Background())
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("error:\n got %v\nwant %s", err, tc.wantErr)
			}
			var got *mgmt.Error
			if !errors.As(err, &got) {
				t.Fatalf("error %v is not a *mgmt.Error", err)
			}
			want := tc.want
			want.Op, want.Method, want.Path = "tenant load all", "GET", "/v1/mgmt/tenant/all"
			if *got != want {
				t.Errorf("error = %+v, want %+v", *got, want)
			}
			if got := classes(err); !reflect.DeepEqual(got, tc.classes) {
				t.Errorf("classes = %v, want %v", got, tc.classes)
			}
			if n := len(rec.requests()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

// TestTransportErrorClasses checks the classes of errors that are not *Error.
func TestTransportErrorClasses(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, []string{"Transient"}},
		{"broken pipe", &net.OpError{Op: "write", Err: syscall.EPIPE}, []string{"Transient"}},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, nil},
		{"canceled", context.Canceled, nil},
		{"deadline", context.DeadlineExceeded, nil},
		{"invalid argument", mgmt.ErrInvalidArgument, nil},
		{"nil", nil, nil},
	}
	for _, tc := range tests {
		if got := classes(tc.err); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: classes = %v, want %v", tc.name, got, tc.want)
		}
	}
}
