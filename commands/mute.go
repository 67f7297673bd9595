package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/state"
	"github.com/urfave/cli/v2"
)

// muteRow is one mute as `mute list -o json` prints it: times in the
// schedule's zone, to the second.
type muteRow struct {
	Tenant string    `json:"tenant"`
	Kind   string    `json:"kind,omitempty"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	Left   int64     `json:"left_seconds"`
	Reason string    `json:"reason,omitempty"`
	By     string    `json:"by,omitempty"`
	Held   int       `json:"held"`
}

func newMuteCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "mute",
		Usage:     "hold a tenant's messages (or those about one kind of its jobs) for a while",
		UsageText: "kamobot mute --tenant T (--for 2h | --until TIME) [--kind K] [--reason TEXT]\nkamobot mute list [-o table|json]",
		Description: `A mute is kept in the state file: a running watch honours it at its next
pass, without a restart, and it ends by itself. The channel is told once when
it is set and once when it ends. Events it holds come in one digest when it
ends ([watch] muted = "digest", the default) or are dropped (muted = "drop").
Setting a mute again on the same tenant and kind changes its end and reason.
TIME is RFC 3339 ("2026-11-26T18:00:00+09:00") or a clock time today in the
schedule's zone ("18:00"; tomorrow when already past).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "tenant", Aliases: []string{"t"}, Usage: "tenant name or id"},
			&cli.StringFlag{Name: "kind", Aliases: []string{"k"}, Usage: "only jobs of this kind (default: every kind)"},
			&cli.StringFlag{Name: "for", Usage: "how long, e.g. `2h`"},
			&cli.StringFlag{Name: "until", Usage: "when it ends: RFC 3339 or `HH:MM`"},
			&cli.StringFlag{Name: "reason", Usage: "shown in the channel and in `mute list`"},
		},
		Action: func(c *cli.Context) error { return runMute(c, d) },
		Subcommands: []*cli.Command{{
			Name:      "list",
			Usage:     "show the mutes in force",
			UsageText: "kamobot mute list [-o table|json]",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: formatTable, Usage: "table or json"},
			},
			Action: func(c *cli.Context) error { return runMuteList(d, c.String("output")) },
		}},
	}
}

func newUnmuteCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "unmute",
		Usage:     "end a tenant's mutes now",
		UsageText: "kamobot unmute --tenant T [--kind K]",
		Description: `The next pass announces the end and posts what the mute held, in a digest.
Without --kind, every mute of the tenant ends.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "tenant", Aliases: []string{"t"}, Usage: "tenant name or id"},
			&cli.StringFlag{Name: "kind", Aliases: []string{"k"}, Usage: "only the mute of this kind"},
		},
		Action: func(c *cli.Context) error { return runUnmute(c, d) },
	}
}

func muteArgs(c *cli.Context) (tenant string, kind api.Kind, err error) {
	tenant = strings.TrimSpace(c.String("tenant"))
	if tenant == "" {
		return "", "", usageErrorf("--tenant is required: the tenant's name or id (see `kamobot tenants`)")
	}
	if k := c.String("kind"); k != "" {
		if kind, err = api.ParseKind(k); err != nil {
			return "", "", usageErrorf("--kind: %v", err)
		}
	}
	return tenant, kind, nil
}

func muteEnd(c *cli.Context, now time.Time, loc *time.Location) (time.Time, error) {
	f, u := c.String("for"), c.String("until")
	switch {
	case f == "" && u == "":
		return time.Time{}, usageErrorf("say how long: --for 2h, or --until 18:00")
	case f != "" && u != "":
		return time.Time{}, usageErrorf("--for and --until both given: use one")
	case f != "":
		d, err := time.ParseDuration(f)
		if err != nil || d <= 0 {
			return time.Time{}, usageErrorf("--for %q: want a duration such as 30m or 2h", f)
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, u); err == nil {
		return t, nil
	}
	hm, err := time.ParseInLocation("15:04", u, loc)
	if err != nil {
		return time.Time{}, usageErrorf("--until %q: want RFC 3339 (2026-11-26T18:00:00+09:00) or HH:MM", u)
	}
	l := now.In(loc)
	t := time.Date(l.Year(), l.Month(), l.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
	if !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// lockedStore opens the state store and takes its lock for who, as a pass
// would; unlock releases it.
func (d *Deps) lockedStore(ctx context.Context, who string) (s *state.Store, unlock func(), err error) {
	if s, err = d.Store(); err == nil {
		unlock, err = s.Lock(ctx, 10*time.Second, who)
	}
	return s, unlock, err
}

// changeState runs fn on the state under the lock and saves it.
func changeState(c *cli.Context, d *Deps, who string, fn func(st *state.State) error) error {
	s, unlock, err := d.lockedStore(c.Context, who)
	if err != nil {
		return err
	}
	defer unlock()
	st, _, err := loadState(s)
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	return s.Save(st)
}

func (d *Deps) zone() *time.Location {
	if cfg, err := d.Config(); err == nil {
		return cfg.Schedule.Location()
	}
	return time.Local
}

func runMute(c *cli.Context, d *Deps) error {
	tenant, kind, err := muteArgs(c)
	if err != nil {
		return err
	}
	now, loc := d.Now(), d.zone()
	until, err := muteEnd(c, now, loc)
	if err != nil {
		return err
	}
	var got state.Mute
	err = changeState(c, d, "mute", func(st *state.State) (err error) {
		got, err = st.SetMute(state.Mute{Tenant: tenant, Kind: kind, Until: until, Reason: c.String("reason"), By: "cli"}, now)
		return err
	})
	if errors.Is(err, state.ErrMute) {
		return usageErrorf("%v", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Stdout, "muted %s until %s (%s); the channel is told at the next pass\n",
		got.Label(), until.In(loc).Format("2006-01-02 15:04 MST"), humanDuration(until.Sub(now)))
	return nil
}

func runUnmute(c *cli.Context, d *Deps) error {
	tenant, kind, err := muteArgs(c)
	if err != nil {
		return err
	}
	var ended []state.Mute
	err = changeState(c, d, "unmute", func(st *state.State) (err error) {
		ended, err = st.Unmute(tenant, kind, d.Now())
		return err
	})
	if errors.Is(err, state.ErrMute) {
		return usageErrorf("%v (see `kamobot mute list`)", err)
	}
	if err != nil {
		return err
	}
	for _, m := range ended {
		fmt.Fprintf(d.Stdout, "unmuted %s; the next pass posts what it held (%d events)\n", m.Label(), len(m.Held))
	}
	return nil
}

func runMuteList(d *Deps, format string) error {
	if err := checkFormat(format, formatTable, formatJSON); err != nil {
		return err
	}
	s, err := d.Store()
	if err != nil {
		return err
	}
	st, _, err := loadState(s)
	if err != nil {
		return err
	}
	now, loc := d.Now(), d.zone()
	rows, table := []muteRow{}, [][]string{}
	for _, m := range st.ActiveMutes(now) {
		rows = append(rows, muteRow{Tenant: m.Tenant, Kind: string(m.Kind),
			Since: m.Since.In(loc).Truncate(time.Second), Until: m.Until.In(loc).Truncate(time.Second),
			Left: int64(m.Until.Sub(now).Round(time.Second) / time.Second), Reason: m.Reason, By: m.By, Held: len(m.Held)})
		table = append(table, []string{m.Tenant, dash(string(m.Kind)), clockTime(m.Until, now, loc),
			humanDuration(m.Until.Sub(now)), fmt.Sprint(len(m.Held)), dash(m.Reason)})
	}
	if format == formatJSON {
		return writeJSON(d.Stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(d.Stdout, "no mute in force")
		return nil
	}
	return writeTable(d.Stdout, []string{"TENANT", "KIND", "UNTIL (" + zoneName(now, loc) + ")", "LEFT", "HELD", "REASON"}, table)
}
