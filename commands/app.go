package commands

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"
)

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

Exit codes: 0 ok, 2 usage, 69 a service is unreachable or refused us,
74 the state cannot be written, 75 try again later (nothing was lost),
77 permission denied, 78 configuration error or corrupt state.`,
		Flags:                globalFlags(),
		HideVersion:          true,
		EnableBashCompletion: true,
		Writer:               d.Stdout,
		ErrWriter:            d.Stderr,
		ExitErrHandler:       func(*cli.Context, error) {},
		Before:               func(c *cli.Context) error { return d.setup(c) },
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &ExitError{Code: ExitUsage, Err: err}
		},
		Commands: []*cli.Command{
			newWatchCommand(d),
			newCheckCommand(d),
			newJobsCommand(d),
			newTenantsCommand(d),
			newTestSlackCommand(d),
			newConfigCommand(d),
			newStateCommand(d),
			newDemoCommand(d),
			newVersionCommand(d),
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(d.Stderr, "kamobot: unknown command %q; see kamobot --help\n", name)
		},
	}
	for _, cmd := range app.Commands {
		addGlobalFlags(d, cmd)
	}
	return app
}

// globalFlags are accepted before and after the command name.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "config file (default: $XDG_CONFIG_HOME/kamobot/config.toml)", EnvVars: []string{"KAMOBOT_CONFIG"}},
		&cli.StringFlag{Name: "state", Usage: "state file (default: $XDG_STATE_HOME/kamobot/state.json)", EnvVars: []string{"KAMOBOT_STATE"}},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"KAMOBOT_LOG_LEVEL"}},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json", EnvVars: []string{"KAMOBOT_LOG_FORMAT"}},
		&cli.BoolFlag{Name: insecureFlag, EnvVars: []string{"KAMOBOT_INSECURE_SKIP_TLS_VERIFY"},
			Usage: "UNSAFE: do not verify the KAMONOHASHI server's TLS certificate; anyone on the path can then " +
				"read the password (for a private CA, set kamonohashi.ca_file or SSL_CERT_FILE instead)"},
	}
}

// insecureFlag turns off TLS verification towards KAMONOHASHI (never
// towards Slack). It exists only as a flag (and its variable), never in the
// config file, and every client built with it logs a warning.
const insecureFlag = "insecure-skip-tls-verify"

// addGlobalFlags lets the global flags follow the command name too
// ("kamobot check --config x"), re-reading them once the command's flags
// are parsed.
func addGlobalFlags(d *Deps, cmd *cli.Command) {
	for _, f := range globalFlags() {
		// After the command name the flags come from the command line only:
		// the environment is read once, by the app's own copy, so that a
		// flag given anywhere on the command line beats the environment.
		switch f := f.(type) {
		case *cli.StringFlag:
			f.EnvVars = nil
		case *cli.BoolFlag:
			f.EnvVars = nil
		}
		// A command's own flag of the same name wins (import-legacy's
		// --config names the old bot's file).
		if !slices.ContainsFunc(cmd.Flags, func(g cli.Flag) bool { return slices.Contains(g.Names(), f.Names()[0]) }) {
			cmd.Flags = append(cmd.Flags, f)
		}
	}
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		if err := d.setup(c); err != nil {
			return err
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
	for _, sub := range cmd.Subcommands {
		addGlobalFlags(d, sub)
	}
}

// setup reads the global flags (wherever they were given) into d.
func (d *Deps) setup(c *cli.Context) error {
	if c.Command == nil || c.Command.Name != "import-legacy" {
		d.configPath = lookup(c, "config")
	}
	d.statePath = lookup(c, "state")
	log, err := newLogger(d.Stderr, lookup(c, "log-level"), lookup(c, "log-format"))
	if err != nil {
		return err
	}
	d.log = log
	d.insecureTLS = lookupBool(c, insecureFlag)
	return nil
}

// lookup returns the value of a global flag set on the command line or in
// the environment, wherever it was placed.
func lookup(c *cli.Context, name string) string {
	for _, cc := range c.Lineage() {
		if cc.IsSet(name) {
			return cc.String(name)
		}
	}
	return c.String(name)
}

// lookupBool is lookup for a boolean global flag.
func lookupBool(c *cli.Context, name string) bool {
	for _, cc := range c.Lineage() {
		if cc.IsSet(name) {
			return cc.Bool(name)
		}
	}
	return c.Bool(name)
}
