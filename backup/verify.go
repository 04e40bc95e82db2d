package backup

import (
	"bytes"
	"errors"
	"fmt"
)

// Status is what a backup file was found to be when it was checked.
type Status int

const (
	// StatusGood is a complete file that matches its checksum.
	StatusGood Status = iota
	// StatusDamaged is a file cut short, changed after it was written, or not
	// a backup at all. It is never restored, and retention does not count it
	// among the backups it keeps.
	StatusDamaged
	// StatusUnverified is a file that could not be checked: it is in a
	// format newer than this descope-run reads, or it could not be read.
	// Retention neither counts nor deletes it.
	StatusUnverified
)

var statusNames = [...]string{StatusGood: "good", StatusDamaged: "damaged", StatusUnverified: "unverified"}

// String returns "good", "damaged" or "unverified".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText writes the status as String does.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// check verifies data as a backup file, as Decode does, but decodes only its
// metadata: the file is complete, in a format this package reads, and
// matches its checksum.
func check(data []byte) (Metadata, error) {
	meta, err := readMetadata(bytes.NewReader(data))
	if err != nil {
		return meta, diagnose(data, err)
	}
	if err := checkVersion(meta.FormatVersion); err != nil {
		return meta, err
	}
	return meta, verify(data, meta.Checksum)
}

// verifyData completes e from its file's content, data, or the error
// reading it (size, metadata) and sets its Status, with Err saying what is
// wrong with a file that is not good.
func verifyData(e *Entry, data []byte, err error) {
	if err != nil {
		e.Status, e.Err = StatusUnverified, fmt.Errorf("backup %s: %w", e.Path, err)
		return
	}
	e.Size = int64(len(data))
	meta, err := check(data)
	if meta.FormatVersion != 0 || meta.Checksum != "" {
		// The head was readable: keep what it says, whatever the rest is.
		projectID := e.ProjectID
		created := e.CreatedAt
		e.Metadata = meta
		if e.ProjectID == "" {
			e.ProjectID = projectID
		}
		if e.CreatedAt.IsZero() {
			e.CreatedAt = created
		}
	}
	switch {
	case err == nil:
		e.Status, e.Err = StatusGood, nil
	case errors.Is(err, ErrUnsupportedVersion):
		e.Status, e.Err = StatusUnverified, fmt.Errorf("backup %s: %w", e.Path, err)
	default:
		e.Status, e.Err = StatusDamaged, fmt.Errorf("backup %s: %w", e.Path, err)
	}
}
