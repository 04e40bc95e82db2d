package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLockExcludesSecondHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locks", "P2x.lock")
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l, err := AcquireLock(path, "apply", now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(path, "apply", now)
	var re *LockHeldError
	if !errors.As(err, &re) {
		t.Fatalf("second AcquireLock = %v, want a LockHeldError", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := AcquireLock(path, "apply", now)
	if err != nil {
		t.Fatalf("AcquireLock after Release: %v", err)
	}
	l2.Release()
}

func TestLockTakesOverFromDeadProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "P2x.lock")
	host, _ := os.Hostname()
	// pid 1<<30 cannot exist on Linux (pid_max is at most 1<<22).
	data, _ := json.Marshal(LockHolder{PID: 1 << 30, Host: host, Command: "apply"})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := AcquireLock(path, "apply", time.Now())
	if err != nil {
		t.Fatalf("AcquireLock over a dead holder: %v", err)
	}
	l.Release()
}
