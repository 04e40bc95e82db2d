package emulator

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
)

// Server is an emulator listening on a loopback address, like
// httptest.Server. Point a client at URL.
type Server struct {
	*Emulator
	// URL is the base URL, "http://127.0.0.1:port", with no trailing slash.
	URL      string
	Listener net.Listener

	srv    *http.Server
	client *http.Client
}

// NewServer starts an emulator on 127.0.0.1 at a free port. It panics if it
// cannot listen or if the emulator cannot start (see New). Close it when
// done.
func NewServer(opts ...Option) *Server {
	e := New(opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("emulator: listen: %v", err))
	}
	s := &Server{
		Emulator: e,
		URL:      "http://" + ln.Addr().String(),
		Listener: ln,
		srv:      &http.Server{Handler: e, ErrorLog: log.New(io.Discard, "", 0)},
		client:   &http.Client{Transport: &http.Transport{}},
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// Client returns an HTTP client for the server. Close closes its idle
// connections.
func (s *Server) Client() *http.Client { return s.client }

// Close stops the server: it ends latency waits, closes the listener and
// every connection, and closes the client's idle connections.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	_ = s.srv.Close()
	s.client.CloseIdleConnections()
}
