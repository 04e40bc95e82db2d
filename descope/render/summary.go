package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/descope-run/descope-run/descope"
)

// This file builds what is shown of one change, for Text and Markdown alike:
// every field (full), or the summary a reviewer reads first (creates on one
// line, flow and theme documents by task, screen and style section).

// bodyLine is one line under a change's title.
type bodyLine struct {
	// depth is 0 for a change's own fields and parts, 1 for the fields shown
	// under a part.
	depth int
	// symbol is '+', '-' or '~' for a change, '#' for a comment.
	symbol byte
	// text follows the symbol; continuation lines of a value written over
	// several lines start with their own relative indent.
	text string
}

// maxPartDetails is the most changes of a task, screen or style section that
// a summary shows one by one under it, when each fits on one line.
const maxPartDetails = 3

// headlineFields are the fields of a create that its one-line summary
// shows, by kind, when the create sets them: their paths, and their labels,
// the config language's keywords.
var headlineFields = map[descope.Kind][]struct{ path, label string }{
	descope.KindTenant:          {{"name", "name"}, {"selfProvisioningDomains", "domains"}, {"parent", "parent"}},
	descope.KindRole:            {{"permissionNames", "permissions"}},
	descope.KindPermission:      {{"description", "description"}},
	descope.KindSSO:             {{"authType", "protocol"}, {"domains", "domains"}},
	descope.KindTenantAttribute: {{"type", "type"}, {"options", "options"}},
}

// summarised reports whether a change is shown with less than every field:
// a create on one line that leaves fields out (unless creates is set), or a
// document change summarised by parts.
func summarised(c *descope.Change, full, creates bool) bool {
	if full || c.Action == descope.ActionDelete {
		return false
	}
	if c.Action == descope.ActionCreate && !creates {
		_, hidden, _ := headline(c)
		return hidden > 0
	}
	live, want, ok := documents(c)
	return ok && len(descope.SummarizeDocument(c.Kind, live, want).Parts) > 0
}

// headline returns the one-line summary of a create that follows its
// title, and how many of its fields it leaves out: a few identifying
// fields and the number of the others, or for a document the number of its
// tasks and screens or style sections.
func headline(c *descope.Change) (text string, hidden int, err error) {
	if live, want, ok := documents(c); ok {
		s := descope.SummarizeDocument(c.Kind, live, want)
		if len(s.Parts) == 0 {
			return count(len(c.Fields), "field", "fields"), len(c.Fields), nil
		}
		return partCounts(s.Parts, false), len(c.Fields), nil
	}
	var shown []string
	hidden = len(c.Fields)
	for _, h := range headlineFields[c.Kind] {
		i := slices.IndexFunc(c.Fields, func(f descope.FieldChange) bool { return f.Path == h.path })
		if i < 0 {
			continue
		}
		_, after, err := fieldValues(c.Fields[i])
		if err != nil {
			return "", 0, err
		}
		v, err := oneLine(after)
		if err != nil {
			return "", 0, err
		}
		shown = append(shown, h.label+" "+v)
		hidden--
	}
	switch {
	case hidden == 0:
	case len(shown) == 0:
		shown = append(shown, count(hidden, "field", "fields"))
	default:
		shown = append(shown, count(hidden, "more field", "more fields"))
	}
	return strings.Join(shown, ", "), hidden, nil
}

// titleNote returns what follows a change's title: a create's headline
// (unless full), or the counts of the parts of a summarised document change
// ("tasks: 2 changed, 1 added"); else "".
func titleNote(c *descope.Change, full bool) (string, error) {
	switch {
	case full:
		return "", nil
	case c.Action == descope.ActionCreate:
		text, _, err := headline(c)
		return text, err
	}
	if live, want, ok := documents(c); ok {
		if s := descope.SummarizeDocument(c.Kind, live, want); len(s.Parts) > 0 {
			return partCounts(s.Parts, true), nil
		}
	}
	return "", nil
}

// documents returns the live and desired documents of a flow or theme
// change; ok is false for other kinds and for a delete.
func documents(c *descope.Change) (live, want map[string]any, ok bool) {
	switch c.Kind {
	case descope.KindFlow:
		if a, _ := c.After.(*descope.Flow); a != nil {
			want, ok = a.Document, true
		}
		if b, _ := c.Before.(*descope.Flow); b != nil {
			live = b.Document
		}
	case descope.KindTheme:
		if a, _ := c.After.(*descope.Theme); a != nil {
			want, ok = a.Document, true
		}
		if b, _ := c.Before.(*descope.Theme); b != nil {
			live = b.Document
		}
	}
	return live, want, ok
}

// body returns the lines under a change's title: its reason, then its
// fields (full) or its document's summary, and the count of unchanged
// fields. Unless full or creates is set, a create has no body beyond its
// reason (its headline says enough); with creates, an object's create shows
// its fields and a document's its summary.
func body(c *descope.Change, full, creates bool) ([]bodyLine, error) {
	var lines []bodyLine
	if c.Reason != "" {
		lines = append(lines, bodyLine{symbol: '#', text: c.Reason})
	}
	if c.Action == descope.ActionCreate && !full && !creates {
		return lines, nil
	}
	if live, want, ok := documents(c); ok && !full {
		doc, err := documentLines(descope.SummarizeDocument(c.Kind, live, want))
		if err != nil {
			return nil, fmt.Errorf("render: %s: %w", c.ID, err)
		}
		lines = append(lines, doc...)
	} else {
		for _, f := range c.Fields {
			l, err := fieldLine(f, "")
			if err != nil {
				return nil, fmt.Errorf("render: %s field %s: %w", c.ID, f.Path, err)
			}
			lines = append(lines, l)
		}
	}
	if n := c.UnchangedFields; n > 0 && c.Action != descope.ActionCreate {
		lines = append(lines, bodyLine{symbol: '#', text: fmt.Sprintf("(%d unchanged %s hidden)", n, plural(n, "field", "fields"))})
	}
	return lines, nil
}

// documentLines returns the summary of a document change: one line per part
// that changes (with its changes under it when they are few and short), then
// the changes outside the parts.
func documentLines(s descope.DocumentSummary) ([]bodyLine, error) {
	var lines []bodyLine
	for _, p := range s.Parts {
		lines = append(lines, bodyLine{symbol: actionSymbol(p.Action), text: partTitle(p)})
		details, err := partDetails(p)
		if err != nil {
			return nil, err
		}
		lines = append(lines, details...)
	}
	for _, f := range s.Other {
		l, err := fieldLine(f, "")
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Path, err)
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// partTitle names a part and, for an update or a style section, the keys
// that change: `task "Verify Code" (3): next (2), view`,
// `styles.light.components: button (4), +container`.
func partTitle(p descope.DocumentPart) string {
	var title string
	switch p.Kind {
	case descope.PartStyle:
		title = "styles." + p.ID
	default:
		title = p.Kind + " " + p.ID
		if p.Name != "" {
			title = p.Kind + " " + strconv.Quote(p.Name) + " (" + p.ID + ")"
		}
	}
	if len(p.Keys) == 0 || (p.Kind != descope.PartStyle && p.Action != descope.ActionUpdate) {
		return title
	}
	keys := make([]string, len(p.Keys))
	for i, k := range p.Keys {
		keys[i] = k.Key
		if p.Action != descope.ActionUpdate {
			continue
		}
		switch k.Action {
		case descope.ActionCreate:
			keys[i] = "+" + k.Key
		case descope.ActionDelete:
			keys[i] = "-" + k.Key
		default:
			if k.Changes > 1 {
				keys[i] += " (" + strconv.Itoa(k.Changes) + ")"
			}
		}
	}
	return title + ": " + strings.Join(keys, ", ")
}

// partDetails returns the changes of an updated part one by one, their
// paths relative to the part, when there are at most maxPartDetails of them
// and each value fits on one line; else nothing.
func partDetails(p descope.DocumentPart) ([]bodyLine, error) {
	if p.Action != descope.ActionUpdate || len(p.Fields) > maxPartDetails {
		return nil, nil
	}
	lines := make([]bodyLine, 0, len(p.Fields))
	for _, f := range p.Fields {
		l, err := fieldLine(f, p.Path+".")
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Path, err)
		}
		if strings.Contains(l.text, "\n") {
			return nil, nil
		}
		l.depth = 1
		lines = append(lines, l)
	}
	return lines, nil
}

// partCounts counts the parts by kind and action: "tasks: 2 changed, 1
// added; screens: 1 removed", or with changes false (a created document)
// "9 tasks, 2 screens".
func partCounts(parts []descope.DocumentPart, changes bool) string {
	kinds := []string{descope.PartTask, descope.PartScreen, descope.PartStyle}
	nouns := map[string][2]string{
		descope.PartTask:   {"task", "tasks"},
		descope.PartScreen: {"screen", "screens"},
		descope.PartStyle:  {"style section", "style sections"},
	}
	var out []string
	for _, kind := range kinds {
		var n, changed, added, removed int
		for _, p := range parts {
			if p.Kind != kind {
				continue
			}
			n++
			switch p.Action {
			case descope.ActionCreate:
				added++
			case descope.ActionDelete:
				removed++
			default:
				changed++
			}
		}
		if n == 0 {
			continue
		}
		if !changes {
			out = append(out, count(n, nouns[kind][0], nouns[kind][1]))
			continue
		}
		var c []string
		for _, x := range []struct {
			n    int
			word string
		}{{changed, "changed"}, {added, "added"}, {removed, "removed"}} {
			if x.n > 0 {
				c = append(c, strconv.Itoa(x.n)+" "+x.word)
			}
		}
		out = append(out, nouns[kind][1]+": "+strings.Join(c, ", "))
	}
	if !changes {
		return strings.Join(out, ", ")
	}
	return strings.Join(out, "; ")
}

// fieldLine returns one field change, its path without prefix:
// `+ path: after`, `- path: before` or `~ path: before -> after`.
func fieldLine(f descope.FieldChange, prefix string) (bodyLine, error) {
	before, after, err := fieldValues(f)
	if err != nil {
		return bodyLine{}, err
	}
	path := strings.TrimPrefix(f.Path, prefix)
	b, err := valueText(before)
	if err != nil {
		return bodyLine{}, err
	}
	a, err := valueText(after)
	if err != nil {
		return bodyLine{}, err
	}
	switch {
	case f.Before == nil:
		return bodyLine{symbol: '+', text: path + ": " + a}, nil
	case f.After == nil:
		return bodyLine{symbol: '-', text: path + ": " + b}, nil
	}
	return bodyLine{symbol: '~', text: path + ": " + b + " -> " + a}, nil
}

// actionSymbol returns the one-character symbol of an action other than a
// replace.
func actionSymbol(a descope.Action) byte {
	switch a {
	case descope.ActionCreate:
		return '+'
	case descope.ActionDelete:
		return '-'
	}
	return '~'
}

// valueText returns a value as JSON text: compact when short, else indented
// and cut after maxValueLines lines. A masked value is the bare word
// (sensitive).
func valueText(v any) (string, error) {
	if v == Masked {
		return Masked, nil
	}
	s, err := encode(v, "", "")
	if err != nil || len(s) <= inlineMax {
		return s, err
	}
	if s, err = encode(v, "", "  "); err != nil {
		return "", err
	}
	lines := strings.Split(s, "\n")
	if len(lines) > maxValueLines {
		more := len(lines) - maxValueLines
		lines = append(lines[:maxValueLines],
			fmt.Sprintf("… (%d more %s; the JSON plan has them all)", more, plural(more, "line", "lines")))
	}
	return strings.Join(lines, "\n"), nil
}

// oneLine returns a value as compact JSON cut to inlineMax characters.
func oneLine(v any) (string, error) {
	if v == Masked {
		return Masked, nil
	}
	s, err := encode(v, "", "")
	if err != nil {
		return "", err
	}
	if r := []rune(s); len(r) > inlineMax {
		s = string(r[:inlineMax-1]) + "…"
	}
	return s, nil
}

func count(n int, one, many string) string {
	return strconv.Itoa(n) + " " + plural(n, one, many)
}
