package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Running the real kamobot binary in the tests: its environment, a runner
// that keeps its output and exit code, and a listener for what `watch`
// tells systemd.

// goRace is the GORACE value for a kamobot process started by a test: the
// one this test runs with, plus atexit_sleep_ms=0. A binary built with
// -race otherwise sleeps a second before it exits, which made most of the
// wall time of the end-to-end tests.
func goRace() string {
	return strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
}

// processEnv is the environment of a kamobot process started by a test, built
// from nothing, so that the one the tests run in (SSL_CERT_FILE, a proxy,
// a KAMOBOT_ variable) does not leak in: PATH, HOME and the XDG homes
// under dir, TZ=Asia/Tokyo and GORACE, then vars. A var set to "" is left
// out.
func processEnv(dir string, vars map[string]string) []string {
	all := map[string]string{
		"PATH":            os.Getenv("PATH"),
		"HOME":            dir,
		"XDG_CONFIG_HOME": filepath.Join(dir, ".config"),
		"XDG_STATE_HOME":  filepath.Join(dir, ".state"),
		"TZ":              "Asia/Tokyo",
		"GORACE":          goRace(),
	}
	maps.Copy(all, vars)
	env := make([]string, 0, len(all))
	for _, k := range slices.Sorted(maps.Keys(all)) {
		if all[k] != "" {
			env = append(env, k+"="+all[k])
		}
	}
	return env
}

// result is how a process ended.
type result struct {
	Code           int // the exit code; -1 when a signal ended it
	Stdout, Stderr string
}

// command is a kamobot process for a test to start.
type command struct {
	Bin  string
	Args []string
	Env  []string
	// Timeout kills the process (default a minute): a hung kamobot fails
	// the test instead of the whole run.
	Timeout time.Duration
}

// runKamobot runs c to its end. The error is for a process that could not start
// or was killed by the timeout, not for an exit code.
func runKamobot(ctx context.Context, c command) (result, error) {
	p, err := startKamobot(ctx, c)
	if err != nil {
		return result{}, err
	}
	return p.Wait()
}

// process is a started kamobot.
type process struct {
	cmd            *exec.Cmd
	ctx            context.Context
	cancel         context.CancelFunc
	stdout, stderr bytes.Buffer
}

// startKamobot starts c.
func startKamobot(ctx context.Context, c command) (*process, error) {
	if c.Timeout == 0 {
		c.Timeout = time.Minute
	}
	p := &process{}
	p.ctx, p.cancel = context.WithTimeout(ctx, c.Timeout)
	p.cmd = exec.CommandContext(p.ctx, c.Bin, c.Args...)
	p.cmd.Env = c.Env
	// After the timeout's kill, stop waiting for output that a child of
	// the process may still hold open.
	p.cmd.WaitDelay = time.Second
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		p.cancel()
		return nil, fmt.Errorf("start %s: %w", c.Bin, err)
	}
	return p, nil
}

// Signal sends sig to the process.
func (p *process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Wait waits for the process to end.
func (p *process) Wait() (result, error) {
	defer p.cancel()
	err := p.cmd.Wait()
	r := result{Stdout: p.stdout.String(), Stderr: p.stderr.String()}
	if p.ctx.Err() != nil {
		return r, fmt.Errorf("kamobot %s: %w", strings.Join(p.cmd.Args[1:], " "), p.ctx.Err())
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode() // -1 when a signal ended it
	case err != nil:
		return r, err // not about how the process ended
	}
	return r, nil
}

// notifySocket receives what a kamobot process tells systemd: pass Path as
// NOTIFY_SOCKET in its environment.
type notifySocket struct {
	// Path is the socket's path.
	Path string
	c    chan string
}

// listenNotify listens for systemd notifications until the test ends.
func listenNotify(tb testing.TB) *notifySocket {
	tb.Helper()
	// A short path: a socket's path has a limit of about 100 bytes, which
	// a test's own temporary directory may pass.
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	n := &notifySocket{Path: filepath.Join(dir, "notify"), c: make(chan string, 64)}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.Path, Net: "unixgram"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	go func() {
		defer close(n.c)
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			n.c <- string(buf[:k])
		}
	}()
	return n
}

// Wait waits for a notification that contains text, e.g. "READY=1" or
// "STATUS=last pass", and returns it.
func (n *notifySocket) Wait(ctx context.Context, text string) (string, error) {
	for {
		select {
		case msg, ok := <-n.c:
			if !ok {
				return "", fmt.Errorf("waiting for %q: the notify socket is closed", text)
			}
			if strings.Contains(msg, text) {
				return msg, nil
			}
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %q: %w", text, ctx.Err())
		}
	}
}

func TestProcessEnv(t *testing.T) {
	t.Setenv("KAMOBOT_PASSWORD", "from-the-test-environment")
	t.Setenv("GORACE", "halt_on_error=1")
	env := processEnv("/w", map[string]string{"KAMOBOT_USER": "demo", "TZ": "", "HOME": "/elsewhere"})
	for _, want := range []string{"KAMOBOT_USER=demo", "HOME=/elsewhere", "XDG_STATE_HOME=/w/.state",
		"GORACE=halt_on_error=1 atexit_sleep_ms=0"} {
		if !slices.Contains(env, want) {
			t.Errorf("no %s in %q", want, env)
		}
	}
	for _, e := range env {
		if strings.HasPrefix(e, "KAMOBOT_PASSWORD=") || strings.HasPrefix(e, "TZ=") {
			t.Errorf("%s in %q", e, env)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, c := range []struct {
		script string
		code   int
	}{{"exit 0", 0}, {"echo out; echo err >&2; exit 3", 3}, {"kill -9 $$", -1}} {
		r, err := runKamobot(t.Context(), command{Bin: sh, Args: []string{"-c", c.script}})
		if err != nil || r.Code != c.code {
			t.Errorf("%s: code %d, %v; want %d", c.script, r.Code, err, c.code)
		}
		if c.code == 3 && (r.Stdout != "out\n" || r.Stderr != "err\n") {
			t.Errorf("%s: stdout %q, stderr %q", c.script, r.Stdout, r.Stderr)
		}
	}
	_, err = runKamobot(t.Context(), command{Bin: sh, Args: []string{"-c", "exec sleep 10"}, Timeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("a process past its timeout: %v", err)
	}
}

func TestNotify(t *testing.T) {
	n := listenNotify(t)
	conn, err := net.Dial("unixgram", n.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, msg := range []string{"READY=1\nSTATUS=first pass", "STATUS=last pass 10:00:00 ok\nWATCHDOG=1"} {
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := n.Wait(ctx, "STATUS=last pass")
	if err != nil || !strings.Contains(got, "WATCHDOG=1") {
		t.Fatalf("Wait: %q, %v", got, err)
	}
	short, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	if _, err := n.Wait(short, "STOPPING=1"); err == nil {
		t.Error("Wait found a notification never sent")
	}
}
