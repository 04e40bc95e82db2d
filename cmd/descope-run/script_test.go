package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/emulator"
)

type emulatorKey struct{}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/script")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"descope-run": func() {
			// Stop the clock of descope-run test, so its times are 0.
			clock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
			os.Exit(Main())
		},
	})
}

// TestScript runs the golden tests in testdata/script; see the README there
// for the custom commands.
func TestScript(t *testing.T) {
	scripts, err := filepath.Abs("../../scripts")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("SCRIPTS", scripts)
			// A home of its own: backups, locks and the audit log live there.
			home := filepath.Join(env.WorkDir, ".home")
			if err := os.Mkdir(home, 0o700); err != nil {
				return err
			}
			env.Setenv("HOME", home)
			env.Setenv("NO_COLOR", "1")
			env.Setenv("DESCOPE_RUN_LOG", "")
			// Under -race every descope-run the script runs would sleep a
			// second before exiting (the race detector's atexit_sleep_ms),
			// most of the suite's time; races are still reported as they
			// happen. A GORACE of the caller's own comes after, and wins.
			env.Setenv("GORACE", strings.TrimSpace("atexit_sleep_ms=0 "+env.Getenv("GORACE")))
			// Every script gets its own emulator; scripts that want it as
			// their target export its coordinates (see the README).
			srv := emulator.NewServer(emulator.WithSeed(1))
			env.Defer(srv.Close)
			env.Values[emulatorKey{}] = srv
			env.Values[storeKey{}] = &storeState{}
			env.Setenv("EMU_URL", srv.URL)
			env.Setenv("EMU_PROJECT_ID", srv.ProjectID())
			env.Setenv("EMU_KEY", srv.ManagementKey())
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitcode,
			"emulator": cmdEmulator,
			"mangle":   cmdMangle,
			"s3":       cmdS3,
			"machine":  cmdMachine,
		},
	})
}

// cmdExitcode runs a program and asserts its exact exit code:
//
//	exitcode N prog args...
//
// stdout and stderr are kept for the stdout and stderr commands that follow,
// with the emulator's URL and project id replaced by "$EMU_URL" and
// "$EMU_PROJECT_ID"; output that shows the emulator's management key fails.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: exitcode N prog args... (no '!': N says what is expected)")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N prog args...")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
	// Replace the emulator's address and project id, which change from run
	// to run, by the names of their variables, so output can be compared
	// with golden files; and make sure the management key never shows.
	stdout, stderr := ts.ReadFile("stdout"), ts.ReadFile("stderr")
	srv := ts.Value(emulatorKey{}).(*emulator.Server)
	if key := srv.ManagementKey(); strings.Contains(stdout+stderr, key) {
		ts.Fatalf("the management key appears in the output of %s", args[1])
	}
	stable := strings.NewReplacer(srv.URL, "$EMU_URL", srv.ProjectID(), "$EMU_PROJECT_ID")
	fmt.Fprint(ts.Stdout(), stable.Replace(stdout))
	fmt.Fprint(ts.Stderr(), stable.Replace(stderr))
}

// cmdEmulator drives the script's emulator:
//
//	emulator seed FILE               replace the project with the descope.State in FILE (JSON)
//	emulator dump [KIND]             print the project (or one kind) as canonical JSON
//	emulator fault PATH STATUS|drop [TIMES]   inject a fault on requests to PATH
//	emulator requests                print "METHOD PATH" per request received
//	emulator reset-requests          forget the requests received so far
func cmdEmulator(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("emulator: no '!' form")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: emulator seed|dump|fault|requests|reset-requests ...")
	}
	srv := ts.Value(emulatorKey{}).(*emulator.Server)
	switch args[0] {
	case "seed":
		if len(args) != 2 {
			ts.Fatalf("usage: emulator seed FILE")
		}
		var st descope.State
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &st))
		ts.Check(srv.Seed(&st))
	case "dump":
		st := srv.State()
		if len(args) == 2 {
			st = onlyKind(st, descope.Kind(args[1]))
		}
		b, err := st.CanonicalJSON()
		ts.Check(err)
		fmt.Fprint(ts.Stdout(), string(b))
	case "fault":
		if len(args) < 3 || len(args) > 4 {
			ts.Fatalf("usage: emulator fault PATH STATUS|drop [TIMES]")
		}
		var f emulator.Fault
		if args[2] == "drop" {
			f.Drop = true
		} else {
			n, err := strconv.Atoi(args[2])
			ts.Check(err)
			f.Status = n
		}
		if len(args) == 4 {
			n, err := strconv.Atoi(args[3])
			ts.Check(err)
			f.Times = n
		}
		srv.SetFault(args[1], f)
	case "requests":
		var b strings.Builder
		for _, r := range srv.Requests() {
			fmt.Fprintf(&b, "%s %s\n", r.Method, r.Path)
		}
		fmt.Fprint(ts.Stdout(), b.String())
	case "reset-requests":
		srv.ResetRequests()
	default:
		ts.Fatalf("emulator: unknown subcommand %q", args[0])
	}
}

// onlyKind keeps one kind of object of st.
func onlyKind(st *descope.State, k descope.Kind) *descope.State {
	out := &descope.State{}
	switch k {
	case descope.KindTenant:
		out.Tenants = st.Tenants
	case descope.KindRole:
		out.Roles = st.Roles
	case descope.KindPermission:
		out.Permissions = st.Permissions
	case descope.KindFlow:
		for _, f := range st.Flows {
			out.Flows = append(out.Flows, &descope.Flow{ID: f.ID, Name: f.Name})
		}
	case descope.KindTheme:
		out.Theme = st.Theme
	case descope.KindProject:
		out.Project = st.Project
	case descope.KindSSO:
		out.SSO = st.SSO
	case descope.KindTenantAttribute:
		out.TenantAttributes = st.TenantAttributes
	}
	return out
}

// cmdMangle damages every .json file under a directory, to test how damaged
// backups are reported:
//
//	mangle DIR flip       change one byte in the middle of each file
//	mangle DIR truncate   cut each file in half
func cmdMangle(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || (args[1] != "flip" && args[1] != "truncate") {
		ts.Fatalf("usage: mangle DIR flip|truncate")
	}
	n := 0
	err := filepath.WalkDir(ts.MkAbs(args[0]), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if args[1] == "flip" {
			i := len(data) / 2
			for data[i] < '0' || data[i] > '9' { // change a digit, so the JSON stays valid
				i++
			}
			data[i] = '0' + (data[i]-'0'+1)%10
		} else {
			data = data[:len(data)/2]
		}
		n++
		return os.WriteFile(path, data, 0o600)
	})
	ts.Check(err)
	if n == 0 {
		ts.Fatalf("mangle: no .json file under %s", args[0])
	}
}
