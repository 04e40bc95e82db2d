package runtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// ConfigFile is the name of the workspace configuration file. The directory
// that holds it is the workspace root.
const ConfigFile = "descope-run.yaml"

// Config is the content of descope-run.yaml: workspace defaults.
type Config struct {
	Backup   BackupConfig             `yaml:"backup"`
	Rate     string                   `yaml:"rate"`
	Projects map[string]ProjectConfig `yaml:"projects"`
	Vars     map[string]any           `yaml:"vars"`
}

// BackupConfig holds the backup defaults.
type BackupConfig struct {
	Dir string `yaml:"dir"`
	// URL is a store URL (s3://, gs://, file://) that holds the backups,
	// the locks and the audit log instead, shared by several machines.
	URL    string `yaml:"url"`
	Keep   int    `yaml:"keep"`
	MaxAge string `yaml:"max_age"`
	Git    bool   `yaml:"git"`
}

// ProjectConfig names a project and the environment variable that holds its
// management key. The key itself never goes in the file.
type ProjectConfig struct {
	ID     string `yaml:"id"`
	KeyEnv string `yaml:"key_env"`
}

// Workspace is a directory tree whose files a config may read. Every read is
// confined to Root and recorded with its digest.
type Workspace struct {
	// Root is the absolute, symlink-free workspace root.
	Root string
	// Config is descope-run.yaml, or the zero Config when there is none.
	Config Config
	// HasConfig reports whether descope-run.yaml exists.
	HasConfig bool

	mu     sync.Mutex
	inputs map[string]string // root-relative path -> hex sha256
}

// A PathError reports a read that the sandbox refused or that failed.
type PathError struct {
	Label  string // as written
	Path   string // root-relative, when resolved
	Reason string
	Err    error
}

func (e *PathError) Error() string {
	if e.Path != "" && e.Path != e.Label {
		return fmt.Sprintf("%s (%s): %s", e.Label, e.Path, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Label, e.Reason)
}

func (e *PathError) Unwrap() error { return e.Err }

// FindRoot returns the workspace root for the script at scriptPath: the
// nearest directory at or above the script's that holds descope-run.yaml,
// else the script's own directory. The result is absolute and free of
// symlinks.
func FindRoot(scriptPath string) (string, error) {
	abs, err := filepath.Abs(scriptPath)
	if err != nil {
		return "", err
	}
	return FindRootFromDir(filepath.Dir(abs))
}

// FindRootFromDir is FindRoot for a directory rather than a script: the
// nearest directory at or above dir that holds descope-run.yaml, else dir.
func FindRootFromDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if dir, err = filepath.EvalSymlinks(abs); err != nil {
		return "", err
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, ConfigFile)); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir, nil
		}
		d = parent
	}
}

// OpenWorkspace opens the workspace rooted at root and reads its
// descope-run.yaml, if any. Unknown keys in the file are errors.
func OpenWorkspace(root string) (*Workspace, error) {
	root, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("open workspace: %w", err)
	}
	w := &Workspace{Root: root, inputs: make(map[string]string)}
	data, err := readRegular(filepath.Join(root, ConfigFile), MaxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return w, nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&w.Config); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w (see the scripts/ example for the keys it accepts)", filepath.Join(root, ConfigFile), err)
	}
	w.HasConfig = true
	w.record(ConfigFile, data)
	return w, nil
}

// Resolve turns a label written in the module at root-relative path from
// into a root-relative path. "//a/b" is relative to the root; anything else
// to from's directory. Absolute paths and ".." are refused.
func (w *Workspace) Resolve(from, label string) (string, error) {
	refuse := func(reason string) error { return &PathError{Label: label, Reason: reason} }
	var rel string
	switch {
	case label == "":
		return "", refuse("empty path")
	case strings.HasPrefix(label, "//"):
		rel = label[2:]
	case strings.HasPrefix(label, "/") || filepath.IsAbs(label) || filepath.VolumeName(label) != "":
		return "", refuse("absolute paths are not allowed; name files inside the workspace, from its root as \"//path\"")
	default:
		rel = path.Join(path.Dir(from), label)
	}
	if strings.Contains(label, "\\") {
		return "", refuse("use '/' to separate path elements")
	}
	for _, seg := range strings.Split(label, "/") {
		if seg == ".." {
			return "", refuse(fmt.Sprintf("\"..\" is not allowed: configs may not read outside the workspace %s; name files from the root as \"//path\"", w.Root))
		}
	}
	rel = path.Clean(rel)
	if rel == "." || rel == "" {
		return "", refuse("names the workspace root, not a file")
	}
	return rel, nil
}

// Read implements builtins.Files: it resolves label, checks that the file
// (after following symlinks) lies inside the root, reads it and records its
// digest.
func (w *Workspace) Read(from, label string) (string, []byte, error) {
	rel, err := w.Resolve(from, label)
	if err != nil {
		return "", nil, err
	}
	data, err := w.ReadPath(rel)
	if err != nil {
		var pe *PathError
		if errors.As(err, &pe) {
			pe.Label = label
		}
		return rel, nil, err
	}
	return rel, data, nil
}

// ReadPath reads the file at root-relative path rel, confined to the root,
// and records its digest.
func (w *Workspace) ReadPath(rel string) ([]byte, error) {
	full := filepath.Join(w.Root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &PathError{Label: rel, Path: rel, Reason: "no such file in the workspace", Err: err}
		}
		return nil, &PathError{Label: rel, Path: rel, Reason: err.Error(), Err: err}
	}
	if real != w.Root && !strings.HasPrefix(real, w.Root+string(filepath.Separator)) {
		return nil, &PathError{Label: rel, Path: rel, Reason: "is a symlink that leaves the workspace; copy the file into the workspace instead"}
	}
	data, err := readRegular(real, MaxFileSize)
	if err != nil {
		reason := err.Error()
		var fe *fileError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			reason = "no such file in the workspace"
		case errors.As(err, &fe):
			reason = fe.reason
		}
		return nil, &PathError{Label: rel, Path: rel, Reason: reason, Err: err}
	}
	w.record(rel, data)
	return data, nil
}

// MaxFileSize is the largest file a config may read: a flow document or a
// data file is far smaller; a bigger one is most likely the wrong file.
const MaxFileSize = 64 << 20

// fileError is a file that readRegular refuses to read.
type fileError struct{ reason string }

func (e *fileError) Error() string { return e.reason }

// readRegular reads the regular file at path, of at most limit bytes.
// Anything else is refused before it is opened: a FIFO or a device would
// block or never end.
func readRegular(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &fileError{reason: "is " + fileKind(info.Mode()) + ", not a regular file: configs read regular files only"}
	}
	tooLarge := &fileError{reason: fmt.Sprintf("is larger than %s, the most a config may read", FormatBytes(uint64(limit)))}
	if info.Size() > limit {
		return nil, tooLarge
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge
	}
	return data, nil
}

// fileKind names the kind of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

func (w *Workspace) record(rel string, data []byte) {
	sum := sha256.Sum256(data)
	w.mu.Lock()
	w.inputs[rel] = hex.EncodeToString(sum[:])
	w.mu.Unlock()
}

// Inputs returns the digest of every file read so far, by root-relative path.
func (w *Workspace) Inputs() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]string, len(w.inputs))
	for k, v := range w.inputs {
		out[k] = v
	}
	return out
}

// Inputs is the record of everything an evaluation read: files and vars.
type Inputs struct {
	Files map[string]string `json:"files"` // root-relative path -> sha256
	Vars  string            `json:"vars"`  // sha256 of the canonical vars
}

// Digest returns one sha256 over every input, in sorted order.
func (in Inputs) Digest() string {
	keys := make([]string, 0, len(in.Files))
	for k := range in.Files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "file %s %s\n", k, in.Files[k])
	}
	fmt.Fprintf(h, "vars %s\n", in.Vars)
	return hex.EncodeToString(h.Sum(nil))
}
