package testkit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// StartChild runs this test binary again as a server of its own, running
// only the test name with env added, and returns the URL the child gives
// with ServeChild. The child ends with the test or benchmark: its stdin
// is closed and it is waited for. Benchmarks use it to keep a fake's
// memory and CPU out of their figures.
func StartChild(tb testing.TB, name string, env ...string) string {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^"+name+"$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = stdin.Close() // the child returns from ServeChild
		_ = cmd.Wait()
	})
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "fake: ")
	if err != nil || !ok {
		tb.Fatalf("child %s: %q, %v", name, line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	return url
}

// ServeChild is the child's side of StartChild: it gives url to the parent
// and returns when the parent closes its stdin.
func ServeChild(url string) {
	fmt.Printf("fake: %s\n", url)
	_, _ = io.Copy(io.Discard, os.Stdin)
}
