package commands

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kamobot/kamobot/internal/testkit"
)

// On a terminal, the status line shows after a second of waiting, says
// what is waited for, and is cleared; piped, nothing is written.
func TestStatusLine(t *testing.T) {
	for _, tty := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			var errOut testkit.SyncBuffer
			d := &Deps{Stderr: &errOut, StderrTTY: tty}
			s := d.statusLine()
			s.set("waiting for KAMONOHASHI to list the jobs")
			time.Sleep(900 * time.Millisecond)
			synctest.Wait()
			if got := errOut.String(); got != "" {
				t.Fatalf("tty=%v: shown before a second: %q", tty, got)
			}
			time.Sleep(200 * time.Millisecond)
			synctest.Wait()
			s.done()
			got := errOut.String()
			if !tty {
				if got != "" {
					t.Fatalf("piped: wrote %q", got)
				}
				return
			}
			if !strings.HasPrefix(got, "waiting for KAMONOHASHI to list the jobs…") || !strings.HasSuffix(got, "\r\033[K") {
				t.Fatalf("tty: wrote %q", got)
			}
		})
	}
}
