package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/descope-run/descope-run/descope"
)

// TextOptions control Text.
type TextOptions struct {
	// Color adds ANSI colours. It never changes the words: the caller decides
	// it from the terminal and NO_COLOR.
	Color bool
	// ShowUnmanaged lists the unmanaged live objects instead of counting them.
	ShowUnmanaged bool
	// Header is written first, on its own lines (the plan's target).
	Header string
	// Full shows every change field by field: each field a create sets, and
	// each path of a flow or theme document. Without it, a create is one
	// line and a document change is summarised by task, screen and style
	// section.
	Full bool
}

// ANSI colours.
const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

// Values longer than inlineMax characters as compact JSON are written
// indented over several lines, at most maxValueLines of them.
const (
	inlineMax     = 80
	maxValueLines = 20
)

// actionOrder is the order of the legend; actionWords its words.
var actionOrder = []descope.Action{descope.ActionDelete, descope.ActionReplace, descope.ActionCreate, descope.ActionUpdate}

var actionWords = map[descope.Action]string{
	descope.ActionDelete:  "delete",
	descope.ActionReplace: "delete, then create again (replace)",
	descope.ActionCreate:  "create",
	descope.ActionUpdate:  "update in place",
}

// Text writes the plan for a person to review, in the manner of Terraform:
// a legend of the symbols used, the deletes first, then the other changes in
// execution order, each with its reason and its changed fields (unchanged
// ones counted, secrets masked), the number of live objects the
// configuration does not manage (their list with ShowUnmanaged), and last
// "Plan: N to add, N to change, N to delete.". An empty plan says so in one
// line instead.
//
// Unless opts.Full is set, a create is one line (its title and a few
// identifying fields) and a flow or theme change is summarised the way a
// reviewer reads it: one line per task, screen or style section that
// changes, naming the keys that change, with the changes themselves under it
// when they are few and short; a line before the summary says that --full
// shows every field.
func Text(w io.Writer, p *descope.Plan, opts TextOptions) error {
	t := &textWriter{color: opts.Color, full: opts.Full}
	if opts.Header != "" {
		t.line(strings.TrimRight(opts.Header, "\n"))
		t.line("")
	}
	if p.Empty() {
		t.line("No changes. The project matches the configuration.")
		t.unmanaged(p, opts.ShowUnmanaged, true)
	} else if err := t.changes(p, opts.ShowUnmanaged); err != nil {
		return err
	}
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("render: write plan: %w", err)
	}
	return nil
}

// textWriter builds the text of a plan.
type textWriter struct {
	b     strings.Builder
	color bool
	full  bool
	// blank is set when the last line written is empty.
	blank bool
}

func (t *textWriter) line(s string) {
	t.b.WriteString(s)
	t.b.WriteByte('\n')
	t.blank = s == ""
}

// paint wraps s in an ANSI colour when colours are on.
func (t *textWriter) paint(color, s string) string {
	if !t.color || s == "" {
		return s
	}
	return color + s + reset
}

// symbol returns the coloured symbol of an action, right-aligned in three
// columns.
func (t *textWriter) symbol(a descope.Action) string {
	switch a {
	case descope.ActionReplace:
		return t.paint(red, "-") + "/" + t.paint(green, "+")
	case descope.ActionDelete:
		return "  " + t.paint(red, "-")
	case descope.ActionCreate:
		return "  " + t.paint(green, "+")
	}
	return "  " + t.paint(yellow, "~")
}

// lineSymbol returns the coloured one-character symbol of a body line.
func (t *textWriter) lineSymbol(s byte) string {
	switch s {
	case '+':
		return t.paint(green, "+")
	case '-':
		return t.paint(red, "-")
	case '~':
		return t.paint(yellow, "~")
	}
	return string(s)
}

func (t *textWriter) changes(p *descope.Plan, listUnmanaged bool) error {
	used := map[descope.Action]bool{}
	condensed := false
	for _, c := range p.Changes {
		used[c.Action] = true
		condensed = condensed || summarised(c, t.full, false)
	}
	t.line("Actions are marked with these symbols:")
	for _, a := range actionOrder {
		if used[a] {
			t.line(t.symbol(a) + " " + actionWords[a])
		}
	}
	t.line("")
	// Deletes first, then the rest, each group in execution order.
	for _, deletes := range []bool{true, false} {
		for _, c := range p.Changes {
			if (c.Action == descope.ActionDelete) != deletes {
				continue
			}
			if err := t.change(c); err != nil {
				return err
			}
		}
	}
	if !t.blank {
		t.line("")
	}
	t.unmanaged(p, listUnmanaged, false)
	if condensed {
		t.line(fullHint)
	}
	add, change, destroy := p.Summary()
	t.line(t.paint(bold, fmt.Sprintf("Plan: %d to add, %d to change, %d to delete.", add, change, destroy)))
	return nil
}

// fullHint closes a plan that summarises some changes.
const fullHint = "Creates and document changes are summarised; plan --full shows every field."

// change writes one change: its title, then its body and a blank line. A
// change without a body (a summarised create) is one line, and a run of them
// is one block.
func (t *textWriter) change(c *descope.Change) error {
	lines, err := body(c, t.full, false)
	if err != nil {
		return err
	}
	title := objectName(c.Kind, c.Key)
	if c.Action == descope.ActionDelete {
		title = t.paint(red, title)
	}
	note, err := titleNote(c, t.full)
	if err != nil {
		return fmt.Errorf("render: %s: %w", c.ID, err)
	}
	switch {
	case note == "":
	case c.Action == descope.ActionCreate:
		title += ": " + note
	default:
		lines = append([]bodyLine{{symbol: '#', text: note}}, lines...)
	}
	if len(lines) > 0 && !t.blank {
		t.line("")
	}
	t.line(t.symbol(c.Action) + " " + title)
	for _, l := range lines {
		indent := strings.Repeat("    ", l.depth)
		if l.symbol == '#' {
			t.line("      " + indent + "# " + l.text)
			continue
		}
		text := strings.ReplaceAll(l.text, "\n", "\n        "+indent)
		t.line("      " + indent + t.lineSymbol(l.symbol) + " " + text)
	}
	if len(lines) > 0 {
		t.line("")
	}
	return nil
}

// objectName names an object in text: `tenant "acme"`, or the bare kind for
// the singletons.
func objectName(k descope.Kind, key string) string {
	if descope.ChangeID(k, key) == string(k) {
		return string(k)
	}
	return string(k) + " " + strconv.Quote(key)
}

// unmanaged writes the number of unmanaged live objects, or their list set
// off by a blank line (before it after "No changes.", else after it), with
// what unmanagedNote says of the preconfigured ones.
func (t *textWriter) unmanaged(p *descope.Plan, list, afterNoChanges bool) {
	subject, note := unmanagedText(p)
	if subject == "" {
		return
	}
	if !list {
		t.line(subject + " (--show-unmanaged lists them).")
		if note != "" {
			t.line(note)
		}
		return
	}
	if afterNoChanges {
		t.line("")
	}
	t.line(subject + ":")
	for _, name := range unmanagedNames(p) {
		t.line("  " + name)
	}
	if note != "" {
		t.line(note)
	}
	if !afterNoChanges {
		t.line("")
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
