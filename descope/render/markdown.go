package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/descope-run/descope-run/descope"
)

// MarkdownOptions control Markdown.
type MarkdownOptions struct {
	// Header is the first paragraph (the plan's target).
	Header string
	// Full shows flow and theme changes path by path instead of summarised.
	Full bool
	// ShowUnmanaged lists the unmanaged live objects instead of counting them.
	ShowUnmanaged bool
}

// MaxMarkdownBytes bounds the size of Markdown's output so that it fits in
// a pull request comment (GitHub takes at most 65,536 characters): past it,
// the remaining changes are listed by title only.
const MaxMarkdownBytes = 60000

// Markdown writes the plan for a pull request comment (GitHub-flavoured
// Markdown): the target, the summary line in bold, a table of the changes
// per kind and action, then each change in a collapsible <details> block
// whose summary is its symbol, its title and for a create a few identifying
// fields or for a document the counts of its parts, and whose body is a
// diff-highlighted code block of its fields, flow and theme changes
// summarised as Text summarises them (every path with Full). Deletes come
// first, then the other changes in execution order, then the unmanaged
// objects. Past MaxMarkdownBytes the remaining changes are listed by title.
func Markdown(w io.Writer, p *descope.Plan, opts MarkdownOptions) error {
	var b strings.Builder
	if opts.Header != "" {
		b.WriteString(strings.TrimRight(opts.Header, "\n") + "\n\n")
	}
	if p.Empty() {
		b.WriteString("**No changes.** The project matches the configuration.\n")
		markdownUnmanaged(&b, p, opts.ShowUnmanaged)
		return writeString(w, b.String())
	}
	add, change, destroy := p.Summary()
	fmt.Fprintf(&b, "**Plan: %d to add, %d to change, %d to delete.**\n\n", add, change, destroy)
	markdownTable(&b, p)

	var ordered []*descope.Change
	for _, deletes := range []bool{true, false} {
		for _, c := range p.Changes {
			if (c.Action == descope.ActionDelete) == deletes {
				ordered = append(ordered, c)
			}
		}
	}
	condensed := false
	for i, c := range ordered {
		block, err := markdownChange(c, opts.Full)
		if err != nil {
			return err
		}
		if b.Len()+len(block) > MaxMarkdownBytes {
			markdownTitles(&b, ordered[i:])
			break
		}
		b.WriteString(block)
		condensed = condensed || summarised(c, opts.Full, true)
	}
	markdownUnmanaged(&b, p, opts.ShowUnmanaged)
	if condensed {
		b.WriteString("\nFlow and theme changes are summarised by task, screen and style section; `plan --full` shows every path.\n")
	}
	return writeString(w, b.String())
}

func writeString(w io.Writer, s string) error {
	if _, err := io.WriteString(w, s); err != nil {
		return fmt.Errorf("render: write plan: %w", err)
	}
	return nil
}

// markdownTable writes the number of changes per kind (rows, in Kinds
// order) and action (columns).
func markdownTable(b *strings.Builder, p *descope.Plan) {
	cols := []descope.Action{descope.ActionCreate, descope.ActionUpdate, descope.ActionDelete, descope.ActionReplace}
	counts := map[descope.Kind]map[descope.Action]int{}
	for _, c := range p.Changes {
		if counts[c.Kind] == nil {
			counts[c.Kind] = map[descope.Action]int{}
		}
		counts[c.Kind][c.Action]++
	}
	b.WriteString("| Kind | Create | Update | Delete | Replace |\n|:--|--:|--:|--:|--:|\n")
	for _, k := range descope.Kinds {
		if counts[k] == nil {
			continue
		}
		b.WriteString("| " + string(k))
		for _, a := range cols {
			b.WriteString(" | " + strconv.Itoa(counts[k][a]))
		}
		b.WriteString(" |\n")
	}
	b.WriteString("\n")
}

// markdownChange returns the <details> block of one change.
func markdownChange(c *descope.Change, full bool) (string, error) {
	lines, err := body(c, full, true)
	if err != nil {
		return "", err
	}
	summary := "<code>" + escapeHTML(markdownSymbol(c.Action)+" "+objectName(c.Kind, c.Key)) + "</code>"
	note, err := titleNote(c, full)
	if err != nil {
		return "", fmt.Errorf("render: %s: %w", c.ID, err)
	}
	if note != "" {
		summary += " " + escapeHTML(note)
	}
	var b strings.Builder
	b.WriteString("<details><summary>" + summary + "</summary>\n\n")
	if len(lines) > 0 {
		var code strings.Builder
		for _, l := range lines {
			indent := strings.Repeat("    ", l.depth)
			text := strings.ReplaceAll(l.text, "\n", "\n  "+indent)
			code.WriteString(string(l.symbol) + " " + indent + text + "\n")
		}
		fence := codeFence(code.String())
		b.WriteString(fence + "diff\n" + code.String() + fence + "\n\n")
	}
	b.WriteString("</details>\n")
	return b.String(), nil
}

// escapeHTML escapes the characters that HTML gives a meaning to in text.
var escapeHTML = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// markdownSymbol returns the symbol of an action without alignment.
func markdownSymbol(a descope.Action) string {
	if a == descope.ActionReplace {
		return "-/+"
	}
	return string(actionSymbol(a))
}

// codeFence returns a run of backticks longer than any in s (three at
// least), so that s cannot close the code block.
func codeFence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// markdownTitles lists changes by title only, when the details of every
// change would not fit in MaxMarkdownBytes.
func markdownTitles(b *strings.Builder, changes []*descope.Change) {
	fmt.Fprintf(b, "\n%d more %s, by title only (a comment has a size limit; `plan --json` has every field):\n\n",
		len(changes), plural(len(changes), "change", "changes"))
	for _, c := range changes {
		b.WriteString("- `" + markdownSymbol(c.Action) + " " + objectName(c.Kind, c.Key) + "`\n")
	}
}

// markdownUnmanaged writes the unmanaged objects' count and note, or their
// list.
func markdownUnmanaged(b *strings.Builder, p *descope.Plan, list bool) {
	subject, note := unmanagedText(p)
	if subject == "" {
		return
	}
	b.WriteString("\n")
	if !list {
		b.WriteString(subject + ".")
		if note != "" {
			b.WriteString(" " + note)
		}
		b.WriteString("\n")
		return
	}
	b.WriteString(subject + ":\n\n")
	for _, name := range unmanagedNames(p) {
		b.WriteString("- `" + name + "`\n")
	}
	if note != "" {
		b.WriteString("\n" + note + "\n")
	}
}
