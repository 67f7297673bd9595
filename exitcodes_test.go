package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestExitCodeTable drives every row of README.md's exit-code table
// (commands.ExitCode) through the real binary, against the fakes:
// testdata/exitcodes/exit_codes.txtar has one section per code. 70 and 130
// are unit tests in commands: a bug, and a signal in the middle of a pass,
// cannot be caused through the binary without a race.
func TestExitCodeTable(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata/exitcodes", true,
		map[string]func(ts *testscript.TestScript, neg bool, args []string){"kqifault": cmdKQIFault}))
}

// kqifault sets faults of the fake KAMONOHASHI the kqi command has no
// words for:
//
//	kqifault malformed PATH      2xx answers to PATH cut in the middle of the JSON
//	kqifault latency D PATH      answers to PATH come after D
func cmdKQIFault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: kqifault malformed PATH | kqifault latency D PATH")
	}
	f := fakesOf(ts)
	switch args[0] {
	case "malformed":
		f.KQI.SetFaults(kqifake.Faults{Malformed: true, Paths: args[1]})
	case "latency":
		if len(args) != 3 {
			ts.Fatalf("usage: kqifault latency D PATH")
		}
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		f.KQI.SetFaults(kqifake.Faults{Latency: d, Paths: args[2]})
	default:
		ts.Fatalf("unknown kqifault %q", args[0])
	}
}

// TestInstallPath follows README.md's install steps against the fakes of
// `kamobot demo --fake-only`, using the addresses it prints:
// testdata/install/*.txtar.
func TestInstallPath(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata/install", false,
		map[string]func(ts *testscript.TestScript, neg bool, args []string){"fakeonly": cmdFakeOnly}))
}

// fakeonly starts `kamobot demo --fake-only` in the background, waits for
// the addresses it prints, and sets them as $KAMONOHASHI_URL, $SLACK_URL
// and $WEBHOOK_URL. The demo is stopped when the script ends.
func cmdFakeOnly(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: fakeonly")
	}
	bin, err := lookPath(ts.Getenv("PATH"), "kamobot")
	ts.Check(err)
	cmd := exec.Command(bin, "demo", "--fake-only")
	cmd.Env = []string{"PATH=" + ts.Getenv("PATH"), "HOME=" + ts.Getenv("HOME"), "TMPDIR=" + ts.Getenv("TMPDIR")}
	out, err := cmd.StdoutPipe()
	ts.Check(err)
	cmd.Stderr = io.Discard
	ts.Check(cmd.Start())
	ts.Defer(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	names := map[string]string{"kamonohashi": "KAMONOHASHI_URL", "slack": "SLACK_URL", "webhook": "WEBHOOK_URL"}
	lines := bufio.NewScanner(out)
	for found := 0; found < len(names) && lines.Scan(); {
		key, value, ok := strings.Cut(lines.Text(), " ")
		if env, known := names[key]; ok && known {
			ts.Setenv(env, value)
			found++
		}
	}
	if ts.Getenv("WEBHOOK_URL") == "" {
		ts.Fatalf("demo --fake-only printed no webhook (%v)", lines.Err())
	}
}

func lookPath(path, name string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not in PATH", name)
}
