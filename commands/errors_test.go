package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
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

// `kamobot --help` lists every exit code ExitCode returns, and every row
// of README.md's table.
func TestExitCodeHelpHasEveryCode(t *testing.T) {
	codes := []int{ExitOK, ExitUsage, ExitUnavailable, ExitSoftware, ExitIOErr, ExitTempFail, ExitNoPerm, ExitConfig, ExitInterrupted}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^\| ([0-9]+) \|`).FindAllStringSubmatch(string(readme), -1)
	if len(rows) != len(codes) {
		t.Errorf("README.md's exit-code table has %d rows, want %d", len(rows), len(codes))
	}
	for _, r := range rows {
		n, _ := strconv.Atoi(r[1])
		if !slices.Contains(codes, n) {
			t.Errorf("README.md lists exit code %d, which has no constant", n)
		}
	}
	for _, c := range codes {
		if !regexp.MustCompile(`(^|[ \n])` + strconv.Itoa(c) + ` `).MatchString(exitCodeHelp) {
			t.Errorf("exitCodeHelp does not list %d:\n%s", c, exitCodeHelp)
		}
	}
}
