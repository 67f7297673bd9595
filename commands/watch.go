package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/metrics"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
	"github.com/urfave/cli/v2"
)

// MinInterval is the shortest time between two passes of watch.
const MinInterval = 5 * time.Second

type watchOptions struct {
	interval       time.Duration // 0: from the config
	metricsAddr    string        // where /metrics, /healthz and /livez are served, when set
	unhealthyAfter int           // how many failed passes in a row make /healthz 503
}

func newWatchCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "watch",
		Usage: "run passes forever: notice what changed and post it (a daemon)",
		UsageText: `kamobot watch [--interval D] [--metrics-addr HOST:PORT [--unhealthy-after N]]

Runs a pass at once, then every interval. A failed pass is logged and the
next one retries. SIGHUP (systemctl reload) or a change of the config file
reloads the config; an invalid new config is refused and the old one stays.
SIGINT or SIGTERM finishes the message being sent, saves, and exits 0.

With --metrics-addr (e.g. 127.0.0.1:9465; ":9465" listens on every
interface, for a container), it serves Prometheus metrics on /metrics,
/healthz (503 after --unhealthy-after failed passes in a row, or when no
pass has succeeded for that many intervals plus 5 minutes) and /livez (503
only when the loop is stuck). An address that cannot be had exits 78.

Under systemd (Type=notify) it reports READY=1, a STATUS= line after each
pass, and pings the watchdog (WatchdogSec=) after each pass that ended and
while it waits between passes, never while a pass hangs.`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "interval", Aliases: []string{"i"}, Usage: "time between passes", DefaultText: "watch.interval, 30s"},
			&cli.StringFlag{Name: "metrics-addr", EnvVars: []string{"KAMOBOT_METRICS_ADDR"},
				Usage: "serve /metrics, /healthz and /livez on `HOST:PORT`, e.g. " + metrics.DefaultAddr, DefaultText: "off"},
			&cli.IntFlag{Name: "unhealthy-after", Value: 3, EnvVars: []string{"KAMOBOT_UNHEALTHY_AFTER"},
				Usage: "/healthz answers 503 after `N` failed passes in a row"},
		},
		Action: func(c *cli.Context) error {
			o := watchOptions{interval: c.Duration("interval"), metricsAddr: c.String("metrics-addr"),
				unhealthyAfter: c.Int("unhealthy-after")}
			if c.IsSet("interval") && o.interval < MinInterval {
				return usageErrorf("--interval %s: the minimum is %s", o.interval, MinInterval)
			}
			if err := metrics.CheckAddr(o.metricsAddr); o.metricsAddr != "" && err != nil {
				return usageErrorf("--metrics-addr %v", err)
			}
			if o.unhealthyAfter < 1 {
				return usageErrorf("--unhealthy-after %d: give 1 or more", o.unhealthyAfter)
			}
			return runWatch(c.Context, d, o)
		},
	}
}

func runWatch(ctx context.Context, d *Deps, o watchOptions) error {
	cfg, err := d.Config()
	if err != nil {
		return err
	}
	if err := cfg.RequireSlack(); err != nil {
		return err
	}
	w := &watcher{d: d, cfgStamp: fileStamp(cfg.File), sd: newSDNotifier(d.log), pending: -1}
	intervalOf := func(cfg *config.Config) time.Duration {
		return cmp.Or(o.interval, max(cfg.Watch.Interval, MinInterval))
	}
	interval := func() time.Duration { return intervalOf(w.pass.Cfg) }
	if o.metricsAddr != "" {
		stop, err := w.serveMetrics(ctx, o, intervalOf(cfg))
		if err != nil {
			return err
		}
		defer stop()
	}
	if w.pass, err = d.NewPass(cfg, "watch"); err != nil {
		return err
	}
	desk, stopSlash := startSlash(ctx, d, cfg) // /kamobot, when an app token is set
	defer stopSlash()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	w.sd.notify(daemon.SdNotifyReady, "STATUS=first pass")
	defer w.sd.notify(daemon.SdNotifyStopping, "STATUS=stopping")
	d.log.Info("watching", "interval", interval(), "state", w.pass.Store.Path(), "config", cfg.File)

	err = engine.Loop{
		Pass:     func() *engine.Pass { return w.pass },
		Interval: interval,
		Before: func() {
			if w.pass.Cfg.File != "" && fileStamp(w.pass.Cfg.File) != w.cfgStamp {
				w.reload("the config file changed")
			}
			if w.metrics != nil {
				w.metrics.SetInterval(interval())
			}
			if desk != nil {
				desk.SetConfig(w.pass.Cfg)
			}
			w.start = time.Now()
		},
		After:  func(rep engine.Report, err error) error { return w.passDone(ctx, rep, err) },
		Wake:   hup,
		OnWake: func() { w.reload("SIGHUP") },
		Every:  w.sd.every,
		Ping:   func() { w.sd.notify(daemon.SdNotifyWatchdog) },
	}.Run(ctx)
	if err == nil {
		d.log.Info("stopping")
	}
	return err
}

// serveMetrics opens the metrics address and serves it until the returned
// stop is called. An address that cannot be had is a configuration error
// (exit 78): a restart would not make it free, so systemd must not loop.
func (w *watcher) serveMetrics(ctx context.Context, o watchOptions, interval time.Duration) (stop func(), err error) {
	d := w.d
	m := metrics.New(metrics.Options{
		Version: d.Build.Version, Commit: d.Build.Commit, GoVersion: d.Build.GoVersion,
		UnhealthyAfter: o.unhealthyAfter, Interval: interval,
	})
	srv, err := metrics.Listen(o.metricsAddr, m, d.log)
	if err != nil {
		return nil, &ExitError{Code: ExitConfig, Err: fmt.Errorf("--metrics-addr: %w", err)}
	}
	d.metrics, w.metrics = m, m // the clients built from now on report to m
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(sctx); err != nil {
			d.log.Error("metrics server stopped", errAttr(err))
		}
	})
	d.log.Info("serving metrics", "addr", srv.Addr().String(), "paths", "/metrics /healthz /livez")
	return func() { cancel(); wg.Wait() }, nil
}

// watcher holds what the watch loop keeps between passes.
type watcher struct {
	d        *Deps
	pass     *engine.Pass
	cfgStamp string
	failures int
	sd       *sdNotifier
	metrics  *metrics.Metrics // nil without --metrics-addr
	pending  int              // the outbox after the last pass that got to sending; -1 before
	start    time.Time        // when the pass under way started
}

// passDone logs a pass, records it in the metrics and tells systemd
// (STATUS=, WATCHDOG=1): a pass that returned, whatever its result, is
// progress. Only errors that no later pass can fix end the loop.
func (w *watcher) passDone(ctx context.Context, rep engine.Report, err error) error {
	took := time.Since(w.start)
	result := metrics.ResultOK
	switch {
	case ctx.Err() != nil:
		return nil // stopping: cut short, neither a result nor progress
	case err == nil:
		w.failures = 0
		if !rep.Quiet() {
			w.d.log.Info("pass", passAttrs(rep)...)
		}
	case errors.Is(err, state.ErrCorrupt), errors.Is(err, state.ErrNewer):
		return err // every pass would fail the same way: stop, exit 78
	case errors.Is(err, state.ErrLocked):
		result = metrics.ResultSkippedLocked
		w.d.log.Info("another kamobot is running a pass; skipping this one", errAttr(err))
	default:
		result = metrics.ResultFailed
		w.failures++
		w.d.log.Warn("pass failed; the next one retries", append(passAttrs(rep), errAttr(err), "failures_in_a_row", w.failures)...)
	}
	if rep.Sending {
		w.pending = rep.Pending
	}
	if w.metrics != nil {
		w.metrics.ObservePass(metrics.Pass{
			Result: result, Duration: took, StateWriteFailed: errors.Is(err, state.ErrWrite),
			Queued: rep.Queued, Sent: rep.Sent, Dead: rep.Dead, Failures: rep.SendFailures,
			OutboxSeen: rep.Sending, Pending: rep.Pending, OldestPending: rep.OldestPending,
			DeadLetters: rep.DeadLetters, DeadWebhooks: len(rep.DeadWebhooks),
		})
	}
	w.sd.notify("STATUS="+w.status(result), daemon.SdNotifyWatchdog)
	return nil
}

// status is the one line systemctl status shows, e.g. "last pass 12:00:03
// ok, 0 pending". It holds no error text: that may name hosts, and the
// status is readable by every local user.
func (w *watcher) status(result string) string {
	s := "last pass " + w.d.Now().Format("15:04:05") + " "
	switch result {
	case metrics.ResultFailed:
		s += fmt.Sprintf("failed (%d in a row; see the log)", w.failures)
	case metrics.ResultSkippedLocked:
		s += "skipped: another kamobot held the state"
	default:
		s += result
	}
	if w.pending >= 0 {
		s += fmt.Sprintf(", %d pending", w.pending)
	}
	return s
}

// reload reads the config again; an invalid one is refused and the one in
// force stays.
func (w *watcher) reload(why string) {
	var p *engine.Pass
	cfg, err := w.d.ReloadConfig(func(cfg *config.Config) (err error) {
		p, err = w.d.NewPass(cfg, "watch")
		return err
	})
	if err != nil {
		w.d.log.Error("config reload refused; keeping the config in force", "why", why, errAttr(err))
	} else {
		w.pass = p
		w.d.log.Info("config reloaded", "why", why, "file", cfg.File)
	}
	w.cfgStamp = fileStamp(w.pass.Cfg.File) // a refused file is not read again until it changes
}

// fileStamp identifies a file's content cheaply: size and modification time.
func fileStamp(path string) string {
	if path == "" {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "missing"
	}
	return fmt.Sprintf("%s/%d", fi.ModTime(), fi.Size())
}

// sdNotifier tells systemd (Type=notify) how the watch loop does: READY=1,
// STATUS=, WATCHDOG=1, STOPPING=1. Without NOTIFY_SOCKET it does nothing.
// Only the loop itself calls it, so a hung loop stops the watchdog pings
// and systemd restarts the service.
type sdNotifier struct {
	log *slog.Logger
	// every is how often the loop must ping while it waits: half of
	// WatchdogSec, as sd_watchdog_enabled(3) advises; 0 without a watchdog.
	every time.Duration
	once  sync.Once
}

func newSDNotifier(log *slog.Logger) *sdNotifier {
	wd, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("ignoring the systemd watchdog setting", errAttr(err))
	}
	return &sdNotifier{log: log, every: wd / 2}
}

// notify sends the lines as one datagram. A failure is logged once: the
// service manager may be gone while the work goes on.
func (s *sdNotifier) notify(lines ...string) {
	if _, err := daemon.SdNotify(false, strings.Join(lines, "\n")); err != nil {
		s.once.Do(func() { s.log.Warn("cannot notify systemd", errAttr(err)) })
	}
}

// startSlash answers `/kamobot` over Socket Mode while watch runs, when an
// app token is configured; it returns the desk (to follow config reloads)
// and a stop function, or nil and a no-op without an app token. It runs
// beside the passes and never holds them up: a lost connection only makes
// /kamobot silent until it is back.
func startSlash(ctx context.Context, d *Deps, cfg *config.Config) (*engine.Desk, func()) {
	app := cfg.Slack.App
	if app.AppToken.IsZero() || app.BotToken.IsZero() {
		return nil, func() {}
	}
	// Its own Store (its own lock file descriptor): `/kamobot mute` then
	// waits for a pass in progress rather than share its lock.
	own, err := d.Store()
	if err != nil {
		d.log.Warn("not answering /kamobot: cannot open the state", "err", err)
		return nil, func() {}
	}
	desk := engine.NewDesk(cfg, own, d.Now)
	bot, api := app.BotToken.Reveal(), app.APIURL
	desk.Groups = func(ctx context.Context, group string) ([]string, error) {
		return notify.GroupMembers(ctx, bot, api, group)
	}
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		notify.ServeSlash(sctx, notify.SlashOptions{BotToken: bot, AppToken: app.AppToken.Reveal(), APIURL: api,
			Log: d.log.With("part", "slash")}, desk.Answer)
	})
	d.log.Info("answering /kamobot over Socket Mode")
	return desk, func() { cancel(); wg.Wait() }
}
