// Package testkit is what the tests of several kamobot packages share: a
// builder of the real kamobot binary, the switch of the long runs, a
// buffer that code under test writes while the test reads it, and a
// benchmark's fake served from a child process.
//
// It is for tests only; no non-test code imports it.
package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// BuildOptions says how to build kamobot.
type BuildOptions struct {
	// Tags are build tags, e.g. "testhooks" for the crash hooks.
	Tags []string
	// Race builds with the race detector. RaceEnabled mirrors the running
	// test binary.
	Race bool
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
	noGo bool
}

// NewBinary returns a Binary built with o on first use.
func NewBinary(o BuildOptions) *Binary { return &Binary{opts: o} }

// Path builds the binary on the first call and returns its path. It skips
// the test when there is no go command and fails it when the build failed.
func (b *Binary) Path(tb testing.TB) string {
	tb.Helper()
	b.once.Do(b.build)
	switch {
	case b.noGo:
		tb.Skip("no go command to build kamobot with")
	case b.err != nil:
		tb.Fatal(b.err)
	}
	return b.path
}

// build runs `go build` in the current directory, which must be inside the
// module (a test's directory is), into a directory of its own: other tests
// share the result, so it does not use the test's context.
func (b *Binary) build() {
	gobin, err := exec.LookPath("go")
	if err != nil {
		b.noGo = true
		return
	}
	if b.dir, b.err = os.MkdirTemp("", "kamobot-test-bin-"); b.err != nil {
		return
	}
	b.path = filepath.Join(b.dir, "kamobot")
	args := []string{"build", "-o", b.path}
	if b.opts.Race {
		args = append(args, "-race")
	}
	if len(b.opts.Tags) > 0 {
		args = append(args, "-tags", strings.Join(b.opts.Tags, ","))
	}
	cmd := exec.Command(gobin, append(args, "github.com/kamobot/kamobot")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.err = fmt.Errorf("go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
}

// Remove deletes the built binary, if any. Call it once the tests are done.
func (b *Binary) Remove() { _ = os.RemoveAll(b.dir) } // "" removes nothing

// Long reports whether the long runs are asked for (KAMOBOT_LONG set, as
// .ci/run does): the crash soak, the whole-year schedule walk, the full
// secrets matrix.
func Long() bool { return os.Getenv("KAMOBOT_LONG") != "" }
