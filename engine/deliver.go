package engine

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// deliver sends the outbox: per webhook in order, at most one message a
// second, marking each message sent (and saving) as soon as Slack says ok.
// Webhooks are paced concurrently, but one post at a time is between its
// send and the save of its answer.
// A message that must wait keeps the ones behind it waiting (per webhook),
// so that messages arrive in order.
func (p *Pass) deliver(ctx context.Context, st *state.State, now time.Time, rep *Report) {
	hooks, byHook := groupBy(st.Outbox, func(m state.Message) state.Hook { return m.Hook })
	p.learnTeamURL(ctx, st) // app mode: for links to threads, once
	defer st.PruneThreads(now)
	var mu sync.Mutex // guards st and rep: webhooks are sent to concurrently
	// window is held from a post to the save of its answer: at most one
	// message whose ok Slack gave is not yet recorded, across every
	// webhook, so one crash duplicates at most one message. Pacing waits
	// happen outside it, per webhook.
	var window sync.Mutex
	// The webhooks Slack refused are held (or let go, with a new URL)
	// before any sending starts: the sends record dead webhooks too. A
	// destination that cannot be sent to keeps its messages.
	var dests []dest
	for _, hook := range hooks {
		switch to := p.destOfHook(hook); {
		case p.holdDeadHook(st, to, now, rep):
		case to.missing():
			p.Log.Error("no webhook configured for these messages; they stay in the outbox", "hook", hook)
		case to.app() && p.App == nil:
			p.Log.Error("no Slack app client for this channel's messages; they stay in the outbox", "hook", hook)
		default:
			dests = append(dests, to)
		}
	}
	var wg sync.WaitGroup
	for _, to := range dests {
		hook := to.hook
		wg.Go(func() {
			// Only this goroutine sends, marks or retries the messages of
			// hook: each is as it was queued until it is sent. What they
			// share (st's other parts, the dead webhooks, rep) is written
			// under mu.
			for _, m := range byHook[hook] {
				if ctx.Err() != nil {
					return // stopping: what is left stays in the outbox
				}
				// A next attempt further ahead than Slack's Retry-After
				// (capped) can only come from a clock that went back: it is
				// due at once.
				if waiting(m.NextAttempt, now, notify.DefaultMaxRetryAfter) {
					return // backing off; the ones behind wait too
				}
				if p.send(ctx, st, &mu, &window, to, m, rep) {
					return
				}
			}
		})
	}
	wg.Wait()
	rep.Pending = len(st.Outbox)
	rep.Sending = true
	rep.DeadLetters = len(st.DeadLetters)
	rep.OldestPending = oldestMessage(st.Outbox)
}

// send sends one outbox message and records the answer; it returns true
// when this destination must not be sent to again in this pass. It must
// be called with mu unlocked. Posts and replies are sent under window
// (one unrecorded post across destinations); updates are idempotent and
// sent without it.
//
// To an app channel, a reply or update finds its thread's parent ts in
// the state at send time (the parent may have been posted earlier in this
// very pass); a reply whose parent was never posted is posted in the
// channel and becomes the parent; an update without a parent has nothing
// to update and is done. To a webhook, a message has no op: it is posted
// as it is.
func (p *Pass) send(ctx context.Context, st *state.State, mu, window *sync.Mutex, to dest, m state.Message, rep *Report) bool {
	var op state.Op
	var am notify.AppMessage
	if to.app() {
		var err error
		am, err = notify.AppMessageOf(m.Payload, cmp.Or(m.Channel, to.channel))
		op = cmp.Or(m.Op, state.OpPost)
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
	}
	var gate sync.Locker
	if op != state.OpUpdate {
		gate = window
	}
	// A call in flight is finished even when asked to stop, so that its
	// answer can be recorded; it is bounded by the client's timeout.
	post := func(gate sync.Locker) (notify.Result, string, int) {
		if !to.app() {
			res, tries := p.Sender.DeliverGated(context.WithoutCancel(ctx), to.url.Reveal(), m.Payload, gate)
			return res, "", tries
		}
		return p.App.DeliverGated(context.WithoutCancel(ctx), am, gate, appMaxWait)
	}
	res, ts, tries := post(gate)
	if op == state.OpReply && (res.Code == "thread_not_found" || res.Code == "message_not_found") {
		// Someone deleted the job's parent in Slack: this message becomes
		// its new parent (the window is still held: no gate again).
		p.Log.Warn("a job's thread was deleted in Slack; the message is posted as a new one", "channel", am.Channel)
		mu.Lock()
		delete(st.Threads, m.Thread)
		mu.Unlock()
		op, am.ThreadTS, am.Broadcast = state.OpPost, "", false
		var more int
		res, ts, more = post(nil)
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
			st.Threads[m.Thread] = t
		}
		t.Channel, t.TS = am.Channel, ts
	}
	var stop bool
	if op == state.OpUpdate && res.Code == "message_not_found" {
		// Someone deleted the message in Slack: nothing to update. A job's
		// next events start a new thread; a board without its thread is
		// posted (and pinned) anew by the next pass's boards.
		delete(st.Threads, m.Thread)
		st.MarkSent(m.Seq)
		if m.Kind == kindBoard {
			p.Log.Warn("the board's message was deleted in Slack; a new board is posted next pass", "channel", m.Channel)
		} else {
			p.Log.Warn("a job's message was deleted in Slack; its next events start a new thread", "channel", am.Channel)
		}
	} else {
		stop = p.record(st, to, m, res, tries, rep)
	}
	if err := p.Store.Save(st); err != nil {
		// Sending on would post messages that cannot be marked sent.
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

// oldestMessage is when the oldest of msgs was queued; zero for none.
func oldestMessage(msgs []state.Message) time.Time {
	if len(msgs) == 0 {
		return time.Time{}
	}
	return slices.MinFunc(msgs, func(a, b state.Message) int { return a.Created.Compare(b.Created) }).Created
}

// record applies one delivery result to the state; it returns true when
// this webhook must not be sent to again in this pass.
func (p *Pass) record(st *state.State, to dest, m state.Message, res notify.Result, tries int, rep *Report) bool {
	log := p.Log.With("hook", to.hook.String(), "message", m.Seq, "kind", m.Kind)
	switch dh := st.DeadHooks[to.hook]; res.Class {
	case notify.Delivered, notify.PermanentMessage, notify.RateLimited: // Slack knows the webhook
		if dh != nil {
			delete(st.DeadHooks, to.hook)
			log.Info("slack takes the webhook again", "refused_since", dh.Since.Format(time.RFC3339))
		}
	}
	if res.Class != notify.Delivered {
		rep.SendFailures[res.Class.String()]++
	}
	switch res.Class {
	case notify.Delivered:
		st.MarkSent(m.Seq)
		st.Day.LastPostAt = p.Now()
		rep.Sent++
		log.Debug("sent", "summary", m.Summary)
		return false
	case notify.PermanentMessage:
		st.Bury(m.Seq, res.Code)
		rep.Dead++
		log.Error("slack refused the message for good; kept in the dead letters", "slack_error", res.Code,
			"status", res.Status, "summary", m.Summary)
		return false
	}
	o := &st.Outbox[slices.IndexFunc(st.Outbox, func(x state.Message) bool { return x.Seq == m.Seq })]
	o.Attempts += max(tries, 1)
	o.LastError = fmt.Sprintf("%s %d %s", res.Class, res.Status, res.Code)
	if res.Class == notify.DeadWebhook {
		// Tried again later, one message, with a growing delay; given up
		// after a day (see markDead).
		rep.DeadWebhooks = append(rep.DeadWebhooks, to.hook)
		p.markDead(st, to, res, log)
		return true
	}
	o.NextAttempt = p.Now().Add(p.Sender.RetryDelay(res, o.Attempts))
	log.Warn("slack did not take the message; retrying later", "slack_error", res.Code, "status", res.Status,
		"attempts", o.Attempts, "next_attempt", o.NextAttempt.Format(time.RFC3339))
	return true
}

// A webhook Slack refuses as a whole (no_service, invalid_token,
// channel_is_archived, ...) keeps its messages in the outbox. It is tried
// again, one message, after DeadHookFirstDelay, doubling up to
// DeadHookMaxDelay; once it has been refused for DeadHookGiveUp kamobot
// stops trying it and says what to do. A new URL for it in the config, or
// `kamobot state retry`, makes it tried again at once.
const (
	DeadHookFirstDelay = time.Minute
	DeadHookMaxDelay   = time.Hour
	DeadHookGiveUp     = 24 * time.Hour
)

// waiting reports whether a next attempt planned for next is still ahead
// of now. One further ahead than limit is not: the clock went back.
func waiting(next, now time.Time, limit time.Duration) bool {
	return next.After(now) && next.Sub(now) <= limit
}

// holdDeadHook reports whether the messages of a webhook Slack refused
// must wait: it is backing off, or kamobot gave up on it. A webhook whose
// URL changed since it was refused is tried at once.
func (p *Pass) holdDeadHook(st *state.State, to dest, now time.Time, rep *Report) bool {
	switch dh := st.DeadHooks[to.hook]; {
	case dh == nil || to.missing():
	case to.fingerprint() != dh.Fingerprint:
		delete(st.DeadHooks, to.hook)
		what := "the webhook Slack refused has a new URL"
		if to.app() {
			what = "the app channel Slack refused has a new bot token or channel"
		}
		p.Log.Info(what+"; sending its messages again", "hook", to.hook.String())
	case dh.GaveUp || waiting(dh.NextAttempt, now, DeadHookMaxDelay):
		rep.DeadWebhooks = append(rep.DeadWebhooks, to.hook)
		return true
	}
	return false
}

// markDead records that Slack refused the webhook and plans its next try,
// or gives up on it after DeadHookGiveUp.
func (p *Pass) markDead(st *state.State, to dest, res notify.Result, log *slog.Logger) {
	now := p.Now()
	dh := st.DeadHooks[to.hook]
	if dh == nil {
		dh = &state.DeadHook{Fingerprint: to.fingerprint(), Channel: to.channel, Since: now}
		if st.DeadHooks == nil {
			st.DeadHooks = map[state.Hook]*state.DeadHook{}
		}
		st.DeadHooks[to.hook] = dh
	}
	if now.Before(dh.Since) {
		dh.Since = now // the clock went back: count from now
	}
	dh.Attempts++
	dh.LastError = strings.TrimSpace(fmt.Sprintf("%d %s", res.Status, res.Code))
	pending := 0
	for _, m := range st.Outbox {
		if m.Hook == to.hook {
			pending++
		}
	}
	if now.Sub(dh.Since) >= DeadHookGiveUp {
		dh.GaveUp, dh.NextAttempt = true, time.Time{}
		log.Error("slack has refused this webhook for "+notify.Duration(now.Sub(dh.Since).Round(time.Second), "en")+"; kamobot stops trying it. "+
			"Its messages stay in the outbox: put a working webhook URL in the config (it is tried at once), "+
			"or run `kamobot state retry` once the webhook works again",
			"slack_error", res.Code, "status", res.Status, "attempts", dh.Attempts, "pending", pending)
		return
	}
	// The sender's backoff, without jitter: one message is tried, not a burst.
	backoff := notify.RetryPolicy{Base: DeadHookFirstDelay, Cap: DeadHookMaxDelay}
	dh.NextAttempt = now.Add(backoff.Backoff(dh.Attempts, func() float64 { return 1 }))
	what := "the webhook"
	if to.app() {
		what = "the app's bot token or channel " + to.channel
	}
	log.Error("slack refused "+what+"; messages kept in the outbox until it is fixed",
		"slack_error", res.Code, "status", res.Status, "attempts", dh.Attempts, "pending", pending,
		"next_attempt", dh.NextAttempt.Format(time.RFC3339))
}

// deadHookError is the error of a pass that left messages behind a dead
// webhook (exit 69): what happened and what to do.
func deadHookError(st *state.State, rep Report) error {
	hooks := slices.Compact(slices.Sorted(slices.Values(rep.DeadWebhooks)))
	var gaveUp []state.Hook
	var next, apps, fixes []string // apps: the channel IDs of the app channels among hooks
	for _, h := range hooks {
		dh := st.DeadHooks[h] // kept, or made, as h was held or refused
		switch {
		case dh.GaveUp:
			gaveUp = append(gaveUp, h)
		case !dh.NextAttempt.IsZero():
			next = append(next, h.String()+" at "+dh.NextAttempt.Format(time.RFC3339))
		}
		if dh.Channel != "" {
			apps = append(apps, dh.Channel)
		}
		code := dh.LastError[strings.LastIndex(dh.LastError, " ")+1:]
		if fix := notify.AppFix(code); fix != "" {
			fixes = append(fixes, fmt.Sprintf("%s: Slack says %s: %s", h, code, fix))
		}
	}
	var err error
	if len(apps) == len(hooks) {
		err = fmt.Errorf("%w for %v (bot token revoked, or the bot not in channel %s?): %d messages kept in the outbox; "+
			"fix the token or channel and they will be sent", errDeadApp{}, hooks, strings.Join(apps, ", "), rep.Pending)
	} else {
		err = fmt.Errorf("%w for %v (removed, revoked or archived channel?): %d messages kept in the outbox; "+
			"fix the webhook and they will be sent", ErrDeadWebhook, hooks, rep.Pending)
	}
	if len(fixes) > 0 {
		err = fmt.Errorf("%w; %s", err, strings.Join(fixes, "; "))
	}
	if len(next) > 0 {
		err = fmt.Errorf("%w; next try: %s (at once after `kamobot state retry`)", err, strings.Join(next, ", "))
	}
	if len(gaveUp) > 0 {
		err = fmt.Errorf("%w; kamobot stopped trying %v after %s: a new webhook URL in the config is tried at once, "+
			"or run `kamobot state retry` once it works again", err, gaveUp, notify.Duration(DeadHookGiveUp, "en"))
	}
	return err
}

// errDeadApp is ErrDeadWebhook (exit 69) said of app channels: Slack
// refused the bot token or the channel, not a webhook.
type errDeadApp struct{}

func (errDeadApp) Error() string        { return "slack refused the app's bot token or channel" }
func (errDeadApp) Is(target error) bool { return target == ErrDeadWebhook }
