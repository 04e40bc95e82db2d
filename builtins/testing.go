package builtins

import (
	"go.starlark.net/starlark"
)

// collectorKey is the thread-local key of the collector that declarations
// record into, when it is not the one the predeclared names were made with.
const collectorKey = "descope-run.collector"

// SetCollector makes the declarations made on thread record into c rather
// than into the Collector given to Config. The test runner gives each test
// function a scratch state this way, while modules loaded at the top of a
// test file keep the file's.
func SetCollector(thread *starlark.Thread, c *Collector) { thread.SetLocal(collectorKey, c) }

// collector returns the collector of the declarations made on thread.
func (d *declarer) collector(thread *starlark.Thread) *Collector {
	if c, ok := thread.Local(collectorKey).(*Collector); ok {
		return c
	}
	return d.c
}

// Test returns the predeclared names of a test file (descope-run test) and
// of the modules it loads. Modules get those of a config (see Config), so
// they behave as they do under eval; the test file gets them plus the
// assert module and state():
//
//	def state(check = False)
//
// state returns what the running test has declared so far, as a
// StateValue. Declarations record into c unless SetCollector says
// otherwise. A test declares a fragment of a config, so references to
// objects it does not declare (a parent, a role's permissions) are checked
// only when check is True, and then fail as they would in eval.
func Test(c *Collector, files Files, vars *Vars) (modules, tests starlark.StringDict) {
	modules = Config(c, files, vars)
	tests = make(starlark.StringDict, len(modules)+2)
	for k, v := range modules {
		tests[k] = v
	}
	d := &declarer{c: c, files: files}
	tests["assert"] = AssertModule
	tests["state"] = starlark.NewBuiltin("state", d.state)
	return modules, tests
}

func (d *declarer) state(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	check := false
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "check?", &check); err != nil {
		return nil, err
	}
	s, err := d.collector(thread).State()
	if err != nil && check {
		return nil, err
	}
	return NewStateValue(s), nil
}
