package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/urfave/cli/v2"
)

func newConfigCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "write a starter config, check a config, or import the old bot's files",
		Subcommands: []*cli.Command{
			{
				Name:      "init",
				Usage:     "write a commented starter config file (mode 0600)",
				UsageText: "kamobot config init [--force]",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Usage: "overwrite an existing file"}},
				Action: func(c *cli.Context) error {
					path := cmp.Or(d.configPath, config.DefaultPath())
					if err := writeNewFile(path, config.StarterConfig(), c.Bool("force")); err != nil {
						return err
					}
					fmt.Fprintf(d.Stdout, "wrote %s\nnext: fill in [kamonohashi] and the secrets, then run `kamobot config check`\n", path)
					return nil
				},
			},
			{
				Name:      "check",
				Usage:     "validate the config, reach KAMONOHASHI, and show the coming week's schedule",
				UsageText: "kamobot config check [--offline]",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "offline", Usage: "do not contact KAMONOHASHI"}},
				Action:    func(c *cli.Context) error { return runConfigCheck(c.Context, d, c.Bool("offline")) },
			},
			{
				Name:  "import-legacy",
				Usage: "translate the old Python bot's config.json, secure.json and message.json",
				UsageText: `kamobot config import-legacy --config config.json --secure secure.json --message message.json [-o config.toml] [--force]

Writes the TOML (to -o, or stdout), and the password and webhook from
secure.json into files beside it, mode 0600. Prints what needs a human.`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "config", Usage: "the old bot's config.json"},
					&cli.StringFlag{Name: "secure", Usage: "the old bot's secure.json"},
					&cli.StringFlag{Name: "message", Usage: "the old bot's message.json"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the config here (secrets beside it) instead of stdout"},
					&cli.BoolFlag{Name: "force", Usage: "overwrite existing files"},
				},
				Action: func(c *cli.Context) error { return runImportLegacy(c, d) },
			},
		},
	}
}

// writeNewFile writes a private file (0600, directory 0700), refusing to
// overwrite unless force.
func writeNewFile(path string, data []byte, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return usageErrorf("%s already exists; add --force to overwrite it", path)
	}
	if err != nil {
		return err
	}
	// An existing file is made private before the secret is written to it.
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	return errors.Join(err, f.Close())
}

func runConfigCheck(ctx context.Context, d *Deps, offline bool) error {
	cfg, err := d.Config()
	if err != nil {
		return err
	}
	out := d.Stdout
	fmt.Fprintf(out, "config: %s: ok\n", cmp.Or(cfg.File, "no file; from the environment"))
	fmt.Fprintf(out, "kamonohashi: %s as %s (password from %s)\n", cfg.Kamonohashi.Server, cfg.Kamonohashi.User, cfg.Kamonohashi.PasswordSource)
	for _, h := range cfg.Webhooks() {
		fmt.Fprintf(out, "slack: %s\n", h.Describe())
	}
	if err := cfg.RequireSlack(); err != nil {
		fmt.Fprintf(out, "slack: %v\n", err)
	}
	fmt.Fprintf(out, "watch: every %s; kinds %s; posts %s\n", cfg.Watch.Interval, joinStrings(cfg.Watch.Kinds), joinStrings(cfg.Watch.Notify))
	printTeam(out, cfg)
	if !offline {
		if err := checkServer(ctx, d, cfg); err != nil {
			return err
		}
	}
	fmt.Fprintln(out)
	if !cfg.Schedule.Enabled() {
		fmt.Fprintln(out, "schedule: none: kamobot posts at any hour and sends no greetings")
		return nil
	}
	fmt.Fprintf(out, "schedule for the coming week (%s):\n", cfg.Schedule.Location())
	for _, day := range cfg.Schedule.Week(d.Now()) {
		fmt.Fprintf(out, "  %s\n", day)
	}
	return nil
}

// printTeam shows the effective team settings: [watch]'s keys and each
// tenant's escalate IDs.
func printTeam(out io.Writer, cfg *config.Config) {
	for _, l := range cfg.Watch.Team.Describe() {
		fmt.Fprintf(out, "watch: %s\n", l)
	}
	escalates := false
	for _, t := range cfg.Tenants {
		if len(t.Escalate) > 0 {
			escalates = true
			fmt.Fprintf(out, "tenant %s: escalate %s\n", t.Label(), joinStrings(t.Escalate))
		}
	}
	if !escalates && cfg.Watch.Team.FailingCount > 0 {
		fmt.Fprintln(out, "tenants: no escalate IDs: a failing-repeatedly message mentions only the tenant's mention IDs")
	}
}

func checkServer(ctx context.Context, d *Deps, cfg *config.Config) error {
	client, err := d.client(cfg, "")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	version, err := client.Version(ctx)
	if err != nil {
		return fmt.Errorf("reach KAMONOHASHI: %w", err)
	}
	v, err := engine.ResolveTenants(ctx, cfg, client)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Stdout, "kamonohashi: reached (version %s), logged in; watching %d of %d visible tenants\n",
		version, len(v.Watched), len(v.Visible))
	if ahead := newestAhead(ctx, client, cfg, v, d.Now()); ahead > engine.FutureSkew {
		fmt.Fprintf(d.Stdout, "kamonohashi: warning: %s\n", engine.FutureWarning(cfg.Kamonohashi.Location, ahead))
	}
	if err := v.MissingError(); err != nil {
		return &ExitError{Code: ExitConfig, Err: err}
	}
	return nil
}

// newestAhead reads the newest jobs of the first watched tenant that has
// any (one small list per kind, training first) and returns how far the
// newest job's creation lies ahead of now: far ahead, the server writes its
// times in another zone than kamonohashi.timezone says. 0 when nothing
// could be read (a kind the account may not read is passed over).
func newestAhead(ctx context.Context, c *api.Client, cfg *config.Config, v engine.TenantView, now time.Time) time.Duration {
	for _, t := range v.Watched[:min(len(v.Watched), 3)] {
		for _, k := range cfg.Watch.Kinds {
			if k == api.KindPreprocessing {
				continue
			}
			res, err := c.List(ctx, t.ID, k, api.ListQuery{PerPage: 20})
			if err != nil || len(res.Jobs) == 0 {
				continue
			}
			newest := slices.MaxFunc(res.Jobs, func(a, b api.Job) int { return a.CreatedAt.Compare(b.CreatedAt) })
			return max(newest.CreatedAt.Sub(now), 0)
		}
	}
	return 0
}

func joinStrings[S ~string](xs []S) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = string(x)
	}
	return strings.Join(parts, ", ")
}

func runImportLegacy(c *cli.Context, d *Deps) error {
	var files [3]config.LegacyFile
	for i, flag := range []string{"config", "secure", "message"} {
		files[i].Name = c.String(flag)
		if files[i].Name == "" {
			continue
		}
		b, err := os.ReadFile(files[i].Name)
		if err != nil {
			return fmt.Errorf("--%s: %w", flag, err)
		}
		files[i].Data = b
	}
	toml, secrets, warns, err := config.ImportLegacyFiles(files[0], files[1], files[2])
	for _, w := range warns {
		fmt.Fprintf(d.Stderr, "warning: %s\n", w)
	}
	if err != nil {
		return err
	}
	d.Redactor.Add(secrets.Password.Reveal(), secrets.Webhook.Reveal())
	out := c.String("output")
	if out == "" {
		_, err := d.Stdout.Write(toml)
		if !secrets.Password.IsZero() || !secrets.Webhook.IsZero() {
			fmt.Fprintf(d.Stderr, "note: %s holds secrets; use -o FILE to write them to private files beside the config\n", c.String("secure"))
		}
		return err
	}
	// The secret files first, the config last; every path is checked before
	// any is written, so that a refusal leaves nothing behind.
	type file struct {
		path string
		data []byte
	}
	var writes []file
	for _, s := range []struct {
		name  string
		value config.Secret
	}{{secrets.PasswordFile, secrets.Password}, {secrets.WebhookFile, secrets.Webhook}} {
		if s.value.IsZero() || s.name == "" {
			continue
		}
		path := s.name
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(out), path)
		}
		writes = append(writes, file{path, []byte(s.value.Reveal() + "\n")})
	}
	writes = append(writes, file{out, toml})
	if !c.Bool("force") {
		for _, w := range writes {
			if _, err := os.Lstat(w.path); err == nil {
				return usageErrorf("%s already exists; add --force to overwrite it", w.path)
			}
		}
	}
	for _, w := range writes {
		if err := writeNewFile(w.path, w.data, c.Bool("force")); err != nil {
			return err
		}
		if w.path != out {
			fmt.Fprintf(d.Stdout, "wrote %s (0600)\n", w.path)
		}
	}
	fmt.Fprintf(d.Stdout, "wrote %s\nnext: kamobot --config %s config check\n", out, out)
	return nil
}
