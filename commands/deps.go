// Package commands holds kamobot's subcommands, a file for each command or
// family (watch and health, jobs and tenants, mute and unmute), and what they
// share (config, API client, state store, sender, clock, logger), built
// lazily by Deps.
package commands

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/adrg/xdg"
	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/metrics"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// Deps holds what the commands share. The zero value is not usable; build
// it with NewDeps. Nothing in it is global: tests build their own.
type Deps struct {
	Build  BuildInfo           // names this binary
	Getenv func(string) string // reads the environment (os.Getenv in main)
	Now    func() time.Time    // the clock
	Rand   *rand.Rand          // picks message variants
	// Redactor masks every secret that config loading revealed.
	Redactor   *Redactor
	APITimeout time.Duration // bounds each KAMONOHASHI request (0: api.DefaultTimeout)
	// Stdout and Stderr receive data and diagnostics, masked by Redactor.
	Stdout, Stderr io.Writer
	// rawStdout is stdout unmasked, for what is known to hold no secret
	// (the fake Slack's webhook in `demo --fake-only`).
	rawStdout io.Writer
	// StdoutTTY and StderrTTY tell whether they are terminals: tables are
	// aligned, and progress is shown, only for people.
	StdoutTTY, StderrTTY bool

	log *slog.Logger // to stderr, masked

	// Set from the global flags before a command runs.
	configPath  string
	statePath   string
	insecureTLS bool // --insecure-skip-tls-verify

	mu  sync.Mutex
	cfg *config.Config

	// notFound is the error of `kamobot help NAME` for an unknown NAME
	// (urfave/cli's CommandNotFound hook cannot return one).
	notFound error

	// metrics, when set (watch --metrics-addr), observes the clients built.
	metrics *metrics.Metrics
}

// NewDeps returns Deps writing to stdout and stderr through a redactor.
func NewDeps(build BuildInfo, stdout, stderr io.Writer, getenv func(string) string) *Deps {
	r := &Redactor{}
	return &Deps{
		Build:     build,
		Getenv:    getenv,
		Now:       time.Now,
		Rand:      rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x6b616d6f)),
		Stdout:    r.Writer(stdout),
		Stderr:    r.Writer(stderr),
		Redactor:  r,
		rawStdout: stdout,
		StdoutTTY: isTerminal(stdout),
		StderrTTY: isTerminal(stderr),
		log:       slog.New(slog.NewTextHandler(r.Writer(stderr), nil)),
	}
}

// Config loads the config once, logs its warnings and registers its
// secrets with the redactor.
func (d *Deps) Config() (*config.Config, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	if d.cfg == nil {
		d.cfg, err = d.loadConfig()
	}
	return d.cfg, err
}

// ReloadConfig loads the config again and hands it to build (which builds
// what runs on it). Only when both succeed does it replace the config in
// force; otherwise that one stays and the error is returned.
func (d *Deps) ReloadConfig(build func(*config.Config) error) (*config.Config, error) {
	cfg, err := d.loadConfig()
	if err != nil {
		return nil, err
	}
	if err := build(cfg); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.cfg = cfg
	d.mu.Unlock()
	return cfg, nil
}

// loadConfig reads the config file and the environment, logs the
// warnings and registers the secrets with the redactor.
func (d *Deps) loadConfig() (*config.Config, error) {
	cfg, warns, err := config.Load(d.configPath, d.Getenv)
	for _, w := range warns {
		d.log.Warn(w.String())
	}
	if err != nil {
		return nil, typosFirst(err)
	}
	d.registerSecrets(cfg)
	return cfg, nil
}

func (d *Deps) registerSecrets(cfg *config.Config) {
	// A password equal to the user name protects nothing that showing the
	// user name does not already give away (demo/demo): masking it would
	// only hide the user name wherever it stands ("as <redacted>").
	if pw := cfg.Kamonohashi.Password.Reveal(); pw != cfg.Kamonohashi.User {
		d.Redactor.Add(pw)
	}
	for _, w := range cfg.Webhooks() {
		d.Redactor.Add(w.URL.Reveal())
	}
	d.Redactor.Add(cfg.Slack.App.BotToken.Reveal(), cfg.Slack.App.AppToken.Reveal())
}

// StatePath is the state file in use: --state, else the XDG state home.
func (d *Deps) StatePath() string {
	return cmp.Or(d.statePath, filepath.Join(xdg.StateHome, "kamobot", "state.json"))
}

// Store opens the state store.
func (d *Deps) Store() (*state.Store, error) {
	s, err := state.Open(d.StatePath())
	if err != nil {
		return nil, err
	}
	s.WrittenBy, s.Now = "kamobot "+d.Build.Version, d.Now
	return s, nil
}

// loadState loads the state of s for a command: a state file kamobot
// refuses to read comes with the way out (engine.StateHint, as a pass
// gives it).
func loadState(s *state.Store) (st *state.State, fresh bool, err error) {
	st, fresh, err = s.Load()
	return st, fresh, engine.StateHint(err)
}

// client builds the KAMONOHASHI client for cfg. It keeps its tokens in
// tokenFile (a pass's) when it is not empty, else in memory only.
func (d *Deps) client(cfg *config.Config, tokenFile string) (*api.Client, error) {
	ac := api.Config{
		BaseURL:  cfg.Kamonohashi.Server,
		User:     cfg.Kamonohashi.User,
		Password: cfg.Kamonohashi.Password.Reveal(),
		CAFile:   cfg.Kamonohashi.CAFile,
		// Off unless --insecure-skip-tls-verify; api.New then warns, and
		// the metrics gauge kamobot_tls_insecure reads it below.
		InsecureSkipVerify: d.insecureTLS,
		UserAgent:          d.Build.UserAgent(),
		Timeout:            d.APITimeout,
		ServerLocation:     cfg.Kamonohashi.Location,
		Logger:             d.log,
		MaxInFlight:        cfg.Kamonohashi.MaxInFlight,
		TokenFile:          tokenFile,
	}
	if m := d.metrics; m != nil {
		ac.Observe = m.ObserveAPI
		m.SetTLSInsecure(ac.InsecureSkipVerify)
	}
	return api.New(ac)
}

// Sender builds the Slack sender. It paces and backs off by the real
// clock, whatever d.Now says: those waits are real waits.
func (d *Deps) Sender() *notify.Sender {
	return notify.NewSender(notify.SenderOptions{UserAgent: d.Build.UserAgent(), Logger: d.log})
}

// App builds the Slack Web API sender of app mode, or nil without a bot
// token. Like Sender, it paces by the real clock.
func (d *Deps) App(cfg *config.Config) *notify.App {
	if !cfg.Slack.App.Enabled() {
		return nil
	}
	return notify.NewApp(cfg.Slack.App.BotToken.Reveal(), notify.AppOptions{APIURL: cfg.Slack.App.APIURL})
}

// NewPass builds a pass for cfg. who names the process in the lock file.
func (d *Deps) NewPass(cfg *config.Config, who string) (*engine.Pass, error) {
	// Passes keep the KAMONOHASHI tokens and tenant list between runs in
	// tokens.json beside the state file, mode 0600.
	client, err := d.client(cfg, filepath.Join(filepath.Dir(d.StatePath()), "tokens.json"))
	if err != nil {
		return nil, err
	}
	store, err := d.Store()
	if err != nil {
		return nil, err
	}
	return &engine.Pass{
		Cfg: cfg, API: client, Store: store, Sender: d.Sender(), App: d.App(cfg), Log: d.log, Now: d.Now,
		Pick:       func(key string) string { return cfg.Messages.Pick(key, d.Rand) },
		Who:        who,
		LockWait:   10 * time.Second,
		TenantsTTL: 10 * time.Minute,
		// A watch below a minute reads each kind every other pass: an
		// ending is noticed within two intervals (README, "How late an
		// ending can be noticed"); a check from cron reads every kind.
		ReadEveryOther: who == "watch" && cfg.Watch.Interval < time.Minute,
	}, nil
}

// isTerminal tells whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// typosFirst puts the "not configured: missing ..." part of a joined config
// error last: an unknown key (a typo'd "usr") is often why something is
// missing, and is read first.
func typosFirst(err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var typos, missing []error
	for _, e := range j.Unwrap() {
		if errors.Is(e, config.ErrNotConfigured) {
			missing = append(missing, e)
		} else {
			typos = append(typos, e)
		}
	}
	return errors.Join(append(typos, missing...)...)
}

// Redactor masks secrets in everything kamobot prints: logs, errors and
// command output all go through it. It is the last line of defence; the
// code never formats a secret on purpose.
type Redactor struct {
	mu      sync.RWMutex
	secrets [][]byte
}

// slackHook matches Slack webhook URLs whatever their host.
var slackHook = regexp.MustCompile(`(/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/)[A-Za-z0-9_\-]+`)

// bearer matches an Authorization header value.
var bearer = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._\-]+`)

// Add registers secret values to mask (empty and very short ones are
// ignored: masking "a" would mangle every line).
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) >= 4 {
			r.secrets = append(r.secrets, []byte(s))
		}
	}
}

// Mask returns b with every secret replaced by "<redacted>".
func (r *Redactor) Mask(b []byte) []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range r.secrets {
		b = bytes.ReplaceAll(b, s, []byte("<redacted>"))
	}
	b = slackHook.ReplaceAll(b, []byte("${1}<redacted>"))
	return bearer.ReplaceAll(b, []byte("${1}<redacted>"))
}

// Writer wraps w so that everything written through it is masked.
func (r *Redactor) Writer(w io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		if _, err := w.Write(r.Mask(p)); err != nil {
			return 0, err
		}
		return len(p), nil
	})
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
