package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// store URLs
	_ "gocloud.dev/blob/gcsblob"  // gs:// store URLs
	_ "gocloud.dev/blob/s3blob"   // s3:// store URLs
	"gocloud.dev/gcerrors"
)

// Folders under a BlobStore's prefix. Backups are laid out under
// backupsFolder as a DirStore lays them out under its root.
const (
	backupsFolder = "backups"
	locksFolder   = "locks"
	auditFolder   = "audit"
)

// BlobStore keeps backups in object storage, under the prefix of a store
// URL opened with gocloud.dev/blob (see OpenBlobStore), so that several
// machines share them:
//
//	<prefix>/backups/[local/|url/<host>/]<project-id>/<created>_<id>.json
//
// the same layout as a DirStore's under its root. Beside the backups, the
// prefix holds the objects other parts of descope-run keep there, through
// CreateObject and its siblings: the lock of each project and the audit
// log. A BlobStore is safe for concurrent use. Close it when done.
type BlobStore struct {
	shelf
	objects
}

var _ Store = (*BlobStore)(nil)

// objects is a BlobStore's access to its bucket: every key is under the
// store's prefix.
type objects struct {
	ctx    context.Context // bounds the calls of the methods that take none
	bucket *blob.Bucket    // prefixed with the store URL's path
	// location is the store URL as it is shown: no query, no user info.
	location string
	// dir is the directory of a file:// store, where exclusive creates
	// are made by hand (fileblob's own check is not atomic across
	// processes).
	dir string
}

// OpenBlobStore opens the store at rawURL:
//
//	s3://bucket/prefix?region=eu-west-1      Amazon S3; S3-compatible servers with endpoint= (and use_path_style=true)
//	gs://bucket/prefix                       Google Cloud Storage
//	file:///absolute/dir                     a directory, which may be shared (NFS, SMB)
//
// The query takes the parameters of gocloud.dev's s3blob, gcsblob and
// fileblob URL openers. Credentials come from the cloud SDKs' usual chains
// (environment, shared profile, instance or workload identity), never from
// the URL: a URL with user info is refused. ctx bounds the calls of the
// store's methods that take no context (List, Load, Prune); Write and the
// object methods take their own. WithGit is refused: git history is for
// backup directories.
func OpenBlobStore(ctx context.Context, rawURL string, opts ...Option) (*BlobStore, error) {
	o := newOptions(opts)
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold what should not be printed
		}
		return nil, fmt.Errorf("backup store URL: %v; want s3://bucket/prefix, gs://bucket/prefix or file:///dir", err)
	}
	shown := Redact(rawURL)
	if o.git {
		return nil, fmt.Errorf("backup store %s: git history is kept only for a backup directory; turn backup.git off, or use backup.dir", shown)
	}
	if ep, err := url.Parse(u.Query().Get("endpoint")); u.User != nil || err == nil && ep.User != nil {
		return nil, fmt.Errorf("backup store %s: the URL holds user info; credentials are not given in the store URL but by the cloud's own means (AWS_PROFILE or AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS, an instance role)", shown)
	}
	if u.Query().Has("prefix") {
		return nil, fmt.Errorf("backup store %s: give the prefix as the URL's path (s3://bucket/prefix), not as prefix=", shown)
	}
	var ob objects
	open := *u
	prefix := ""
	switch u.Scheme {
	case "s3", "gs":
		if u.Host == "" {
			return nil, fmt.Errorf("backup store %s: no bucket; write %s://bucket/prefix", shown, u.Scheme)
		}
		prefix = strings.Trim(u.Path, "/")
		open.Path, open.RawPath = "", ""
		ob.location = u.Scheme + "://" + path.Join(u.Host, prefix)
	case "file":
		if u.Host != "" && u.Host != "localhost" || !strings.HasPrefix(u.Path, "/") {
			return nil, fmt.Errorf("backup store %s: write file:///absolute/dir", shown)
		}
		ob.dir = filepath.FromSlash(u.Path)
		if len(ob.dir) > 2 && ob.dir[0] == '\\' && ob.dir[2] == ':' { // file:///C:/dir on Windows
			ob.dir = ob.dir[1:]
		}
		q := open.Query()
		for k, v := range map[string]string{"create_dir": "true", "no_tmp_dir": "true", "metadata": "skip"} {
			if !q.Has(k) {
				q.Set(k, v)
			}
		}
		open.RawQuery = q.Encode()
		ob.location = ob.dir
	default:
		return nil, fmt.Errorf("backup store %s: scheme %q is not one descope-run opens; want s3://bucket/prefix, gs://bucket/prefix or file:///dir", shown, u.Scheme)
	}
	b, err := blob.OpenBucket(ctx, open.String())
	if err != nil {
		return nil, fmt.Errorf("backup store %s: %s", shown, redactIn(err.Error(), rawURL, open.String()))
	}
	if prefix != "" {
		b = blob.PrefixedBucket(b, prefix+"/")
	}
	ob.ctx, ob.bucket = ctx, b
	sh, err := newShelf(blobTree{ob}, o)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("backup store %s: %w", shown, err)
	}
	return &BlobStore{shelf: sh, objects: ob}, nil
}

// Redact returns a store URL as descope-run shows it: without user info
// and query, which may hold what should not be printed.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(a store URL that does not parse)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// redactIn replaces the URLs in msg by their redacted form.
func redactIn(msg string, urls ...string) string {
	for _, u := range urls {
		msg = strings.ReplaceAll(msg, u, Redact(u))
	}
	return msg
}

// Location returns the store URL without its query.
func (s *BlobStore) Location() string { return s.location }

// Close releases the store's connections.
func (s *BlobStore) Close() error { return s.bucket.Close() }

// Folder returns the folder of the store's target under each of the
// prefix's folders ("" for Descope's service, "local", "url/<host>"): the
// lock and the audit log of a project are kept per target as its backups
// are.
func (s *BlobStore) Folder() string { return s.folder }

// Write stores b under its project (b.Metadata.ProjectID) and returns its
// entry, as DirStore.Write does: the object appears whole or not at all,
// and is created only if no object has its name, so that two machines
// never overwrite each other's backup.
func (s *BlobStore) Write(ctx context.Context, b *Backup) (Entry, error) {
	dir, err := s.prepare(b)
	if err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, b); err != nil {
		return Entry{}, fmt.Errorf("write backup: %w", err)
	}
	for range 4 {
		id, err := s.uniqueID(dir)
		if err != nil {
			return Entry{}, fmt.Errorf("write backup: %w", err)
		}
		name := dir + "/" + fileName(b.Metadata.CreatedAt, id)
		err = s.CreateObject(ctx, backupsFolder+"/"+name, buf.Bytes())
		if errors.Is(err, fs.ErrExist) {
			continue // another machine took the name a moment ago
		}
		if err != nil {
			return Entry{}, fmt.Errorf("write backup: %w", err)
		}
		e := Entry{ID: id, Metadata: b.Metadata, Path: s.URL(backupsFolder + "/" + name), Size: int64(buf.Len()), name: name}
		s.log.Debug("backup written", "id", id, "path", e.Path, "bytes", e.Size)
		return e, nil
	}
	return Entry{}, fmt.Errorf("write backup: the names tried in %s were all taken", s.URL(backupsFolder+"/"+dir))
}

// List returns the backups of a project, newest first, each one read and
// checked as DirStore.List does.
func (s *BlobStore) List(projectID string) ([]Entry, error) { return s.list(projectID) }

// Load reads and verifies a backup as DirStore.Load does.
func (s *BlobStore) Load(projectID, idOrPrefix string) (*Backup, Entry, error) {
	return s.load(projectID, idOrPrefix)
}

// Prune deletes the backups of a project that p does not keep, and returns
// them, as DirStore.Prune does.
func (s *BlobStore) Prune(projectID string, p RetentionPolicy) ([]Entry, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return s.prune(projectID, p)
}

// URL names the object at key (relative to the prefix) in messages.
func (o objects) URL(key string) string {
	if o.dir != "" {
		return filepath.Join(o.dir, filepath.FromSlash(key))
	}
	return o.location + "/" + key
}

// CreateObject writes data at key (relative to the store's prefix) only if
// no object is there: S3's If-None-Match: *, GCS's ifGenerationMatch=0, a
// hard link for a file:// store (atomic across processes and on NFS). It
// fails with an error wrapping fs.ErrExist when the object exists, or was
// being created by another writer at the same moment.
func (o objects) CreateObject(ctx context.Context, key string, data []byte) error {
	if o.dir != "" {
		return o.createFile(key, data)
	}
	err := o.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: "application/json", IfNotExist: true})
	if gcerrors.Code(err) == gcerrors.FailedPrecondition || conflicted(err) {
		return fmt.Errorf("create %s: %w", o.URL(key), fs.ErrExist)
	}
	return o.wrap("create", key, err)
}

// conflicted reports S3's answer to conditional writes of one key at the
// same moment (409 ConditionalRequestConflict): one of them may win, so
// the caller reads what is there, as after a failed precondition.
func conflicted(err error) bool {
	var coded interface{ ErrorCode() string }
	return errors.As(err, &coded) && coded.ErrorCode() == "ConditionalRequestConflict"
}

// createFile creates the file of key in a file:// store with its whole
// content, or fails with fs.ErrExist: it writes a temporary file beside it,
// then links it to its name, which the system does only if the name is
// free.
func (o objects) createFile(key string, data []byte) error {
	name := filepath.Join(o.dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		return o.wrap("create", key, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return o.wrap("create", key, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), name)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", o.URL(key), fs.ErrExist)
	}
	return o.wrap("create", key, err)
}

// ReadObject reads the object at key; it fails with an error wrapping
// fs.ErrNotExist when there is none.
func (o objects) ReadObject(ctx context.Context, key string) ([]byte, error) {
	data, err := o.bucket.ReadAll(ctx, key)
	return data, o.wrap("read", key, err)
}

// WriteObject writes data at key, replacing any object there.
func (o objects) WriteObject(ctx context.Context, key string, data []byte) error {
	return o.wrap("write", key, o.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: "application/json"}))
}

// DeleteObject deletes the object at key; it fails with an error wrapping
// fs.ErrNotExist when there is none.
func (o objects) DeleteObject(ctx context.Context, key string) error {
	return o.wrap("delete", key, o.bucket.Delete(ctx, key))
}

// ListObjects returns the keys of the objects whose keys start with
// prefix (relative to the store's prefix), in key order.
func (o objects) ListObjects(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	it := o.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return keys, nil
		}
		if err != nil {
			return keys, o.wrap("list", prefix, err)
		}
		keys = append(keys, obj.Key)
	}
}

// wrap gives err the key's URL and makes a missing object fs.ErrNotExist.
func (o objects) wrap(op, key string, err error) error {
	switch {
	case err == nil:
		return nil
	case gcerrors.Code(err) == gcerrors.NotFound || errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: %w", op, o.URL(key), fs.ErrNotExist)
	case gcerrors.Code(err) == gcerrors.PermissionDenied:
		return fmt.Errorf("%s %s: permission denied; check the credentials the cloud SDK found (AWS_PROFILE, AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS) and their rights on the bucket: %w", op, o.URL(key), err)
	}
	return fmt.Errorf("%s %s: %w", op, o.URL(key), err)
}

// blobTree is a BlobStore's backups: the objects under backups/.
type blobTree struct{ o objects }

func (t blobTree) key(name string) string { return path.Join(backupsFolder, name) }

func (t blobTree) readDir(dir string) (files, dirs []string, err error) {
	prefix := t.key(dir) + "/"
	it := t.o.bucket.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	for {
		obj, err := it.Next(t.o.ctx)
		if err == io.EOF {
			return files, dirs, nil
		}
		if err != nil {
			return nil, nil, t.o.wrap("list", prefix, err)
		}
		name := strings.TrimPrefix(obj.Key, prefix)
		if obj.IsDir {
			dirs = append(dirs, strings.TrimSuffix(name, "/"))
		} else {
			files = append(files, name)
		}
	}
}

func (t blobTree) readFile(name string) ([]byte, error) { return t.o.ReadObject(t.o.ctx, t.key(name)) }

func (t blobTree) remove(name string) error { return t.o.DeleteObject(t.o.ctx, t.key(name)) }

func (t blobTree) where(name string) string { return t.o.URL(t.key(name)) }
