package builtins

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// AssertModule is the assert module of test files (descope-run test). A
// failed assertion stops the test with an *AssertionError, which the test
// runner reports at the position of the assert call.
//
//	def eq(got, want, msg = None)         got == want
//	def ne(got, unwanted, msg = None)     got != unwanted
//	def true(cond, msg = None)            cond is truthy
//	def contains(container, item, msg = None)   item in container
//	def fails(fn, pattern)                fn() fails with an error whose message matches the
//	                                      regular expression pattern; returns the message
var AssertModule = &starlarkstruct.Module{
	Name: "assert",
	Members: starlark.StringDict{
		"eq":       starlark.NewBuiltin("assert.eq", assertEq),
		"ne":       starlark.NewBuiltin("assert.ne", assertNe),
		"true":     starlark.NewBuiltin("assert.true", assertTrue),
		"contains": starlark.NewBuiltin("assert.contains", assertContains),
		"fails":    starlark.NewBuiltin("assert.fails", assertFails),
	},
}

// An AssertionError is a failed assertion: Msg names the assertion and
// shows the values involved.
type AssertionError struct {
	Msg string
}

func (e *AssertionError) Error() string { return e.Msg }

// failf returns an AssertionError for the assertion fn, with the user's msg
// (a string or None) before the details.
func failf(fn string, msg starlark.Value, format string, args ...any) error {
	var b strings.Builder
	b.WriteString(fn + ": ")
	if s, ok := starlark.AsString(msg); ok && s != "" {
		b.WriteString(s + ": ")
	} else if msg != nil && msg != starlark.None {
		b.WriteString(msg.String() + ": ")
	}
	fmt.Fprintf(&b, format, args...)
	return &AssertionError{Msg: b.String()}
}

func assertEq(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var got, want, msg starlark.Value = nil, nil, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "got", &got, "want", &want, "msg?", &msg); err != nil {
		return nil, err
	}
	eq, err := starlark.Equal(got, want)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if eq {
		return starlark.None, nil
	}
	return nil, failf(b.Name(), msg, "%s", gotWant(got, want))
}

func assertNe(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var got, unwanted, msg starlark.Value = nil, nil, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "got", &got, "unwanted", &unwanted, "msg?", &msg); err != nil {
		return nil, err
	}
	eq, err := starlark.Equal(got, unwanted)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if !eq {
		return starlark.None, nil
	}
	return nil, failf(b.Name(), msg, "got %s, want anything else", repr(got))
}

func assertTrue(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cond, msg starlark.Value = nil, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "cond", &cond, "msg?", &msg); err != nil {
		return nil, err
	}
	if cond.Truth() {
		return starlark.None, nil
	}
	return nil, failf(b.Name(), msg, "got %s, want a true value", repr(cond))
}

func assertContains(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var container, item, msg starlark.Value = nil, nil, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "container", &container, "item", &item, "msg?", &msg); err != nil {
		return nil, err
	}
	in, err := starlark.Binary(syntax.IN, item, container)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if in.Truth() {
		return starlark.None, nil
	}
	c, i := repr(container), repr(item)
	if long(c, i) {
		return nil, failf(b.Name(), msg, "%s not found\n    in:   %s\n    item: %s", container.Type(), c, i)
	}
	return nil, failf(b.Name(), msg, "%s does not contain %s", c, i)
}

func assertFails(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	var pattern string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn, "pattern", &pattern); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: pattern %q: %w", b.Name(), pattern, err)
	}
	_, err = starlark.Call(thread, fn, nil, nil)
	if err == nil {
		return nil, failf(b.Name(), nil, "%s did not fail; want an error matching %q", fn.Name(), pattern)
	}
	msg := err.Error()
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		msg = ee.Msg
	}
	if !re.MatchString(msg) {
		return nil, failf(b.Name(), nil, "%s failed with %q, want an error matching %q", fn.Name(), msg, pattern)
	}
	return starlark.String(msg), nil
}

// gotWant shows two values that should be equal: on one line when they are
// short and look different, else one per line, followed by where they
// differ (two tenants of the same id look alike: their fields differ).
func gotWant(got, want starlark.Value) string {
	g, w := repr(got), repr(want)
	if !long(g, w) && g != w {
		return fmt.Sprintf("got %s, want %s", g, w)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "values differ\n    got:  %s\n    want: %s", g, w)
	diffs := differences(nil, "", got, want, 0)
	if len(diffs) > 0 {
		b.WriteString("\n    where:")
	}
	for _, d := range diffs {
		b.WriteString("\n      " + d)
	}
	return b.String()
}

func repr(v starlark.Value) string { return v.String() }

// long reports whether values are too long to show on one line.
func long(reprs ...string) bool {
	n := 0
	for _, s := range reprs {
		if strings.Contains(s, "\n") {
			return true
		}
		n += len(s)
	}
	return n > 60
}

// maxDifferences bounds the differences gotWant lists.
const maxDifferences = 8

// differences lists where got and want differ, path by path (x["k"],
// x.field, x[2]), going into dicts, lists and values with fields.
func differences(out []string, path string, got, want starlark.Value, depth int) []string {
	if len(out) >= maxDifferences {
		return out
	}
	if eq, err := starlark.Equal(got, want); err == nil && eq {
		return out
	}
	at := func(p string) string {
		if p == "" {
			return "value"
		}
		return p
	}
	if depth < 8 {
		switch g := got.(type) {
		case starlark.String:
			// a leaf, though it is Indexable
		case *starlark.Dict:
			if w, ok := want.(*starlark.Dict); ok {
				for _, k := range g.Keys() {
					gv, _, _ := g.Get(k)
					p := path + "[" + k.String() + "]"
					if wv, found, _ := w.Get(k); found {
						out = differences(out, p, gv, wv, depth+1)
					} else if len(out) < maxDifferences {
						out = append(out, fmt.Sprintf("%s: got %s, want no such key", p, repr(gv)))
					}
				}
				for _, k := range w.Keys() {
					if _, found, _ := g.Get(k); !found && len(out) < maxDifferences {
						wv, _, _ := w.Get(k)
						out = append(out, fmt.Sprintf("%s[%s]: missing, want %s", path, k.String(), repr(wv)))
					}
				}
				return out
			}
		case starlark.Indexable:
			w, ok := want.(starlark.Indexable)
			if ok && got.Type() == want.Type() && g.Len() == w.Len() {
				for i := 0; i < g.Len(); i++ {
					out = differences(out, fmt.Sprintf("%s[%d]", path, i), g.Index(i), w.Index(i), depth+1)
				}
				return out
			}
			if ok && got.Type() == want.Type() {
				return append(out, fmt.Sprintf("%s: got %d elements, want %d", at(path), g.Len(), w.Len()))
			}
		case starlark.HasAttrs:
			w, ok := want.(starlark.HasAttrs)
			if ok && got.Type() == want.Type() {
				for _, name := range g.AttrNames() {
					gv, err1 := g.Attr(name)
					wv, err2 := w.Attr(name)
					if _, method := gv.(*starlark.Builtin); method {
						continue
					}
					if err1 == nil && err2 == nil && gv != nil && wv != nil {
						out = differences(out, path+"."+name, gv, wv, depth+1)
					}
				}
				return out
			}
		}
	}
	return append(out, fmt.Sprintf("%s: got %s, want %s", at(path), repr(got), repr(want)))
}
