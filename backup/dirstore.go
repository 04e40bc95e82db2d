package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// rootLocks holds a mutex per store root, shared by every DirStore of this
// process on that root: it serializes id choice, renames and git commands.
var rootLocks sync.Map

// DirStore keeps backups in a directory tree, one folder per project (see
// the package documentation for the layout). It is safe for concurrent use,
// and several DirStores may share a root. Backups written concurrently by
// separate processes get distinct files; their ids are random (40 bits), so
// they collide with negligible probability. Make one with NewDirStore.
type DirStore struct {
	shelf
	root   string
	useGit bool

	mu *sync.Mutex // shared by the root's stores; guards gitPath
	// gitPath is the git executable, once the root is a repository ready for
	// commits.
	gitPath string
}

var _ Store = (*DirStore)(nil)

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
	o := newOptions(opts)
	sh, err := newShelf(dirTree(abs), o)
	if err != nil {
		return nil, fmt.Errorf("backup store %s: %w", root, err)
	}
	mu, _ := rootLocks.LoadOrStore(abs, new(sync.Mutex))
	return &DirStore{shelf: sh, root: abs, useGit: o.git, mu: mu.(*sync.Mutex)}, nil
}

// Root returns the store's root directory, as an absolute path.
func (s *DirStore) Root() string { return s.root }

// Location returns the store's root directory.
func (s *DirStore) Location() string { return s.root }

// path returns the file or folder of the slash-separated name under the root.
func (s *DirStore) path(name string) string { return dirTree(s.root).where(name) }

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
	name, err := s.prepare(b)
	if err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	dir := s.path(name)
	s.checkPerms(s.root, dir)
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
	id, err := s.uniqueID(name)
	if err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	rel := name + "/" + fileName(b.Metadata.CreatedAt, id)
	path := s.path(rel)
	if err := os.Rename(tmp, path); err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	placed = true
	e := Entry{ID: id, Metadata: b.Metadata, Path: path, Size: size, name: rel}
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

// prepare readies b to be written by the store: it records the store's
// target (refusing a backup of another one) and dates it. It returns the
// folder of the project's backups.
func (s *shelf) prepare(b *Backup) (string, error) {
	dir, err := s.projectDir(b.Metadata.ProjectID)
	if err != nil {
		return "", err
	}
	if s.target != "" {
		switch b.Metadata.Target {
		case "":
			b.Metadata.Target = s.target
		case s.target:
		default:
			return "", fmt.Errorf("it was read from %s, but the store keeps the backups of %s", b.Metadata.Target, s.target)
		}
	}
	if b.Metadata.CreatedAt.IsZero() {
		b.Metadata.CreatedAt = s.now()
	}
	b.Metadata.CreatedAt = b.Metadata.CreatedAt.UTC() // as Encode writes it, for the file name
	return dir, nil
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

// List returns the backups of a project, newest first, each one checked: it
// reads every file whole and sets each entry's Status (and Err when the
// backup is not good). A project without backups has an empty list.
func (s *DirStore) List(projectID string) ([]Entry, error) {
	s.checkProjectPerms(projectID)
	return s.list(projectID)
}

// Load reads and verifies the backup of a project whose id is idOrPrefix, or
// begins with it (case does not matter). It looks among the backups of the
// store's target first, then among those the project has from other targets
// (Metadata.Target of the backup returned says which). It fails with
// ErrNotFound, ErrAmbiguousID (an *AmbiguousIDError), ErrWrongProject when
// the backup belongs to another project, or the errors of Decode.
func (s *DirStore) Load(projectID, idOrPrefix string) (*Backup, Entry, error) {
	s.checkProjectPerms(projectID)
	return s.load(projectID, idOrPrefix)
}

// checkProjectPerms reports the root and the project's folder when others
// can write to them (see checkPerms).
func (s *DirStore) checkProjectPerms(projectID string) {
	if dir, err := s.projectDir(projectID); err == nil {
		s.checkPerms(s.root, s.path(dir))
	}
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
	if err := p.check(); err != nil {
		return nil, err
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
	s.checkProjectPerms(projectID)
	removed, err := s.prune(projectID, p)
	errs := []error{err}
	if len(removed) > 0 {
		if err := syncDir(s.path(dir)); err != nil {
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

// dirTree is a DirStore's files: the directory tree under an absolute root.
type dirTree string

func (d dirTree) readDir(dir string) (files, dirs []string, err error) {
	des, err := os.ReadDir(d.where(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for _, de := range des {
		switch {
		case de.IsDir():
			dirs = append(dirs, de.Name())
		case de.Type().IsRegular():
			files = append(files, de.Name())
		}
	}
	return files, dirs, nil
}

func (d dirTree) readFile(name string) ([]byte, error) { return os.ReadFile(d.where(name)) }

func (d dirTree) remove(name string) error { return os.Remove(d.where(name)) }

func (d dirTree) where(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }
