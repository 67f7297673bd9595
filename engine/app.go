package engine

import (
	"context"
	"time"

	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// Slack app mode: a thread per job. The first message about a job is
// posted in the channel and its ts kept in the state (state.Thread); the
// job's later events are replies in its thread (broadcast to the channel
// too for the event types [slack] broadcast names), and the parent is
// updated in place to show where the job stands now. Greetings, digests,
// summaries and batches stay one message each; their job lines link to
// the job's thread where there is one.

// appThreadMax is the most jobs of one pass that get a message each in
// their thread; more make one batch message (their parents are still
// updated in place), so that a burst does not flood the channel.
const appThreadMax = 5

// appMaxWait is the longest wait (Retry-After, backoff) a Web API call
// does itself; a longer one is left to the outbox.
const appMaxWait = 30 * time.Second

// app reports whether the destination is an app channel.
func (d dest) app() bool { return d.channel != "" }

// missing reports whether nothing is configured to send to: no webhook
// URL (an app channel is there only with the bot token that enables it).
func (d dest) missing() bool { return !d.app() && d.url.IsZero() }

// fingerprint names what Slack refused, for the state: the webhook URL's
// fingerprint, or that of the bot token and channel. Never the secret.
func (d dest) fingerprint() string {
	if d.app() {
		return notify.Fingerprint(d.token.Reveal() + "\x00" + d.channel)
	}
	return notify.Fingerprint(d.url.Reveal())
}

// appEvents renders the events of one pass for an app channel.
func (p *Pass) appEvents(st *state.State, to dest, evs []job.Event, now time.Time) []state.Message {
	keys, byJob := groupBy(evs, func(e job.Event) string { return state.ThreadKey(e.Tenant.ID, e.Job.Key()) })
	var msgs []state.Message
	if len(keys) > appThreadMax {
		o := p.renderOptions(now, p.mentionsOf(evs))
		o.ThreadLink = p.threadLink(st)
		for _, pl := range notify.RenderEvents(evs, o) {
			m := newMessage(to.hook, "events", pl, now)
			m.Op, m.Channel = state.OpPost, to.channel
			msgs = append(msgs, m)
		}
		for _, k := range keys {
			if th := st.Threads[k]; th != nil {
				jevs := byJob[k]
				th.Last = now
				msgs = append(msgs, p.appParentUpdate(to, k, jevs[len(jevs)-1], now))
			}
		}
		return msgs
	}
	for _, k := range keys {
		jevs := byJob[k]
		th := st.Threads[k]
		hadThread := th != nil
		for i, e := range jevs {
			pl := notify.RenderEvents([]job.Event{e}, p.renderOptions(now, p.mentionsOf([]job.Event{e})))
			m := newMessage(to.hook, "events", pl[0], now) // one event: one message
			m.Channel, m.Thread = to.channel, k
			if th == nil {
				m.Op = state.OpPost
				th = &state.Thread{Channel: to.channel, Created: now}
				st.Threads[k] = th
			} else {
				m.Op = state.OpReply
				m.Broadcast = p.Cfg.Slack.App.Broadcasts(e.Type)
			}
			th.Last = now
			msgs = append(msgs, m)
			if i == len(jevs)-1 && (hadThread || i > 0) {
				msgs = append(msgs, p.appParentUpdate(to, k, e, now))
			}
		}
	}
	return msgs
}

// appParentUpdate replaces a thread's parent with where the job stands
// now: its last event, rendered as its own message (status emoji, the
// transition, the run time). No mentions: an update pings no one.
func (p *Pass) appParentUpdate(to dest, key string, e job.Event, now time.Time) state.Message {
	pl := notify.RenderEvents([]job.Event{e}, p.renderOptions(now, nil))
	m := newMessage(to.hook, "update", pl[0], now)
	m.Op, m.Channel, m.Thread = state.OpUpdate, to.channel, key
	return m
}

// threadLink gives a job's thread address for batch and digest lines,
// when its parent was posted and the workspace address is known.
//
// The address is built from auth.test's workspace URL
// (https://team.slack.com/archives/<channel>/p<ts without the dot>),
// not asked of chat.getPermalink: that would be one more call per job
// line, a batch can hold hundreds, and the lines are rendered before
// sending, with no call to Slack. Slack documents this form and
// chat.getPermalink answers the same address for a channel message.
func (p *Pass) threadLink(st *state.State) func(e job.Event) string {
	return func(e job.Event) string { return threadURL(st, state.ThreadKey(e.Tenant.ID, e.Job.Key())) }
}

// threadURL is the address of the thread of key, or "".
func threadURL(st *state.State, key string) string {
	if th := st.Threads[key]; th != nil {
		return notify.Permalink(st.SlackTeamURL, th.Channel, th.TS)
	}
	return ""
}

// learnTeamURL asks auth.test once, when there is something to send, for
// the workspace address the links to threads need; a failure only leaves
// links out.
func (p *Pass) learnTeamURL(ctx context.Context, st *state.State) {
	if p.App == nil || st.SlackTeamURL != "" || len(st.Outbox) == 0 {
		return
	}
	id, res := p.App.AuthTest(ctx)
	if res.Class != notify.Delivered {
		p.Log.Debug("auth.test failed; links to threads are left out for now", "slack_error", res.Code, "status", res.Status)
		return
	}
	st.SlackTeamURL = id.URL
}
