package commands

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/internal/fuzzy"
	"github.com/kamobot/kamobot/state"
	"github.com/urfave/cli/v2"
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
	ExitUnavailable = 69  // a service is unreachable or refused us
	ExitSoftware    = 70  // an error kamobot did not expect: a bug
	ExitIOErr       = 74  // the state cannot be read or written
	ExitTempFail    = 75  // try again later: nothing was lost
	ExitNoPerm      = 77  // permission denied (file modes, 403, bad credentials)
	ExitConfig      = 78  // bad or missing config, corrupt state, a server that is not KAMONOHASHI
	ExitInterrupted = 130 // stopped by SIGINT or SIGTERM before the pass finished (128 + SIGINT)
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
		return ExitInterrupted
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

// usageError is a mistake on the command line: exit 2, one line saying
// what was wrong (with a suggestion when there is one), and a second line
// naming the help to read (`see 'kamobot jobs --help'`), never the help.
type usageError struct {
	msg  string
	help string // the command whose --help to see, e.g. "kamobot jobs"
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// The go flag package's messages, which urfave/cli passes on.
var (
	reUnknownFlag = regexp.MustCompile(`^flag provided but not defined: -+(.+)$`)
	reBadValue    = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:]+): `)
	reNeedsValue  = regexp.MustCompile(`^flag needs an argument: -+(.+)$`)
)

// flagUsageError turns a flag parsing error of cmd (at path) into a short
// usage error with a suggestion.
func flagUsageError(cmd *cli.Command, path string, err error) error {
	msg := err.Error()
	ue := &usageError{msg: msg, help: path}
	if m := reUnknownFlag.FindStringSubmatch(msg); m != nil {
		ue.msg = fmt.Sprintf("unknown flag %s", dashed(m[1])) + flagHint(cmd, path, m[1])
	} else if m := reBadValue.FindStringSubmatch(msg); m != nil {
		ue.msg = fmt.Sprintf("%s %q: %s", dashed(m[2]), m[1], valueHint(findFlag(cmd, m[2])))
	} else if m := reNeedsValue.FindStringSubmatch(msg); m != nil {
		ue.msg = fmt.Sprintf("%s needs a value", dashed(m[1]))
	}
	return ue
}

// flagHint suggests what was meant by an unknown flag name.
func flagHint(cmd *cli.Command, path, name string) string {
	switch name {
	case "n":
		// -n is no flag of kamobot: kubectl users type it for a namespace,
		// make and rsync users for a dry run.
		return "; for a tenant use --tenant, for a dry run --dry-run, for a number of jobs --limit"
	case "json":
		if findFlag(cmd, "output") != nil {
			return "; did you mean -o json?"
		}
	}
	var names []string
	for _, f := range cmd.Flags {
		if len(f.Names()[0]) > 1 {
			names = append(names, f.Names()[0])
		}
	}
	if s := suggest(name, names); s != "" {
		return fmt.Sprintf("; did you mean --%s?", s)
	}
	// A command's flag given before the command name.
	var owners []string
	var walk func(c *cli.Command, p string)
	walk = func(c *cli.Command, p string) {
		if c != cmd && findFlag(c, name) != nil {
			owners = append(owners, p)
		}
		for _, sub := range c.Subcommands {
			walk(sub, p+" "+sub.Name)
		}
	}
	walk(cmd, path)
	if len(owners) > 0 {
		return fmt.Sprintf("; it is a flag of '%s': give it after the command name", strings.Join(owners, "', '"))
	}
	return ""
}

// valueHint says which values a flag takes.
func valueHint(f cli.Flag) string {
	switch f.(type) {
	case *cli.DurationFlag:
		return "want a duration with its unit, such as 30s, 5m or 1h30m"
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		return "want a whole number"
	case *cli.BoolFlag:
		return "this flag takes no value (or =true, =false)"
	}
	return "not a valid value"
}

// unknownCommand reports an unknown (sub)command name under cmd.
func unknownCommand(cmd *cli.Command, path, name string) error {
	names := commandNames(cmd)
	msg := fmt.Sprintf("unknown command %q", strings.TrimPrefix(path+" "+name, "kamobot "))
	if strings.HasPrefix(name, "-") {
		msg = fmt.Sprintf("%q: flags go before the arguments", name)
	}
	if s := suggest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean '%s %s'?", path, s)
	} else {
		msg += fmt.Sprintf("; the commands are %s", strings.Join(names, ", "))
	}
	return &usageError{msg: msg, help: path}
}

// strayArgument reports arguments given to a command that takes none.
func strayArgument(cmd *cli.Command, path string, args []string) error {
	msg := fmt.Sprintf("'%s' takes no arguments, got %q", path, args[0])
	if len(args) > 1 {
		msg = fmt.Sprintf("'%s' takes no arguments, got %q", path, args)
	}
	if len(args) == 1 && findFlag(cmd, "tenant") != nil {
		msg += fmt.Sprintf("; did you mean --tenant %s?", args[0])
	}
	return &usageError{msg: msg, help: path}
}

func findFlag(cmd *cli.Command, name string) cli.Flag {
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// dashed writes a flag name as typed: -o, --output.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// suggest returns the candidate closest to s when it is close enough to be
// a typo (or s is a prefix of it), else "".
func suggest(s string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := fuzzy.Distance(strings.ToLower(s), strings.ToLower(c))
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			d = 1
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > max(1, min(len(s), len(best))/3) {
		return ""
	}
	return best
}
