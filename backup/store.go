package backup

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Store keeps the backups of projects: a DirStore (a directory) or a
// BlobStore (object storage). Both lay their backups out alike (see the
// package documentation), check every backup they list or load against its
// checksum, and apply retention where the backups are.
type Store interface {
	// Write stores b under its project and returns its entry; see
	// DirStore.Write.
	Write(ctx context.Context, b *Backup) (Entry, error)
	// List returns the backups of a project, newest first, each one
	// checked.
	List(projectID string) ([]Entry, error)
	// Load reads and verifies the backup of a project whose id begins
	// with idOrPrefix.
	Load(projectID, idOrPrefix string) (*Backup, Entry, error)
	// Prune deletes the backups of a project that p does not keep, and
	// returns them.
	Prune(projectID string, p RetentionPolicy) ([]Entry, error)
	// Target returns the target the store keeps backups of (see
	// WithTarget).
	Target() string
	// Location names the store in messages: a directory, or a store URL
	// without its query (which may hold credentials' settings).
	Location() string
}

// Retention defaults: backups are kept 30 days, and the newest 5 whatever
// their age.
const (
	DefaultMaxAge   = 30 * 24 * time.Hour
	DefaultKeepLast = 5
)

// DefaultRetention is the retention policy descope-run applies unless
// configured otherwise.
var DefaultRetention = RetentionPolicy{MaxAge: DefaultMaxAge, KeepLast: DefaultKeepLast}

// RetentionPolicy says which backups of a project Prune deletes: those older
// than MaxAge, except the newest KeepLast good ones of each target.
type RetentionPolicy struct {
	// MaxAge is how long a backup is kept. Zero deletes every backup but the
	// newest KeepLast good ones.
	MaxAge time.Duration
	// KeepLast is how many of the newest good backups (StatusGood) of each
	// target are kept whatever their age. It must be at least 1, so the
	// newest good backup is never deleted.
	KeepLast int
}

// check refuses a policy that would delete the newest good backup.
func (p RetentionPolicy) check() error {
	if p.KeepLast < 1 || p.MaxAge < 0 {
		return fmt.Errorf("prune backups: retention keeps the newest %d and those younger than %v; it must keep at least 1 and the age cannot be negative",
			p.KeepLast, p.MaxAge)
	}
	return nil
}

// expired returns the entries (checked, newest first) that p lets go at
// now. A good backup is kept when it is among the newest p.KeepLast good
// backups of its target (Metadata.Target) or no older than p.MaxAge; a
// damaged one only while it is no older than p.MaxAge, and an unverified
// one always. Damaged backups never count toward p.KeepLast.
func (p RetentionPolicy) expired(entries []Entry, now time.Time) []Entry {
	var out []Entry
	good := map[string]int{} // per target
	for _, e := range entries {
		young := now.Sub(e.CreatedAt) <= p.MaxAge
		switch e.Status {
		case StatusGood:
			good[e.Target]++
			if good[e.Target] <= p.KeepLast || young {
				continue
			}
		case StatusDamaged:
			if young {
				continue
			}
		default:
			continue
		}
		out = append(out, e)
	}
	return out
}

// Entry describes a stored backup: its id, metadata and file.
type Entry struct {
	// ID is the short id users name the backup by.
	ID string `json:"id"`
	Metadata
	// Path is the backup's file: a path in a DirStore, the object's URL in
	// a BlobStore.
	Path string `json:"path"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
	// Status is what List (and an AmbiguousIDError's candidates) found the
	// file to be; Write and Load return only good backups.
	Status Status `json:"status"`
	// Err says why a backup is not good: it wraps ErrTruncated,
	// ErrChecksum or ErrUnsupportedVersion, or is the error reading the
	// file. When even the metadata could not be read, only ID, Path, Size,
	// ProjectID and CreatedAt (from the file name) are set.
	Err error `json:"-"`

	// name is the file's slash-separated path under the store's root.
	name string
}

// File names are <created>_<id>.json, created in UTC to the millisecond, so
// that names sort by time.
const (
	nameTimeLayout = "20060102T150405.000Z"
	nameExt        = ".json"
	tempPattern    = ".tmp-*" + nameExt
)

// fileName is the name of the file of backup id created at created.
func fileName(created time.Time, id string) string {
	return created.UTC().Format(nameTimeLayout) + "_" + id + nameExt
}

// parseName reads the creation time and id from a backup's file name.
func parseName(name string) (created time.Time, id string, ok bool) {
	stem, ok := strings.CutSuffix(name, nameExt)
	if !ok {
		return time.Time{}, "", false
	}
	ts, id, ok := strings.Cut(stem, "_")
	created, err := time.Parse(nameTimeLayout, ts)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", false
	}
	return created, id, true
}

// idEncoding spells ids: 5 random bytes give 8 characters of a-z and 2-7.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func randomID() string {
	var b [5]byte
	rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// Option configures a store (DirStore or BlobStore).
type Option func(*options)

// options are what Options set.
type options struct {
	target string
	now    func() time.Time
	git    bool
	log    hclog.Logger
}

func newOptions(opts []Option) options {
	o := options{now: time.Now, log: hclog.NewNullLogger()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithClock sets the clock that dates backups written without a creation
// time and measures their age for Prune. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithGit makes the root of a DirStore a git repository in which every
// Write and Prune is a commit. The repository is created on first use, with
// a local user name and email when git has none configured. A BlobStore
// refuses it.
func WithGit(on bool) Option { return func(o *options) { o.git = on } }

// WithLogger sets the logger for debug messages. The default discards them.
func WithLogger(l hclog.Logger) Option { return func(o *options) { o.log = l } }

// tree is where a store keeps its files: a directory or a bucket. Names are
// slash-separated paths relative to the store's root ("" is the root).
type tree interface {
	// readDir returns the names of the backup-sized files and of the
	// folders directly in dir. A missing dir holds none.
	readDir(dir string) (files, dirs []string, err error)
	// readFile reads a whole file.
	readFile(name string) ([]byte, error)
	// remove deletes a file.
	remove(name string) error
	// where names a file or folder in messages and Entry.Path.
	where(name string) string
}

// shelf is what every store does the same way over its tree: the layout of
// targets and projects, listing and checking, finding a backup by id, and
// choosing what retention deletes.
type shelf struct {
	files  tree
	target string // see WithTarget
	folder string // the target's folder under the root
	now    func() time.Time
	log    hclog.Logger
	newID  func() string
}

func newShelf(files tree, o options) (shelf, error) {
	folder, err := targetFolder(o.target)
	if err != nil {
		return shelf{}, err
	}
	return shelf{files: files, target: o.target, folder: folder, now: o.now, log: o.log, newID: randomID}, nil
}

// Target returns the target the store keeps backups of ("" for none).
func (s *shelf) Target() string { return s.target }

// projectDir returns the folder of a project's backups of the store's
// target. A project id must be a plain file name: not empty, no separators,
// not starting with a dot, and not the name of a target's folder.
func (s *shelf) projectDir(projectID string) (string, error) {
	if projectID == "" {
		return "", errors.New("no project id: a backup belongs to a project")
	}
	if !filepath.IsLocal(projectID) || strings.ContainsAny(projectID, `/\:`) || strings.HasPrefix(projectID, ".") || reservedFolder(projectID) || strings.ContainsFunc(projectID, func(r rune) bool { return r < ' ' }) {
		return "", fmt.Errorf("project id %q cannot name a backup folder", projectID)
	}
	return path.Join(s.folder, projectID), nil
}

// scan returns the backups in dir as the file names describe them (ID,
// Path, CreatedAt, ProjectID), in no particular order. A missing dir has none.
func (s *shelf) scan(dir, projectID string) ([]Entry, error) {
	files, _, err := s.files.readDir(dir)
	if err != nil {
		return nil, err
	}
	var entries []Entry
	for _, f := range files {
		created, id, ok := parseName(f)
		if !ok {
			continue
		}
		name := path.Join(dir, f)
		entries = append(entries, Entry{
			ID:       id,
			Metadata: Metadata{CreatedAt: created, ProjectID: projectID},
			Path:     s.files.where(name),
			name:     name,
		})
	}
	return entries, nil
}

// uniqueID returns a new id not used by any backup in dir.
func (s *shelf) uniqueID(dir string) (string, error) {
	entries, err := s.scan(dir, "")
	if err != nil {
		return "", err
	}
	for range 16 {
		id := s.newID()
		if !slices.ContainsFunc(entries, func(e Entry) bool { return e.ID == id }) {
			return id, nil
		}
	}
	return "", fmt.Errorf("no unused backup id in %s after 16 tries", s.files.where(dir))
}

// list returns the backups of a project, newest first, each one checked.
func (s *shelf) list(projectID string) ([]Entry, error) {
	dir, err := s.projectDir(projectID)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	entries, err := s.scan(dir, projectID)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	s.verifyAll(entries)
	sortNewestFirst(entries)
	return entries, nil
}

// readers is how many files verifyAll reads at once: object storage answers
// each read in tens of milliseconds, which a few reads in flight hide.
const readers = 8

// verifyAll reads and checks every entry (see verifyData).
func (s *shelf) verifyAll(entries []Entry) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, readers)
	for i := range entries {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			data, err := s.files.readFile(entries[i].name)
			verifyData(&entries[i], data, err)
		})
	}
	wg.Wait()
}

func sortNewestFirst(entries []Entry) {
	slices.SortFunc(entries, func(a, b Entry) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.Path, a.Path))
	})
}

// load reads and verifies the backup of a project whose id is idOrPrefix,
// or begins with it; see DirStore.Load.
func (s *shelf) load(projectID, idOrPrefix string) (*Backup, Entry, error) {
	e, err := s.find(projectID, idOrPrefix)
	if err != nil {
		return nil, Entry{}, err
	}
	data, err := s.files.readFile(e.name)
	if err != nil {
		return nil, Entry{}, fmt.Errorf("load backup: %w", err)
	}
	b, err := Decode(bytes.NewReader(data))
	if err != nil {
		return nil, Entry{}, fmt.Errorf("load backup %s: %w", e.Path, err)
	}
	if got := b.Metadata.ProjectID; got != projectID {
		return nil, Entry{}, fmt.Errorf("load backup %s: %w: it is a backup of project %s, not %s; was the file moved? Load it as a backup of %s",
			e.Path, ErrWrongProject, got, projectID, got)
	}
	e.Size = int64(len(data))
	e.Metadata = b.Metadata
	e.Status = StatusGood
	return b, e, nil
}

// find returns the one backup of projectID whose id begins with prefix.
func (s *shelf) find(projectID, prefix string) (Entry, error) {
	dir, err := s.projectDir(projectID)
	if err != nil {
		return Entry{}, fmt.Errorf("load backup: %w", err)
	}
	want := strings.ToLower(strings.TrimSpace(prefix))
	if want == "" {
		return Entry{}, fmt.Errorf("load backup: %w: no id given", ErrNotFound)
	}
	entries, err := s.scan(dir, projectID)
	if err != nil {
		return Entry{}, fmt.Errorf("load backup: %w", err)
	}
	matches := slices.DeleteFunc(entries, func(e Entry) bool { return !strings.HasPrefix(e.ID, want) })
	if len(matches) == 0 {
		// A backup the project has from another target, named by its id.
		for _, d := range s.otherTargetDirs(projectID) {
			others, _ := s.scan(d, projectID)
			matches = append(matches, slices.DeleteFunc(others, func(e Entry) bool { return !strings.HasPrefix(e.ID, want) })...)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		if other := s.projectHolding(projectID, want); other != "" {
			return Entry{}, fmt.Errorf("load backup %q: %w: it is a backup of project %s, not %s; choose the project it belongs to",
				prefix, ErrWrongProject, other, projectID)
		}
		return Entry{}, fmt.Errorf("load backup %q: %w: no backup of project %s in %s has an id starting with %q; list the backups to see their ids",
			prefix, ErrNotFound, projectID, s.files.where(dir), want)
	}
	s.verifyAll(matches)
	sortNewestFirst(matches)
	return Entry{}, &AmbiguousIDError{ProjectID: projectID, Prefix: prefix, Candidates: matches}
}

// projectHolding returns a project other than projectID, of the store's
// target, with a backup whose id begins with prefix, or "".
func (s *shelf) projectHolding(projectID, prefix string) string {
	_, dirs, err := s.files.readDir(s.folder)
	if err != nil {
		return ""
	}
	for _, name := range dirs {
		if name == projectID || strings.HasPrefix(name, ".") || reservedFolder(name) {
			continue
		}
		entries, _ := s.scan(path.Join(s.folder, name), name)
		if slices.ContainsFunc(entries, func(e Entry) bool { return strings.HasPrefix(e.ID, prefix) }) {
			return name
		}
	}
	return ""
}

// otherTargetDirs returns the folders holding backups of projectID for every
// target but the store's.
func (s *shelf) otherTargetDirs(projectID string) []string {
	own, err := s.projectDir(projectID)
	if err != nil {
		return nil
	}
	dirs := []string{projectID, path.Join(localFolder, projectID)}
	_, hosts, _ := s.files.readDir(urlFolder)
	for _, h := range hosts {
		dirs = append(dirs, path.Join(urlFolder, h, projectID))
	}
	return slices.DeleteFunc(dirs, func(d string) bool { return d == own })
}

// prune deletes the backups of a project that p does not keep, and returns
// them, newest first; see DirStore.Prune. On error, the backups deleted so
// far are returned with it.
func (s *shelf) prune(projectID string, p RetentionPolicy) ([]Entry, error) {
	entries, err := s.list(projectID)
	if err != nil {
		return nil, err
	}
	var removed []Entry
	var errs []error
	for _, e := range p.expired(entries, s.now()) {
		if err := s.files.remove(e.name); err != nil {
			errs = append(errs, fmt.Errorf("prune backups: %w", err))
			continue
		}
		removed = append(removed, e)
		s.log.Debug("backup pruned", "id", e.ID, "path", e.Path)
	}
	return removed, errors.Join(errs...)
}

// reservedFolder reports a name of the root that holds targets' folders.
func reservedFolder(name string) bool { return name == localFolder || name == urlFolder }
