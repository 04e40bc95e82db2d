package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/internal/s3test"
)

// sharedStores returns, per kind of shared store, a function that opens it
// as one more machine would: an S3 bucket served in-process (through the
// AWS SDK) and a file:// directory.
func sharedStores(t *testing.T) map[string]func() *backup.BlobStore {
	t.Helper()
	for k, v := range s3test.Env {
		t.Setenv(k, v)
	}
	srv := s3test.NewServer("team")
	t.Cleanup(srv.Close)
	urls := map[string]string{
		"s3":   srv.StoreURL("team", "descope"),
		"file": (&url.URL{Scheme: "file", Path: filepath.ToSlash(t.TempDir())}).String(),
	}
	out := map[string]func() *backup.BlobStore{}
	for kind, u := range urls {
		out[kind] = func() *backup.BlobStore {
			s, err := backup.OpenBlobStore(context.Background(), u, backup.WithTarget(backup.LocalTarget))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	return out
}

var lockTime = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func sharedLocker(s *backup.BlobStore, user string, now time.Time) *SharedLocker {
	return &SharedLocker{
		Objects: s, Folder: s.Folder(), User: user, Command: "descope-run apply main.star",
		Now:          func() time.Time { return now },
		BreakCommand: func(id string) string { return "descope-run lock break " + id },
	}
}

// TestSharedLockOneOfMany has machines take one project's lock at once:
// exactly one gets it, the others are refused naming it, and once it is
// released the lock can be taken again.
func TestSharedLockOneOfMany(t *testing.T) {
	for kind, open := range sharedStores(t) {
		t.Run(kind, func(t *testing.T) {
			const machines = 6
			releases := make([]func() error, machines)
			errs := make([]error, machines)
			var wg sync.WaitGroup
			for i := range machines {
				l := sharedLocker(open(), "user"+string(rune('a'+i)), lockTime)
				wg.Go(func() { releases[i], errs[i] = l.Lock(context.Background(), "P2x", "apply") })
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				if err == nil {
					if winner >= 0 {
						t.Fatalf("machines %d and %d both hold the lock", winner, i)
					}
					winner = i
				}
			}
			if winner < 0 {
				t.Fatalf("no machine got the lock: %v", errs)
			}
			for i, err := range errs {
				if i == winner {
					continue
				}
				var held *LockHeldError
				if !errors.As(err, &held) {
					t.Fatalf("machine %d: %v, want a LockHeldError", i, err)
				}
				if held.Holder.User != "user"+string(rune('a'+winner)) || held.Holder.Command != "descope-run apply main.star" {
					t.Errorf("machine %d was told the holder is %+v, want user%c", i, held.Holder, 'a'+winner)
				}
				reason, hint := held.Refusal()
				if !strings.Contains(reason, "(user user"+string(rune('a'+winner))+"), since 2026-11-26T12:00:00Z (0s ago)") ||
					!strings.Contains(reason, "expires in 5m0s") || !strings.Contains(hint, "descope-run lock break P2x") {
					t.Errorf("refusal = %q (%q)", reason, hint)
				}
			}
			if err := releases[winner](); err != nil {
				t.Fatal(err)
			}
			release, err := sharedLocker(open(), "later", lockTime).Lock(context.Background(), "P2x", "apply")
			if err != nil {
				t.Fatalf("Lock after release: %v", err)
			}
			if err := release(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSharedLockLeftBehind checks a lock whose holder died: it is refused,
// reported as expired once it is, broken only by Break (with force before
// its expiry).
func TestSharedLockLeftBehind(t *testing.T) {
	for kind, open := range sharedStores(t) {
		t.Run(kind, func(t *testing.T) {
			dead := sharedLocker(open(), "alice", lockTime)
			if _, err := dead.Lock(context.Background(), "P2x", "apply"); err != nil { // never released
				t.Fatal(err)
			}

			soon := sharedLocker(open(), "bob", lockTime.Add(time.Minute))
			_, err := soon.Lock(context.Background(), "P2x", "apply")
			var held *LockHeldError
			if !errors.As(err, &held) {
				t.Fatalf("Lock = %v, want a LockHeldError", err)
			}
			if _, err := soon.Break(context.Background(), "P2x", false); err == nil || !strings.Contains(err.Error(), "expires in 4m0s") {
				t.Errorf("Break before expiry = %v, want a refusal saying it expires in 4m0s", err)
			}

			later := sharedLocker(open(), "bob", lockTime.Add(17*time.Minute))
			_, err = later.Lock(context.Background(), "P2x", "apply")
			if !errors.As(err, &held) {
				t.Fatalf("Lock of an expired lock = %v, want a LockHeldError: never taken over silently", err)
			}
			reason, hint := held.Refusal()
			for _, want := range []string{`"descope-run apply main.star", pid `, "(user alice), since 2026-11-26T12:00:00Z (17m0s ago)", "the lock expired 12m0s ago"} {
				if !strings.Contains(reason, want) {
					t.Errorf("refusal %q does not say %q", reason, want)
				}
			}
			if hint != "if it is not running, break the lock: descope-run lock break P2x" {
				t.Errorf("hint = %q", hint)
			}
			h, err := later.Break(context.Background(), "P2x", false)
			if err != nil || h.User != "alice" {
				t.Fatalf("Break = %+v, %v; want alice's lock broken", h, err)
			}
			if _, err := later.Break(context.Background(), "P2x", false); !errors.Is(err, ErrNotLocked) {
				t.Errorf("second Break = %v, want ErrNotLocked", err)
			}
			release, err := later.Lock(context.Background(), "P2x", "apply")
			if err != nil {
				t.Fatalf("Lock after Break: %v", err)
			}
			release()
		})
	}
}

// TestSharedLockRenew checks that the holder pushes the expiry on, and
// that a holder whose lock was broken and taken by another leaves it be.
func TestSharedLockRenew(t *testing.T) {
	for kind, open := range sharedStores(t) {
		t.Run(kind, func(t *testing.T) {
			s := open()
			now := lockTime
			l := sharedLocker(s, "alice", lockTime)
			l.Now = func() time.Time { return now }
			release, err := l.Lock(context.Background(), "P2x", "apply")
			if err != nil {
				t.Fatal(err)
			}
			key := l.Key("P2x")
			var rec lockRecord
			raw, _ := s.ReadObject(context.Background(), key)
			json.Unmarshal(raw, &rec)

			now = lockTime.Add(4 * time.Minute)
			if err := l.renew(context.Background(), key, &rec); err != nil {
				t.Fatal(err)
			}
			if h, _ := l.Holder(context.Background(), "P2x"); h == nil || !h.Expires.Equal(lockTime.Add(9*time.Minute)) || !h.Since.Equal(lockTime) {
				t.Errorf("after renewal the lock is %+v; want since 12:00, expiring 12:09", h)
			}

			// Broken by bob, who took it.
			if _, err := sharedLocker(open(), "bob", lockTime.Add(20*time.Minute)).Break(context.Background(), "P2x", false); err != nil {
				t.Fatal(err)
			}
			if _, err := sharedLocker(open(), "bob", lockTime.Add(20*time.Minute)).Lock(context.Background(), "P2x", "apply"); err != nil {
				t.Fatal(err)
			}
			if err := l.renew(context.Background(), key, &rec); !errors.Is(err, errLockLost) || !strings.Contains(err.Error(), "(user bob)") {
				t.Errorf("renew of a lock taken by bob = %v, want errLockLost naming bob", err)
			}
			if err := release(); !errors.Is(err, errLockLost) {
				t.Errorf("release of a lock taken by bob = %v, want errLockLost", err)
			}
			if h, _ := l.Holder(context.Background(), "P2x"); h == nil || h.User != "bob" {
				t.Errorf("after alice's release the lock is %+v, want bob's", h)
			}
		})
	}
}

func TestSharedAuditAppends(t *testing.T) {
	for kind, open := range sharedStores(t) {
		t.Run(kind, func(t *testing.T) {
			s := open()
			a := SharedAudit{Objects: s, Folder: s.Folder()}
			for range 2 {
				if err := a.Append(context.Background(), AuditEntry{Time: lockTime, ProjectID: "P2x", Operation: "apply", Result: "success"}); err != nil {
					t.Fatal(err)
				}
			}
			keys, err := s.ListObjects(context.Background(), "audit/local/P2x/")
			if err != nil || len(keys) != 2 {
				t.Fatalf("audit objects = %v, %v; want 2", keys, err)
			}
			raw, err := s.ReadObject(context.Background(), keys[0])
			var e AuditEntry
			if err != nil || json.Unmarshal(raw, &e) != nil || e.Result != "success" || !strings.HasSuffix(string(raw), "}\n") {
				t.Errorf("audit object %s = %q, %v", keys[0], raw, err)
			}
			if _, err := s.ReadObject(context.Background(), "locks/local/none.lock"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadObject of no lock = %v, want fs.ErrNotExist", err)
			}
		})
	}
}
