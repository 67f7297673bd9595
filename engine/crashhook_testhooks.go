//go:build testhooks

package engine

// This file is compiled only into the binary the fault-injection tests
// build (go build -tags testhooks). It reads two variables:
//
//	KAMOBOT_TEST_CRASH_AT=<point>[:<n>]  SIGKILL the process the n-th time
//	                                      (default 1) it reaches point:
//	                                      after_fetch, after_outbox_save,
//	                                      after_post_before_mark, mid_state_write
//	KAMOBOT_TEST_FAIL_WRITE_AT=<n>        the n-th state write and every one
//	                                      after it fail with ENOSPC (a full disk)
//
// Before it kills itself it writes "testhooks: crash at <point>:<n>" to
// stderr, so the test can tell where the process died.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/kamobot/kamobot/state"
)

var (
	crashAt, crashAtN, _ = strings.Cut(os.Getenv("KAMOBOT_TEST_CRASH_AT"), ":")
	failWriteAt, _       = strconv.Atoi(os.Getenv("KAMOBOT_TEST_FAIL_WRITE_AT"))

	// How many times the process reached the point KAMOBOT_TEST_CRASH_AT
	// names, and wrote the state.
	reached, writes atomic.Int64
)

// crashPoint kills the process with SIGKILL when it reaches the point and
// the count KAMOBOT_TEST_CRASH_AT names.
func crashPoint(point string) {
	if point != crashAt {
		return
	}
	at := 1
	if crashAtN != "" {
		at, _ = strconv.Atoi(crashAtN)
	}
	if n := int(reached.Add(1)); n == at {
		fmt.Fprintf(os.Stderr, "testhooks: crash at %s:%d\n", point, n)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL cannot be caught: the process ends here
	}
}

// installStoreHooks makes every state write reach the mid_state_write
// point (the temporary file is written, not yet renamed) and fail from
// the KAMOBOT_TEST_FAIL_WRITE_AT-th one on. The counts are the process's:
// installed again by each pass, it is the same hook.
func installStoreHooks(s *state.Store) {
	s.BeforeRename = func() error {
		crashPoint("mid_state_write")
		if n := int(writes.Add(1)); failWriteAt > 0 && n >= failWriteAt {
			return fmt.Errorf("write %d: %w", n, syscall.ENOSPC)
		}
		return nil
	}
}
