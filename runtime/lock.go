package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Locker gives one operation at a time the right to write to a project.
// FileLocker is the one for a single machine; a store shared by several
// machines brings its own.
type Locker interface {
	// Lock takes the lock on the project for operation (apply, restore),
	// or returns a *LockHeldError naming the holder. release gives the
	// lock up; its error says the lock may still be there.
	Lock(ctx context.Context, projectID, operation string) (release func() error, err error)
}

// FileLocker locks a project with the file <Dir>/<project-id>.lock. It
// keeps the operations of one machine and account apart, not those of
// several machines.
type FileLocker struct {
	Dir string
	// Now stamps the lock (default time.Now).
	Now func() time.Time
}

// Lock takes the project's lock file.
func (l FileLocker) Lock(_ context.Context, projectID, operation string) (func() error, error) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	lk, err := AcquireLock(filepath.Join(l.Dir, projectID+".lock"), operation, now())
	if err != nil {
		return nil, err
	}
	return lk.Release, nil
}

// Holder returns the holder of the project's lock file, or nil when the
// project is not locked.
func (l FileLocker) Holder(_ context.Context, projectID string) (*LockHolder, error) {
	path := filepath.Join(l.Dir, projectID+".lock")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read the lock of project %s: %w", projectID, err)
	}
	h := readHolder(path)
	return &h, nil
}

// Break deletes the project's lock file and returns who held it. A lock
// that can be taken (its holder died, on systems with flock) is taken and
// released; one that cannot (a live process of this machine holds it, it
// was written on another host, or the system has no flock) is refused (a
// *RefusedError) unless force.
func (l FileLocker) Break(_ context.Context, projectID string, force bool) (LockHolder, error) {
	path := filepath.Join(l.Dir, projectID+".lock")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return LockHolder{}, fmt.Errorf("break the lock of project %s: %w (%s does not exist)", projectID, ErrNotLocked, path)
	}
	h := readHolder(path)
	host, _ := os.Hostname()
	f, held, err := holdFile(path, host)
	if err != nil {
		return h, fmt.Errorf("break the lock of project %s: %w", projectID, err)
	}
	if held == nil {
		return h, (&Lock{path: path, file: f}).Release()
	}
	if !force {
		return h, &RefusedError{
			Reason: fmt.Sprintf("the lock %s of project %s is held by %s", path, projectID, held.String()),
			Hint:   "wait for it to finish; pass --force only if you know it is not running",
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return h, fmt.Errorf("break the lock of project %s: %w", projectID, err)
	}
	return h, nil
}

// LockHolder is what a lock says about who holds it.
type LockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`
	Command string    `json:"command"`
	// User and Expires are recorded by a SharedLocker: who runs the
	// command, and when the lock expires unless its holder renews it.
	User    string    `json:"user,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
}

// Lock is an exclusive claim on a project held by one apply or restore: a
// file that says who holds it. How a lock left by a process that died is
// told apart from a live one depends on the system (see holdFile):
// on Unix the holder keeps an flock(2) on the file, which the kernel
// drops when the process ends, so a lock file that no process has locked is
// taken over, by one taker only; elsewhere a lock file is never taken over
// and a dead holder's file must be deleted by hand.
type Lock struct {
	path string
	file *os.File // held open (and locked, on Unix) until Release
}

// AcquireLock takes the lock at path for command, or returns a
// *LockHeldError naming the holder.
func AcquireLock(path, command string, now time.Time) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	host, _ := os.Hostname()
	me := LockHolder{PID: os.Getpid(), Host: host, Since: now.UTC(), Command: command}
	f, held, err := holdFile(path, host)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if held != nil {
		return nil, &LockHeldError{Holder: *held, Where: path}
	}
	data, _ := json.Marshal(me)
	if err := writeHolder(f, data); err != nil {
		return nil, errors.Join(fmt.Errorf("lock %s: %w", path, err), (&Lock{path: path, file: f}).Release())
	}
	return &Lock{path: path, file: f}, nil
}

// writeHolder replaces the content of the lock file f with data.
func writeHolder(f *os.File, data []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Sync()
}

// readHolder reads who holds the lock at path; a file that cannot be read
// or parsed gives a zero holder.
func readHolder(path string) LockHolder {
	var h LockHolder
	if raw, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(raw, &h) // a damaged lock names no holder
	}
	return h
}

// Release gives the lock up: it deletes the file and lets go of it (on
// Unix in that order, so that no other process locks the file on its way
// out).
// Its error says the file may still be there.
func (l *Lock) Release() error {
	if l == nil || l.file == nil {
		return nil
	}
	var errs []error
	remove := func() {
		if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if removeWhileHeld {
		remove()
	}
	if err := l.file.Close(); err != nil {
		errs = append(errs, err)
	}
	if !removeWhileHeld {
		remove()
	}
	l.file = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("release lock %s: %w (delete it if no apply runs)", l.path, err)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
