//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package runtime

import (
	"errors"
	"io/fs"
	"os"
)

// removeWhileHeld is false: Windows deletes no file that is open.
const removeWhileHeld = false

// holdFile creates the lock file at path, failing if it exists. Without
// flock(2) nothing tells a lock left by a process that died from a live one
// (a process id may be reused, and Windows has no signal 0), so a lock
// file is never taken over: its holder is reported, and the hint says to
// delete the file if that holder died.
func holdFile(path, _ string) (*os.File, *LockHolder, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		h := readHolder(path)
		return nil, &h, nil
	}
	return f, nil, err
}
