package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// benchState is a large project: 1,000 tenants with settings and 20 flows
// with documents of about 20 KB each.
func benchState() *descope.State {
	s := sampleState()
	s.Tenants = nil
	for i := range 1000 {
		id := fmt.Sprintf("cust-%04d", i)
		t := &descope.Tenant{
			ID: id, Name: fmt.Sprintf("Customer %d Inc.", i),
			Domains:      &[]string{id + ".example.com", id + ".example.org"},
			Attributes:   &map[string]any{"plan": "gold", "seats": float64(i % 500), "region": "eu-west-1", "beta": i%7 == 0},
			EnforceSSO:   descope.Ptr(i%3 == 0),
			Disabled:     descope.Ptr(false),
			Parent:       descope.Ptr(""),
			DefaultRoles: &[]string{"viewer"},
			Settings:     fullSettings("sso." + id + ".example.com"),
		}
		if i%10 != 0 {
			t.Parent = descope.Ptr(fmt.Sprintf("cust-%04d", i-i%10))
		}
		s.Tenants = append(s.Tenants, t)
	}
	s.Flows = nil
	for i := range 20 {
		id := fmt.Sprintf("flow-%02d", i)
		s.Flows = append(s.Flows, &descope.Flow{ID: id, Name: "Flow " + id, Document: bigFlowDoc(id)})
	}
	return s
}

// bigFlowDoc returns a flow document of about 20 KB: tasks, conditions and
// screens with components, as the v2 export has them.
func bigFlowDoc(id string) map[string]any {
	doc := flowDoc(id, 1)
	tasks := doc["contents"].(map[string]any)["tasks"].(map[string]any)
	var screens []any
	for i := range 18 {
		sid := fmt.Sprintf("%s-screen-%d", id, i)
		var components []any
		for j := range 6 {
			components = append(components, map[string]any{
				"id": fmt.Sprintf("c%d", j), "type": "descope-text-field",
				"props": map[string]any{"label": "Email address", "placeholder": "you@company.com", "required": true, "size": "md"},
			})
		}
		screens = append(screens, map[string]any{
			"id": sid, "title": "Step " + sid,
			"components":   components,
			"interactions": []any{map[string]any{"id": "submit", "type": "button", "next": fmt.Sprintf("task-%d", i+1)}},
		})
		tasks[fmt.Sprintf("task-%d", i)] = map[string]any{
			"type": "action", "action": "validate-email", "screenId": sid,
			"conditions": []any{map[string]any{"operand": "user.email", "predicate": "is-verified", "next": fmt.Sprintf("task-%d", i+1)}},
		}
	}
	doc["screens"] = screens
	return doc
}

// benchBackup returns a backup of benchState and a function that reports
// its sizes; call it after the benchmark loop, which resets metrics.
func benchBackup(b *testing.B) (*Backup, func()) {
	b.Helper()
	bk := New(testMeta(), benchState())
	var buf bytes.Buffer
	if err := Encode(&buf, bk); err != nil {
		b.Fatal(err)
	}
	flowBytes := 0
	for _, f := range bk.Flows {
		doc, err := json.Marshal(f.Document)
		if err != nil {
			b.Fatal(err)
		}
		flowBytes += len(doc)
	}
	return bk, func() {
		b.ReportMetric(float64(buf.Len()), "file-bytes")
		b.ReportMetric(float64(flowBytes/len(bk.Flows)), "flow-json-bytes")
	}
}

func benchStore(b *testing.B) *DirStore {
	s, err := NewDirStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkWrite measures Encode and an atomic, synced write to the store.
func BenchmarkWrite(b *testing.B) {
	bk, report := benchBackup(b)
	defer report()
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e, err := s.Write(ctx, bk)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.Remove(e.Path)
		b.StartTimer()
	}
}

// BenchmarkLoad measures reading, decoding and verifying a stored backup.
func BenchmarkLoad(b *testing.B) {
	bk, report := benchBackup(b)
	defer report()
	s := benchStore(b)
	e, err := s.Write(context.Background(), bk)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Load(testProject, e.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode and BenchmarkDecode measure the format alone, in memory.
func BenchmarkEncode(b *testing.B) {
	bk, report := benchBackup(b)
	defer report()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, bk); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	var buf bytes.Buffer
	bk, report := benchBackup(b)
	defer report()
	if err := Encode(&buf, bk); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList measures listing 30 such backups, each file read whole and
// checked against its checksum.
func BenchmarkList(b *testing.B) {
	bk, report := benchBackup(b)
	defer report()
	s := benchStore(b)
	for range 30 {
		bk.Metadata.CreatedAt = bk.Metadata.CreatedAt.Add(1)
		if _, err := s.Write(context.Background(), bk); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if got, err := s.List(testProject); err != nil || len(got) != 30 {
			b.Fatal(len(got), err)
		}
	}
}
