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
func Text(w io.Writer, p *descope.Plan, opts TextOptions) error {
	t := &textWriter{color: opts.Color}
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
}

func (t *textWriter) line(s string) {
	t.b.WriteString(s)
	t.b.WriteByte('\n')
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

func (t *textWriter) changes(p *descope.Plan, listUnmanaged bool) error {
	used := map[descope.Action]bool{}
	for _, c := range p.Changes {
		used[c.Action] = true
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
	t.unmanaged(p, listUnmanaged, false)
	add, change, destroy := p.Summary()
	t.line(t.paint(bold, fmt.Sprintf("Plan: %d to add, %d to change, %d to delete.", add, change, destroy)))
	return nil
}

func (t *textWriter) change(c *descope.Change) error {
	title := objectName(c.Kind, c.Key)
	if c.Action == descope.ActionDelete {
		title = t.paint(red, title)
	}
	t.line(t.symbol(c.Action) + " " + title)
	if c.Reason != "" {
		t.line("      # " + c.Reason)
	}
	for _, f := range c.Fields {
		if err := t.field(f); err != nil {
			return fmt.Errorf("render: %s field %s: %w", c.ID, f.Path, err)
		}
	}
	if n := c.UnchangedFields; n > 0 && c.Action != descope.ActionCreate {
		t.line(fmt.Sprintf("      # (%d unchanged %s hidden)", n, plural(n, "field", "fields")))
	}
	t.line("")
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

// field writes one field change: `+ path: after`, `- path: before` or
// `~ path: before -> after`.
func (t *textWriter) field(f descope.FieldChange) error {
	before, after, err := fieldValues(f)
	if err != nil {
		return err
	}
	const indent = "        "
	b, err := valueText(before, indent)
	if err != nil {
		return err
	}
	a, err := valueText(after, indent)
	if err != nil {
		return err
	}
	switch {
	case f.Before == nil:
		t.line("      " + t.paint(green, "+") + " " + f.Path + ": " + a)
	case f.After == nil:
		t.line("      " + t.paint(red, "-") + " " + f.Path + ": " + b)
	default:
		t.line("      " + t.paint(yellow, "~") + " " + f.Path + ": " + b + " -> " + a)
	}
	return nil
}

// valueText returns a value as JSON text: compact when short, else indented
// under indent and cut after maxValueLines lines. A masked value is the bare
// word (sensitive).
func valueText(v any, indent string) (string, error) {
	if v == Masked {
		return Masked, nil
	}
	s, err := encode(v, "", "")
	if err != nil || len(s) <= inlineMax {
		return s, err
	}
	if s, err = encode(v, indent, "  "); err != nil {
		return "", err
	}
	lines := strings.Split(s, "\n")
	if len(lines) > maxValueLines {
		more := len(lines) - maxValueLines
		lines = append(lines[:maxValueLines],
			fmt.Sprintf("%s… (%d more %s; the JSON plan has them all)", indent, more, plural(more, "line", "lines")))
	}
	return strings.Join(lines, "\n"), nil
}

// unmanaged writes the number of unmanaged live objects on a line, or their
// list set off by a blank line (before it after "No changes.", else after it).
func (t *textWriter) unmanaged(p *descope.Plan, list, afterNoChanges bool) {
	n := p.UnmanagedCount()
	if n == 0 {
		return
	}
	subject := fmt.Sprintf("%d live %s %s not managed by this configuration", n,
		plural(n, "object", "objects"), plural(n, "is", "are"))
	if !list {
		t.line(subject + " (--show-unmanaged lists them).")
		return
	}
	if afterNoChanges {
		t.line("")
	}
	t.line(subject + ":")
	for _, k := range descope.Kinds {
		for _, id := range p.Unmanaged[k] {
			t.line("  " + objectName(k, id))
		}
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
