package engine

import (
	"context"
	"os"
	"time"
)

// Loop runs passes until ctx ends: one at once, then one every Interval,
// from the start of one to the start of the next. `watch` and `demo` run
// it; `check` runs it for one pass.
type Loop struct {
	// Pass returns the pass to run next (watch builds a new one when its
	// config is reloaded).
	Pass    func() *Pass
	Options Options
	// Interval is the time between the starts of two passes; nil runs one
	// pass.
	Interval func() time.Duration
	// Before, when set, runs before each pass.
	Before func()
	// After gets what each pass returned; an error from it ends the loop
	// with that error. A pass cut short by ctx ends the loop after it.
	After func(Report, error) error
	// Wake, while the loop waits between passes, makes it call OnWake
	// (watch: SIGHUP reloads the config).
	Wake   <-chan os.Signal
	OnWake func()
	// When Every > 0, Ping is called at least that often while the loop
	// waits between passes, by the loop itself and never during a pass
	// (watch: the systemd watchdog, so that a hung pass is noticed).
	Every time.Duration
	Ping  func()
}

// Run runs the loop. It returns nil once ctx ends, or the first error
// After returns.
func (l Loop) Run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		if l.Before != nil {
			l.Before()
		}
		start := time.Now()
		rep, err := l.Pass().Run(ctx, l.Options)
		if err := l.After(rep, err); err != nil {
			return err
		}
		if ctx.Err() != nil || l.Interval == nil {
			return nil
		}
		next := start.Add(l.Interval())
		for wait := time.Until(next); wait > 0; wait = time.Until(next) {
			if l.Every > 0 {
				wait = min(wait, l.Every)
			}
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return nil
			case <-l.Wake:
				timer.Stop()
				l.OnWake()
				continue
			case <-timer.C:
			}
			if l.Ping != nil && time.Now().Before(next) {
				// Woken only to ping: waiting between passes is healthy.
				l.Ping()
			}
		}
	}
}
