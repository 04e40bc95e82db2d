package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

func TestRoundTripEveryKind(t *testing.T) {
	full := sampleState()
	tests := []struct {
		name     string
		state    *descope.State
		snapshot map[string]any
	}{
		{name: "tenants with settings and parents", state: &descope.State{Tenants: full.Tenants}},
		{name: "flows with documents", state: &descope.State{Flows: full.Flows}},
		{name: "theme", state: &descope.State{Theme: full.Theme}},
		{name: "roles", state: &descope.State{Roles: full.Roles}},
		{name: "permissions", state: &descope.State{Permissions: full.Permissions}},
		{
			name:  "project settings",
			state: &descope.State{Project: full.Project},
			snapshot: map[string]any{
				"project.json":        map[string]any{"name": "Acme prod", "tags": []any{"prod", "eu"}},
				"assets/logo.png":     "iVBORw0KGgo=",
				"flows/x/notes.txt":   "plain text",
				"flows/x/screen.html": "<p>hi</p>",
			},
		},
		{name: "everything", state: full},
		{name: "nothing", state: &descope.State{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := testMeta()
			meta.ProjectID = testProject
			b := New(meta, tt.state)
			if tt.snapshot != nil {
				b.ProjectSettings.SnapshotFiles = tt.snapshot
			}
			var first bytes.Buffer
			if err := Encode(&first, b); err != nil {
				t.Fatal(err)
			}
			got, err := Decode(bytes.NewReader(first.Bytes()))
			if err != nil {
				t.Fatalf("Decode: %v\n%s", err, first.Bytes())
			}
			if g, w := canonical(t, got.State()), canonical(t, tt.state); g != w {
				t.Errorf("state after round trip:\n%s\nwant:\n%s", g, w)
			}
			if g, w := got.Metadata, b.Metadata; !g.CreatedAt.Equal(w.CreatedAt) || g.Checksum != w.Checksum ||
				g.ProjectID != w.ProjectID || !maps.Equal(g.Counts, w.Counts) || g.User != w.User || g.Reason != w.Reason {
				t.Errorf("metadata = %+v, want %+v", g, w)
			}
			if tt.snapshot != nil {
				g, _ := json.Marshal(got.ProjectSettings.SnapshotFiles)
				w, _ := json.Marshal(tt.snapshot)
				if string(g) != string(w) {
					t.Errorf("snapshot files = %s, want %s", g, w)
				}
			}
			// A decoded backup encodes to the same bytes.
			var second bytes.Buffer
			if err := Encode(&second, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Errorf("re-encoding changed the bytes:\n%s\nwant:\n%s", second.Bytes(), first.Bytes())
			}
		})
	}
}

func TestEncodeLayout(t *testing.T) {
	data := encoded(t)
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"metadata", "tenants", "flows", "theme", "roles", "permissions", "tenant_attributes", "project_settings", "sso", "sso_tenants"}
	if !slices.Equal(keys, want) {
		t.Errorf("top-level keys = %q, want %q", keys, want)
	}
	for _, s := range []string{
		`"format_version": 1,`,
		`"created_at": "2025-11-26T18:45:12.345Z",`,
		`"project_id": "P2test",`,
		`"checksum": "sha256:`,
		`"Read invoices <& co>"`, // no HTML escaping
	} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("encoding lacks %s", s)
		}
	}
	// An empty backup still has every key, lists as [].
	var buf bytes.Buffer
	if err := Encode(&buf, &Backup{Metadata: Metadata{ProjectID: "P"}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"tenants": [],`)) || !bytes.Contains(buf.Bytes(), []byte(`"project_settings": null`)) {
		t.Errorf("empty backup:\n%s", buf.Bytes())
	}
}

func TestEncodeIsDeterministic(t *testing.T) {
	// The same live state in another order gives the same bytes.
	shuffled := sampleState()
	slices.Reverse(shuffled.Tenants)
	slices.Reverse(shuffled.Roles)
	slices.Reverse(shuffled.Flows)
	slices.Reverse(*shuffled.Tenants[1].Domains)
	var buf bytes.Buffer
	if err := Encode(&buf, New(testMeta(), shuffled)); err != nil {
		t.Fatal(err)
	}
	if want := encoded(t); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("encodings differ:\n%s\nwant:\n%s", buf.Bytes(), want)
	}
}

func TestNew(t *testing.T) {
	live := sampleState()
	before := canonical(t, live)
	live.Tenants[0], live.Tenants[2] = live.Tenants[2], live.Tenants[0]
	meta := testMeta()
	meta.Checksum = "sha256:stale"
	b := New(meta, live)

	if got := b.Metadata.ProjectID; got != testProject {
		t.Errorf("ProjectID = %q, want %q (from live)", got, testProject)
	}
	wantCounts := map[string]int{"tenant": 3, "flow": 2, "role": 2, "permission": 3, "theme": 1, "project": 1, "sso": 1, "tenant_attribute": 2}
	if !maps.Equal(b.Metadata.Counts, wantCounts) {
		t.Errorf("Counts = %v, want %v", b.Metadata.Counts, wantCounts)
	}
	if b.Metadata.Checksum != "" || b.Metadata.FormatVersion != FormatVersion {
		t.Errorf("Checksum, FormatVersion = %q, %d; want \"\", %d", b.Metadata.Checksum, b.Metadata.FormatVersion, FormatVersion)
	}
	// New copies: changing the backup leaves live alone.
	b.Tenants[0].Name = "changed"
	(*b.Tenants[0].Domains)[0] = "changed"
	if got := canonical(t, live); got != before {
		t.Errorf("New changed live:\n%s\nwant:\n%s", got, before)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := encoded(t)
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("sample lacks %q", old)
			}
			return bytes.Replace(b, []byte(old), []byte(new), 1)
		}
	}
	tests := []struct {
		name    string
		damage  func([]byte) []byte
		want    error  // nil: an error that is none of the sentinels
		wantMsg string // in the message
	}{
		{"byte changed in a name", replace("Acme Corp", "Acme Corq"), ErrChecksum, "changed after it was written"},
		{"byte changed in metadata", replace(`"user": "alice"`, `"user": "alicf"`), ErrChecksum, "checksum"},
		{"byte changed in checksum", func(b []byte) []byte {
			i := bytes.Index(b, []byte(`"sha256:`)) + 8
			b = bytes.Clone(b)
			b[i] ^= 1
			return b
		}, ErrChecksum, "checksum"},
		{"white space added", replace(`"tenants": [`, `"tenants":  [`), ErrChecksum, "checksum"},
		{"not JSON any more", replace(`"tenants": [`, `"tenants": x`), ErrChecksum, "not valid JSON"},
		{"wrong type", replace(`"enforceSSO": true`, `"enforceSSO": "yes"`), ErrChecksum, "checksum"},
		{"checksum removed", replace(`"checksum": "sha256:`, `"checksum": "x`), ErrChecksum, "not a sha256 checksum"},
		{"cut in half", func(b []byte) []byte { return b[:len(b)/2] }, ErrTruncated, "ends after"},
		{"cut before the last brace", func(b []byte) []byte { return b[:len(b)-2] }, ErrTruncated, "ends after"},
		{"final newline missing", func(b []byte) []byte { return b[:len(b)-1] }, ErrTruncated, "final newline"},
		{"empty", func([]byte) []byte { return nil }, ErrTruncated, "ends after 0 bytes"},
		{"newer version", replace(`"format_version": 1`, `"format_version": 2`), ErrUnsupportedVersion, "upgrade descope-run"},
		{"newer version, other shape", func(b []byte) []byte {
			b = replace(`"format_version": 1`, `"format_version": 7`)(b)
			return replace(`"tenants": [`, `"tenants": {"list": 1}, "tenant_list": [`)(b)
		}, ErrUnsupportedVersion, "version 7"},
		{"not a backup: array", func([]byte) []byte { return []byte("[1, 2]\n") }, nil, "not a descope-run backup"},
		{"not a backup: no version", func([]byte) []byte { return []byte(`{"metadata": {}}` + "\n") }, nil, "not a descope-run backup"},
	}
	sentinels := []error{ErrChecksum, ErrTruncated, ErrUnsupportedVersion}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode(bytes.NewReader(tt.damage(bytes.Clone(good))))
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", b.Metadata)
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.want; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
				}
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q lacks %q", err, tt.wantMsg)
			}
		})
	}
}

func TestReadMetadataReadsOnlyTheHead(t *testing.T) {
	data := encoded(t)
	end := bytes.Index(data, []byte(`"tenants"`))
	// Only the metadata and a little more: the rest is missing.
	m, err := readMetadata(bytes.NewReader(data[:end+20]))
	if err != nil {
		t.Fatal(err)
	}
	if m.ProjectID != testProject || m.Operation != OperationApply || m.Counts["tenant"] != 3 {
		t.Errorf("metadata = %+v", m)
	}
}
