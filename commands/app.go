package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/kamobot/kamobot/api"
	"github.com/urfave/cli/v2"
)

// Run runs the kamobot command line with args (args[0] is the program
// name), prints an error once, through the redactor, and returns the exit
// code. A usage error is one or two lines on stderr: what was wrong, a
// suggestion, and where the help is; never the help itself.
func Run(ctx context.Context, d *Deps, args []string) int {
	err := cmp.Or(NewApp(d).RunContext(ctx, args), d.notFound)
	if errors.Is(err, api.ErrNotFound) {
		// What the user can do about it: kamobot knows more than the error says.
		server := "kamonohashi.server"
		if d.cfg != nil {
			server += " (" + d.cfg.Kamonohashi.Server + ")"
		}
		err = fmt.Errorf("%w: the server answers, but not as KAMONOHASHI does; is %s the web address of KAMONOHASHI?", err, server)
	}
	if err != nil {
		fmt.Fprintf(d.Stderr, "kamobot: %v\n", err)
		var ue *usageError
		if errors.As(err, &ue) && ue.help != "" {
			fmt.Fprintf(d.Stderr, "see '%s --help'\n", ue.help)
		}
	}
	return ExitCode(err)
}

// NewApp builds the kamobot command line.
func NewApp(d *Deps) *cli.App {
	app := &cli.App{
		Name:      "kamobot",
		Usage:     "tell your team in Slack when KAMONOHASHI jobs end, fail or get stuck",
		UsageText: "kamobot [global options] command [command options]",
		Version:   d.Build.Version,
		Description: `kamobot watches the jobs of a KAMONOHASHI AI platform and posts to a Slack
incoming webhook when one ends, fails, gets stuck or needs attention.

Try it with nothing to set up:   kamobot demo
Start a config file:             kamobot config init

The global options go before or after the command name.

` + exitCodeHelp,
		Flags: append(globalFlags(),
			&cli.BoolFlag{Name: "version", Usage: "print the version and exit", DisableDefaultText: true}),
		HideVersion:          true,
		EnableBashCompletion: true,
		Writer:               d.Stdout,
		ErrWriter:            d.Stderr,
		ExitErrHandler:       func(*cli.Context, error) {},
		Before:               d.setup,
		Commands: []*cli.Command{
			newWatchCommand(d),
			newCheckCommand(d),
			newJobsCommand(d),
			newTenantsCommand(d),
			newReportCommand(d),
			newTestSlackCommand(d),
			newConfigCommand(d),
			newStateCommand(d),
			newMuteCommand(d),
			newUnmuteCommand(d),
			newHealthCommand(d),
			newDemoCommand(d),
			newCompletionCommand(d),
			{Name: "version", Usage: "print version, commit and Go version", Action: func(*cli.Context) error { return printVersion(d) }},
		},
		// Only `kamobot help NAME` gets here; an unknown command name is
		// the root Action's to report.
		CommandNotFound: func(c *cli.Context, name string) {
			d.notFound = unknownCommand(c.Command, "kamobot", name)
		},
	}
	root := &cli.Command{Name: "kamobot", Flags: app.Flags, Subcommands: app.Commands}
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return flagUsageError(root, "kamobot", err) }
	app.Action = func(c *cli.Context) error {
		if c.Bool("version") {
			return printVersion(d)
		}
		if c.Args().Present() {
			return unknownCommand(root, "kamobot", c.Args().First())
		}
		return cli.ShowAppHelp(c)
	}
	for _, cmd := range app.Commands {
		prepare(d, cmd, "kamobot "+cmd.Name)
	}
	return app
}

// exitCodeHelp is the exit-code table of `kamobot --help`; README.md has
// the same rows and TestExitCodeTable drives each through the binary.
const exitCodeHelp = `Exit codes: 0 ok, 2 usage error, 69 a service is unreachable or refused us,
70 an error kamobot did not expect (a bug: please report it), 74 the state
cannot be read or written, 75 try again later (nothing was lost),
77 permission denied, 78 configuration error or corrupt state, 130 stopped by
SIGINT or SIGTERM before the pass finished (nothing is lost).`

// globalFlags are accepted before and after the command name.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "config `FILE`", DefaultText: "$XDG_CONFIG_HOME/kamobot/config.toml", EnvVars: []string{"KAMOBOT_CONFIG"}},
		&cli.StringFlag{Name: "state", Usage: "state `FILE`", DefaultText: "$XDG_STATE_HOME/kamobot/state.json", EnvVars: []string{"KAMOBOT_STATE"}},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"KAMOBOT_LOG_LEVEL"}},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json", EnvVars: []string{"KAMOBOT_LOG_FORMAT"}},
		&cli.BoolFlag{Name: insecureFlag, EnvVars: []string{"KAMOBOT_INSECURE_SKIP_TLS_VERIFY"}, DisableDefaultText: true,
			Usage: "UNSAFE: do not verify the KAMONOHASHI server's TLS certificate; anyone on the path can then " +
				"read the password (for a private CA, set kamonohashi.ca_file or SSL_CERT_FILE instead)"},
	}
}

// globalHelpLine ends each command's help: the global flags are described
// once, in `kamobot --help`.
const globalHelpLine = `
GLOBAL OPTIONS (before or after the command; see 'kamobot --help'):
   --config FILE, --state FILE, --log-level L, --log-format F, --insecure-skip-tls-verify
`

// insecureFlag turns off TLS verification towards KAMONOHASHI (never
// towards Slack). It exists only as a flag (and its variable), never in the
// config file, and every client built with it logs a warning.
const insecureFlag = "insecure-skip-tls-verify"

// prepare readies cmd (at path, e.g. "kamobot state show") and its
// subcommands: the global flags may follow the command name, usage errors
// are short and exit 2, a stray argument is an error, and an unknown
// subcommand is reported with a suggestion.
func prepare(d *Deps, cmd *cli.Command, path string) {
	for _, f := range globalFlags() {
		// After the command name the flags come from the command line only:
		// the environment is read once, by the app's own copy, so that a
		// flag given anywhere on the command line beats the environment.
		// They are hidden there: `kamobot --help` shows them once.
		switch f := f.(type) {
		case *cli.StringFlag:
			f.EnvVars, f.Hidden = nil, true
		case *cli.BoolFlag:
			f.EnvVars, f.Hidden = nil, true
		}
		// A command's own flag of the same name wins (import-legacy's
		// --config names the old bot's file).
		if !slices.ContainsFunc(cmd.Flags, func(g cli.Flag) bool { return slices.Contains(g.Names(), f.Names()[0]) }) {
			cmd.Flags = append(cmd.Flags, f)
		}
	}
	for _, f := range cmd.Flags {
		if b, ok := f.(*cli.BoolFlag); ok {
			b.DisableDefaultText = true // "(default: false)" says nothing
		}
	}
	cmd.CustomHelpTemplate = cli.CommandHelpTemplate + globalHelpLine
	if len(cmd.Subcommands) > 0 {
		cmd.CustomHelpTemplate = cli.SubcommandHelpTemplate + globalHelpLine
	}
	cmd.Before = d.setup
	cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return flagUsageError(cmd, path, err) }
	if len(cmd.Subcommands) > 0 {
		own := cmd.Action // `mute --tenant T` acts itself; `mute list` is its subcommand
		cmd.Action = func(c *cli.Context) error {
			if c.Args().Present() {
				return unknownCommand(cmd, path, c.Args().First())
			}
			if own != nil && c.NumFlags() > 0 {
				return own(c)
			}
			return cli.ShowSubcommandHelp(c)
		}
	} else if action := cmd.Action; action != nil {
		takesArgs := cmd.Args
		cmd.Action = func(c *cli.Context) error {
			if !takesArgs && c.Args().Present() {
				return strayArgument(cmd, path, c.Args().Slice())
			}
			err := action(c)
			var ue *usageError
			if errors.As(err, &ue) && ue.help == "" {
				ue.help = path
			}
			return err
		}
	}
	for _, sub := range cmd.Subcommands {
		prepare(d, sub, path+" "+sub.Name)
	}
}

// setup reads the global flags (wherever they were given) into d.
func (d *Deps) setup(c *cli.Context) error {
	if c.Command == nil || c.Command.Name != "import-legacy" {
		d.configPath = lookup(c, "config").String("config")
	}
	d.statePath = lookup(c, "state").String("state")
	log, err := newLogger(d.Stderr, lookup(c, "log-level").String("log-level"), lookup(c, "log-format").String("log-format"))
	if err != nil {
		return &usageError{msg: err.Error(), help: "kamobot"}
	}
	d.log = log
	d.insecureTLS = lookup(c, insecureFlag).Bool(insecureFlag)
	return nil
}

// lookup returns the context in which a global flag was set, on the
// command line or in the environment, wherever it was placed; c itself
// (the flag's default) when it was set nowhere.
func lookup(c *cli.Context, name string) *cli.Context {
	for _, cc := range c.Lineage() {
		if cc.IsSet(name) {
			return cc
		}
	}
	return c
}

func printVersion(d *Deps) error {
	b := d.Build
	commit := b.Commit
	if b.Modified {
		commit += " (modified)"
	}
	_, err := fmt.Fprintf(d.Stdout, "kamobot %s\ncommit  %s\ngo      %s\n", b.Version, commit, b.GoVersion)
	return err
}

func commandNames(cmd *cli.Command) []string {
	var names []string
	for _, c := range cmd.Subcommands {
		if !c.Hidden && c.Name != "help" {
			names = append(names, c.Name)
		}
	}
	return names
}

// newLogger builds the slog logger: text (default) or JSON, to w.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErrorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("--log-format %q: use text or json", format)
}

// errAttr is how errors appear in logs.
func errAttr(err error) slog.Attr { return slog.String("err", fmt.Sprint(err)) }

// BuildInfo names this build. Version is set at link time
// (-ldflags "-X main.version=v1.2.3"); the rest comes from the Go build info.
type BuildInfo struct {
	Version   string
	Commit    string
	GoVersion string
	Modified  bool
}

// ReadBuildInfo fills BuildInfo from the binary, with version as the
// link-time version ("" for a development build).
func ReadBuildInfo(version string) BuildInfo {
	b := BuildInfo{Version: version, Commit: "unknown", GoVersion: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.GoVersion = bi.GoVersion
	b.Version = cmp.Or(b.Version, bi.Main.Version)
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if b.Version == "" || b.Version == "(devel)" {
		b.Version = "dev"
	}
	return b
}

// UserAgent is the User-Agent kamobot sends.
func (b BuildInfo) UserAgent() string { return "kamobot/" + b.Version }
