package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/state"
)

// ExitError carries an exit code chosen by a command, for the cases no
// package sentinel names. ExitCode maps every other error by its sentinels.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Exit codes (sysexits.h), the same for every command.
const (
	ExitOK          = 0
	ExitUsage       = 2
	ExitUnavailable = 69 // a service is unreachable or refused us
	ExitIOErr       = 74 // the state cannot be written
	ExitTempFail    = 75 // try again later: nothing was lost
	ExitNoPerm      = 77 // permission denied (file modes, 403, bad credentials)
	ExitConfig      = 78 // bad or missing config, corrupt state
)

// ErrSilent marks an error already reported to the user: main sets the
// exit code but prints nothing more.
var ErrSilent = errors.New("already reported")

func usageErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

func exitErrorf(code int, format string, args ...any) error {
	return &ExitError{Code: code, Err: fmt.Errorf(format, args...)}
}

// ExitCode maps an error to kamobot's exit code; it is the only place that
// does (main and the tests use it). See `kamobot --help` and the README for
// the table.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, engine.ErrDeadWebhook):
		return ExitUnavailable
	case errors.Is(err, engine.ErrNoTenant):
		return ExitConfig
	case errors.Is(err, engine.ErrAccess):
		return ExitNoPerm // a menu permission or a tenant the account lacks: a human grants it
	case errors.Is(err, engine.ErrFetchFailed), errors.Is(err, engine.ErrPending):
		return ExitTempFail
	case errors.Is(err, context.Canceled):
		return 130
	case errors.Is(err, config.ErrInsecurePermissions),
		errors.Is(err, api.ErrUnauthorized), errors.Is(err, api.ErrForbidden):
		return ExitNoPerm
	case errors.Is(err, config.ErrNotConfigured), errors.Is(err, config.ErrInvalid),
		errors.Is(err, state.ErrCorrupt), errors.Is(err, state.ErrNewer):
		return ExitConfig
	case errors.Is(err, state.ErrWrite):
		return ExitIOErr
	case errors.Is(err, api.ErrUnreachable):
		return ExitUnavailable
	case errors.Is(err, state.ErrLocked), api.IsTemporary(err):
		return ExitTempFail
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		return ExitConfig
	}
	return 1
}
