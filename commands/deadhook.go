package commands

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

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

// maxMessageWait is the longest a message can rightly wait for its next
// attempt (Slack's Retry-After, capped). A next attempt further ahead can
// only come from a clock that went back: it is due at once.
const maxMessageWait = notify.DefaultMaxRetryAfter

// deadHookDelay is the wait after the n-th refusal of a webhook (n ≥ 1).
func deadHookDelay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 { // 1m·2^6 already passes the cap
		return DeadHookMaxDelay
	}
	return min(DeadHookFirstDelay<<(n-1), DeadHookMaxDelay)
}

// waiting reports whether a next attempt planned for next is still ahead
// of now. One further ahead than limit is not: the clock went back.
func waiting(next, now time.Time, limit time.Duration) bool {
	return next.After(now) && next.Sub(now) <= limit
}

// holdDeadHook reports whether the messages of a webhook Slack refused
// must wait: it is backing off, or kamobot gave up on it. A webhook whose
// URL changed since it was refused is tried at once. It must be called
// with the state guarded.
func (p *Pass) holdDeadHook(st *state.State, hook string, url config.Secret, now time.Time, rep *PassReport) bool {
	dh := st.DeadHooks[hook]
	if dh == nil || url.IsZero() {
		return false
	}
	if notify.Fingerprint(url.Reveal()) != dh.Fingerprint {
		delete(st.DeadHooks, hook)
		p.Log.Info("the webhook Slack refused has a new URL; sending its messages again", "hook", hook)
		return false
	}
	if !dh.GaveUp && !waiting(dh.NextAttempt, now, DeadHookMaxDelay) {
		return false
	}
	rep.DeadWebhooks = append(rep.DeadWebhooks, hook)
	return true
}

// markDead records that Slack refused webhook hook (whose URL is url) and
// plans its next try, or gives up on it after DeadHookGiveUp.
func (p *Pass) markDead(st *state.State, hook string, url config.Secret, res notify.Result, log *slog.Logger) {
	now := p.Now()
	dh := st.DeadHooks[hook]
	if dh == nil {
		dh = &state.DeadHook{Fingerprint: notify.Fingerprint(url.Reveal()), Since: now}
		if st.DeadHooks == nil {
			st.DeadHooks = map[string]*state.DeadHook{}
		}
		st.DeadHooks[hook] = dh
	}
	if now.Before(dh.Since) {
		dh.Since = now // the clock went back: count from now
	}
	dh.Attempts++
	dh.LastError = strings.TrimSpace(fmt.Sprintf("%d %s", res.Status, res.Code))
	pending := 0
	for _, m := range st.Outbox {
		if m.Hook == hook {
			pending++
		}
	}
	if now.Sub(dh.Since) >= DeadHookGiveUp {
		dh.GaveUp, dh.NextAttempt = true, time.Time{}
		log.Error("slack has refused this webhook for "+humanDuration(now.Sub(dh.Since))+"; kamobot stops trying it. "+
			"Its messages stay in the outbox: put a working webhook URL in the config (it is tried at once), "+
			"or run `kamobot state retry` once the webhook works again",
			"slack_error", res.Code, "status", res.Status, "attempts", dh.Attempts, "pending", pending)
		return
	}
	dh.NextAttempt = now.Add(deadHookDelay(dh.Attempts))
	log.Error("slack refused the webhook; messages kept in the outbox until it is fixed",
		"slack_error", res.Code, "status", res.Status, "attempts", dh.Attempts, "pending", pending,
		"next_attempt", dh.NextAttempt.Format(time.RFC3339))
}

// clearDead forgets that a webhook was refused, once Slack took it again.
func (p *Pass) clearDead(st *state.State, hook string, log *slog.Logger) {
	if dh := st.DeadHooks[hook]; dh != nil {
		delete(st.DeadHooks, hook)
		log.Info("slack takes the webhook again", "refused_since", dh.Since.Format(time.RFC3339))
	}
}

// deadHookError is the error of a pass that left messages behind a dead
// webhook (exit 69): what happened and what to do.
func deadHookError(st *state.State, rep PassReport) error {
	hooks := slices.Compact(slices.Sorted(slices.Values(rep.DeadWebhooks)))
	var gaveUp, next []string
	for _, h := range hooks {
		switch dh := st.DeadHooks[h]; {
		case dh == nil:
		case dh.GaveUp:
			gaveUp = append(gaveUp, h)
		case !dh.NextAttempt.IsZero():
			next = append(next, h+" at "+dh.NextAttempt.Format(time.RFC3339))
		}
	}
	msg := fmt.Sprintf("slack refused the webhook for %v (removed, revoked or archived channel?): %d messages kept in the outbox; "+
		"fix the webhook and they will be sent", hooks, rep.Pending)
	if len(next) > 0 {
		msg += fmt.Sprintf("; next try: %s (at once after `kamobot state retry`)", strings.Join(next, ", "))
	}
	if len(gaveUp) > 0 {
		msg += fmt.Sprintf("; kamobot stopped trying %v after %s: a new webhook URL in the config is tried at once, "+
			"or run `kamobot state retry` once it works again", gaveUp, humanDuration(DeadHookGiveUp))
	}
	return &ExitError{Code: ExitUnavailable, Err: fmt.Errorf("%s", msg)}
}
