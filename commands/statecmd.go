package commands

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/kamobot/kamobot/state"
	"github.com/urfave/cli/v2"
)

func newStateCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "state",
		Usage: "inspect or reset the state file",
		Subcommands: []*cli.Command{
			{
				Name:      "show",
				Usage:     "print what is tracked: open jobs, the outbox, dead letters",
				UsageText: "kamobot state show [-o table|json]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: formatTable, Usage: "table or json"},
				},
				Action: func(c *cli.Context) error { return runStateShow(d, c.String("output")) },
			},
			{
				Name:      "reset",
				Usage:     "move the state file aside and start over with a new baseline",
				UsageText: "kamobot state reset --yes",
				Description: `The state file is renamed to state.json.corrupt-<time>, not deleted. The next
pass records a new baseline and reports nothing that ended before it: jobs
that end between the last good pass and the new baseline are not reported.`,
				Flags: []cli.Flag{&cli.BoolFlag{Name: "yes", Usage: "really reset"}},
				Action: func(c *cli.Context) error {
					if !c.Bool("yes") {
						return usageErrorf("state reset moves %s aside and starts over; add --yes to do it", d.StatePath())
					}
					s, unlock, err := d.lockedStore(c.Context, "state reset")
					if err != nil {
						return err
					}
					defer unlock()
					aside, err := s.Reset()
					if err != nil {
						return err
					}
					if aside == "" {
						fmt.Fprintf(d.Stdout, "no state file at %s: nothing to reset\n", s.Path())
						return nil
					}
					fmt.Fprintf(d.Stdout, "moved %s to %s; the next pass records a new baseline\n", s.Path(), aside)
					return nil
				},
			},
			{
				Name:      "retry",
				Usage:     "try the outbox again at the next pass, webhooks Slack refused included",
				UsageText: "kamobot state retry",
				Description: `Messages that wait in the outbox (Slack refused their webhook, or asked to
wait) are tried at the next pass, without waiting for their next attempt.
A webhook kamobot stopped trying, after Slack refused it for a day, is tried
again. Run it once the webhook works again; a new webhook URL in the config
needs no retry: it is tried at once. Dead letters (messages Slack refused
for good) stay where they are.`,
				Action: func(c *cli.Context) error { return runStateRetry(c, d) },
			},
		},
	}
}

func runStateShow(d *Deps, format string) error {
	if err := checkFormat(format, formatTable, formatJSON); err != nil {
		return err
	}
	s, err := d.Store()
	if err != nil {
		return err
	}
	st, fresh, err := loadState(s)
	if err != nil {
		return err
	}
	if format == formatJSON {
		return writeJSON(d.Stdout, st)
	}
	if fresh {
		fmt.Fprintf(d.Stdout, "no state yet at %s: the first pass records a baseline\n", s.Path())
		return nil
	}
	now, loc := d.Now(), d.zone()
	fmt.Fprintf(d.Stdout, "state %s (written by %s at %s)\n", s.Path(), st.WrittenBy, zonedTime(st.UpdatedAt, now, loc))
	if !st.LastRun.Start.IsZero() {
		result := "ok"
		if !st.LastRun.OK {
			result = "with problems"
		}
		fmt.Fprintf(d.Stdout, "last pass %s, %s\n\n", zonedTime(st.LastRun.Start, now, loc), result)
	}
	var rows [][]string
	byName := func(a, b *state.TenantState) int { return cmp.Compare(a.Name, b.Name) }
	for _, t := range slices.SortedFunc(maps.Values(st.Tenants), byName) {
		for _, k := range slices.SortedFunc(maps.Keys(t.Kinds), compareKinds) {
			c := t.Kinds[k]
			for _, jk := range slices.Sorted(maps.Keys(c.Open)) {
				j := c.Open[jk]
				// An open job far back in the history is re-read on its
				// own rather than found by the list requests.
				read := "with the list"
				if j.Far {
					read = "on its own"
				}
				rows = append(rows, []string{t.Ref().Label(), string(k), strconv.FormatInt(j.ID, 10), j.Name,
					dash(j.Owner), j.Status, humanDuration(now.Sub(j.ChangedAt)), read})
			}
		}
	}
	fmt.Fprintf(d.Stdout, "open jobs: %d\n", len(rows))
	if len(rows) > 0 {
		if err := writeTable(d.Stdout, []string{"TENANT", "KIND", "ID", "NAME", "OWNER", "STATUS", "IN STATUS FOR", "RE-READ"}, rows); err != nil {
			return err
		}
	}
	printMessageList(d, "outbox (not yet delivered)", st.Outbox, now, loc)
	printMessageList(d, "dead letters (refused by Slack)", st.DeadLetters, now, loc)
	printDeadHooks(d, st, now, loc)
	if len(st.Held) > 0 {
		fmt.Fprintf(d.Stdout, "\nheld for the next digest: %d events\n", len(st.Held))
	}
	return nil
}

func printMessageList(d *Deps, title string, ms []state.Message, now time.Time, loc *time.Location) {
	fmt.Fprintf(d.Stdout, "\n%s: %d\n", title, len(ms))
	for _, m := range ms {
		line := fmt.Sprintf("  #%d %s to %s, queued %s", m.Seq, m.Kind, m.Hook, zonedTime(m.Created, now, loc))
		if m.Attempts > 0 {
			line += fmt.Sprintf(", %d attempts, last: %s", m.Attempts, m.LastError)
		}
		fmt.Fprintf(d.Stdout, "%s\n    %s\n", line, m.Summary)
	}
}

func printDeadHooks(d *Deps, st *state.State, now time.Time, loc *time.Location) {
	if len(st.DeadHooks) == 0 {
		return
	}
	fmt.Fprintf(d.Stdout, "\nwebhooks Slack refused: %d\n", len(st.DeadHooks))
	for _, h := range slices.Sorted(maps.Keys(st.DeadHooks)) {
		dh := st.DeadHooks[h]
		what, fix := "URL fingerprint "+dh.Fingerprint, "the webhook URL"
		if dh.Channel != "" {
			what, fix = "channel "+dh.Channel+" (token fingerprint "+dh.Fingerprint+")", "the bot token or channel"
		}
		next := "next try " + zonedTime(dh.NextAttempt, now, loc)
		if dh.GaveUp {
			next = "no longer tried: fix " + fix + ", or run `kamobot state retry` once it works"
		}
		fmt.Fprintf(d.Stdout, "  %s (%s) since %s, %d attempts, last: %s; %s\n", h, what,
			zonedTime(dh.Since, now, loc), dh.Attempts, dh.LastError, next)
	}
}

// runStateRetry makes every message in the outbox due at the next pass and
// forgets the webhooks Slack refused.
func runStateRetry(c *cli.Context, d *Deps) error {
	s, unlock, err := d.lockedStore(c.Context, "state retry")
	if err != nil {
		return err
	}
	defer unlock()
	st, fresh, err := loadState(s)
	if err != nil {
		return err
	}
	if fresh {
		fmt.Fprintf(d.Stdout, "no state at %s: nothing to retry\n", s.Path())
		return nil
	}
	for _, h := range slices.Sorted(maps.Keys(st.DeadHooks)) {
		was := "was backing off"
		if st.DeadHooks[h].GaveUp {
			was = "was no longer tried"
		}
		fmt.Fprintf(d.Stdout, "webhook %s %s: tried again at the next pass\n", h, was)
	}
	for i := range st.Outbox {
		st.Outbox[i].NextAttempt = time.Time{}
	}
	st.DeadHooks = nil
	if err := s.Save(st); err != nil {
		return err
	}
	fmt.Fprintf(d.Stdout, "%d messages in the outbox are tried at the next pass\n", len(st.Outbox))
	return nil
}

// zonedTime is clockTime with the zone written: "11-25 14:03 JST".
func zonedTime(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return clockTime(t, now, loc)
	}
	return clockTime(t, now, loc) + " " + zoneName(t, loc)
}
