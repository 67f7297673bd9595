package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// Desk answers `/kamobot` in Slack from what the last pass saved: the
// state file is read (never locked: a pass replaces it atomically), and
// KAMONOHASHI is not asked, so a command costs the server nothing and is
// answered even while it is down.
type Desk struct {
	Store *state.Store
	Now   func() time.Time
	// Groups lists the members of a Slack user group, to check
	// slack.mute_allowed; nil refuses group members.
	Groups func(ctx context.Context, group string) ([]string, error)

	cfg atomic.Pointer[config.Config]
}

// NewDesk returns a Desk answering with cfg.
func NewDesk(cfg *config.Config, store *state.Store, now func() time.Time) *Desk {
	d := &Desk{Store: store, Now: now}
	d.cfg.Store(cfg)
	return d
}

// SetConfig makes the desk answer with a config reloaded.
func (d *Desk) SetConfig(cfg *config.Config) { d.cfg.Store(cfg) }

// jobsTableMax caps the rows of `/kamobot jobs`.
const jobsTableMax = 40

// Answer is the text shown to whoever typed `/kamobot <text>`.
func (d *Desk) Answer(ctx context.Context, c notify.Slash) string {
	args := strings.Fields(c.Text)
	if len(args) == 0 || strings.EqualFold(args[0], "help") {
		return slashUsage
	}
	switch cmd := strings.ToLower(args[0]); cmd {
	case "jobs", "tenants", "status":
		st, fresh, err := d.Store.Load()
		switch {
		case err != nil:
			return "kamobot cannot read its state: " + notify.EscapeLimit(err.Error(), 300)
		case fresh:
			return "kamobot has not finished a pass yet: ask again in a minute."
		case cmd == "jobs":
			return d.jobs(st, strings.Join(args[1:], " "))
		case cmd == "tenants":
			return tenantList(st)
		}
		return d.status(st)
	case "mute", "unmute":
		return d.mute(ctx, c.UserID, args)
	}
	return "Unknown command `" + notify.EscapeLimit(args[0], 40) + "`.\n" + slashUsage
}

const slashUsage = "Usage: `/kamobot jobs [tenant]` (what runs now) · `/kamobot tenants` · `/kamobot status` · " +
	"`/kamobot mute <tenant> <duration>` · `/kamobot unmute <tenant>`"

func sortedTenants(st *state.State) []*state.TenantState {
	return slices.SortedFunc(maps.Values(st.Tenants), func(a, b *state.TenantState) int { return cmp.Compare(a.Name, b.Name) })
}

// jobs is a compact table of the open jobs, longest running first.
func (d *Desk) jobs(st *state.State, tenant string) string {
	tenants, what := sortedTenants(st), "every watched tenant"
	if tenant != "" { // by name, display name or id
		i := slices.IndexFunc(tenants, func(t *state.TenantState) bool {
			return strings.EqualFold(t.Name, tenant) || strings.EqualFold(t.DisplayName, tenant) || api.FormatID(t.ID) == tenant
		})
		if i < 0 {
			var names []string
			for _, t := range tenants {
				names = append(names, "`"+notify.Escape(t.Name)+"`")
			}
			return "No tenant `" + notify.EscapeLimit(tenant, 60) + "` is watched. Watched: " + strings.Join(names, ", ") + "."
		}
		tenants, what = tenants[i:i+1], tenants[i].Name
	}
	var rows []openRow
	for _, t := range tenants {
		rows = append(rows, openRows(st, t)...)
	}
	if len(rows) == 0 {
		return "Nothing runs or waits in " + notify.Escape(what) + "."
	}
	slices.SortFunc(rows, func(a, b openRow) int { return cmp.Or(a.since.Compare(b.since), cmp.Compare(a.id, b.id)) })
	now := d.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "Open jobs in %s (%d), as of the last pass:\n```\n", notify.Escape(what), len(rows))
	for i, r := range rows {
		if i == jobsTableMax {
			fmt.Fprintf(&b, "… and %d more\n", len(rows)-i)
			break
		}
		line := fmt.Sprintf("%-13s %-6s %-24s %-10s %-9s %s", r.kind, r.id, notify.Truncate(r.name, 24),
			notify.Truncate(cmp.Or(r.owner, "-"), 10), r.status, notify.Duration(now.Sub(r.since).Round(time.Minute), "en"))
		if tenant == "" {
			line = fmt.Sprintf("%-12s ", notify.Truncate(r.tenant, 12)) + line
		}
		b.WriteString(notify.Escape(strings.TrimRight(line, " ")) + "\n")
	}
	b.WriteString("```")
	return b.String()
}

// tenantList lists the watched tenants and their open jobs.
func tenantList(st *state.State) string {
	lines := []string{"Watched tenants:"}
	for _, t := range sortedTenants(st) {
		name := t.Name
		if t.DisplayName != "" && t.DisplayName != t.Name {
			name += " (" + t.DisplayName + ")"
		}
		lines = append(lines, fmt.Sprintf("• %s · id %d · %d open jobs", notify.Escape(name), t.ID, len(openRows(st, t))))
	}
	return strings.Join(lines, "\n")
}

// status tells the last pass, the outbox and what Slack refuses.
func (d *Desk) status(st *state.State) string {
	now := d.Now()
	var b strings.Builder
	switch lr := st.LastRun; {
	case lr.End.IsZero():
		fmt.Fprintf(&b, "A pass is under way (started %s ago).\n", notify.Duration(now.Sub(lr.Start).Round(time.Second), "en"))
	case lr.OK:
		fmt.Fprintf(&b, "Last pass: %s ago, ok.\n", notify.Duration(now.Sub(lr.End).Round(time.Second), "en"))
	default:
		fmt.Fprintf(&b, "Last pass: %s ago, failed (see kamobot's log).\n", notify.Duration(now.Sub(lr.End).Round(time.Second), "en"))
	}
	fmt.Fprintf(&b, "Outbox: %d waiting", len(st.Outbox))
	if oldest := oldestMessage(st.Outbox); !oldest.IsZero() {
		fmt.Fprintf(&b, ", the oldest for %s", notify.Duration(now.Sub(oldest).Round(time.Second), "en"))
	}
	fmt.Fprintf(&b, "; %d dead letters.\n", len(st.DeadLetters))
	if len(st.DeadHooks) == 0 {
		b.WriteString("Slack: every destination takes messages.")
	} else {
		for _, h := range slices.Sorted(maps.Keys(st.DeadHooks)) {
			dh := st.DeadHooks[h]
			fmt.Fprintf(&b, "Slack refuses %s since %s: %s\n", h, dh.Since.Format(time.RFC3339), notify.Escape(dh.LastError))
		}
	}
	fmt.Fprintf(&b, "\nKAMONOHASHI: %d tenants watched, %d open jobs.", len(st.Tenants), st.OpenJobs())
	return b.String()
}

// mute checks who asks before anything else, then changes the mutes in
// the state through the same store operations as `kamobot mute`; the
// next pass announces the mute (or its end) in the channel.
//
//	mute <tenant> <duration> [reason...]
//	unmute <tenant>
func (d *Desk) mute(ctx context.Context, user string, args []string) string {
	cfg := d.cfg.Load()
	verb := strings.ToLower(args[0])
	if why := d.mayMute(ctx, cfg, user); why != "" {
		return "You may not " + verb + ": " + why
	}
	now := d.Now()
	mute := verb == "mute" && len(args) >= 3
	var dur time.Duration
	switch {
	case mute:
		var err error
		if dur, err = time.ParseDuration(args[2]); err != nil || dur <= 0 {
			return fmt.Sprintf("%q is not a duration: write e.g. `30m`, `2h` or `48h`.", args[2])
		}
	case verb != "unmute" || len(args) != 2:
		return "Usage: `/kamobot mute <tenant> <duration> [reason]` · `/kamobot unmute <tenant>`"
	}
	// Slack wants the answer within 3 seconds: wait for a pass in progress
	// only briefly.
	unlock, err := d.Store.Lock(ctx, 2*time.Second, "slack "+verb)
	if err != nil {
		return "A pass is under way: nothing was changed; try again in a moment."
	}
	defer unlock()
	st, _, err := d.Store.Load()
	if err != nil {
		return "kamobot cannot read its state: nothing was changed."
	}
	answer := "Unmuted " + args[1] + "; what the mute held goes out at the next pass."
	if mute {
		var m state.Mute
		m, err = st.SetMute(state.Mute{Tenant: args[1], Until: now.Add(dur), Reason: strings.Join(args[3:], " "), By: user}, now)
		answer = fmt.Sprintf("Muted %s until %s; the channel is told at the next pass.", m.Label(),
			m.Until.In(cfg.Schedule.Location()).Format("2006-01-02 15:04 MST"))
	} else {
		_, err = st.Unmute(args[1], "", now)
	}
	if err != nil {
		return "Nothing was changed: " + strings.TrimPrefix(err.Error(), "mute: ")
	}
	if err := d.Store.Save(st); err != nil {
		return "kamobot cannot save its state: nothing was changed."
	}
	return answer
}

// mayMute says why user may not mute, or "" when they may.
func (d *Desk) mayMute(ctx context.Context, cfg *config.Config, user string) string {
	allowed := cfg.Slack.App.MuteAllowed
	if len(allowed) == 0 {
		return "nobody may mute from Slack here (slack.mute_allowed is empty in kamobot's config)."
	}
	if cfg.Slack.App.MayMute(user, nil) {
		return ""
	}
	var groups, failed []string
	for _, id := range allowed {
		if !strings.HasPrefix(id, "S") {
			continue
		}
		if d.Groups == nil {
			failed = append(failed, id)
			continue
		}
		switch members, err := d.Groups(ctx, id); {
		case err != nil:
			failed = append(failed, id)
		case slices.Contains(members, user):
			groups = append(groups, id)
		}
	}
	if cfg.Slack.App.MayMute(user, groups) {
		return ""
	}
	why := "only the users and user groups in slack.mute_allowed may, and you are not one of them; ask kamobot's admin."
	if len(failed) > 0 {
		why += " (The members of " + strings.Join(failed, ", ") + " could not be read: the app needs usergroups:read.)"
	}
	return why
}
