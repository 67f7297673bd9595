package engine

import (
	"cmp"
	"context"
	"sync"
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
	if st.Threads == nil {
		st.Threads = map[string]*state.Thread{}
	}
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
			if len(pl) == 0 {
				continue
			}
			m := newMessage(to.hook, "events", pl[0], now)
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

// learnTeamURL asks auth.test once for the workspace address the links
// to threads need; a failure only leaves links out.
func (p *Pass) learnTeamURL(ctx context.Context, st *state.State) {
	if p.App == nil || st.SlackTeamURL != "" {
		return
	}
	id, res := p.App.AuthTest(ctx)
	if res.Class != notify.Delivered {
		p.Log.Debug("auth.test failed; links to threads are left out for now", "slack_error", res.Code, "status", res.Status)
		return
	}
	st.SlackTeamURL = id.URL
}

// deliverApp sends one outbox message to an app channel and records the
// answer, as deliver does for a webhook. A reply or update finds its
// thread's parent ts in the state at send time (the parent may have been
// posted earlier in this very pass); a reply whose parent was never
// posted is posted in the channel and becomes the parent; an update
// without a parent has nothing to update and is done. Posts and replies
// are sent under window (one unrecorded post across destinations);
// updates are idempotent and sent without it. It must be called with mu
// unlocked; it returns true when this destination must not be sent to
// again in this pass.
func (p *Pass) deliverApp(ctx context.Context, st *state.State, mu, window *sync.Mutex, to dest, m state.Message, rep *Report) bool {
	am, err := notify.AppMessageOf(m.Payload, cmp.Or(m.Channel, to.channel))
	op := cmp.Or(m.Op, state.OpPost)
	mu.Lock()
	var th state.Thread
	if t := st.Threads[m.Thread]; t != nil {
		th = *t
	}
	if err != nil || (op == state.OpUpdate && th.TS == "") {
		if err != nil {
			st.Bury(m.Seq, "unreadable payload")
			rep.Dead++
			p.Log.Error("a message in the outbox cannot be read; kept in the dead letters", "message", m.Seq, errAttr(err))
		} else {
			st.MarkSent(m.Seq) // the parent was never posted: nothing to update
		}
		err = p.Store.Save(st)
		mu.Unlock()
		return err != nil
	}
	mu.Unlock()
	switch op {
	case state.OpUpdate:
		am.Channel, am.TS = th.Channel, th.TS
	case state.OpReply:
		if th.TS != "" {
			am.Channel, am.ThreadTS, am.Broadcast = th.Channel, th.TS, m.Broadcast
		} else {
			op = state.OpPost // its parent is lost: this message becomes the parent
		}
	}
	var gate sync.Locker
	if op != state.OpUpdate {
		gate = window
	}
	// A call in flight is finished even when asked to stop, so that its
	// answer can be recorded; it is bounded by the client's timeout.
	res, ts, tries := p.App.DeliverGated(context.WithoutCancel(ctx), am, gate, appMaxWait)
	if op == state.OpReply && (res.Code == "thread_not_found" || res.Code == "message_not_found") {
		// Someone deleted the job's parent in Slack: this message becomes
		// its new parent (the window is still held: no gate again).
		p.Log.Warn("a job's thread was deleted in Slack; the message is posted as a new one", "channel", am.Channel)
		mu.Lock()
		delete(st.Threads, m.Thread)
		mu.Unlock()
		op, am.ThreadTS, am.Broadcast = state.OpPost, "", false
		var more int
		res, ts, more = p.App.DeliverGated(context.WithoutCancel(ctx), am, nil, appMaxWait)
		tries += more
	}
	if res.Class == notify.Delivered && op != state.OpUpdate {
		crashPoint("after_post_before_mark")
	}
	mu.Lock()
	if res.Class == notify.Delivered && op == state.OpPost && m.Thread != "" {
		t := st.Threads[m.Thread]
		if t == nil {
			t = &state.Thread{Created: p.Now(), Last: p.Now()}
			if st.Threads == nil {
				st.Threads = map[string]*state.Thread{}
			}
			st.Threads[m.Thread] = t
		}
		t.Channel, t.TS = am.Channel, ts
	}
	var stop bool
	if op == state.OpUpdate && res.Code == "message_not_found" {
		// Someone deleted the message in Slack: nothing to update. A job's
		// next events start a new thread; a board forgets its ts, so that
		// the next pass posts (and pins) a new one.
		delete(st.Threads, m.Thread)
		st.MarkSent(m.Seq)
		if m.Kind == kindBoard {
			if b := st.Boards[m.Channel]; b != nil {
				b.Hash, b.Pinned = "", false
			}
			p.Log.Warn("the board's message was deleted in Slack; a new board is posted next pass", "channel", m.Channel)
		} else {
			p.Log.Warn("a job's message was deleted in Slack; its next events start a new thread", "channel", am.Channel)
		}
	} else {
		stop = p.record(st, to, m, res, tries, rep)
	}
	if err := p.Store.Save(st); err != nil {
		p.Log.Error("cannot save the state after sending; the message may be sent again; "+
			"the rest wait in the outbox", errAttr(err))
		stop = true
	}
	mu.Unlock()
	if gate != nil {
		window.Unlock()
	}
	return stop
}
