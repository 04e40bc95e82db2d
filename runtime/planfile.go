package runtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/descope-run/descope-run/descope"
)

// PlanFileVersion is the format version of saved plans. Format 1 had no
// header and no checksum; it is refused with a request to plan again.
const PlanFileVersion = 2

// planMagic starts the header line of a saved plan:
//
//	descope-run-plan/2 sha256:<hex of the body> <length of the body>
//
// followed by a newline and the body, the SavedPlan as indented JSON. The
// header says, from the content alone, that a file is a saved plan, in which
// format, and whether it arrived whole and unedited.
const planMagic = "descope-run-plan/"

// SavedPlan is a plan written by plan -out: the desired state it was made
// for, the fingerprint of the live objects it read, the changes it showed,
// the inputs' digest, the target project and the tool version. Apply re-reads
// the project and refuses the plan when the fingerprint no longer matches, or
// when the desired state no longer gives the changes it showed (Ref).
type SavedPlan struct {
	FormatVersion int       `json:"format_version"`
	ToolVersion   string    `json:"tool_version"`
	CreatedAt     time.Time `json:"created_at"`
	ProjectID     string    `json:"project_id"`
	Target        string    `json:"target"`
	// Workspace is the workspace root, relative to the directory that holds
	// the plan file (slash-separated), so that a plan moves with its
	// checkout: from one CI job to the next, say. WritePlanFile accepts an
	// absolute root and stores it relative. Script is the entry script,
	// relative to the root.
	Workspace    string            `json:"workspace"`
	Script       string            `json:"script"`
	Fingerprint  string            `json:"fingerprint"`
	InputsDigest string            `json:"inputs_digest"`
	Inputs       map[string]string `json:"inputs"`
	Desired      *descope.State    `json:"desired"`
	// RotateSecrets records plan --rotate-secrets: applying the plan sends
	// the secrets again, as it showed.
	RotateSecrets bool `json:"rotate_secrets,omitempty"`
	// Changes are the changes the plan showed, in its order (ChangesOf).
	Changes []SavedChange `json:"changes"`
	// Summary repeats the plan's counts for people reading the file.
	Summary map[string]int `json:"summary"`

	// path is the file the plan was read from, as the user named it.
	path string
}

// SavedChange is one change of a saved plan, as people reading the file
// see it: what, which action, and the paths of the fields it changes; Digest
// covers the fields' before and after values too.
type SavedChange struct {
	ID     string         `json:"id"`
	Action descope.Action `json:"action"`
	Fields []string       `json:"fields,omitempty"`
	Digest string         `json:"digest"`
}

// ChangesOf returns the changes of p as a saved plan lists them.
func ChangesOf(p *descope.Plan) ([]SavedChange, error) {
	type field struct {
		Path          string
		Before, After any
	}
	saved := make([]SavedChange, len(p.Changes))
	for i, c := range p.Changes {
		saved[i] = SavedChange{ID: c.ID, Action: c.Action}
		full := make([]field, len(c.Fields))
		for j, f := range c.Fields {
			saved[i].Fields = append(saved[i].Fields, f.Path)
			full[j] = field{f.Path, f.Before, f.After}
		}
		b, err := json.Marshal(full)
		if err != nil {
			return nil, fmt.Errorf("digest the changes of %s: %w", c.ID, err)
		}
		sum := sha256.Sum256(b)
		saved[i].Digest = hex.EncodeToString(sum[:])
	}
	return saved, nil
}

// WritePlanFile writes sp, with the changes of p, to path (0600,
// atomically). sp.Workspace may be absolute; it is stored relative to the
// plan file's directory.
func WritePlanFile(path string, sp *SavedPlan, p *descope.Plan) error {
	sp.FormatVersion = PlanFileVersion
	var err error
	if sp.Changes, err = ChangesOf(p); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	add, change, destroy := p.Summary()
	sp.Summary = map[string]int{"add": add, "change": change, "delete": destroy}
	if filepath.IsAbs(sp.Workspace) {
		dir, err := filepath.Abs(filepath.Dir(path))
		if err != nil {
			return fmt.Errorf("save plan: %w", err)
		}
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real
		}
		rel, err := filepath.Rel(dir, sp.Workspace)
		if err != nil {
			return fmt.Errorf("save plan %s: the workspace %s cannot be named from the plan's directory: %w", path, sp.Workspace, err)
		}
		sp.Workspace = filepath.ToSlash(rel)
	}
	body, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	data := fmt.Appendf(nil, "%s%d sha256:%s %d\n", planMagic, PlanFileVersion, hex.EncodeToString(sum[:]), len(body))
	data = append(data, body...)

	tmp, err := os.CreateTemp(filepath.Dir(path), ".plan-*")
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	return nil
}

// A PlanFileError is a file given to apply that is not a usable saved plan:
// truncated, damaged, in a format this version does not read, or not a plan
// (nor a config) at all.
type PlanFileError struct {
	Path    string
	Problem string
}

func (e *PlanFileError) Error() string { return e.Path + ": " + e.Problem }

// ReadPlanFile reads the saved plan at path. What the file is, is decided by
// its content: a saved plan starts with its header line. ok is false, with no
// error, when the file is not a saved plan and may be a config (or cannot be
// read: the config's evaluation reports that). A damaged, truncated or
// foreign file is a *PlanFileError; a plan edited since plan -out wrote it is
// a *PlanEditedError.
func ReadPlanFile(path string) (sp *SavedPlan, ok bool, err error) {
	// Only a regular file is read: a FIFO would block.
	if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
		return nil, false, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, nil
	}
	fail := func(format string, args ...any) (*SavedPlan, bool, error) {
		return nil, true, &PlanFileError{Path: path, Problem: fmt.Sprintf(format, args...)}
	}
	if !bytes.HasPrefix(data, []byte(planMagic)) {
		if len(data) > 0 && strings.HasPrefix(planMagic, string(data)) {
			return fail("truncated: a saved plan cut off in its first line (copy it again from where plan -out wrote it, or make the plan again)")
		}
		return nil, false, foreign(path, data)
	}
	header, body, found := bytes.Cut(data, []byte{'\n'})
	if !found {
		return fail("truncated: a saved plan cut off in its first line (copy it again from where plan -out wrote it, or make the plan again)")
	}
	fields := strings.Fields(string(header[len(planMagic):]))
	if len(fields) != 3 || !strings.HasPrefix(fields[1], "sha256:") {
		return fail("damaged: its first line %q is not a descope-run plan header (make the plan again)", header)
	}
	version, verr := strconv.Atoi(fields[0])
	size, serr := strconv.Atoi(fields[2])
	if verr != nil || serr != nil || version < 1 || size < 0 {
		return fail("damaged: its first line %q is not a descope-run plan header (make the plan again)", header)
	}
	if version > PlanFileVersion {
		return fail("a saved plan in format %d, made by a newer descope-run; this one reads format %d: apply it with the version that made it, or make the plan again",
			version, PlanFileVersion)
	}
	switch {
	case len(body) < size:
		return fail("truncated: it holds %d of the plan's %d bytes (copy it again from where plan -out wrote it, or make the plan again)", len(body), size)
	case len(body) > size:
		return fail("damaged: %d bytes follow the end of the plan (make the plan again)", len(body)-size)
	}
	sum := sha256.Sum256(body)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != fields[1] {
		return nil, true, &PlanEditedError{Plan: path, Detail: fmt.Sprintf("it changed after plan -out wrote it (its content hashes to %s, its header says %s)", got, fields[1])}
	}
	sp = &SavedPlan{path: path}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(sp); err != nil {
		return fail("damaged: %v (make the plan again)", err)
	}
	if sp.FormatVersion != version {
		return fail("damaged: its header says format %d, its content %d (make the plan again)", version, sp.FormatVersion)
	}
	if sp.Desired == nil {
		return fail("damaged: it holds no desired state (make the plan again)")
	}
	return sp, true, nil
}

// foreign explains why data, which does not start with a plan header, is not
// a config either, or returns nil when it may be one.
func foreign(path string, data []byte) error {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n")
	switch {
	case bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data):
		return &PlanFileError{Path: path, Problem: "neither a plan saved by descope-run plan -out nor a config: it holds binary data (a plan file of another tool?)"}
	case len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['):
		var v1 struct {
			FormatVersion any             `json:"format_version"`
			Desired       json.RawMessage `json:"desired"`
		}
		if json.Unmarshal(data, &v1) == nil && v1.FormatVersion == float64(1) && v1.Desired != nil {
			return &PlanFileError{Path: path, Problem: fmt.Sprintf("a saved plan in format 1, which has no checksum: make the plan again with this descope-run (it writes format %d)", PlanFileVersion)}
		}
		return &PlanFileError{Path: path, Problem: "a JSON document, neither a plan saved by descope-run plan -out (which starts with a \"" + planMagic + "\" line) nor a config"}
	}
	return nil
}

// Path returns the file the plan was read from.
func (sp *SavedPlan) Path() string { return sp.path }

// OpenWorkspace opens the workspace the plan was made in: sp.Workspace,
// relative to the plan file's directory. It says so when that directory is
// not the plan's workspace: missing, without the plan's script, or with
// another descope-run.yaml (which chooses the target, the pace and the
// backups).
func (sp *SavedPlan) OpenWorkspace() (*Workspace, error) {
	dir, err := filepath.Abs(filepath.Dir(sp.path))
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", sp.path, err)
	}
	root := filepath.Join(dir, filepath.FromSlash(sp.Workspace))
	mismatch := func(why string) error {
		return &WorkspaceMismatchError{Plan: sp.path, Workspace: sp.Workspace, Dir: root, Why: why}
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return nil, mismatch("is not a directory")
	}
	ws, err := OpenWorkspace(root)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", sp.path, err)
	}
	if info, err := os.Stat(filepath.Join(ws.Root, filepath.FromSlash(sp.Script))); err != nil || !info.Mode().IsRegular() {
		return nil, mismatch(fmt.Sprintf("holds no %s, the plan's script", sp.Script))
	}
	want, planned := sp.Inputs[ConfigFile]
	got, here := ws.Inputs()[ConfigFile]
	switch {
	case planned && !here:
		return nil, mismatch("has no " + ConfigFile)
	case !planned && here:
		return nil, mismatch("has a " + ConfigFile + " the plan was not made with")
	case want != got:
		return nil, mismatch("has another " + ConfigFile + " than the plan was made with")
	}
	return ws, nil
}

// Ref returns what Apply needs of the saved plan to refuse it for another
// project, a live project that changed since, or a desired state that no
// longer gives the changes it showed.
func (sp *SavedPlan) Ref() *SavedRef {
	return &SavedRef{File: sp.path, ProjectID: sp.ProjectID, Fingerprint: sp.Fingerprint, Changes: sp.Changes}
}

// checkChanges refuses p, a new plan of a saved plan's desired state
// against the live objects it was made from, when its changes are not the
// ones the saved plan showed: the desired state was edited.
func (s *SavedRef) checkChanges(p *descope.Plan) error {
	if s.Changes == nil {
		return nil
	}
	changes, err := ChangesOf(p)
	if err != nil {
		return err
	}
	if slices.EqualFunc(changes, s.Changes, SavedChange.equal) {
		return nil
	}
	return &PlanEditedError{Plan: s.File, Detail: fmt.Sprintf("it showed %s, but its desired state gives %s (%s)",
		summary(s.Changes), summary(changes), changesDiff(s.Changes, changes))}
}

// summary counts changes as a plan's last line does.
func summary(cs []SavedChange) string {
	var add, change, destroy int
	for _, c := range cs {
		switch c.Action {
		case descope.ActionCreate:
			add++
		case descope.ActionUpdate:
			change++
		case descope.ActionDelete:
			destroy++
		case descope.ActionReplace:
			add++
			destroy++
		}
	}
	return fmt.Sprintf("%d to add, %d to change, %d to delete", add, change, destroy)
}

// PlanEditedError is a saved plan whose content changed after plan -out
// wrote it: its checksum does not match, or its desired state no longer
// gives the changes it showed.
type PlanEditedError struct {
	// Plan names the saved plan; Detail says what does not match.
	Plan, Detail string
}

// Refusal says what does not match.
func (e *PlanEditedError) Refusal() (string, string) {
	return fmt.Sprintf("plan %s is not the plan that was shown: %s", e.Plan, e.Detail),
		"a saved plan is applied exactly as it was shown: make a new plan with plan -out and review it, rather than editing one"
}

func (e *PlanEditedError) Error() string { return refusalText(e) }

// WorkspaceMismatchError is a saved plan applied where its workspace is
// not: the directory it names (relative to the plan file) is missing, lacks
// the plan's script, or has another descope-run.yaml, which chooses the
// target, the pace and the backups.
type WorkspaceMismatchError struct {
	// Plan names the saved plan, Workspace the workspace it names and Dir
	// where that is from here; Why says what does not match.
	Plan, Workspace, Dir, Why string
}

// Refusal says where the workspace was looked for.
func (e *WorkspaceMismatchError) Refusal() (string, string) {
	return fmt.Sprintf("plan %s names its workspace %q (relative to the plan file), but %s %s", e.Plan, e.Workspace, e.Dir, e.Why),
		"apply a plan from a checkout of the workspace it was made in, with the plan file where plan -out wrote it relative to the workspace, or make the plan again here"
}

func (e *WorkspaceMismatchError) Error() string { return refusalText(e) }

func (c SavedChange) equal(o SavedChange) bool {
	return c.ID == o.ID && c.Action == o.Action && slices.Equal(c.Fields, o.Fields) && c.Digest == o.Digest
}

// changesDiff names the changes that differ between what a plan showed and
// what its desired state gives now.
func changesDiff(shown, now []SavedChange) string {
	byID := func(cs []SavedChange) map[string]SavedChange {
		m := make(map[string]SavedChange, len(cs))
		for _, c := range cs {
			m[c.ID] = c
		}
		return m
	}
	was, is := byID(shown), byID(now)
	var parts []string
	for _, c := range now {
		o, ok := was[c.ID]
		switch {
		case !ok:
			parts = append(parts, fmt.Sprintf("%s %s was not shown", c.ID, c.Action))
		case !o.equal(c):
			parts = append(parts, fmt.Sprintf("%s differs", c.ID))
		}
	}
	for _, c := range shown {
		if _, ok := is[c.ID]; !ok {
			parts = append(parts, fmt.Sprintf("%s %s is gone", c.ID, c.Action))
		}
	}
	if len(parts) == 0 {
		return "its changes come in another order"
	}
	const most = 5
	if len(parts) > most {
		parts = append(parts[:most], fmt.Sprintf("and %d more", len(parts)-most))
	}
	return strings.Join(parts, "; ")
}
