package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"
)

// SharedObjects is what a SharedLocker and a SharedAudit need of a store
// that several machines share (the backup package's BlobStore): single
// objects under keys relative to the store's prefix.
type SharedObjects interface {
	// CreateObject writes data at key only if no object is there, as one
	// atomic step; otherwise it fails with an error wrapping fs.ErrExist.
	CreateObject(ctx context.Context, key string, data []byte) error
	// ReadObject reads the object at key (fs.ErrNotExist when none).
	ReadObject(ctx context.Context, key string) ([]byte, error)
	// WriteObject writes data at key, replacing what is there.
	WriteObject(ctx context.Context, key string, data []byte) error
	// DeleteObject deletes the object at key (fs.ErrNotExist when none).
	DeleteObject(ctx context.Context, key string) error
	// URL names the object at key in messages.
	URL(key string) string
}

// DefaultLockTTL is how long a shared lock holds after it was last renewed.
// Its holder renews it every DefaultLockTTL/5 while it runs, so a lock past
// its expiry was left by a process that stopped: it died, or its machine
// slept or lost the network for longer than that.
const DefaultLockTTL = 5 * time.Minute

// SharedLocker locks a project with an object of a store that several
// machines share, locks/<Folder>/<project-id>.lock under the store's
// prefix. The lock is taken by creating the object only if none exists (S3
// If-None-Match: *, GCS ifGenerationMatch=0, a hard link in a directory),
// so of any number of machines taking it at once exactly one gets it. The
// object records the holder (host, process, user, command), when it took
// the lock and when the lock expires; the holder renews it while it runs.
// A lock is never taken over: one held, expired or not, is refused with a
// *LockHeldError that names the holder, its age and the command that breaks
// it (Break).
type SharedLocker struct {
	Objects SharedObjects
	// Folder is the target's folder (backup.BlobStore.Folder), so that the
	// local project and the real one of the same id lock apart.
	Folder string
	// Command is what the holder runs, recorded in the lock (default: the
	// operation).
	Command string
	// User is who runs it (default CurrentUser).
	User string
	// TTL is how long the lock holds after each renewal (default
	// DefaultLockTTL); it is renewed every TTL/5.
	TTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// BreakCommand returns the command that breaks the lock of a project,
	// for refusals.
	BreakCommand func(projectID string) string
	// Warn, when set, is told of trouble renewing or releasing the lock
	// (the operation goes on).
	Warn func(msg string)
}

// lockRecord is the content of a shared lock.
type lockRecord struct {
	// Token tells the holder's own lock from one taken after it was broken.
	Token string `json:"token"`
	LockHolder
}

// Key returns the key of a project's lock under the store's prefix.
func (l *SharedLocker) Key(projectID string) string {
	return path.Join("locks", l.Folder, projectID+".lock")
}

func (l *SharedLocker) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *SharedLocker) ttl() time.Duration {
	if l.TTL > 0 {
		return l.TTL
	}
	return DefaultLockTTL
}

func (l *SharedLocker) warn(format string, args ...any) {
	if l.Warn != nil {
		l.Warn(fmt.Sprintf(format, args...))
	}
}

// Lock takes the project's lock for operation, or returns a *LockHeldError
// naming the holder. Until release, the lock is renewed in the background.
func (l *SharedLocker) Lock(ctx context.Context, projectID, operation string) (func() error, error) {
	key := l.Key(projectID)
	host, _ := os.Hostname()
	var token [12]byte
	rand.Read(token[:])
	now := l.now().UTC()
	rec := lockRecord{Token: hex.EncodeToString(token[:]), LockHolder: LockHolder{
		PID: os.Getpid(), Host: host, User: orDefault(l.User, CurrentUser()),
		Command: orDefault(l.Command, operation), Since: now, Expires: now.Add(l.ttl()),
	}}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	for range 3 {
		err := l.Objects.CreateObject(ctx, key, data)
		if err == nil {
			return l.hold(ctx, key, rec), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock project %s: %w", projectID, err)
		}
		held, err := l.read(ctx, key)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released since: try again
		}
		if err != nil {
			return nil, fmt.Errorf("lock project %s: %w", projectID, err)
		}
		return nil, l.heldError(projectID, held.LockHolder)
	}
	return nil, fmt.Errorf("lock project %s: the lock %s was taken and released three times while descope-run tried to take it; try again", projectID, l.Objects.URL(key))
}

// heldError is the refusal of a lock that h holds.
func (l *SharedLocker) heldError(projectID string, h LockHolder) *LockHeldError {
	e := &LockHeldError{Holder: h, Where: l.Objects.URL(l.Key(projectID)), Now: l.now()}
	if l.BreakCommand != nil {
		e.Break = l.BreakCommand(projectID)
	}
	return e
}

// read reads the lock at key. A lock that does not parse (written by
// something else than descope-run) has a zero holder.
func (l *SharedLocker) read(ctx context.Context, key string) (lockRecord, error) {
	var rec lockRecord
	raw, err := l.Objects.ReadObject(ctx, key)
	if err != nil {
		return rec, err
	}
	_ = json.Unmarshal(raw, &rec) // a damaged lock names no holder
	return rec, nil
}

// hold renews the lock rec at key every TTL/5 until the returned release is
// called, which deletes the lock if it is still rec's.
func (l *SharedLocker) hold(ctx context.Context, key string, rec lockRecord) func() error {
	ctx = context.WithoutCancel(ctx) // an interrupted operation still releases its lock
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(l.ttl() / 5)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if err := l.renew(ctx, key, &rec); err != nil {
					l.warn("%v", err)
					if errors.Is(err, errLockLost) {
						return
					}
				}
			}
		}
	})
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			close(stop)
			wg.Wait()
			err = l.release(ctx, key, rec)
		})
		return err
	}
}

// errLockLost is a lock broken (and maybe taken by another) while its
// holder ran.
var errLockLost = errors.New("the lock was broken while this operation held it")

// renew pushes the expiry of the lock rec at key to now + TTL, if the lock
// is still rec's (else errLockLost). Between the read and the write another
// machine could only have taken the lock after breaking it, which takes a
// command and, before expiry, --force.
func (l *SharedLocker) renew(ctx context.Context, key string, rec *lockRecord) error {
	cur, err := l.read(ctx, key)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s is gone; nothing keeps another operation out now", errLockLost, l.Objects.URL(key))
	case err != nil:
		return fmt.Errorf("renew the lock %s: %w (it expires at %s)", l.Objects.URL(key), err, rec.Expires.Format(time.RFC3339))
	case cur.Token != rec.Token:
		return fmt.Errorf("%w: %s is now held by %s", errLockLost, l.Objects.URL(key), cur.String())
	}
	rec.Expires = l.now().UTC().Add(l.ttl())
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := l.Objects.WriteObject(ctx, key, data); err != nil {
		return fmt.Errorf("renew the lock %s: %w (it expires at %s)", l.Objects.URL(key), err, rec.Expires.Format(time.RFC3339))
	}
	return nil
}

// release deletes the lock rec at key if it is still rec's.
func (l *SharedLocker) release(ctx context.Context, key string, rec lockRecord) error {
	cur, err := l.read(ctx, key)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("release lock: %w: %s was gone already", errLockLost, l.Objects.URL(key))
	case err != nil:
		return fmt.Errorf("release lock %s: %w (break it with the command a refusal prints if no operation runs)", l.Objects.URL(key), err)
	case cur.Token != rec.Token:
		return fmt.Errorf("release lock: %w: %s is now held by %s, and is left to it", errLockLost, l.Objects.URL(key), cur.String())
	}
	if err := l.Objects.DeleteObject(ctx, key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("release lock %s: %w (break it with the command a refusal prints if no operation runs)", l.Objects.URL(key), err)
	}
	return nil
}

// Holder returns the holder of the project's lock, or nil when the project
// is not locked.
func (l *SharedLocker) Holder(ctx context.Context, projectID string) (*LockHolder, error) {
	rec, err := l.read(ctx, l.Key(projectID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the lock of project %s: %w", projectID, err)
	}
	return &rec.LockHolder, nil
}

// ErrNotLocked is a lock break of a project that no operation holds.
var ErrNotLocked = errors.New("the project is not locked")

// Break deletes the project's lock and returns who held it. A lock that has
// not expired is refused (a *RefusedError: its holder renews it, so it is
// most likely running) unless force. The lock deleted is the one read: one
// taken again in between is left alone.
func (l *SharedLocker) Break(ctx context.Context, projectID string, force bool) (LockHolder, error) {
	key := l.Key(projectID)
	rec, err := l.read(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return LockHolder{}, fmt.Errorf("break the lock of project %s: %w (%s does not exist)", projectID, ErrNotLocked, l.Objects.URL(key))
	}
	if err != nil {
		return LockHolder{}, fmt.Errorf("break the lock of project %s: %w", projectID, err)
	}
	h := rec.LockHolder
	if now := l.now(); !force && now.Before(h.Expires) {
		return h, &RefusedError{
			Reason: fmt.Sprintf("the lock of project %s is held by %s and expires in %s: its holder renews it while it runs", projectID, h.String(), RoundAge(h.Expires.Sub(now))),
			Hint:   "wait for it to finish or expire; pass --force only if you know it is not running",
		}
	}
	if err := l.release(ctx, key, rec); err != nil {
		return h, fmt.Errorf("break the lock of project %s: %w", projectID, err)
	}
	return h, nil
}

// String names a lock's holder: its command, process, host, user and
// start.
func (h LockHolder) String() string {
	if h.Host == "" && h.PID == 0 {
		return "an unknown holder (the lock does not say)"
	}
	s := fmt.Sprintf("%q, pid %d on %s", orDefault(h.Command, "apply"), h.PID, orDefault(h.Host, "?"))
	if h.User != "" {
		s += " (user " + h.User + ")"
	}
	if !h.Since.IsZero() {
		s += ", since " + h.Since.UTC().Format(time.RFC3339)
	}
	return s
}

// RoundAge rounds a duration for people: to the second, or the minute past
// an hour.
func RoundAge(d time.Duration) time.Duration {
	if d > time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}

// SharedAudit keeps the audit log in a shared store: one object per
// operation, audit/<Folder>/<project-id>/<time>_<random>.json, each holding
// the JSON line the audit log file would.
type SharedAudit struct {
	Objects SharedObjects
	// Folder is the target's folder, as for SharedLocker.
	Folder string
}

// Append records e as a new object.
func (a SharedAudit) Append(ctx context.Context, e AuditEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	var id [5]byte
	rand.Read(id[:])
	key := path.Join("audit", a.Folder, e.ProjectID, e.Time.UTC().Format("20060102T150405.000Z")+"_"+hex.EncodeToString(id[:])+".json")
	if err := a.Objects.CreateObject(ctx, key, append(line, '\n')); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return a.recordSecrets(ctx, e)
}
