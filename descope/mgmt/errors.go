package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Error codes the client itself gives meaning to (docs/descope-api.md sections 2 and 3).
const (
	// CodeInvalidResponse is the code of an error whose body was not a
	// Descope error document (not JSON, or no errorCode). The Go SDK uses it
	// the same way.
	CodeInvalidResponse = "G020002"
	// CodeRateLimited is the code Descope sends with a 429.
	CodeRateLimited = "E130429"
)

// ErrInvalidArgument is returned, wrapped, when a call's arguments are
// refused before any request is sent (an empty id or name, an empty batch).
var ErrInvalidArgument = errors.New("invalid argument")

// Error is a Management API call that the server answered with a status
// outside 2xx. Transport failures (a dropped connection, a refused dial) are
// not an *Error; the Is* classifiers handle both kinds.
type Error struct {
	// Op names the call, e.g. `tenant create "acme"`.
	Op string
	// Method and Path are the request's, e.g. POST /v1/mgmt/tenant/create.
	Method, Path string
	// Status is the HTTP status code.
	Status int
	// Code, Description and Message are the body's errorCode,
	// errorDescription and errorMessage.
	Code, Description, Message string
	// RetryAfter is the wait a 429 asked for; 0 when the header was absent.
	RetryAfter time.Duration
}

// Error returns `<op>: [<code>] <description>: <message> (HTTP <status> <method> <path>)`.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "[%s] %s", e.Code, e.Description)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	fmt.Fprintf(&b, " (HTTP %d", e.Status)
	if e.Method != "" {
		fmt.Fprintf(&b, " %s %s", e.Method, e.Path)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	}
	b.WriteString(")")
	return b.String()
}

// parseError turns a non-2xx response into an *Error the way the Go SDK does:
// a body that is not JSON or has no errorCode becomes G020002 "Invalid server
// response", and an empty errorDescription becomes "Server error". Unlike the
// SDK, Retry-After (integer seconds) is kept on every 429 whatever the code,
// because the pacer honours it.
func parseError(status int, header http.Header, body []byte) *Error {
	e := &Error{Status: status}
	var doc struct {
		ErrorCode        string `json:"errorCode"`
		ErrorDescription string `json:"errorDescription"`
		ErrorMessage     string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &doc) != nil || doc.ErrorCode == "" {
		e.Code, e.Description = CodeInvalidResponse, "Invalid server response"
	} else {
		e.Code, e.Description, e.Message = doc.ErrorCode, doc.ErrorDescription, doc.ErrorMessage
		if e.Description == "" {
			e.Description = "Server error"
		}
	}
	if status == http.StatusTooManyRequests {
		if s, err := strconv.Atoi(strings.TrimSpace(header.Get("Retry-After"))); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
	}
	return e
}

// StatusOf returns the HTTP status of the *Error in err's chain, or 0 when
// there is none (a transport failure, a refused argument).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports a 404: the tenant, role or permission does not exist.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsConflict reports a create of something that already exists: a 409, or a
// 400 whose text says so (the real API's code for duplicates is unknown,
// docs/descope-api.md section 7).
func IsConflict(err error) bool {
	switch StatusOf(err) {
	case http.StatusConflict:
		return true
	case http.StatusBadRequest:
		return isDuplicateText(err)
	}
	return false
}

// IsBadRequest reports a 400 that is not a duplicate (see IsConflict): the
// request was refused as invalid and resending it will not help.
func IsBadRequest(err error) bool {
	return StatusOf(err) == http.StatusBadRequest && !isDuplicateText(err)
}

// IsAuth reports a refused credential: 401 or 403.
func IsAuth(err error) bool {
	s := StatusOf(err)
	return s == http.StatusUnauthorized || s == http.StatusForbidden
}

// IsRateLimited reports a 429.
func IsRateLimited(err error) bool { return StatusOf(err) == http.StatusTooManyRequests }

// transientStatuses are the statuses worth retrying: those the Descope SDKs
// retry (503 and Cloudflare's 520, 521, 522, 524, 530) plus the gateway
// errors 502 and 504, which by definition mean the origin did not answer.
// 500 is not among them: the SDKs do not retry it, and from the Descope API it
// reports a request the server failed to handle rather than a passing outage,
// so resending a write of unknown outcome would add risk for no expected gain.
var transientStatuses = map[int]bool{
	http.StatusBadGateway:         true,
	http.StatusServiceUnavailable: true,
	http.StatusGatewayTimeout:     true,
	520:                           true,
	521:                           true,
	522:                           true,
	524:                           true,
	530:                           true,
}

// IsTransient reports a failure that a retry may cure: a transient status
// (see transientStatuses) or a connection that dropped mid-call (reset, EOF,
// broken pipe, an I/O timeout). A refused dial and the caller's own
// cancellation or deadline are not transient.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if s := StatusOf(err); s != 0 {
		return transientStatuses[s]
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT):
		return true
	}
	var timeout interface{ Timeout() bool }
	return errors.As(err, &timeout) && timeout.Timeout()
}

// isDuplicateText reports whether the *Error in err's chain says that
// something already exists.
func isDuplicateText(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	text := strings.ToLower(e.Description + " " + e.Message)
	return strings.Contains(text, "already exist") || strings.Contains(text, "duplicate")
}
