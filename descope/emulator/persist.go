package emulator

// How a state file is kept (WithStateFile).
//
// The project lives in two files: the state file, a snapshot of the whole
// project, and beside it the journal (the state file's name + ".journal"),
// one line per successful write request since the snapshot. A write is in
// the journal (written to the operating system) before it is answered, so
// what a client was told succeeded survives the emulator's process dying at
// any point: kill -9, a panic, an exit that skips the closers. A background
// sync puts the journal on disk, one fsync for every batch of writes that
// came while the previous one ran, so a crash of the whole machine loses at
// most the writes of the last sync (a few milliseconds). Waiting for the
// fsync before answering would make a local apply of a thousand tenants
// several times slower, for a scratch project.
//
// A journal line holds the request (method, path, query, body) with what the
// handler drew on besides the project: the clock and the state of the id
// generator. Replaying the lines in order through the same handlers gives the
// same project, generated ids included. The journal is compacted (the
// snapshot rewritten and synced, the journal emptied) by the process that
// wrote, when it grows past the snapshot's size and on Flush; a process that
// only reads never rewrites either file, so a plan may open a local project
// while an apply writes it.
//
// The snapshot records the generation of its project and the sequence number
// of the last journal line it includes. The journal starts with a header
// naming the generation it continues: a journal left by another project (the
// state file was deleted to start afresh) is ignored, lines the snapshot
// already includes are skipped, and a reader that finds the journal starting
// past the snapshot (a compaction happened between its two reads) reads
// both again.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// journalSuffix names the journal beside its state file.
const journalSuffix = ".journal"

// journalHeader is the first line of a journal.
type journalHeader struct {
	Generation string `json:"generation"`
}

// journalRecord is one successful write request.
type journalRecord struct {
	Seq    uint64 `json:"seq"`
	Time   int64  `json:"time"` // the request's clock, Unix nanoseconds
	RNG    string `json:"rng"`  // the id generator's state before the handler ran (base64)
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	// Body is the request body; the handler decoded it, so it is JSON (or
	// empty, where the endpoint accepts that).
	Body json.RawMessage `json:"body,omitempty"`
}

// journal is the append-only file of write records, synced in the
// background.
type journal struct {
	path   string
	f      *os.File
	logger *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond // signalled when a sync ends
	size    int64      // bytes in the file
	written uint64     // last sequence number written to the file
	synced  uint64     // last sequence number known to be on disk
	syncing bool       // the background sync runs
	err     error      // a failed write or sync: every later append fails too
}

// openJournal opens (creating) the journal for appending.
func openJournal(path string, logger *slog.Logger) (*journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("emulator: open journal: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("emulator: open journal: %w", err)
	}
	j := &journal{path: path, f: f, logger: logger, size: fi.Size()}
	j.cond = sync.NewCond(&j.mu)
	return j, nil
}

// append writes one record and starts the background sync if it is not
// running. The caller holds the emulator's write lock, so records are
// written in the order they applied.
func (j *journal) append(rec *journalRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("emulator: journal: %w", err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	n, err := j.f.Write(line)
	j.size += int64(n)
	if err != nil {
		j.err = fmt.Errorf("emulator: write journal %s: %w", j.path, err)
		return j.err
	}
	j.written = rec.Seq
	if !j.syncing {
		j.syncing = true
		go j.syncLoop()
	}
	return nil
}

// syncLoop syncs the journal until every record written is on disk: each
// fsync covers the records written while the previous one ran.
func (j *journal) syncLoop() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.synced < j.written && j.err == nil {
		upTo := j.written
		j.mu.Unlock()
		err := j.f.Sync()
		j.mu.Lock()
		if err != nil {
			j.err = fmt.Errorf("emulator: sync journal %s: %w", j.path, err)
			j.logger.Error("emulator: persisting state failed", "path", j.path, "err", err)
			break
		}
		j.synced = upTo
	}
	j.syncing = false
	j.cond.Broadcast()
}

// reset empties the journal after a compaction and writes the header of
// generation gen: every record so far is in the (synced) snapshot.
func (j *journal) reset(gen string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.syncing {
		j.cond.Wait()
	}
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("emulator: truncate journal %s: %w", j.path, err)
	}
	j.size = 0
	head, _ := json.Marshal(journalHeader{Generation: gen}) // a string: cannot fail
	n, err := j.f.Write(append(head, '\n'))
	j.size = int64(n)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		return fmt.Errorf("emulator: write journal %s: %w", j.path, err)
	}
	j.err = nil
	j.synced = j.written
	j.cond.Broadcast()
	return nil
}

// logLocked appends the record of a write request that succeeded. rng is
// the id generator's state before the handler ran. The caller holds e.mu
// for writing.
func (e *Emulator) logLocked(c *call, method, rawQuery string, rng []byte) error {
	e.dirty = true
	if e.jr == nil {
		return nil
	}
	e.st.JournalSeq++
	rec := &journalRecord{
		Seq: e.st.JournalSeq, Time: c.now.UnixNano(), RNG: base64.StdEncoding.EncodeToString(rng),
		Method: method, Path: c.path, Query: rawQuery,
	}
	body := c.body
	if c.journal != nil {
		body = c.journal
	}
	if body := bytes.TrimSpace(body); len(body) > 0 {
		rec.Body = json.RawMessage(body)
	}
	if err := e.jr.append(rec); err != nil {
		e.logger.Error("emulator: persisting state failed", "path", e.jr.path, "err", err)
		return err
	}
	if e.jr.size > e.compactAt {
		return e.compactLocked() // the journal outgrew the snapshot
	}
	return nil
}

// compactLocked writes the whole project to the state file and empties the
// journal. The caller holds e.mu for writing (or owns e exclusively).
func (e *Emulator) compactLocked() error {
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
	if e.jr == nil {
		jr, err := openJournal(e.statePath+journalSuffix, e.logger)
		if err != nil {
			return err
		}
		e.jr = jr
	}
	if err := e.jr.reset(e.st.Generation); err != nil {
		e.logger.Error("emulator: persisting state failed", "path", e.jr.path, "err", err)
		return err
	}
	e.dirty = false
	e.compactAt = max(int64(len(b)), 1<<20)
	return nil
}

// Flush compacts the state file: the snapshot is rewritten with every write
// so far, synced, and the journal emptied. Writes survive the process
// without it (each is in the journal before it is answered); Flush also puts
// the last ones on disk and keeps the journal short. Call it before the emulator goes away. It does nothing
// when the emulator has no state file or nothing was written since the last
// compaction, so a process that only read never rewrites the files.
func (e *Emulator) Flush() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.dirty {
		return nil
	}
	return e.compactLocked()
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

// errJournalAhead reports a journal that starts past its snapshot: the files
// were compacted between reading one and the other.
var errJournalAhead = errors.New("the journal starts past the state file")

// loadProject reads the state file and replays its journal onto it. It
// gives nil and no error when there is no state file; continues reports
// whether the journal continues the state file (else it must be reset
// before anything is appended to it).
func (e *Emulator) loadProject(path string) (st *store, continues bool, err error) {
	for attempt := 0; ; attempt++ {
		st, err := loadStore(path)
		if err != nil || st == nil {
			return st, false, err
		}
		st, continues, err = e.replay(st, path+journalSuffix)
		if errors.Is(err, errJournalAhead) && attempt < 10 {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("emulator: read journal %s: %w", path+journalSuffix, err)
		}
		return st, continues, nil
	}
}

// replay applies the journal at path to st: the records after the ones st
// includes, in order. It returns the project that results, and whether the
// journal continues st (its header names st's generation). A last line cut
// short (a crash in the middle of a write, which was never answered) is
// ignored.
func (e *Emulator) replay(st *store, path string) (*store, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	// Replaying runs the handlers on their own emulator, quiet: what they
	// log was logged when the requests came. It has e's options that
	// change what a write does.
	quiet := &Emulator{logger: slog.New(slog.DiscardHandler), ids: e.ids, draws: e.draws, st: st, attributesOnUse: e.attributesOnUse}
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// The end, or a last line without its newline: never answered.
			return quiet.st, n > 1, nil
		}
		if err != nil {
			return nil, false, err
		}
		if n == 1 {
			var h journalHeader
			if err := json.Unmarshal(line, &h); err != nil {
				return nil, false, fmt.Errorf("line 1: %w", err)
			}
			if h.Generation != st.Generation {
				return st, false, nil // left by another project: the state file was replaced
			}
			continue
		}
		var rec journalRecord
		if err := unmarshal(line, &rec); err != nil {
			return nil, false, fmt.Errorf("line %d: %w", n, err)
		}
		switch {
		case rec.Seq <= quiet.st.JournalSeq:
			continue // already in the snapshot
		case rec.Seq > quiet.st.JournalSeq+1:
			return nil, false, errJournalAhead
		}
		if err := quiet.apply(&rec); err != nil {
			return nil, false, fmt.Errorf("line %d (%s %s): %w", n, rec.Method, rec.Path, err)
		}
		quiet.st.JournalSeq = rec.Seq
	}
}

// apply replays one record through its handler, with the clock and id
// generator it had.
func (e *Emulator) apply(rec *journalRecord) error {
	rt, ok := routes[rec.Path][rec.Method]
	if !ok || !rt.write {
		return fmt.Errorf("not a write endpoint")
	}
	rng, err := base64.StdEncoding.DecodeString(rec.RNG)
	if err != nil {
		return fmt.Errorf("rng: %w", err)
	}
	if err := e.ids.restore(rng); err != nil {
		return err
	}
	q, err := url.ParseQuery(rec.Query)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	_, err = rt.handle(e, &call{now: time.Unix(0, rec.Time), query: q, body: rec.Body, emptyOK: rt.emptyOK, path: rec.Path})
	return err
}
