package backup

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

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

// Entry describes a stored backup: its id, metadata and file.
type Entry struct {
	// ID is the short id users name the backup by.
	ID string `json:"id"`
	Metadata
	// Path is the backup's file.
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
}

// File names are <created>_<id>.json, created in UTC to the millisecond, so
// that names sort by time.
const (
	nameTimeLayout = "20060102T150405.000Z"
	nameExt        = ".json"
	tempPattern    = ".tmp-*" + nameExt
)

// idEncoding spells ids: 5 random bytes give 8 characters of a-z and 2-7.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// rootLocks holds a mutex per store root, shared by every DirStore of this
// process on that root: it serializes id choice, renames and git commands.
var rootLocks sync.Map

// DirStore keeps backups in a directory tree, one folder per project (see
// the package documentation for the layout). It is safe for concurrent use,
// and several DirStores may share a root. Backups written concurrently by
// separate processes get distinct files; their ids are random (40 bits), so
// they collide with negligible probability. Make one with NewDirStore.
type DirStore struct {
	root   string
	target string // see WithTarget
	folder string // the target's folder under root
	now    func() time.Time
	useGit bool
	log    hclog.Logger
	newID  func() string

	mu *sync.Mutex // shared by the root's stores; guards gitPath
	// gitPath is the git executable, once the root is a repository ready for
	// commits.
	gitPath string
}

// Option configures a DirStore.
type Option func(*DirStore)

// WithClock sets the clock that dates backups written without a creation
// time and measures their age for Prune. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *DirStore) { s.now = now } }

// WithGit makes the root a git repository in which every Write and Prune is
// a commit. The repository is created on first use, with a local user name
// and email when git has none configured.
func WithGit(on bool) Option { return func(s *DirStore) { s.useGit = on } }

// WithLogger sets the logger for debug messages. The default discards them.
func WithLogger(l hclog.Logger) Option { return func(s *DirStore) { s.log = l } }

// DefaultRoot returns the default backup directory, ~/.descope-mgmt/backups.
func DefaultRoot() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("default backup directory: %w", err)
	}
	return filepath.Join(home, ".descope-mgmt", "backups"), nil
}

// NewDirStore returns a store rooted at root. Nothing is created until the
// first Write.
func NewDirStore(root string, opts ...Option) (*DirStore, error) {
	if root == "" {
		return nil, errors.New("backup store: no directory given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("backup store %s: %w", root, err)
	}
	mu, _ := rootLocks.LoadOrStore(abs, new(sync.Mutex))
	s := &DirStore{
		root:  abs,
		now:   time.Now,
		log:   hclog.NewNullLogger(),
		newID: randomID,
		mu:    mu.(*sync.Mutex),
	}
	for _, o := range opts {
		o(s)
	}
	if s.folder, err = targetFolder(s.target); err != nil {
		return nil, fmt.Errorf("backup store %s: %w", root, err)
	}
	return s, nil
}

// Root returns the store's root directory, as an absolute path.
func (s *DirStore) Root() string { return s.root }

// Write stores b under its project (b.Metadata.ProjectID) and returns its
// entry. It dates b with the store's clock when b.Metadata.CreatedAt is zero,
// records the store's target (see WithTarget; a backup of another target is
// refused) and the checksum in b.Metadata (see Encode). The file appears
// whole or not at all. In git mode the file is then committed; if that
// commit fails, Write returns the entry of the stored file with the error.
func (s *DirStore) Write(ctx context.Context, b *Backup) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	dir, err := s.projectDir(b.Metadata.ProjectID)
	if err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	if s.target != "" {
		switch b.Metadata.Target {
		case "":
			b.Metadata.Target = s.target
		case s.target:
		default:
			return Entry{}, fmt.Errorf("write backup: it was read from %s, but the store keeps the backups of %s", b.Metadata.Target, s.target)
		}
	}
	s.checkPerms(s.root, dir)
	if b.Metadata.CreatedAt.IsZero() {
		b.Metadata.CreatedAt = s.now()
	}
	b.Metadata.CreatedAt = b.Metadata.CreatedAt.UTC() // as Encode writes it, for the file name
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	tmp, size, err := writeTemp(dir, b)
	if err != nil {
		return Entry{}, err
	}
	placed := false
	defer func() {
		if !placed {
			os.Remove(tmp)
		}
	}()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.useGit {
		if err := s.ensureRepo(ctx); err != nil {
			return Entry{}, fmt.Errorf("write backup: %w", err)
		}
	}
	id, err := s.uniqueID(dir)
	if err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	path := filepath.Join(dir, b.Metadata.CreatedAt.Format(nameTimeLayout)+"_"+id+nameExt)
	if err := os.Rename(tmp, path); err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	placed = true
	e := Entry{ID: id, Metadata: b.Metadata, Path: path, Size: size}
	if err := syncDir(dir); err != nil {
		return e, fmt.Errorf("write backup %s: %w", path, err)
	}
	s.log.Debug("backup written", "id", id, "path", path, "bytes", size)
	if s.useGit {
		if err := s.commitWrite(ctx, e); err != nil {
			return e, fmt.Errorf("backup %s written, but not committed: %w", path, err)
		}
	}
	return e, nil
}

// writeTemp encodes b into a new temporary file in dir, flushed to disk, and
// returns its path and size.
func writeTemp(dir string, b *Backup) (path string, size int64, err error) {
	f, err := os.CreateTemp(dir, tempPattern) // mode 0600
	if err != nil {
		return "", 0, fmt.Errorf("write backup: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("write backup %s: %w", f.Name(), err)
		}
	}()
	if err := Encode(f, b); err != nil {
		return "", 0, err
	}
	if err := f.Sync(); err != nil {
		return "", 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if err := f.Close(); err != nil {
		return "", 0, err
	}
	return f.Name(), fi.Size(), nil
}

// syncDir flushes a directory, making a rename or removal in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// uniqueID returns a new id not used by any backup in dir. The caller holds s.mu.
func (s *DirStore) uniqueID(dir string) (string, error) {
	entries, err := scanDir(dir, "")
	if err != nil {
		return "", err
	}
	for range 16 {
		id := s.newID()
		if !slices.ContainsFunc(entries, func(e Entry) bool { return e.ID == id }) {
			return id, nil
		}
	}
	return "", fmt.Errorf("no unused backup id in %s after 16 tries", dir)
}

func randomID() string {
	var b [5]byte
	rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// List returns the backups of a project, newest first, each one checked: it
// reads every file whole and sets each entry's Status (and Err when the
// backup is not good). A project without backups has an empty list.
func (s *DirStore) List(projectID string) ([]Entry, error) {
	dir, err := s.projectDir(projectID)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	s.checkPerms(s.root, dir)
	entries, err := scanDir(dir, projectID)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	for i := range entries {
		verifyEntry(&entries[i])
	}
	sortNewestFirst(entries)
	return entries, nil
}

// scanDir returns the backups in dir as the file names describe them (ID,
// Path, CreatedAt, ProjectID), in no particular order. A missing dir has none.
func scanDir(dir, projectID string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var entries []Entry
	for _, de := range des {
		stem, ok := strings.CutSuffix(de.Name(), nameExt)
		if !ok || !de.Type().IsRegular() {
			continue
		}
		ts, id, ok := strings.Cut(stem, "_")
		created, err := time.Parse(nameTimeLayout, ts)
		if !ok || err != nil || id == "" {
			continue
		}
		entries = append(entries, Entry{
			ID:       id,
			Metadata: Metadata{CreatedAt: created, ProjectID: projectID},
			Path:     filepath.Join(dir, de.Name()),
		})
	}
	return entries, nil
}

func sortNewestFirst(entries []Entry) {
	slices.SortFunc(entries, func(a, b Entry) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.Path, a.Path))
	})
}

// Load reads and verifies the backup of a project whose id is idOrPrefix, or
// begins with it (case does not matter). It looks among the backups of the
// store's target first, then among those the project has from other targets
// (Metadata.Target of the backup returned says which). It fails with
// ErrNotFound, ErrAmbiguousID (an *AmbiguousIDError), ErrWrongProject when
// the backup belongs to another project, or the errors of Decode.
func (s *DirStore) Load(projectID, idOrPrefix string) (*Backup, Entry, error) {
	e, err := s.find(projectID, idOrPrefix)
	if err != nil {
		return nil, Entry{}, err
	}
	f, err := os.Open(e.Path)
	if err != nil {
		return nil, Entry{}, fmt.Errorf("load backup: %w", err)
	}
	defer f.Close()
	b, err := Decode(f)
	if err != nil {
		return nil, Entry{}, fmt.Errorf("load backup %s: %w", e.Path, err)
	}
	if got := b.Metadata.ProjectID; got != projectID {
		return nil, Entry{}, fmt.Errorf("load backup %s: %w: it is a backup of project %s, not %s; was the file moved? Load it as a backup of %s",
			e.Path, ErrWrongProject, got, projectID, got)
	}
	if fi, err := f.Stat(); err == nil {
		e.Size = fi.Size()
	}
	e.Metadata = b.Metadata
	e.Status = StatusGood
	return b, e, nil
}

// find returns the one backup of projectID whose id begins with prefix.
func (s *DirStore) find(projectID, prefix string) (Entry, error) {
	dir, err := s.projectDir(projectID)
	if err != nil {
		return Entry{}, fmt.Errorf("load backup: %w", err)
	}
	s.checkPerms(s.root, dir)
	want := strings.ToLower(strings.TrimSpace(prefix))
	if want == "" {
		return Entry{}, fmt.Errorf("load backup: %w: no id given", ErrNotFound)
	}
	entries, err := scanDir(dir, projectID)
	if err != nil {
		return Entry{}, fmt.Errorf("load backup: %w", err)
	}
	matches := slices.DeleteFunc(entries, func(e Entry) bool { return !strings.HasPrefix(e.ID, want) })
	if len(matches) == 0 {
		// A backup the project has from another target, named by its id.
		for _, d := range s.otherTargetDirs(projectID) {
			others, _ := scanDir(d, projectID)
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
			prefix, ErrNotFound, projectID, dir, want)
	}
	for i := range matches {
		verifyEntry(&matches[i])
	}
	sortNewestFirst(matches)
	return Entry{}, &AmbiguousIDError{ProjectID: projectID, Prefix: prefix, Candidates: matches}
}

// projectHolding returns a project other than projectID, of the store's
// target, with a backup whose id begins with prefix, or "".
func (s *DirStore) projectHolding(projectID, prefix string) string {
	folder := filepath.Join(s.root, s.folder)
	des, err := os.ReadDir(folder)
	if err != nil {
		return ""
	}
	for _, de := range des {
		name := de.Name()
		if !de.IsDir() || name == projectID || strings.HasPrefix(name, ".") || reservedFolder(name) {
			continue
		}
		entries, _ := scanDir(filepath.Join(folder, name), name)
		if slices.ContainsFunc(entries, func(e Entry) bool { return strings.HasPrefix(e.ID, prefix) }) {
			return name
		}
	}
	return ""
}

// Prune deletes the backups of a project that policy p does not keep, and
// returns them, newest first. It checks every backup first (see List). A
// good backup is kept when it is among the newest p.KeepLast good backups of
// its target (Metadata.Target) or no older than p.MaxAge by the store's
// clock; a damaged one only while it is no older than p.MaxAge, and an
// unverified one always. Damaged backups never count toward p.KeepLast, so
// the newest good backup is never deleted. In git mode the removal is
// committed. On error, the backups deleted so far are returned with it.
func (s *DirStore) Prune(projectID string, p RetentionPolicy) ([]Entry, error) {
	if p.KeepLast < 1 || p.MaxAge < 0 {
		return nil, fmt.Errorf("prune backups: retention keeps the newest %d and those younger than %v; it must keep at least 1 and the age cannot be negative",
			p.KeepLast, p.MaxAge)
	}
	dir, err := s.projectDir(projectID)
	if err != nil {
		return nil, fmt.Errorf("prune backups: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := context.Background()
	if s.useGit {
		if err := s.ensureRepo(ctx); err != nil {
			return nil, fmt.Errorf("prune backups: %w", err)
		}
	}
	entries, err := s.List(projectID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var removed []Entry
	var errs []error
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
		if err := os.Remove(e.Path); err != nil {
			errs = append(errs, fmt.Errorf("prune backups: %w", err))
			continue
		}
		removed = append(removed, e)
		s.log.Debug("backup pruned", "id", e.ID, "path", e.Path)
	}
	if len(removed) > 0 {
		if err := syncDir(dir); err != nil {
			errs = append(errs, fmt.Errorf("prune backups: %w", err))
		}
		if s.useGit {
			if err := s.commitPrune(ctx, projectID, p, removed); err != nil {
				errs = append(errs, fmt.Errorf("prune backups: removed, but not committed: %w", err))
			}
		}
	}
	return removed, errors.Join(errs...)
}

// projectDir returns the folder of a project's backups of the store's
// target. A project id must be a plain file name: not empty, no separators,
// not starting with a dot, and not the name of a target's folder.
func (s *DirStore) projectDir(projectID string) (string, error) {
	if projectID == "" {
		return "", errors.New("no project id: a backup belongs to a project")
	}
	if !filepath.IsLocal(projectID) || strings.ContainsAny(projectID, `/\`) || strings.HasPrefix(projectID, ".") || reservedFolder(projectID) {
		return "", fmt.Errorf("project id %q cannot name a backup folder", projectID)
	}
	return filepath.Join(s.root, s.folder, projectID), nil
}

// reservedFolder reports a name of the root that holds targets' folders.
func reservedFolder(name string) bool { return name == localFolder || name == urlFolder }
