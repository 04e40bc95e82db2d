//go:build unix

package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadRegularOnly: a FIFO in the workspace is refused, not read (which
// would block until something writes to it).
func TestReadRegularOnly(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{"main.star": "x = read_file(\"pipe\")\n"})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ws, err := OpenWorkspace(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ws.ReadPath("pipe")
	if err == nil || !strings.Contains(err.Error(), "pipe: is a named pipe (FIFO), not a regular file: configs read regular files only") {
		t.Fatalf("ReadPath(pipe) = %v, want a FIFO refused", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err = ws.ReadPath("big"); err == nil || !strings.Contains(err.Error(), "big: is larger than 64 MiB, the most a config may read") {
		t.Fatalf("ReadPath(big) = %v, want it refused for its size", err)
	}
}
