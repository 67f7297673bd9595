package commands

import (
	"fmt"
	"time"

	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify"
	"github.com/urfave/cli/v2"
)

func newCheckCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "run one pass: notice what changed, post it, remember it (for cron)",
		UsageText: `kamobot check [--dry-run [--at TIME]] [--lock-wait D]

Prints nothing when all went well. Exit codes: 0 ok, 69 Slack or KAMONOHASHI
refuses us, 74 the state cannot be written, 75 try again later (nothing was
lost: the next check sends what is pending), 77 permission denied,
78 configuration error or corrupt state, 130 stopped by SIGINT or SIGTERM
before the pass finished (nothing is lost: the next check goes on).`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "print the messages that would be sent; change nothing"},
			&cli.StringFlag{Name: "at",
				Usage: "with --dry-run: evaluate as if it were `TIME`: 2026-11-26T09:00:00+09:00, " +
					"2026-11-26 09:00 (in the schedule's zone) or 09:00 (today there)"},
			&cli.DurationFlag{Name: "lock-wait", Value: 10 * time.Second, Usage: "wait this long for another kamobot's pass to finish"},
		},
		Action: func(c *cli.Context) error { return runCheck(c, d) },
	}
}

func runCheck(c *cli.Context, d *Deps) error {
	dryRun := c.Bool("dry-run")
	if c.String("at") != "" && !dryRun {
		return usageErrorf("--at goes with --dry-run: a real pass runs now")
	}
	cfg, err := d.Config()
	if err != nil {
		return err
	}
	if err := cfg.RequireSlack(); err != nil && !dryRun {
		return err
	}
	var at time.Time
	if s := c.String("at"); s != "" {
		if at, err = parseAt(s, d.Now(), cfg.Schedule.Location()); err != nil {
			return err
		}
	}
	p, err := d.NewPass(cfg, "check")
	if err != nil {
		return err
	}
	p.LockWait = c.Duration("lock-wait")
	return engine.Loop{
		Pass:    func() *engine.Pass { return p },
		Options: engine.Options{DryRun: dryRun, At: at},
		After: func(rep engine.Report, err error) error {
			if dryRun && err == nil {
				return printMessages(d, rep)
			}
			if err == nil {
				d.log.Debug("pass done", passAttrs(rep)...)
			}
			return err
		},
	}.Run(c.Context)
}

// printMessages shows the messages a dry run would send, as people would
// read them in Slack, and why there is nothing to send when there is
// nothing: a first pass records a baseline, events wait for the digest.
func printMessages(d *Deps, rep engine.Report) error {
	out := d.Stdout
	if len(rep.Messages) == 0 {
		fmt.Fprintln(out, "nothing to send")
	}
	for i, m := range rep.Messages {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "── message %d of %d · %s · to %s ──\n%s\n", i+1, len(rep.Messages), m.Kind, m.Hook,
			notify.TextView(m.Payload))
	}
	if rep.Baselined > 0 {
		fmt.Fprintf(out, "no state yet: this first pass would record %s as the baseline; nothing that ended before is reported\n",
			plural(rep.Baselined, "open job", "open jobs"))
	}
	if rep.Held > 0 {
		fmt.Fprintf(out, "%s held for the digest when office hours open\n", plural(rep.Held, "event", "events"))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// parseAt reads check's --at: an RFC 3339 time, a date and time without
// an offset (in loc, the schedule's zone), or HH:MM (today in loc).
func parseAt(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse("15:04", s); err == nil {
		y, m, day := now.In(loc).Date()
		return time.Date(y, m, day, t.Hour(), t.Minute(), 0, 0, loc), nil
	}
	zone := "in " + loc.String()
	if loc == time.Local {
		zone = "in local time"
	}
	return time.Time{}, usageErrorf("--at %q: give 2026-11-26T09:00:00+09:00 (RFC 3339), "+
		"2026-11-26 09:00 or 2026-11-26T09:00 (%s), or 09:00 (today %s)", s, zone, zone)
}

func passAttrs(r engine.Report) []any {
	attrs := []any{"tenants", r.Tenants, "events", r.Events, "sent", r.Sent, "pending", r.Pending}
	if r.Baselined > 0 {
		attrs = append(attrs, "baselined", r.Baselined)
	}
	if r.Held > 0 {
		attrs = append(attrs, "held_for_digest", r.Held)
	}
	if r.Dead > 0 {
		attrs = append(attrs, "dead_letters", r.Dead)
	}
	if len(r.FailedFetch) > 0 {
		attrs = append(attrs, "failed_tenants", r.FailedFetch)
	}
	return attrs
}
