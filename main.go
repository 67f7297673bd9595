// Command kamobot watches KAMONOHASHI jobs and tells the team in Slack when
// one ends, fails, gets stuck or needs attention.
package main

import (
	"context"
	"fmt"
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
	d := commands.NewDeps(commands.ReadBuildInfo(version), os.Stdout, os.Stderr, os.Getenv)
	if now := os.Getenv("KAMOBOT_NOW"); now != "" {
		// A fixed clock, for reproducible output in tests and demos.
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kamobot: KAMOBOT_NOW %q: want an RFC 3339 time\n", now)
			os.Exit(commands.ExitUsage)
		}
		d.Now = func() time.Time { return t }
	}
	if s := os.Getenv("KAMOBOT_REQUEST_TIMEOUT"); s != "" {
		// How long one KAMONOHASHI request may take (default 30s).
		t, err := time.ParseDuration(s)
		if err != nil || t <= 0 {
			fmt.Fprintf(os.Stderr, "kamobot: KAMOBOT_REQUEST_TIMEOUT %q: want a duration such as 30s\n", s)
			os.Exit(commands.ExitUsage)
		}
		d.APITimeout = t
	}
	// commands.Run prints an error once, through the redactor.
	code := commands.Run(ctx, d, os.Args)
	stop()
	os.Exit(code)
}
