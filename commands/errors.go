package commands

import (
	"context"
	"errors"
	"io/fs"

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

// Exit codes (sysexits.h), the same for every command. README.md's table
// and exitCodeHelp say the same; TestExitCodeTable drives each through the
// binary.
const (
	ExitOK          = 0
	ExitUsage       = 2
	ExitUnavailable = 69 // a service is unreachable or refused us
	ExitSoftware    = 70 // an error kamobot did not expect: a bug
	ExitIOErr       = 74 // the state cannot be read or written
	ExitTempFail    = 75 // try again later: nothing was lost
	ExitNoPerm      = 77 // permission denied (file modes, 403, bad credentials)
	ExitConfig      = 78 // bad or missing config, corrupt state, a server that is not KAMONOHASHI
)

// ExitCode maps an error to kamobot's exit code; it is the only place that
// does (Run and the tests use it). See `kamobot --help` and the README for
// the table. It never returns 1: an error nothing here names is a bug, 70.
func ExitCode(err error) int {
	var (
		ee *ExitError
		ue *usageError
		ce *config.Error
		pe *fs.PathError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
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
	case errors.Is(err, context.DeadlineExceeded):
		// A timeout (of a request, or of the whole pass) passes:
		// docs/reliability.md promises 75, the next pass tries again.
		return ExitTempFail
	case errors.Is(err, api.ErrUnreachable):
		return ExitUnavailable
	case errors.Is(err, api.ErrNotFound):
		// A 404 where kamobot asks what every KAMONOHASHI answers (login,
		// the account, the lists): the address is that of something else.
		return ExitConfig
	case errors.Is(err, state.ErrLocked), api.IsTemporary(err),
		errors.Is(err, api.ErrMalformed), errors.Is(err, api.ErrTooLarge):
		// A malformed or oversized answer is what check already reports
		// as a failed fetch (75): a proxy's error page, a cut answer.
		return ExitTempFail
	case errors.As(err, &ce):
		return ExitConfig
	case errors.As(err, &pe):
		// A file kamobot reads or writes that is not what it should be
		// (the state path a directory, a file it cannot open).
		return ExitIOErr
	}
	return ExitSoftware
}
