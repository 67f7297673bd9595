package testkit

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

// GORACE is the GORACE value for a kamobot process started by a test: the
// one this test runs with, plus atexit_sleep_ms=0. A binary built with
// -race otherwise sleeps a second before it exits, which made most of the
// wall time of the end-to-end tests.
func GORACE() string {
	return strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
}

// Env is the environment of a kamobot process started by a test, built
// from nothing, so that the one the tests run in (SSL_CERT_FILE, a proxy,
// a KAMOBOT_ variable) does not leak in: PATH, HOME and the XDG homes
// under dir, TZ=Asia/Tokyo and GORACE, then vars. A var set to "" is left
// out.
func Env(dir string, vars map[string]string) []string {
	all := map[string]string{
		"PATH":            os.Getenv("PATH"),
		"HOME":            dir,
		"XDG_CONFIG_HOME": filepath.Join(dir, ".config"),
		"XDG_STATE_HOME":  filepath.Join(dir, ".state"),
		"TZ":              "Asia/Tokyo",
		"GORACE":          GORACE(),
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

// Result is how a process ended.
type Result struct {
	Code           int // the exit code; -1 when a signal ended it
	Stdout, Stderr string
}

// Command is a kamobot process for a test to start.
type Command struct {
	Bin  string
	Args []string
	Env  []string
	// Timeout kills the process (default a minute): a hung kamobot fails
	// the test instead of the whole run.
	Timeout time.Duration
}

// Run runs c to its end. The error is for a process that could not start
// or was killed by the timeout, not for an exit code.
func Run(ctx context.Context, c Command) (Result, error) {
	p, err := Start(ctx, c)
	if err != nil {
		return Result{}, err
	}
	return p.Wait()
}

// Process is a started kamobot.
type Process struct {
	cmd            *exec.Cmd
	ctx            context.Context
	cancel         context.CancelFunc
	stdout, stderr bytes.Buffer
}

// Start starts c.
func Start(ctx context.Context, c Command) (*Process, error) {
	if c.Timeout == 0 {
		c.Timeout = time.Minute
	}
	p := &Process{}
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
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Wait waits for the process to end.
func (p *Process) Wait() (Result, error) {
	defer p.cancel()
	err := p.cmd.Wait()
	r := Result{Stdout: p.stdout.String(), Stderr: p.stderr.String()}
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

// Notify receives what a kamobot process tells systemd: pass Path as
// NOTIFY_SOCKET in its environment.
type Notify struct {
	// Path is the socket's path.
	Path string
	c    chan string
}

// ListenNotify listens for systemd notifications until the test ends.
func ListenNotify(tb testing.TB) *Notify {
	tb.Helper()
	// A short path: a socket's path has a limit of about 100 bytes, which
	// a test's own temporary directory may pass.
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	n := &Notify{Path: filepath.Join(dir, "notify"), c: make(chan string, 64)}
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
func (n *Notify) Wait(ctx context.Context, text string) (string, error) {
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
