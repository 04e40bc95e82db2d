package emulator

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
)

// Transport returns an http.RoundTripper that serves requests in-process,
// with no socket: the same pipeline as ServeHTTP, header names matched
// case-insensitively as on the wire. A dropped connection is an error that
// wraps syscall.ECONNRESET, as a reset connection would be; a cancelled
// request context is its error.
func (e *Emulator) Transport() http.RoundTripper { return transport{e} }

type transport struct{ e *Emulator }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	if req.URL == nil {
		return nil, fmt.Errorf("emulator: request has no URL")
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	resp, dropped := t.e.serve(serverRequest(req), req.Body)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if dropped {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", resp.status, http.StatusText(resp.status)),
		StatusCode:    resp.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        withLength(resp.header.Clone(), len(resp.body)),
		Body:          io.NopCloser(bytes.NewReader(resp.body)),
		ContentLength: int64(len(resp.body)),
		Request:       req,
	}, nil
}

func withLength(h http.Header, n int) http.Header {
	h.Set("Content-Length", strconv.Itoa(n))
	return h
}

// serverRequest turns a client request into what a server handler would
// see: header names canonical, a RequestURI, the body left to the caller.
func serverRequest(req *http.Request) *http.Request {
	h := make(http.Header, len(req.Header))
	for k, v := range req.Header {
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], v...)
	}
	u := *req.URL
	sr := &http.Request{
		Method:        cmp.Or(req.Method, http.MethodGet),
		URL:           &u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Host:          cmp.Or(req.Host, u.Host),
		RemoteAddr:    "in-process",
		RequestURI:    u.RequestURI(),
		ContentLength: req.ContentLength,
	}
	return sr.WithContext(req.Context())
}
