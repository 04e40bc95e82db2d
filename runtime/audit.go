package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// AuditEntry is one line of the audit log: who changed which project, when,
// from which inputs, with what result.
type AuditEntry struct {
	Time        time.Time      `json:"time"`
	User        string         `json:"user"`
	Operation   string         `json:"operation"`
	Target      string         `json:"target"`
	ProjectID   string         `json:"project_id"`
	Script      string         `json:"script,omitempty"`
	InputDigest string         `json:"input_digest,omitempty"`
	GitCommit   string         `json:"git_commit,omitempty"`
	BackupID    string         `json:"backup_id,omitempty"`
	Counts      map[string]int `json:"counts"`
	// Secrets are the salted fingerprints of the secrets the operation
	// sent, by SSO configuration key (see SecretFingerprint): never the values.
	Secrets map[string]string `json:"secrets,omitempty"`
	Result  string            `json:"result"`
	Error   string            `json:"error,omitempty"`
	// Note says more about an operation that changes no project, such as
	// whose lock a lock break broke.
	Note string `json:"note,omitempty"`
}

// AuditSink records what operations did: the audit log file, or a log kept
// in a store shared by several machines.
type AuditSink interface {
	Append(ctx context.Context, e AuditEntry) error
}

// AuditLog is the audit log file at Path, one JSON line per operation.
type AuditLog struct {
	Path string
}

// Append adds e to the log.
func (l AuditLog) Append(_ context.Context, e AuditEntry) error { return AppendAudit(l.Path, e) }

// AppendAudit appends e as one JSON line to the log at path (created 0600).
func AppendAudit(path string, e AuditEntry) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("audit log %s: %w", path, err)
	}
	return f.Close()
}
