// Package testkit is what kamobot's tests share: a builder of the real
// kamobot binary, the environment and runner for its processes, the fakes
// started together, and a listener for what `watch` tells systemd.
//
// It is for tests only; no non-test code imports it.
package testkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// MainPackage is the import path of the kamobot command.
const MainPackage = "github.com/kamobot/kamobot"

// ErrNoGo is returned by Build when there is no go command to build with.
var ErrNoGo = errors.New("no go command to build kamobot with")

// BuildOptions says how to build kamobot.
type BuildOptions struct {
	// Tags are build tags, e.g. "testhooks" for the crash hooks.
	Tags []string
	// Race builds with the race detector. RaceEnabled mirrors the running
	// test binary.
	Race bool
}

func (o BuildOptions) args(out string) []string {
	args := []string{"build", "-o", out}
	if o.Race {
		args = append(args, "-race")
	}
	if len(o.Tags) > 0 {
		args = append(args, "-tags", strings.Join(o.Tags, ","))
	}
	return append(args, MainPackage)
}

// Build builds the kamobot binary into dir and returns its path. It runs
// `go build` in the current directory, which must be inside the module
// (a test's directory is).
func Build(ctx context.Context, dir string, o BuildOptions) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", ErrNoGo
	}
	bin := filepath.Join(dir, "kamobot")
	cmd := exec.CommandContext(ctx, gobin, o.args(bin)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	return bin, nil
}

// Binary is a kamobot binary built at most once per test process, on
// first use, for the tests of a package to share. Build it in a TestMain:
//
//	var kamobot = testkit.NewBinary(testkit.BuildOptions{Race: testkit.RaceEnabled})
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		kamobot.Remove()
//		os.Exit(code)
//	}
//
// and call kamobot.Path(t) in the tests that run it.
type Binary struct {
	opts BuildOptions
	once sync.Once
	dir  string
	path string
	err  error
	took time.Duration
}

// NewBinary returns a Binary built with o on first use.
func NewBinary(o BuildOptions) *Binary { return &Binary{opts: o} }

// Path builds the binary on the first call and returns its path. It skips
// the test when there is no go command and fails it when the build failed.
func (b *Binary) Path(tb testing.TB) string {
	tb.Helper()
	b.once.Do(func() {
		start := time.Now()
		b.dir, b.err = os.MkdirTemp("", "kamobot-test-bin-")
		if b.err == nil {
			// Not the test's context: other tests share the result.
			b.path, b.err = Build(context.Background(), b.dir, b.opts)
		}
		b.took = time.Since(start)
	})
	switch {
	case errors.Is(b.err, ErrNoGo):
		tb.Skip(b.err)
	case b.err != nil:
		tb.Fatal(b.err)
	}
	return b.path
}

// Remove deletes the built binary, if any. Call it once the tests are done.
func (b *Binary) Remove() {
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// Long reports whether the long runs are asked for (KAMOBOT_LONG set, as
// .ci/run does): the crash soak, the whole-year schedule walk, the full
// secrets matrix.
func Long() bool { return os.Getenv("KAMOBOT_LONG") != "" }
