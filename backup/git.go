package backup

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// gitIdentity is the committer set in the repository when git has none.
var gitIdentity = [][2]string{{"user.name", "descope-run"}, {"user.email", "descope-run@localhost"}}

// gitEnvOverrides are variables that would point git at another repository
// (set, for example, when descope-run runs from a git hook).
var gitEnvOverrides = []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR", "GIT_NAMESPACE"}

// ensureRepo makes the root a git repository ready for commits. The caller
// holds s.mu.
func (s *DirStore) ensureRepo(ctx context.Context) error {
	if s.gitPath != "" {
		return nil
	}
	git, err := exec.LookPath("git")
	if err != nil {
		return fmt.Errorf("backup history in git is on, but git cannot be run (%w); install git, or turn backup.git off in descope-run.yaml", err)
	}
	if err := os.MkdirAll(s.root, 0o700); err != nil {
		return err
	}
	switch _, err := os.Stat(filepath.Join(s.root, ".git")); {
	case errors.Is(err, fs.ErrNotExist):
		if _, err := runGit(ctx, git, s.root, "init", "-q"); err != nil {
			return err
		}
		s.log.Debug("backup git repository created", "root", s.root)
	case err != nil:
		return err
	}
	for _, kv := range gitIdentity {
		_, err := runGit(ctx, git, s.root, "config", "--get", kv[0])
		if exitErr, ok := errors.AsType[*exec.ExitError](err); ok && exitErr.ExitCode() == 1 {
			_, err = runGit(ctx, git, s.root, "config", kv[0], kv[1])
		}
		if err != nil {
			return err
		}
	}
	s.gitPath = git
	return nil
}

// commitWrite commits the file of a new backup. The caller holds s.mu.
func (s *DirStore) commitWrite(ctx context.Context, e Entry) error {
	rel, err := s.rel(e.Path)
	if err != nil {
		return err
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s: backup %s of project %s", cmp.Or(e.Operation, "backup"), e.ID, e.ProjectID)
	if e.User != "" {
		fmt.Fprintf(&msg, " by %s", e.User)
	}
	msg.WriteString("\n\n")
	if e.Reason != "" {
		fmt.Fprintf(&msg, "Reason: %s\n", e.Reason)
	}
	fmt.Fprintf(&msg, "Created: %s\n", e.CreatedAt.Format(time.RFC3339))
	fmt.Fprintf(&msg, "Objects: %s\n", formatCounts(e.Counts))
	fmt.Fprintf(&msg, "File: %s\n", rel)
	if _, err := s.git(ctx, "add", "--", rel); err != nil {
		return err
	}
	_, err = s.git(ctx, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", msg.String(), "--", rel)
	return err
}

// commitPrune commits the removal of pruned backups. The caller holds s.mu.
func (s *DirStore) commitPrune(ctx context.Context, projectID string, p RetentionPolicy, removed []Entry) error {
	rels := make([]string, len(removed))
	var msg strings.Builder
	noun := "backups"
	if len(removed) == 1 {
		noun = "backup"
	}
	fmt.Fprintf(&msg, "prune: remove %d %s of project %s\n\n", len(removed), noun, projectID)
	fmt.Fprintf(&msg, "Retention: the newest %d, and those younger than %v\n\n", p.KeepLast, p.MaxAge)
	for i, e := range removed {
		rel, err := s.rel(e.Path)
		if err != nil {
			return err
		}
		rels[i] = rel
		fmt.Fprintf(&msg, "%s %s %s\n", e.ID, e.CreatedAt.Format(time.RFC3339), cmp.Or(e.Operation, "-"))
	}
	if _, err := s.git(ctx, append([]string{"rm", "-q", "--cached", "--ignore-unmatch", "--"}, rels...)...); err != nil {
		return err
	}
	// diff --quiet exits 1 when removals are staged, 0 when none of the
	// files had been committed: then there is nothing to commit.
	_, err := s.git(ctx, "diff", "--cached", "--quiet")
	if exitErr, ok := errors.AsType[*exec.ExitError](err); !ok || exitErr.ExitCode() != 1 {
		return err
	}
	_, err = s.git(ctx, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", msg.String())
	return err
}

// rel returns path relative to the root, with forward slashes, as git names it.
func (s *DirStore) rel(path string) (string, error) {
	rel, err := filepath.Rel(s.root, path)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}

// git runs git in the root, once ensureRepo has succeeded.
func (s *DirStore) git(ctx context.Context, args ...string) (string, error) {
	return runGit(ctx, s.gitPath, s.root, args...)
}

// runGit runs a git command in dir and returns its output. A failure names
// the command and carries git's own message; it wraps *exec.ExitError when
// git ran and failed.
func runGit(ctx context.Context, git, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, git, args...)
	cmd.Dir = dir
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(gitEnvOverrides, name)
	})
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		sub := args[0]
		if sub == "-c" && len(args) > 2 {
			sub = args[2]
		}
		return "", fmt.Errorf("git %s in %s: %w: %s", sub, dir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// formatCounts writes counts as "kind=n" pairs in sorted order.
func formatCounts(counts map[string]int) string {
	parts := make([]string, 0, len(counts))
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	return strings.Join(parts, " ")
}
