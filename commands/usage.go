package commands

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kamobot/kamobot/internal/fuzzy"
	"github.com/urfave/cli/v2"
)

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
	walk(cmd, path, func(c *cli.Command, p string) {
		if c != cmd && findFlag(c, name) != nil {
			owners = append(owners, p)
		}
	})
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

// findFlag finds cmd's flag by any of its names.
func findFlag(cmd *cli.Command, name string) cli.Flag {
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// walk calls fn on cmd and every command below it.
func walk(cmd *cli.Command, path string, fn func(*cli.Command, string)) {
	fn(cmd, path)
	for _, sub := range cmd.Subcommands {
		walk(sub, path+" "+sub.Name, fn)
	}
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
