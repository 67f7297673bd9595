package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/kamobot/kamobot/state"
	"github.com/urfave/cli/v2"
)

// MinInterval is the shortest time between two passes of watch.
const MinInterval = 5 * time.Second

type watchOptions struct {
	interval time.Duration // 0: from the config
}

func newWatchCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "watch",
		Usage: "run passes forever: notice what changed and post it (a daemon)",
		UsageText: `kamobot watch [--interval D]

Runs a pass at once, then every interval. A failed pass is logged and the
next one retries. SIGHUP (systemctl reload) or a change of the config file
reloads the config; an invalid new config is refused and the old one stays.
SIGINT or SIGTERM finishes the message being sent, saves, and exits 0.`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "interval", Aliases: []string{"i"}, Usage: "time between passes (default: watch.interval, 30s)"},
		},
		Action: func(c *cli.Context) error {
			o := watchOptions{interval: c.Duration("interval")}
			if c.IsSet("interval") && o.interval < MinInterval {
				return usageErrorf("--interval %s: the minimum is %s", o.interval, MinInterval)
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
	p, err := d.NewPass(cfg, "watch")
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	interval := func() time.Duration {
		if o.interval > 0 {
			return o.interval
		}
		return max(p.Cfg.Watch.Interval, MinInterval)
	}
	w := &watcher{d: d, pass: p, cfgStamp: fileStamp(cfg.File)}
	_, _ = daemon.SdNotify(false, daemon.SdNotifyReady)
	defer daemon.SdNotify(false, daemon.SdNotifyStopping) //nolint:errcheck // best effort
	d.Log().Info("watching", "interval", interval(), "state", p.Store.Path(), "config", cfg.File)

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			d.Log().Info("stopping")
			return nil
		case <-hup:
			w.reload("SIGHUP")
			continue
		case <-timer.C:
		}
		if w.configChanged() {
			w.reload("the config file changed")
		}
		start := time.Now()
		if err := w.runPass(ctx); err != nil {
			return err
		}
		timer.Reset(max(interval()-time.Since(start), 0))
	}
}

// watcher holds what the watch loop keeps between passes.
type watcher struct {
	d        *Deps
	pass     *Pass
	cfgStamp string
	failures int
}

// runPass runs one pass and logs it. Only errors that no later pass can
// fix end the loop.
func (w *watcher) runPass(ctx context.Context) error {
	rep, err := w.pass.Run(ctx, PassOptions{})
	log := w.d.Log()
	switch {
	case ctx.Err() != nil:
		return nil
	case err == nil:
		w.failures = 0
		if !rep.Quiet() {
			log.Info("pass", passAttrs(rep)...)
		}
	case errors.Is(err, state.ErrCorrupt), errors.Is(err, state.ErrNewer):
		return err // every pass would fail the same way: stop, exit 78
	case errors.Is(err, state.ErrLocked):
		log.Info("another kamobot is running a pass; skipping this one", errAttr(err))
	default:
		w.failures++
		log.Warn("pass failed; the next one retries", append(passAttrs(rep), errAttr(err), "failures_in_a_row", w.failures)...)
	}
	_, _ = daemon.SdNotify(false, daemon.SdNotifyWatchdog)
	return nil
}

// reload reads the config again; an invalid one is refused and the one in
// force stays.
func (w *watcher) reload(why string) {
	log := w.d.Log()
	cfg, err := w.d.ReloadConfig()
	w.cfgStamp = fileStamp(w.pass.Cfg.File)
	if err != nil {
		log.Error("config reload refused; keeping the config in force", "why", why, errAttr(err))
		return
	}
	p, err := w.d.NewPass(cfg, "watch")
	if err != nil {
		log.Error("config reload refused; keeping the config in force", "why", why, errAttr(err))
		return
	}
	w.pass = p
	w.cfgStamp = fileStamp(cfg.File)
	log.Info("config reloaded", "why", why, "file", cfg.File)
}

func (w *watcher) configChanged() bool {
	return w.pass.Cfg.File != "" && fileStamp(w.pass.Cfg.File) != w.cfgStamp
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
