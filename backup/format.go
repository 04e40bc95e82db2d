package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/descope-run/descope-run/descope"
)

// FormatVersion is the version of the backup format that Encode writes, and
// the newest that Decode reads.
const FormatVersion = 1

// Operations that descope-run records in Metadata.Operation.
const (
	OperationApply   = "apply"   // before an apply
	OperationRestore = "restore" // before a restore
	OperationManual  = "manual"  // backup create
	OperationScript  = "script"  // backup.create() in an automation script
)

// checksumAlgo prefixes Metadata.Checksum and names the hash.
const checksumAlgo = "sha256:"

// Metadata describes a backup. It comes first in the file, so that listing
// backups reads only the head of each file.
type Metadata struct {
	FormatVersion int    `json:"format_version"`
	ToolVersion   string `json:"tool_version"`
	// CreatedAt is the time of the backup, in UTC.
	CreatedAt time.Time `json:"created_at"`
	// Operation is what the backup was made for: one of the Operation*
	// constants, or another word.
	Operation string `json:"operation"`
	Reason    string `json:"reason"`
	User      string `json:"user"`
	// GitCommit is the commit of the workspace the operation ran in, or "".
	GitCommit string `json:"git_commit"`
	ProjectID string `json:"project_id"`
	// Target is where the project was read from: LocalTarget for a
	// workspace's local project, else the base URL of the API that served
	// it. It is empty in backups written before descope-run recorded it. A
	// restore onto another target is refused unless asked for.
	Target string `json:"target,omitempty"`
	// Counts is the number of objects of each kind (descope.Kind) in the backup.
	Counts map[string]int `json:"counts"`
	// Checksum is "sha256:" and the hex SHA-256 of the encoded file with this
	// field's value written as the empty string; see Encode.
	Checksum string `json:"checksum"`
}

// Backup is the content of a backup file. The JSON keys are the file's
// top-level keys, in file order. Objects are as the live project had them: a
// nil optional field is one the API did not report.
type Backup struct {
	Metadata    Metadata              `json:"metadata"`
	Tenants     []*descope.Tenant     `json:"tenants"`
	Flows       []*descope.Flow       `json:"flows"`
	Theme       *descope.Theme        `json:"theme"`
	Roles       []*descope.Role       `json:"roles"`
	Permissions []*descope.Permission `json:"permissions"`
	// TenantAttributes are the tenant custom attribute definitions of the
	// keys the tenants used (and any other the read asked for). Backups
	// written before descope-run read them have none.
	TenantAttributes []*descope.TenantAttribute `json:"tenant_attributes"`
	// ProjectSettings is nil when the project itself was not read.
	ProjectSettings *ProjectSettings `json:"project_settings"`
	// SSO are the SSO configurations of the tenants in SSOTenants, the
	// ones read: a backup before an apply reads those the apply touches, a
	// manual backup every tenant's. Client secrets are not in them (the API
	// never returns one).
	SSO        []*descope.SSO `json:"sso,omitempty"`
	SSOTenants []string       `json:"sso_tenants,omitempty"`
}

// ProjectSettings are the project's own settings. The project id is
// Metadata.ProjectID.
type ProjectSettings struct {
	Name *string   `json:"name,omitempty"`
	Tags *[]string `json:"tags,omitempty"`
	// SnapshotFiles is the files map of a project snapshot export
	// (docs/descope-api.md section 4.4), where the API allows one. It is kept for
	// reference: RestoreState does not restore it.
	SnapshotFiles map[string]any `json:"snapshot_files,omitempty"`
}

// New returns a backup of the live state with the given metadata. It copies
// the objects of live (sharing only attribute values and documents) and puts
// them in canonical order, so equal states give byte-identical backups; it
// sets FormatVersion and Counts, and takes ProjectID from live.Project when
// meta has none. A zero CreatedAt is left for the store to set. SnapshotFiles,
// when the caller has them, go in b.ProjectSettings.
func New(meta Metadata, live *descope.State) *Backup {
	s := cloneState(live)
	s.Normalize()
	meta.FormatVersion = FormatVersion
	if meta.ProjectID == "" && s.Project != nil {
		meta.ProjectID = s.Project.ID
	}
	meta.Counts = make(map[string]int)
	for k, n := range s.Count() {
		meta.Counts[string(k)] = n
	}
	meta.Checksum = ""
	b := &Backup{
		Metadata:    meta,
		Tenants:     s.Tenants,
		Flows:       s.Flows,
		Theme:       s.Theme,
		Roles:       s.Roles,
		Permissions: s.Permissions,
		SSO:         s.SSO,
		SSOTenants:  s.SSOTenants,
	}
	b.TenantAttributes = s.TenantAttributes
	if p := s.Project; p != nil {
		b.ProjectSettings = &ProjectSettings{Name: p.Name, Tags: p.Tags}
	}
	return b
}

// State returns the content of b as a State: its tenants, flows, theme,
// roles, permissions, tenant attribute definitions and project (whose ID is
// Metadata.ProjectID). The State
// is a copy of b's objects, sharing only attribute values and documents, which
// neither must modify.
func (b *Backup) State() *descope.State {
	s := &descope.State{
		Tenants:     b.Tenants,
		Flows:       b.Flows,
		Theme:       b.Theme,
		Roles:       b.Roles,
		Permissions: b.Permissions,
		SSO:         b.SSO,
		SSOTenants:  b.SSOTenants,
	}
	s.TenantAttributes = b.TenantAttributes
	if ps := b.ProjectSettings; ps != nil {
		s.Project = &descope.Project{ID: b.Metadata.ProjectID, Name: ps.Name, Tags: ps.Tags}
	}
	return cloneState(s)
}

// Encode writes b to w as indented JSON, keys in a fixed order (struct fields
// in declaration order, map keys sorted), no HTML escaping, and a final
// newline: the same Backup always gives the same bytes. It sets
// b.Metadata.FormatVersion, makes CreatedAt UTC, and records the checksum.
//
// The checksum is "sha256:" followed by the lowercase hex SHA-256 of the
// exact bytes Encode writes, except that the value of metadata.checksum is
// the empty string "" in the hashed bytes. Decode recomputes it the same way,
// so any change to the file, whitespace included, is detected.
func Encode(w io.Writer, b *Backup) error {
	b.Metadata.FormatVersion = FormatVersion
	b.Metadata.CreatedAt = b.Metadata.CreatedAt.UTC()
	data, err := marshal(b)
	if err != nil {
		return err
	}
	start, end, err := checksumSpan(data)
	if err != nil {
		return fmt.Errorf("encode backup: %w", err)
	}
	sum := sha256.Sum256(data)
	b.Metadata.Checksum = checksumAlgo + hex.EncodeToString(sum[:])
	for _, part := range [][]byte{data[:start], []byte(`"` + b.Metadata.Checksum + `"`), data[end:]} {
		if _, err := w.Write(part); err != nil {
			return fmt.Errorf("write backup: %w", err)
		}
	}
	return nil
}

// marshal encodes b with an empty checksum and every list present ([] rather
// than null).
func marshal(b *Backup) ([]byte, error) {
	c := *b
	c.Metadata.Checksum = ""
	c.Tenants = nonNil(c.Tenants)
	c.Flows = nonNil(c.Flows)
	c.Roles = nonNil(c.Roles)
	c.Permissions = nonNil(c.Permissions)
	c.TenantAttributes = nonNil(c.TenantAttributes)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("encode backup: %w", err)
	}
	return buf.Bytes(), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Decode reads a backup written by Encode. It checks, in this order, that the
// input is complete (ErrTruncated), that it is JSON (ErrChecksum), that its
// format version is one it reads (ErrUnsupportedVersion), and that it matches
// its checksum (ErrChecksum). Numbers in attributes and documents decode as
// float64.
func Decode(r io.Reader) (*Backup, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	var b Backup
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, diagnose(data, err)
	}
	if err := checkVersion(b.Metadata.FormatVersion); err != nil {
		return nil, err
	}
	if err := verify(data, b.Metadata.Checksum); err != nil {
		return nil, err
	}
	return &b, nil
}

// diagnose explains why data did not decode as a Backup.
func diagnose(data []byte, err error) error {
	var raw json.RawMessage
	if derr := json.NewDecoder(bytes.NewReader(data)).Decode(&raw); derr == io.EOF || derr == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: the file ends after %d bytes, before its JSON does (an interrupted copy or a full disk?); use another backup",
			ErrTruncated, len(data))
	}
	if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("%w: not valid JSON at byte %d (%v); use another backup", ErrChecksum, syn.Offset, err)
	}
	// Valid JSON of another shape: a newer format, a damaged file, or no
	// backup at all. Read what metadata there is to tell which.
	meta, merr := readMetadata(bytes.NewReader(data))
	if merr != nil {
		return fmt.Errorf("not a descope-run backup: %w", merr)
	}
	if err := checkVersion(meta.FormatVersion); err != nil {
		return err
	}
	if err := verify(data, meta.Checksum); err != nil {
		return err
	}
	return fmt.Errorf("decode backup: %w", err)
}

func checkVersion(v int) error {
	switch {
	case v > FormatVersion:
		return fmt.Errorf("%w %d: this descope-run reads versions up to %d; upgrade descope-run to read it",
			ErrUnsupportedVersion, v, FormatVersion)
	case v < 1:
		return fmt.Errorf("not a descope-run backup: metadata.format_version is %d, want 1 to %d", v, FormatVersion)
	}
	return nil
}

// verify checks data against the checksum recorded in it, as Encode computed it.
func verify(data []byte, recorded string) error {
	want, ok := strings.CutPrefix(recorded, checksumAlgo)
	if !ok {
		return fmt.Errorf("%w: metadata.checksum %q is not a %s checksum; use another backup", ErrChecksum, recorded, strings.TrimSuffix(checksumAlgo, ":"))
	}
	start, end, err := checksumSpan(data)
	if err != nil {
		return fmt.Errorf("%w: %v; use another backup", ErrChecksum, err)
	}
	h := sha256.New()
	h.Write(data[:start])
	h.Write([]byte(`""`))
	h.Write(data[end:])
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		if !bytes.HasSuffix(data, []byte("\n")) {
			return fmt.Errorf("%w: the file lacks its final newline; use another backup", ErrTruncated)
		}
		return fmt.Errorf("%w: content hashes to sha256:%s, metadata.checksum says sha256:%s (the file changed after it was written); use another backup",
			ErrChecksum, got, want)
	}
	return nil
}

// checksumSpan returns the byte range of the value of metadata.checksum in
// data, quotes included. It reads no further than the metadata object.
func checksumSpan(data []byte) (start, end int, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := seekMetadata(dec); err != nil {
		return 0, 0, err
	}
	if err := expectDelim(dec, '{'); err != nil {
		return 0, 0, fmt.Errorf("metadata: %w", err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return 0, 0, err
		}
		if key != "checksum" {
			if err := skipValue(dec); err != nil {
				return 0, 0, err
			}
			continue
		}
		keyEnd := int(dec.InputOffset())
		if _, err := dec.Token(); err != nil {
			return 0, 0, err
		}
		end = int(dec.InputOffset())
		// Between the key and its value lie only ':' and white space.
		start = bytes.IndexByte(data[keyEnd:end], '"')
		if start < 0 {
			return 0, 0, errors.New("metadata.checksum is not a string")
		}
		return keyEnd + start, end, nil
	}
	return 0, 0, errors.New("metadata has no checksum")
}

// readMetadata reads the metadata of a backup from the head of r: it stops
// after the metadata object, which Encode writes first.
func readMetadata(r io.Reader) (Metadata, error) {
	dec := json.NewDecoder(r)
	var m Metadata
	if err := seekMetadata(dec); err != nil {
		return m, err
	}
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("metadata: %w", err)
	}
	return m, nil
}

// seekMetadata advances dec to the value of the top-level key "metadata".
func seekMetadata(dec *json.Decoder) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return err
		}
		if key == "metadata" {
			return nil
		}
		if err := skipValue(dec); err != nil {
			return err
		}
	}
	return errors.New("no metadata")
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("found %v, want %v", tok, want)
	}
	return nil
}

func skipValue(dec *json.Decoder) error {
	var skip json.RawMessage
	return dec.Decode(&skip)
}
