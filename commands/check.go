package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify"
	"github.com/urfave/cli/v2"
)

type checkOptions struct {
	dryRun   bool
	at       time.Time
	lockWait time.Duration
}

func newCheckCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "run one pass: notice what changed, post it, remember it (for cron)",
		UsageText: `kamobot check [--dry-run [--at TIME]] [--lock-wait D]

Prints nothing when all went well. Exit codes: 0 ok, 69 Slack or KAMONOHASHI
refuses us, 74 the state cannot be written, 75 try again later (nothing was
lost: the next check sends what is pending), 77 permission denied,
78 configuration error or corrupt state.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "print the messages that would be sent; change nothing"},
			&cli.TimestampFlag{Name: "at", Layout: time.RFC3339, Timezone: time.UTC,
				Usage: "with --dry-run: evaluate as if it were `TIME` (RFC 3339, e.g. 2026-11-26T09:00:00+09:00)"},
			&cli.DurationFlag{Name: "lock-wait", Value: 10 * time.Second, Usage: "wait this long for another kamobot's pass to finish"},
		},
		Action: func(c *cli.Context) error {
			o := checkOptions{dryRun: c.Bool("dry-run"), lockWait: c.Duration("lock-wait")}
			if at := c.Timestamp("at"); at != nil {
				if !o.dryRun {
					return usageErrorf("--at goes with --dry-run: a real pass runs now")
				}
				o.at = *at
			}
			return runCheck(c.Context, d, o)
		},
	}
}

func runCheck(ctx context.Context, d *Deps, o checkOptions) error {
	cfg, err := d.Config()
	if err != nil {
		return err
	}
	if !o.dryRun {
		if err := cfg.RequireSlack(); err != nil {
			return err
		}
	}
	p, err := d.NewPass(cfg, "check")
	if err != nil {
		return err
	}
	p.LockWait = o.lockWait
	return engine.Loop{
		Pass:    func() *engine.Pass { return p },
		Options: engine.Options{DryRun: o.dryRun, At: o.at},
		After: func(rep engine.Report, err error) error {
			if o.dryRun && err == nil {
				return printMessages(d, rep, o.at)
			}
			if err == nil {
				d.Log().Debug("pass done", passAttrs(rep)...)
			}
			return err
		},
	}.Run(ctx)
}

// printMessages shows the messages a dry run would send, as people would
// read them in Slack.
func printMessages(d *Deps, rep engine.Report, at time.Time) error {
	if len(rep.Messages) == 0 {
		_, err := fmt.Fprintln(d.Stdout, "nothing to send")
		return err
	}
	for i, m := range rep.Messages {
		if i > 0 {
			fmt.Fprintln(d.Stdout)
		}
		fmt.Fprintf(d.Stdout, "── message %d of %d · %s · to %s ──\n%s\n", i+1, len(rep.Messages), m.Kind, m.Hook,
			notify.TextView(m.Payload))
	}
	return nil
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
