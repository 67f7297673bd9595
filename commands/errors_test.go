package commands

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// An error nothing names is a bug: 70, never 1 (cron reads 1 as "some
// failure" and the README's table has no such row).
func TestExitCodeOfTheUnexpected(t *testing.T) {
	for _, err := range []error{errors.New("boom"), fmt.Errorf("wrapped: %w", errors.New("boom"))} {
		if got := ExitCode(err); got != ExitSoftware {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, ExitSoftware)
		}
	}
	if got := ExitCode(usageErrorf("x")); got != ExitUsage {
		t.Errorf("usage error: %d, want %d", got, ExitUsage)
	}
	// Stopped by a signal (the README's row 130; a signal mid-pass cannot
	// be timed through the binary without a race).
	if got := ExitCode(fmt.Errorf("list tenants: %w", context.Canceled)); got != 130 {
		t.Errorf("canceled: %d, want 130", got)
	}
}
