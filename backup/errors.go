package backup

import (
	"errors"
	"fmt"
	"strings"
)

// Errors that callers branch on. Errors returned by this package wrap at most
// one of them; test with errors.Is.
var (
	// ErrChecksum means a backup is damaged: its content does not match its
	// checksum, or it is not valid JSON.
	ErrChecksum = errors.New("backup is damaged")
	// ErrTruncated means a backup file ends before its content does.
	ErrTruncated = errors.New("backup is truncated")
	// ErrUnsupportedVersion means a backup was written in a format newer than
	// this package reads.
	ErrUnsupportedVersion = errors.New("unsupported backup format version")
	// ErrWrongProject means a backup belongs to a project other than the one
	// asked for.
	ErrWrongProject = errors.New("backup belongs to another project")
	// ErrNotFound means no backup has the id asked for.
	ErrNotFound = errors.New("backup not found")
	// ErrAmbiguousID means an id prefix matches several backups. The error is
	// an [*AmbiguousIDError], which lists them.
	ErrAmbiguousID = errors.New("ambiguous backup id")
)

// AmbiguousIDError is returned when an id prefix matches more than one backup
// of a project. errors.Is(err, ErrAmbiguousID) reports true for it.
type AmbiguousIDError struct {
	ProjectID string
	Prefix    string
	// Candidates are the backups the prefix matches, newest first.
	Candidates []Entry
}

func (e *AmbiguousIDError) Error() string {
	ids := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		ids[i] = c.ID
	}
	return fmt.Sprintf("%v: %q matches %d backups of project %s (%s); give more characters of the id",
		ErrAmbiguousID, e.Prefix, len(e.Candidates), e.ProjectID, strings.Join(ids, ", "))
}

// Is reports whether target is ErrAmbiguousID.
func (e *AmbiguousIDError) Is(target error) bool { return target == ErrAmbiguousID }
