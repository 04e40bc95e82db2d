package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// Of several takers of a lock left by a process that died, one wins; the
// others are refused, and none removes the winner's fresh lock.
func TestLockTakeOverIsAtomic(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "P2x.lock")
		host, _ := os.Hostname()
		data, _ := json.Marshal(LockHolder{PID: 1 << 30, Host: host, Command: "apply"})
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		const takers = 8
		locks := make(chan *Lock, takers)
		errs := make(chan error, takers)
		var wg sync.WaitGroup
		for range takers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := AcquireLock(path, "apply", time.Now())
				if err != nil {
					errs <- err
					return
				}
				locks <- l
			}()
		}
		wg.Wait()
		close(locks)
		close(errs)
		var won []*Lock
		for l := range locks {
			won = append(won, l)
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d takers won, want 1", round, len(won))
		}
		for err := range errs {
			var held *LockHeldError
			if !errors.As(err, &held) {
				t.Fatalf("round %d: a loser got %v, want a LockHeldError", round, err)
			}
		}
		if h := readHolder(path); h.PID != os.Getpid() {
			t.Fatalf("round %d: the lock file names pid %d, want the winner's", round, h.PID)
		}
		if err := won[0].Release(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("round %d: the lock file is still there after Release: %v", round, err)
		}
	}
}

// A lock file written on another host is never taken over: an flock may
// not reach across a shared file system.
func TestLockOfAnotherHostHolds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "P2x.lock")
	data, _ := json.Marshal(LockHolder{PID: 1 << 30, Host: "elsewhere", Command: "restore"})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := AcquireLock(path, "apply", time.Now())
	var held *LockHeldError
	if !errors.As(err, &held) || held.Holder.Host != "elsewhere" || held.Where != path {
		t.Fatalf("AcquireLock = %v, want a LockHeldError naming elsewhere", err)
	}
	if want := "refused: another restore holds the lock on this project (pid 1073741824 on elsewhere since "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q, want it to start %q", err, want)
	}
}

// Release reports a lock file it could not delete.
func TestLockReleaseReportsErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "P2x.lock")
	l, err := AcquireLock(path, "apply", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Something else now sits at the lock's path, which cannot be deleted.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err == nil || !strings.Contains(err.Error(), "release lock") {
		t.Errorf("Release = %v, want an error", err)
	}
}
