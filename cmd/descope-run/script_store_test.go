package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/internal/s3test"
)

// storeKey keys a script's *storeState (set up by TestScript's Setup).
type storeKey struct{}

// storeState is what the s3 and machine commands started for a script.
type storeState struct {
	s3       *s3test.Server
	bucket   string
	machines map[string]*machine
}

// cmdS3 serves S3 in-process for the script and reads or writes its
// objects:
//
//	s3 start BUCKET      serve S3 on 127.0.0.1 with BUCKET; set $S3_URL (s3://BUCKET/descope with
//	                     the endpoint) and the AWS SDK's variables (static keys, no profile, no IMDS)
//	s3 ls PREFIX         print the keys under PREFIX (of the store URL's prefix), one a line, or "no objects under PREFIX"
//	s3 cat PREFIX        print the objects under PREFIX, in key order
//	                     (ls and cat replace the emulator's URL and project id as exitcode does)
//	s3 put KEY FILE      write FILE as an object
func cmdS3(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: s3 start BUCKET | ls PREFIX | cat PREFIX | put KEY FILE")
	}
	const prefix = "descope/"
	if args[0] == "start" {
		if len(args) != 2 {
			ts.Fatalf("usage: s3 start BUCKET")
		}
		st := ts.Value(storeKey{}).(*storeState)
		if st.s3 != nil {
			ts.Fatalf("s3 start: started already")
		}
		srv := s3test.NewServer(args[1])
		ts.Defer(srv.Close)
		st.s3, st.bucket = srv, args[1]
		for k, v := range s3test.Env {
			ts.Setenv(k, v)
		}
		ts.Setenv("S3_URL", srv.StoreURL(args[1], strings.TrimSuffix(prefix, "/")))
		return
	}
	st := ts.Value(storeKey{}).(*storeState)
	srv := st.s3
	if srv == nil {
		ts.Fatalf("s3: no server; run s3 start BUCKET first")
	}
	switch {
	case args[0] == "ls" && len(args) == 2:
		keys, err := srv.Keys(st.bucket, prefix+args[1])
		ts.Check(err)
		for _, k := range keys {
			fmt.Fprintln(ts.Stdout(), stableOutput(ts, strings.TrimPrefix(k, prefix)))
		}
		if len(keys) == 0 {
			fmt.Fprintf(ts.Stdout(), "no objects under %s\n", args[1])
		}
	case args[0] == "cat" && len(args) == 2:
		keys, err := srv.Keys(st.bucket, prefix+args[1])
		ts.Check(err)
		if len(keys) == 0 {
			ts.Fatalf("s3 cat: no object under %s", args[1])
		}
		for _, k := range keys {
			data, err := srv.Get(st.bucket, k)
			ts.Check(err)
			fmt.Fprint(ts.Stdout(), stableOutput(ts, string(data)))
		}
	case args[0] == "put" && len(args) == 3:
		ts.Check(srv.Put(st.bucket, prefix+args[1], []byte(ts.ReadFile(args[2]))))
	default:
		ts.Fatalf("usage: s3 start BUCKET | ls PREFIX | cat PREFIX | put KEY FILE")
	}
}

// machine is a program a script runs in the background, as another
// machine would, with its stdin a terminal (a pty) the script writes to.
type machine struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu     sync.Mutex
	out    bytes.Buffer  // stdout and stderr as they come
	stdout bytes.Buffer  // stdout alone
	stderr bytes.Buffer  // stderr alone
	more   chan struct{} // closed and replaced at each write
	done   chan struct{} // closed once the program exited
	err    error         // of Wait
}

// machineWriter adds what one of a machine's streams writes to its output.
type machineWriter struct {
	m    *machine
	last *bytes.Buffer
}

func (w machineWriter) Write(p []byte) (int, error) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	w.m.out.Write(p)
	w.last.Write(p)
	close(w.m.more)
	w.m.more = make(chan struct{})
	return len(p), nil
}

// machineVars are the variables a machine gets from the script, whatever
// the test process's own environment holds.
var machineVars = []string{
	"PATH", "HOME", "TMPDIR", "WORK", "NO_COLOR", "DESCOPE_RUN_LOG", "DESCOPE_RUN_BACKUP_URL",
	"DESCOPE_PROJECT_ID", "DESCOPE_MANAGEMENT_KEY", "DESCOPE_BASE_URL", "GORACE",
}

// awaitLimit bounds how long machine await waits for output, so that a
// script whose program never prints what it expects fails rather than
// hangs.
const awaitLimit = 2 * time.Minute

// cmdMachine runs programs in the background as other machines would:
//
//	machine start NAME [VAR=VALUE...] -- PROG ARGS...   start PROG with the script's environment, VARs set
//	machine await NAME REGEXP    wait until NAME's output (stdout and stderr) matches REGEXP
//	machine send NAME TEXT       write TEXT and a newline to NAME's stdin, a terminal (a pty)
//	machine kill NAME            kill NAME at once (SIGKILL: it cleans nothing up)
//	machine wait NAME N          wait for NAME to exit, fail unless its exit code is N, and keep its
//	                             stdout and stderr for stdout and stderr (as exitcode does)
func cmdMachine(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: machine start|await|send|kill|wait NAME ...")
	}
	st := ts.Value(storeKey{}).(*storeState)
	if st.machines == nil {
		st.machines = map[string]*machine{}
	}
	machines := st.machines
	name := args[1]
	m := machines[name]
	if args[0] != "start" && m == nil {
		ts.Fatalf("machine %s: not started", name)
	}
	switch args[0] {
	case "start":
		sep := slices.Index(args, "--")
		if m != nil || sep < 0 || sep == len(args)-1 {
			ts.Fatalf("usage: machine start NAME [VAR=VALUE...] -- PROG ARGS... (once per NAME)")
		}
		machines[name] = startMachine(ts, args[2:sep], args[sep+1:])
	case "await":
		if len(args) != 3 {
			ts.Fatalf("usage: machine await NAME REGEXP")
		}
		re, err := regexp.Compile(args[2])
		ts.Check(err)
		deadline := time.After(awaitLimit)
		for {
			m.mu.Lock()
			found, more := re.Match(m.out.Bytes()), m.more
			m.mu.Unlock()
			if found {
				return
			}
			select {
			case <-more:
			case <-m.done:
				ts.Fatalf("machine %s exited (%v) before its output matched %q:\n%s", name, m.err, args[2], m.out.String())
			case <-deadline:
				ts.Fatalf("machine %s: no output matched %q in %v:\n%s", name, args[2], awaitLimit, m.out.String())
			}
		}
	case "send":
		if len(args) != 3 {
			ts.Fatalf("usage: machine send NAME TEXT")
		}
		_, err := io.WriteString(m.stdin, args[2]+"\n")
		ts.Check(err)
	case "kill":
		ts.Check(m.cmd.Process.Kill())
		<-m.done
	case "wait":
		if len(args) != 3 {
			ts.Fatalf("usage: machine wait NAME N")
		}
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		// The terminal stays open until the program exits: closing it
		// would hang it up, dropping what send wrote and it has not read.
		select {
		case <-m.done:
		case <-time.After(awaitLimit):
			m.mu.Lock()
			defer m.mu.Unlock()
			ts.Fatalf("machine %s: still running after %v:\n%s", name, awaitLimit, m.out.String())
		}
		m.stdin.Close()
		got := 0
		if ee := (*exec.ExitError)(nil); errors.As(m.err, &ee) {
			got = ee.ExitCode()
		} else {
			ts.Check(m.err)
		}
		fmt.Fprint(ts.Stdout(), stableOutput(ts, m.stdout.String()))
		fmt.Fprint(ts.Stderr(), stableOutput(ts, m.stderr.String()))
		if got != want {
			ts.Fatalf("machine %s exited with %d, want %d", name, got, want)
		}
	default:
		ts.Fatalf("usage: machine start|await|send|kill|wait NAME ...")
	}
}

// startMachine starts prog with the script's environment and vars.
func startMachine(ts *testscript.TestScript, vars, prog []string) *machine {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		_, aws := s3test.Env[k]
		return aws || slices.Contains(machineVars, k)
	})
	for _, k := range machineVars {
		env = append(env, k+"="+ts.Getenv(k))
	}
	for k := range s3test.Env {
		env = append(env, k+"="+ts.Getenv(k))
	}
	for _, v := range vars {
		if !strings.Contains(v, "=") {
			ts.Fatalf("machine start: %q is not VAR=VALUE", v)
		}
		env = append(env, v)
	}
	path, err := exec.LookPath(prog[0])
	ts.Check(err)
	m := &machine{cmd: exec.Command(path, prog[1:]...), more: make(chan struct{}), done: make(chan struct{})}
	m.cmd.Env, m.cmd.Dir = env, ts.MkAbs(".")
	m.cmd.Stdout = machineWriter{m, &m.stdout}
	m.cmd.Stderr = machineWriter{m, &m.stderr}
	// Stdin is a terminal, as a person's shell gives it: a confirmation
	// is asked only on one. Its echo is read and dropped.
	ptmx, tty, err := pty.Open()
	ts.Check(err)
	m.stdin, m.cmd.Stdin = ptmx, tty
	ts.Check(m.cmd.Start())
	tty.Close()
	go io.Copy(io.Discard, ptmx)
	go func() {
		m.err = m.cmd.Wait()
		close(m.done)
	}()
	ts.Defer(func() {
		m.cmd.Process.Kill()
		<-m.done
		ptmx.Close()
	})
	return m
}

// stableOutput replaces the emulator's address and project id in s by the
// names of their variables, as exitcode does, and fails if s shows the
// emulator's management key.
func stableOutput(ts *testscript.TestScript, s string) string {
	srv := ts.Value(emulatorKey{}).(*emulator.Server)
	if strings.Contains(s, srv.ManagementKey()) {
		ts.Fatalf("the management key appears in the output")
	}
	return strings.NewReplacer(srv.URL, "$EMU_URL", srv.ProjectID(), "$EMU_PROJECT_ID").Replace(s)
}
