package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Lock is an exclusive claim on a project held by one apply or restore, as a
// file created with O_EXCL. A lock left by a process that no longer runs on
// this host is taken over.
type Lock struct {
	path string
}

type lockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`
	Command string    `json:"command"`
}

// AcquireLock takes the lock at path for command, or returns a
// *RefusedError naming the holder.
func AcquireLock(path, command string, now time.Time) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	host, _ := os.Hostname()
	info := lockInfo{PID: os.Getpid(), Host: host, Since: now.UTC(), Command: command}
	data, _ := json.Marshal(info)
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, werr := f.Write(data)
			cerr := f.Close()
			if werr != nil || cerr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("lock %s: %w", path, errors.Join(werr, cerr))
			}
			return &Lock{path: path}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		var held lockInfo
		raw, rerr := os.ReadFile(path)
		if rerr == nil && json.Unmarshal(raw, &held) == nil && held.Host == host && !processAlive(held.PID) {
			os.Remove(path) // the holder is gone: take the lock over
			continue
		}
		return nil, &RefusedError{
			Reason: fmt.Sprintf("another %s holds the lock on this project (pid %d on %s since %s)",
				orDefault(held.Command, "apply"), held.PID, orDefault(held.Host, "?"), held.Since.Format(time.RFC3339)),
			Hint: "wait for it to finish; if it died, delete " + path,
		}
	}
	return nil, &RefusedError{Reason: "could not take the lock " + path, Hint: "delete it if no apply is running"}
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
