// Package mgmt is descope-run's client for the Descope Management API: the
// endpoints it uses (tenants, flows, theme, roles, permissions, project),
// authentication, errors, pacing, retries and the executor that applies a
// plan.
//
// # Wire
//
// Requests are what the official Go SDK (v1.30.0) sends, byte for byte:
// the same paths, headers and JSON bodies, keys in alphabetical order and
// unset values as null or "" (docs/descope-api.md section 9). The exported wire
// types (Tenant, Role, ...) carry the API's field names; their Model methods
// and the Merge functions translate to and from the descope model.
//
// # Pacing and retries
//
// One Pacer (a golang.org/x/time/rate token bucket) paces every call made
// for a project. Each attempt of each call takes a token. A 429 pauses the
// pacer for Retry-After, after which it paces at 90% of the limit the
// server's answers showed (Pacer.Memory keeps it for the next run); a
// transient failure (503, 52x, a dropped connection) is retried with
// jittered exponential backoff; a create whose answer was lost is checked by
// a read before it is sent again.
//
// # Executor
//
// An Executor runs Items in dependency order with a bounded number of
// workers. It takes an item's tokens before a worker gets it and hands them
// on in the ctx (WithPrepaid), so that queued work never stampedes the API.
//
// The management key never appears in an error, a log line, or the printed
// form of a Config or Client.
package mgmt
