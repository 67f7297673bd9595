package engine

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// The board ([slack] board = true): one message in each app channel that
// lists the jobs open now (tenant, kind, the job linking to its thread,
// owner, status, since when), updated in place with chat.update when the
// list changed and pinned when the app may pin. It goes through the
// outbox like a job's parent: its first post under the one-duplicate
// bound, its updates idempotent. How long a job has run is shown by
// Slack's own date formatting ({ago}), so that the board changes only
// when the jobs do, not every pass.

const kindBoard = "board"

// boardMax is the most jobs a board lists; the rest are counted.
const boardMax = 50

// openRow is one open job on a board or in `/kamobot jobs`.
type openRow struct {
	tenant, kind, id, name, owner, status, link string
	since                                       time.Time
	started                                     bool
}

// openRows are the open jobs of tenant t, each linking to its thread when
// it has one.
func openRows(st *state.State, t *state.TenantState) []openRow {
	var rows []openRow
	for k, c := range t.Kinds {
		for key, j := range c.Open {
			rows = append(rows, openRow{tenant: t.Name, kind: string(k), id: "#" + api.FormatID(j.ID), name: j.Name,
				owner: j.Owner, status: j.Status, since: j.Since(),
				started: !j.StartedAt.IsZero(), link: threadURL(st, state.ThreadKey(t.ID, key))})
		}
	}
	return rows
}

// boards queues the board of each app channel whose content changed
// since it was last queued. A board still waiting in the outbox is
// replaced there rather than queued twice.
func (p *Pass) boards(st *state.State, now time.Time) []state.Message {
	if !p.Cfg.Slack.App.Board || !p.Cfg.Slack.App.Enabled() {
		return nil
	}
	var dests []dest // of each channel, the first one seen queues its board
	rows := map[string][]openRow{}
	if c := p.Cfg.Slack.App.Channel; c != "" {
		dests = append(dests, dest{hook: state.DefaultHook, channel: c, token: p.Cfg.Slack.App.BotToken})
	}
	for _, t := range sortedTenants(st) {
		if to := p.destOf(t.ID); to.app() {
			dests = append(dests, to)
			rows[to.channel] = append(rows[to.channel], openRows(st, t)...)
		}
	}
	channels, tos := groupBy(dests, func(d dest) string { return d.channel })
	if st.Boards == nil {
		st.Boards = map[string]*state.Board{}
	}
	var msgs []state.Message
	for _, ch := range channels {
		key := state.BoardKey(ch)
		th := st.Threads[key]
		if th != nil {
			th.Last = now // kept as long as the board is
		}
		m := newMessage(tos[ch][0].hook, kindBoard, renderBoard(rows[ch]), now)
		sum := sha256.Sum256(m.Payload)
		hash := hex.EncodeToString(sum[:8])
		bs := st.Boards[ch]
		if bs == nil {
			bs = &state.Board{}
			st.Boards[ch] = bs
		}
		if bs.Hash == hash && th != nil {
			continue // unchanged: nothing to send
		}
		bs.Hash = hash
		if i := slices.IndexFunc(st.Outbox, func(o state.Message) bool { return o.Kind == kindBoard && o.Thread == key }); i >= 0 {
			st.Outbox[i].Payload, st.Outbox[i].Summary = m.Payload, m.Summary // not sent yet: sent as it is now
			continue
		}
		m.Channel, m.Thread, m.Op = ch, key, state.OpUpdate
		if th == nil || th.TS == "" {
			m.Op = state.OpPost
			bs.Pinned = false
			if th == nil {
				st.Threads[key] = &state.Thread{Channel: ch, Created: now, Last: now}
			}
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// renderBoard is the board's message: the open jobs, longest running
// first.
func renderBoard(rows []openRow) notify.Payload {
	slices.SortFunc(rows, func(a, b openRow) int {
		return cmp.Or(a.since.Compare(b.since), cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.id, b.id))
	})
	var b strings.Builder
	fmt.Fprintf(&b, ":clipboard: *What runs now* (%d open jobs; kept up to date by kamobot)", len(rows))
	if len(rows) == 0 {
		b.WriteString("\nNothing runs or waits.")
	}
	for i, r := range rows {
		if i == boardMax {
			fmt.Fprintf(&b, "\n… and %d more: `/kamobot jobs`", len(rows)-i)
			break
		}
		job := notify.Escape(r.id + " " + notify.Truncate(r.name, 60))
		if r.link != "" {
			job = "<" + r.link + "|" + job + ">"
		}
		verb := "seen"
		if r.started {
			verb = "started"
		}
		fmt.Fprintf(&b, "\n• *%s* %s %s · %s · %s · %s <!date^%d^{ago}|%s>", notify.Escape(r.tenant), notify.Escape(r.kind),
			job, notify.Escape(cmp.Or(r.owner, "-")), notify.Escape(r.status), verb, r.since.Unix(),
			r.since.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return notify.Payload{Text: b.String()}
}

// pinRefusals are pins.add's answers that will not change by retrying
// soon: the board is left unpinned and this is said once per bot token.
// The pin is tried again with another token, or after state.PinRetry
// (a scope may have been added, a workspace setting changed).
var pinRefusals = map[string]string{
	"missing_scope":     "the app lacks pins:write: add it from deploy/slack-app-manifest.yaml and reinstall the app",
	"not_pinnable":      "Slack does not let this message be pinned",
	"permission_denied": "the workspace does not let the app pin",
}

// pinBoards pins each board posted and not yet pinned. A refusal is
// logged once per bot token and never fatal; another failure is tried
// next pass.
func (p *Pass) pinBoards(ctx context.Context, st *state.State) {
	if p.App == nil || !p.Cfg.Slack.App.Board {
		return
	}
	now := p.Now()
	token := notify.Fingerprint(p.Cfg.Slack.App.BotToken.Reveal())
	for _, ch := range slices.Sorted(maps.Keys(st.Boards)) {
		b := st.Boards[ch]
		th := st.Threads[state.BoardKey(ch)]
		if b.Pinned || th == nil || th.TS == "" || ctx.Err() != nil {
			continue
		}
		if b.PinRefused != "" && b.PinToken == token && waiting(b.PinRefusedAt.Add(state.PinRetry), now, state.PinRetry) {
			continue // refused to this token less than a day ago
		}
		res := p.App.Pin(ctx, th.Channel, th.TS)
		switch {
		case res.Class == notify.Delivered:
			b.Pinned, b.PinRefused, b.PinRefusedAt, b.PinToken = true, "", time.Time{}, ""
		case pinRefusals[res.Code] != "":
			if b.PinToken != token {
				p.Log.Warn("the board is not pinned: "+pinRefusals[res.Code]+"; it is updated in place all the same, "+
					"and the pin is tried again once a day or with a new bot token", "channel", ch, "slack_error", res.Code)
			} else {
				p.Log.Debug("pins.add still refused", "channel", ch, "slack_error", res.Code)
			}
			b.PinRefused, b.PinRefusedAt, b.PinToken = res.Code, now, token
		default:
			p.Log.Debug("pins.add failed; tried again next pass", "channel", ch, "slack_error", res.Code, "status", res.Status)
		}
	}
}
