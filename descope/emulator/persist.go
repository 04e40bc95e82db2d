package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// persistLocked writes the store to the state file, if there is one. The
// caller holds e.mu (or owns e exclusively).
func (e *Emulator) persistLocked() error {
	if e.statePath == "" {
		return nil
	}
	b, err := json.MarshalIndent(e.st, "", "  ")
	if err != nil {
		return fmt.Errorf("emulator: encode state: %w", err)
	}
	if err := writeFileAtomic(e.statePath, append(b, '\n')); err != nil {
		e.logger.Error("emulator: persisting state failed", "path", e.statePath, "err", err)
		return err
	}
	return nil
}

// persistSoonLocked persists a write: at once, or with WithPersistInterval
// once the interval since the last write of the file has passed. The caller
// holds e.mu for writing.
func (e *Emulator) persistSoonLocked() error {
	if e.persistEvery <= 0 {
		return e.persistLocked()
	}
	e.dirty = true
	if now := time.Now(); now.Sub(e.persisted) >= e.persistEvery {
		return e.flushLocked(now)
	}
	return nil
}

func (e *Emulator) flushLocked(now time.Time) error {
	if err := e.persistLocked(); err != nil {
		return err
	}
	e.dirty, e.persisted = false, now
	return nil
}

// Flush writes the writes that WithPersistInterval has held back to the
// state file. Call it before the emulator goes away.
func (e *Emulator) Flush() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.dirty {
		return nil
	}
	return e.flushLocked(time.Now())
}

// writeFileAtomic replaces path with data so that a reader sees the old
// file or the new one, never a mix: it writes a temporary file in the same
// directory, syncs it, renames it over path and syncs the directory. The
// directory is created (0700) if needed; the file is 0600.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("emulator: write state file: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("emulator: write state file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
			err = fmt.Errorf("emulator: write state file %s: %w", path, err)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable; not every system can
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// loadStore reads a state file. A file that does not exist gives nil and no
// error.
func loadStore(path string) (*store, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("emulator: read state file: %w", err)
	}
	var st store
	if err := unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("emulator: read state file %s: %w", path, err)
	}
	if st.Format < 1 || st.Format > storeFormat {
		return nil, fmt.Errorf("emulator: read state file %s: format version %d, want %d", path, st.Format, storeFormat)
	}
	st.repair()
	return &st, nil
}
