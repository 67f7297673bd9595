// Command kamobot watches KAMONOHASHI jobs and tells the team in Slack when
// one ends, fails, gets stuck or needs attention.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kamobot/kamobot/commands"
)

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	// ctx is canceled by the first SIGINT or SIGTERM; they are caught no
	// more after it, so that a second one ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run runs kamobot with args and returns the exit code. Errors are printed
// once, by commands.Run, through the redactor.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	d := commands.NewDeps(commands.ReadBuildInfo(version), stdout, stderr, getenv)
	if now := getenv("KAMOBOT_NOW"); now != "" {
		// A fixed clock, for reproducible output in tests and demos.
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			fmt.Fprintf(stderr, "kamobot: KAMOBOT_NOW %q: want an RFC 3339 time\n", now)
			return commands.ExitUsage
		}
		d.Now = func() time.Time { return t }
	}
	if s := getenv("KAMOBOT_REQUEST_TIMEOUT"); s != "" {
		// How long one KAMONOHASHI request may take (default 30s).
		t, err := time.ParseDuration(s)
		if err != nil || t <= 0 {
			fmt.Fprintf(stderr, "kamobot: KAMOBOT_REQUEST_TIMEOUT %q: want a duration such as 30s\n", s)
			return commands.ExitUsage
		}
		d.APITimeout = t
	}
	return commands.Run(ctx, d, args)
}
