package backup

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/internal/s3test"
)

// BenchmarkBlobStore100 measures a store on S3 served in-process
// (gofakes3 on 127.0.0.1, reached through the AWS SDK as a real bucket is)
// holding 100 backups of a project: writing the 100 (each a list for a free
// id and a conditional put), listing them (every object read and checked
// against its checksum, 8 reads at once) and loading each by its id (a list
// and a read each). Small backups are sampleState's (about 6 KB); large
// ones benchState's (1,000 tenants with settings and 20 flows, about
// 1.9 MB). Each op is all 100.
func BenchmarkBlobStore100(b *testing.B) {
	for _, size := range []struct {
		name  string
		state func() *descope.State
	}{{"small", sampleState}, {"large", benchState}} {
		bk := New(testMeta(), size.state())
		var buf bytes.Buffer
		if err := Encode(&buf, bk); err != nil {
			b.Fatal(err)
		}
		fileBytes := float64(buf.Len())
		b.Run(size.name+"/write", func(b *testing.B) {
			s := benchBlobStore(b)
			for b.Loop() {
				written := write100(b, s, bk)
				b.StopTimer()
				for _, e := range written {
					if err := s.DeleteObject(context.Background(), backupsFolder+"/"+e.name); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
			}
			b.ReportMetric(fileBytes, "file-bytes")
		})
		b.Run(size.name+"/list", func(b *testing.B) {
			s := benchBlobStore(b)
			write100(b, s, bk)
			for b.Loop() {
				if got, err := s.List(testProject); err != nil || len(got) != 100 {
					b.Fatal(len(got), err)
				}
			}
			b.ReportMetric(fileBytes, "file-bytes")
		})
		b.Run(size.name+"/load", func(b *testing.B) {
			s := benchBlobStore(b)
			written := write100(b, s, bk)
			for b.Loop() {
				for _, e := range written {
					if _, _, err := s.Load(testProject, e.ID); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(fileBytes, "file-bytes")
		})
	}
}

// benchBlobStore opens a store on a fresh in-process S3 server.
func benchBlobStore(b *testing.B) *BlobStore {
	for k, v := range s3test.Env {
		b.Setenv(k, v)
	}
	srv := s3test.NewServer(testBucket)
	b.Cleanup(srv.Close)
	return openBlob(b, srv.StoreURL(testBucket, "bench"))
}

// write100 writes 100 backups of bk, a millisecond apart.
func write100(b *testing.B, s *BlobStore, bk *Backup) []Entry {
	entries := make([]Entry, 0, 100)
	for i := range 100 {
		bk.Metadata.CreatedAt = testTime.Add(time.Duration(i) * time.Millisecond)
		e, err := s.Write(context.Background(), bk)
		if err != nil {
			b.Fatal(err)
		}
		entries = append(entries, e)
	}
	return entries
}
