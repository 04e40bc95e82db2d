package builtins

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"go.starlark.net/starlark"
)

// loadCSV is load_csv(path, header = True): the records of a CSV file
// (RFC 4180, as spreadsheets and CRM exports write it; a UTF-8 byte order
// mark is dropped). With header, the first record names the columns and
// each other record is a dict keyed by them, in column order; without, each
// record is a list of strings. Every record must have as many fields as the
// first.
func (r *reader) loadCSV(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if err := checkKwargs(fn, kwargs, "path", "header"); err != nil {
		return nil, err
	}
	var p string
	header := true
	if err := starlark.UnpackArgs(fn, args, kwargs, "path", &p, "header?", &header); err != nil {
		return nil, err
	}
	path, data, err := r.files.Read(callerFile(thread), p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	var rows []starlark.Value
	var names []string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				line, _ := cr.FieldPos(0)
				return nil, fmt.Errorf("%s: %s: line %d has %d fields, the first line %d", fn, path, line, len(rec), cr.FieldsPerRecord)
			}
			return nil, fmt.Errorf("%s: %s is not valid CSV: %w", fn, path, err)
		}
		if header && names == nil {
			names = rec
			seen := make(map[string]bool, len(names))
			for _, n := range names {
				if seen[n] {
					return nil, fmt.Errorf("%s: %s: column %q appears twice in the header", fn, path, n)
				}
				seen[n] = true
			}
			continue
		}
		if header {
			d := starlark.NewDict(len(rec))
			for i, f := range rec {
				_ = d.SetKey(starlark.String(names[i]), starlark.String(f))
			}
			rows = append(rows, d)
			continue
		}
		fields := make([]starlark.Value, len(rec))
		for i, f := range rec {
			fields[i] = starlark.String(f)
		}
		rows = append(rows, starlark.NewList(fields))
	}
	return starlark.NewList(rows), nil
}

// table is table(rows, header = None): the rows (lists or tuples) as text
// in columns aligned by spaces, the header first, for print(). Strings are
// written as they are, None as "-", anything else as str() does.
func table(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var rows, header starlark.Value = nil, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "rows", &rows, "header?", &header); err != nil {
		return nil, err
	}
	var all []starlark.Value
	if header != starlark.None {
		all = append(all, header)
	}
	seq, ok := rows.(starlark.Iterable)
	if !ok {
		return nil, fmt.Errorf("%s: rows must be a list of rows, not %s", b.Name(), rows.Type())
	}
	it := seq.Iterate()
	var x starlark.Value
	for it.Next(&x) {
		all = append(all, x)
	}
	it.Done()
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	for i, row := range all {
		cells, ok := row.(starlark.Indexable)
		if !ok || row.Type() == "string" {
			return nil, fmt.Errorf("%s: row %d must be a list or tuple of cells, not %s", b.Name(), i, row.Type())
		}
		parts := make([]string, cells.Len())
		for j := range parts {
			switch c := cells.Index(j).(type) {
			case starlark.String:
				parts[j] = strings.NewReplacer("\t", " ", "\n", " ").Replace(string(c))
			case starlark.NoneType:
				parts[j] = "-"
			default:
				parts[j] = c.String()
			}
		}
		fmt.Fprintln(tw, strings.Join(parts, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return starlark.String(strings.Join(lines, "\n")), nil
}
