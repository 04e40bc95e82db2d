//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package runtime

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// removeWhileHeld: Release deletes the lock file before it lets go of it.
const removeWhileHeld = true

// holdFile opens and locks the lock file at path with flock(2), creating it
// if need be. The kernel drops an flock when its process ends, so a lock
// file that no process has locked was left by one that died, and taking it
// over is one flock: of two takers only one gets it. It returns the open
// file, or the holder when another process holds it. A lock file written on
// another host is never taken over (an flock on a shared file system may
// not reach the other host).
func holdFile(path, host string) (*os.File, *LockHolder, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				h := readHolder(path)
				return nil, &h, nil
			}
			return nil, nil, fmt.Errorf("flock: %w", err)
		}
		// The holder deletes the file before it lets go of it: a file
		// locked after that is no longer the one at path; open again.
		same, err := samePath(f, path)
		if err != nil || !same {
			f.Close()
			if err != nil {
				return nil, nil, err
			}
			continue
		}
		if h := readHolder(path); h.Host != "" && h.Host != host {
			f.Close()
			return nil, &h, nil
		}
		return f, nil, nil
	}
	return nil, nil, errors.New("the lock file keeps changing under descope-run")
}

// samePath reports whether the open file f is still the file at path.
func samePath(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	pi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fi, pi), nil
}
