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
	"sync"
	"syscall"

	"github.com/kamobot/kamobot/state"
)

var hooks struct {
	once    sync.Once
	point   string
	at      int
	failAt  int
	mu      sync.Mutex
	reached map[string]int
	writes  int
}

func loadHooks() {
	hooks.once.Do(func() {
		hooks.reached = map[string]int{}
		if v := os.Getenv("KAMOBOT_TEST_CRASH_AT"); v != "" {
			point, n, _ := strings.Cut(v, ":")
			hooks.point, hooks.at = point, 1
			if n != "" {
				hooks.at, _ = strconv.Atoi(n)
			}
		}
		if v := os.Getenv("KAMOBOT_TEST_FAIL_WRITE_AT"); v != "" {
			hooks.failAt, _ = strconv.Atoi(v)
		}
	})
}

// crashPoint kills the process with SIGKILL when it reaches the point and
// the count KAMOBOT_TEST_CRASH_AT names.
func crashPoint(point string) {
	loadHooks()
	if hooks.point != point {
		return
	}
	hooks.mu.Lock()
	hooks.reached[point]++
	n := hooks.reached[point]
	hooks.mu.Unlock()
	if n != hooks.at {
		return
	}
	fmt.Fprintf(os.Stderr, "testhooks: crash at %s:%d\n", point, n)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // SIGKILL cannot be caught: the process ends here
}

// installStoreHooks makes every state write reach the mid_state_write
// point (the temporary file is written, not yet renamed) and fail from
// the KAMOBOT_TEST_FAIL_WRITE_AT-th one on.
func installStoreHooks(s *state.Store) {
	loadHooks()
	if s.BeforeRename != nil {
		return
	}
	s.BeforeRename = func() error {
		crashPoint("mid_state_write")
		hooks.mu.Lock()
		hooks.writes++
		n := hooks.writes
		hooks.mu.Unlock()
		if hooks.failAt > 0 && n >= hooks.failAt {
			return fmt.Errorf("write %d: %w", n, syscall.ENOSPC)
		}
		return nil
	}
}
