// Package s3test serves the S3 API in-process for tests: gofakes3 on
// 127.0.0.1, reached through the real AWS SDK client that gocloud.dev's
// s3blob drives, so that tests exercise the code a real bucket would.
//
// gofakes3 (v1.2.0 and later) honours If-None-Match: * on PutObject,
// atomically under its backend's lock, so conditional creates behave as on
// Amazon S3: of two writers of one key, one wins and the other gets 412.
package s3test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"path"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region is the region of every bucket of a Server.
const Region = "us-east-1"

// Env is the environment under which the AWS SDK reaches a Server and
// nothing else: static credentials (so it never asks an instance metadata
// service), no shared config or profile of the user running the tests.
var Env = map[string]string{
	"AWS_ACCESS_KEY_ID":           "AKIDS3TEST",
	"AWS_SECRET_ACCESS_KEY":       "s3test-secret",
	"AWS_SESSION_TOKEN":           "",
	"AWS_PROFILE":                 "",
	"AWS_REGION":                  Region,
	"AWS_EC2_METADATA_DISABLED":   "true",
	"AWS_CONFIG_FILE":             "/nonexistent/s3test/config",
	"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/s3test/credentials",
}

// Server is an S3 API on 127.0.0.1 holding buckets in memory.
type Server struct {
	// URL is the server's endpoint, http://127.0.0.1:port.
	URL     string
	srv     *httptest.Server
	backend *s3mem.Backend
}

// NewServer starts a server with the given buckets. Close it when done.
func NewServer(buckets ...string) *Server {
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			panic(fmt.Sprintf("s3test: create bucket %s: %v", b, err))
		}
	}
	fake := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.StdLog(log.New(io.Discard, "", 0))))
	srv := httptest.NewServer(fake.Server())
	return &Server{URL: srv.URL, srv: srv, backend: backend}
}

// StoreURL returns the s3:// URL of prefix in bucket on this server, with
// the parameters the SDK needs to reach it: its endpoint, path-style
// addressing, and checksums only where S3 requires them (gofakes3 reads no
// trailing checksums).
func (s *Server) StoreURL(bucket, prefix string) string {
	q := url.Values{}
	q.Set("endpoint", s.URL)
	q.Set("region", Region)
	q.Set("use_path_style", "true")
	q.Set("request_checksum_calculation", "when_required")
	q.Set("response_checksum_validation", "when_required")
	return "s3://" + path.Join(bucket, prefix) + "?" + q.Encode()
}

// Keys returns the keys of the objects in bucket whose keys start with
// prefix, in order.
func (s *Server) Keys(bucket, prefix string) ([]string, error) {
	res, err := s.backend.ListBucket(bucket, &gofakes3.Prefix{HasPrefix: true, Prefix: prefix}, gofakes3.ListBucketPage{})
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(res.Contents))
	for i, c := range res.Contents {
		keys[i] = c.Key
	}
	return keys, nil
}

// Get returns the content of an object.
func (s *Server) Get(bucket, key string) ([]byte, error) {
	obj, err := s.backend.GetObject(bucket, key, nil)
	if err != nil {
		return nil, err
	}
	defer obj.Contents.Close()
	return io.ReadAll(obj.Contents)
}

// Put writes an object, replacing any there.
func (s *Server) Put(bucket, key string, data []byte) error {
	_, err := s.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil)
	return err
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }
