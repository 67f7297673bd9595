package commands

import (
	"errors"
	"fmt"
)

// ExitError carries an exit code chosen by a command, for the cases no
// package sentinel names. main maps every other error by its sentinels.
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
