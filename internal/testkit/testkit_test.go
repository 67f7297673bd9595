package testkit

import (
	"context"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnv(t *testing.T) {
	t.Setenv("KAMOBOT_PASSWORD", "from-the-test-environment")
	t.Setenv("GORACE", "halt_on_error=1")
	env := Env("/w", map[string]string{"KAMOBOT_USER": "demo", "TZ": "", "HOME": "/elsewhere"})
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
		r, err := Run(t.Context(), Command{Bin: sh, Args: []string{"-c", c.script}})
		if err != nil || r.Code != c.code {
			t.Errorf("%s: code %d, %v; want %d", c.script, r.Code, err, c.code)
		}
		if c.code == 3 && (r.Stdout != "out\n" || r.Stderr != "err\n") {
			t.Errorf("%s: stdout %q, stderr %q", c.script, r.Stdout, r.Stderr)
		}
	}
	_, err = Run(t.Context(), Command{Bin: sh, Args: []string{"-c", "exec sleep 10"}, Timeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("a process past its timeout: %v", err)
	}
}

func TestNotify(t *testing.T) {
	n := ListenNotify(t)
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
