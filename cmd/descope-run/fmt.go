package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/diff"
	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/runtime"
)

// FmtOptions are the inputs of `descope-run fmt`.
type FmtOptions struct {
	f     *Factory
	Paths []string
	Check bool
	Diff  bool
}

// NewCmdFmt returns the fmt command. runF replaces its body in tests.
func NewCmdFmt(f *Factory, runF func(*cobra.Command, *FmtOptions) error) *cobra.Command {
	opts := &FmtOptions{f: f}
	cmd := &cobra.Command{
		Use:   "fmt [-check] [-diff] [PATH...]",
		Short: "Format .star files as buildifier does",
		Long: `Format the .star files named, and those below each directory (default: the
current directory), with buildtools, the formatter behind buildifier. The
files it changes are listed.

Formatting never changes what a file means: fmt leaves a file alone rather
than write a version that parses to a different program.`,
		Example: `  descope-run fmt scripts
  descope-run fmt -check -diff scripts    # in CI: list and show what is not formatted, exit 1`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if runF != nil {
				return runF(cmd, opts)
			}
			return runFmt(opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Check, "check", false, "change nothing: list the files that are not formatted and exit 1 if there are any")
	fl.BoolVar(&opts.Diff, "diff", false, "show the changes formatting makes, as a diff")
	return cmd
}

func runFmt(opts *FmtOptions) error {
	out := opts.f.IO.Out
	files, err := runtime.StarFiles(opts.Paths)
	if err != nil {
		return err
	}
	var unformatted []string
	var errs []error
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("fmt: %w", err))
			continue
		}
		name = filepath.ToSlash(name)
		formatted, err := runtime.FormatStar(name, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if bytes.Equal(src, formatted) {
			continue
		}
		unformatted = append(unformatted, name)
		fmt.Fprintln(out, name)
		if opts.Diff {
			_, _ = out.Write(diff.Diff("a/"+name, src, "b/"+name, formatted))
		}
		if !opts.Check {
			if err := writeFormatted(name, formatted); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if opts.Check && len(unformatted) > 0 {
		return fmt.Errorf("%d of %d files are not formatted: run descope-run fmt on them", len(unformatted), len(files))
	}
	return nil
}

// writeFormatted replaces a file's content, keeping its permissions.
func writeFormatted(name string, data []byte) error {
	info, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("fmt: %w", err)
	}
	if err := os.WriteFile(name, data, info.Mode().Perm()); err != nil {
		return fmt.Errorf("fmt: %w", err)
	}
	return nil
}
