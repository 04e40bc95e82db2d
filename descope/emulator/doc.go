// Package emulator is an in-memory emulator of the Descope Management API,
// modelled on net/http/httptest. descope-run's tests, its local target and its
// emulator command run against it because they cannot reach real Descope.
//
// The emulator follows docs/descope-api.md: the wire formats of sections 4 and 9
// and, where the real API is unknown, the rules of section 8. It is strict on
// purpose: a client that works against it sends what the real API expects and
// copes with what the real API answers.
//
// # Use
//
//	srv := emulator.NewServer()            // listens on 127.0.0.1, like httptest.NewServer
//	defer srv.Close()
//	// Point a client at srv.URL with srv.ProjectID() and srv.ManagementKey().
//
// or, with no socket at all:
//
//	e := emulator.New()
//	client := &http.Client{Transport: e.Transport()}
//
// # What it emulates
//
//   - Tenants (create, update, delete, load, load all, search, settings,
//     default roles, SSO admin links), flows (list, delete, v2 export and
//     import, running management flows), the theme (v2 export and import),
//     roles and permissions (single and batch), the project (name, tags,
//     snapshot export, import and validate, clone, delete, list) and the
//     licence handshake: every call the official Go SDK (v1.30.0) makes in
//     those areas.
//   - Authentication: "Authorization: Bearer <projectId>:<key>" and a matching
//     X-Descope-Project-Id header, else 401 E011003.
//   - Errors as {"errorCode","errorDescription","errorMessage"} with the status
//     and code of section 8.
//   - A new project's contents: the built-in flows sign-up-or-in, sign-up,
//     sign-in and step-up, a default theme, the role "Tenant Admin" and the
//     permissions "SSO Admin", "User Admin" and "Impersonate".
//   - Rate limiting: a token bucket with an optional penalty; refusals are 429
//     E130429 with an integer Retry-After. The clock is injectable
//     (WithClock), so tests need no sleeps.
//   - Faults (SetFault, WithFault): latency, error statuses, 429 bursts and
//     dropped connections, before the request changes state or after it
//     (a write that landed but whose answer was lost).
//
// # Wire details worth knowing
//
//   - createdTime is Unix seconds; a flow's modifiedTime is a string holding
//     Unix milliseconds.
//   - Empty lists, maps and strings are always emitted, never omitted.
//   - Lists come back in reverse creation order, so that nothing depends on
//     order by accident.
//   - An exported flow document carries two volatile fields that change on
//     every import: metadata.fingerprint (a hex string) and metadata.version
//     (a number). An import ignores them.
//
// An Emulator is safe for concurrent use.
package emulator
