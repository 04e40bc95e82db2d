package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/descope"
)

// exampleCommands returns the descope-run invocations in the Example of cmd
// and of every command below it: each line's parts joined by && or | that
// start with descope-run (after VAR=value assignments), as argument lists
// without the program name. Quotes are single quotes, as the examples use.
func exampleCommands(cmd *cobra.Command) map[*cobra.Command][][]string {
	out := map[*cobra.Command][][]string{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if list := invocations(c.Example); len(list) > 0 {
			out[c] = list
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd)
	return out
}

// invocations returns the descope-run invocations in the shell lines of
// text: each line's parts joined by && or | that start with descope-run
// (after VAR=value assignments), as argument lists without the program.
func invocations(text string) [][]string {
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		line, _, _ = strings.Cut(line, ">")
		for _, part := range strings.FieldsFunc(line, func(r rune) bool { return r == '|' || r == '&' }) {
			words := shellWords(part)
			for len(words) > 0 && strings.Contains(words[0], "=") {
				words = words[1:]
			}
			if len(words) > 0 && words[0] == "descope-run" {
				out = append(out, words[1:])
			}
		}
	}
	return out
}

// shellWords splits s at spaces outside quotes.
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	var quote rune
	in := false
	for _, r := range s {
		switch {
		case (r == '\'' || r == '"') && (quote == 0 || quote == r):
			if quote == 0 {
				quote = r
			} else {
				quote = 0
			}
			in = true
		case r == ' ' && quote == 0:
			if in {
				words = append(words, w.String())
				w.Reset()
			}
			in = false
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

func newTestFactory(out, errOut *bytes.Buffer) *Factory {
	return &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut},
		Globals: &GlobalOptions{}, Getenv: func(string) string { return "" }}
}

// TestHelpExamplesParse checks that every example in the help names a
// command, flags it has and as many arguments as it takes.
func TestHelpExamplesParse(t *testing.T) {
	var out, errOut bytes.Buffer
	examples := exampleCommands(NewRootCmd(newTestFactory(&out, &errOut)))
	if len(examples) < 8 {
		t.Fatalf("found the examples of %d commands, want at least 8", len(examples))
	}
	for owner, list := range examples {
		for _, args := range list {
			checkInvocation(t, owner.CommandPath()+" example", args)
		}
	}
}

// TestDocsCommandsParse checks the descope-run commands of the sh blocks
// of the README and docs/ci.md as TestHelpExamplesParse checks examples.
func TestDocsCommandsParse(t *testing.T) {
	n := 0
	for _, file := range []string{"../../README.md", "../../docs/ci.md"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range strings.Split(string(b), "```sh\n")[1:] {
			block, _, _ = strings.Cut(block, "```")
			for _, args := range invocations(block) {
				n++
				checkInvocation(t, file, args)
			}
		}
	}
	if n < 20 {
		t.Errorf("found %d commands in the docs, want at least 20", n)
	}
}

// checkInvocation fails t unless args name a command, flags it has and as
// many arguments as it takes.
func checkInvocation(t *testing.T, where string, args []string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRootCmd(newTestFactory(&out, &errOut))
	args = terraformFlags(args)
	c, rest, err := root.Find(args)
	if err == nil {
		err = c.ParseFlags(rest)
	}
	if err == nil {
		err = c.ValidateArgs(c.Flags().Args())
	}
	if err != nil {
		t.Errorf("%s: descope-run %s: %v", where, strings.Join(args, " "), err)
	}
}

// TestHelpExamplesEval runs eval's examples, which read only the files of
// the example workspace, from the repository root.
func TestHelpExamplesEval(t *testing.T) {
	var out, errOut bytes.Buffer
	examples := exampleCommands(NewRootCmd(newTestFactory(&out, &errOut)))
	t.Chdir("../..")
	n := 0
	for c, list := range examples {
		if c.Name() != "eval" {
			continue
		}
		for _, args := range list {
			n++
			out.Reset()
			errOut.Reset()
			if code := Execute(context.Background(), newTestFactory(&out, &errOut), args); code != ExitOK {
				t.Errorf("descope-run %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
			}
		}
	}
	if n == 0 {
		t.Fatal("eval has no examples")
	}
}

// TestHelpKinds checks that the flags taking kinds name every kind.
func TestHelpKinds(t *testing.T) {
	var out, errOut bytes.Buffer
	root := NewRootCmd(newTestFactory(&out, &errOut))
	for _, path := range [][]string{{"export", "--kinds"}, {"backup", "restore", "--only"}} {
		c, _, err := root.Find(path[:len(path)-1])
		if err != nil {
			t.Fatal(err)
		}
		fl := c.Flags().Lookup(strings.TrimPrefix(path[len(path)-1], "--"))
		if fl == nil {
			t.Fatalf("%s has no %s", c.CommandPath(), path[len(path)-1])
		}
		for _, k := range descope.Kinds {
			if !strings.Contains(fl.Usage, string(k)) {
				t.Errorf("%s %s: the help %q does not name %s", c.CommandPath(), fl.Name, fl.Usage, k)
			}
		}
	}
}

// TestVersionFlag checks that --version says what the version command does.
func TestVersionFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Execute(context.Background(), newTestFactory(&out, &errOut), []string{"--version"}); code != ExitOK {
		t.Fatalf("--version: exit %d: %s", code, errOut.String())
	}
	if got, want := out.String(), "descope-run "+toolVersion()+"\n"; got != want {
		t.Errorf("--version printed %q, want %q", got, want)
	}
}

// TestHelpEveryCommand checks that every command one runs says what it does
// at length and shows how it is called.
func TestHelpEveryCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.Hidden && c.Name() != "version" {
			if c.Long == "" {
				t.Errorf("%s: no long help", c.CommandPath())
			}
			if c.Example == "" {
				t.Errorf("%s: no example", c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCmd(newTestFactory(&out, &errOut)))
}
