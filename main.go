// Command kamobot watches KAMONOHASHI jobs and tells the team in Slack when
// one ends, fails, gets stuck or needs attention.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/commands"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/state"
)

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// signalContext is canceled by the first SIGINT or SIGTERM; a second one
// ends the process at once.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// run runs kamobot with args and returns the exit code. Errors are printed
// once, here, through the redactor.
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
	err := commands.NewApp(d).RunContext(ctx, args)
	code := exitCode(err)
	if err != nil && !errors.Is(err, commands.ErrSilent) {
		fmt.Fprintf(d.Stderr, "kamobot: %v\n", err)
	}
	return code
}

// exitCode maps an error to kamobot's exit code; it is the only place that
// does. See `kamobot --help` and the README for the table.
func exitCode(err error) int {
	var ee *commands.ExitError
	switch {
	case err == nil:
		return commands.ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return 130
	case errors.Is(err, config.ErrInsecurePermissions),
		errors.Is(err, api.ErrUnauthorized), errors.Is(err, api.ErrForbidden):
		return commands.ExitNoPerm
	case errors.Is(err, config.ErrNotConfigured), errors.Is(err, config.ErrInvalid),
		errors.Is(err, state.ErrCorrupt), errors.Is(err, state.ErrNewer):
		return commands.ExitConfig
	case errors.Is(err, state.ErrWrite):
		return commands.ExitIOErr
	case errors.Is(err, api.ErrUnreachable):
		return commands.ExitUnavailable
	case errors.Is(err, state.ErrLocked), api.IsTemporary(err):
		return commands.ExitTempFail
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		return commands.ExitConfig
	}
	return 1
}
