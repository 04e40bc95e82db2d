package runtime

// This file formats .star files (descope-run fmt) with buildtools, the
// formatter behind buildifier, and checks that formatting leaves the
// program's meaning alone.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/bazelbuild/buildtools/build"
	"go.starlark.net/syntax"
)

// FormatStar returns src, the content of the .star file name, formatted as
// buildifier formats a generic Starlark file. A syntax error is a
// *ScriptError. FormatStar refuses (an error) to return a text that is not
// the same program as src, compared by sameProgram.
func FormatStar(name string, src []byte) ([]byte, error) {
	before, err := programShape(name, src)
	if err != nil {
		return nil, err
	}
	f, err := build.ParseDefault(name, src)
	if err != nil {
		var pe build.ParseError
		if errors.As(err, &pe) {
			return nil, &ScriptError{Pos: fmt.Sprintf("%s:%d:%d", name, pe.Pos.Line, pe.Pos.LineRune), Msg: pe.Message, Err: err}
		}
		return nil, &ScriptError{Pos: name, Msg: err.Error(), Err: err}
	}
	out := build.Format(f)
	after, err := programShape(name, out)
	if err != nil || after != before {
		return nil, fmt.Errorf("%s: formatting would change what the file means, so it is left as it is (a list under a \"keep sorted\" comment is sorted, for one; remove the comment)", name)
	}
	return out, nil
}

// StarFiles returns the .star files that paths name: files as given, and
// the .star files below directories, skipping hidden directories.
func StarFiles(paths []string) ([]string, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("fmt %s: %w", p, err)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && path != p && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case !d.IsDir() && strings.HasSuffix(d.Name(), ".star"):
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("fmt %s: %w", p, err)
		}
	}
	return slices.Compact(out), nil
}

// programShape parses src as Starlark and returns a text that two sources
// share exactly when they are the same program up to what buildifier
// changes without changing meaning: layout, comments, quoting, parentheses,
// how numbers are spelled, string statements (docstrings, which it
// re-indents), and the order and grouping of load statements (it moves them
// to the top and sorts them; a load binds names for the whole file).
func programShape(name string, src []byte) (string, error) {
	f, err := fileOptions.Parse(name, src, 0)
	if err != nil {
		var se syntax.Error
		if errors.As(err, &se) {
			return "", &ScriptError{Pos: se.Pos.String(), Msg: se.Msg, Err: err}
		}
		return "", &ScriptError{Pos: name, Msg: err.Error(), Err: err}
	}
	var loads []string
	var b strings.Builder
	for _, stmt := range f.Stmts {
		if l, ok := stmt.(*syntax.LoadStmt); ok {
			for i := range l.To {
				loads = append(loads, fmt.Sprintf("load(%q, %s = %q)\n", l.Module.Value, l.To[i].Name, l.From[i].Name))
			}
			continue
		}
		shape(&b, reflect.ValueOf(stmt))
		b.WriteByte('\n')
	}
	sort.Strings(loads)
	return strings.Join(slices.Compact(loads), "") + b.String(), nil
}

var positionType = reflect.TypeOf(syntax.Position{})

// shape writes the syntax tree v without positions, comments, resolver
// annotations and the raw spelling of literals.
func shape(b *strings.Builder, v reflect.Value) {
	if !v.IsValid() {
		b.WriteString("nil")
		return
	}
	switch n := v.Interface().(type) {
	case *syntax.Literal:
		fmt.Fprintf(b, "Literal(%v %v)", n.Token, n.Value)
		return
	case *syntax.ParenExpr:
		shape(b, reflect.ValueOf(n.X))
		return
	case *syntax.ExprStmt:
		if lit, ok := n.X.(*syntax.Literal); ok && lit.Token == syntax.STRING {
			b.WriteString("docstring")
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		shape(b, v.Elem())
	case reflect.Struct:
		t := v.Type()
		b.WriteString(t.Name() + "{")
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Type == positionType {
				continue
			}
			switch f.Name {
			case "Binding", "Function", "Module", "Options", "Path", "Scope", "Locals", "FreeVars":
				continue // resolver annotations and file metadata
			}
			b.WriteString(f.Name + ":")
			shape(b, v.Field(i))
			b.WriteByte(' ')
		}
		b.WriteByte('}')
	case reflect.Slice:
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if v.Index(i).CanInterface() {
				shape(b, v.Index(i))
			}
			b.WriteByte(',')
		}
		b.WriteByte(']')
	default:
		fmt.Fprintf(b, "%v", v.Interface())
	}
}
