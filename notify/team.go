package notify

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// The team messages: mutes set and ended, reminders about a job still
// stuck or in trouble, a job that keeps failing, and kamobot's own
// trouble reaching KAMONOHASHI or Slack. Each is one short message with
// a headline and its facts. The headline is a phrase of its key
// (RenderOptions.Phrase: the built-in sets of config/messages, or the
// user's [messages]); without one it is a short fixed title.

// Phrase keys of the team messages (config's Msg constants).
const (
	KeyMuteSet   = "mute_set"
	KeyMuteEnded = "mute_ended"
	KeyReminder  = "reminder"
	KeyFailing   = "failing_repeatedly"
	KeySelfDown  = "self_down"
	KeySelfUp    = "self_up"
	KeyHookDead  = "webhook_dead"
)

// teamHead is the emoji and the phrase of key (escaped), else the fixed
// title of the message.
func (r *renderer) teamHead(key, emoji string) string {
	return emoji + " " + cmp.Or(r.phrase(key), r.l.said[key])
}

// notice is the blocks of a team message: its head, its facts, and an
// escaped remark under them, labelled, when there is one.
func notice(head string, fields []string, label, remark string) []Block {
	blocks := []Block{Section(head), Fields(fields...)}
	if remark != "" {
		blocks = append(blocks, Context("*"+label+"*: "+remark))
	}
	return blocks
}

// MuteNotice describes a mute for RenderMute.
type MuteNotice struct {
	Tenant job.TenantRef
	Kind   api.Kind // "" for every kind
	Since  time.Time
	Until  time.Time
	Reason string
	By     string
	// Ended is set for the end of a mute; Held then counts the events it
	// held (released in a digest, or dropped).
	Ended bool
	Held  int
}

// RenderMute renders the announcement of a mute set, or of its end.
func RenderMute(m MuteNotice, o RenderOptions) Payload {
	r := newRenderer(o)
	l := &r.l.team
	key, em := KeyMuteSet, ":mute:"
	if m.Ended {
		key, em = KeyMuteEnded, ":loud_sound:"
	}
	head := r.teamHead(key, em)
	kind := l.allKinds
	if m.Kind != "" {
		kind = r.kind(m.Kind)
	}
	fields := []string{field(r.l.tenant, r.tenant(m.Tenant)), field(r.l.kindLabel, kind)}
	reason := inline(m.Reason, reasonBudget, "")
	if m.Ended {
		fields = append(fields, field(l.since, r.whenShort(m.Since)), field(l.held, fmt.Sprint(m.Held)))
		reason = ""
	} else {
		fields = append(fields, field(l.until, r.whenShort(m.Until)))
		if m.By != "" {
			fields = append(fields, field(l.by, inline(m.By, valueBudget, "")))
		}
	}
	blocks := notice(head, fields, r.l.reason, reason)
	text := head + " · " + r.tenant(m.Tenant) + " · " + kind
	return Payload{Text: text, Blocks: blocks}
}

// RenderReminder renders reminder number n (from 1) about a job still
// stuck pending (or Unknown), or still in trouble, since since.
func RenderReminder(e job.Event, since time.Time, n int, o RenderOptions) Payload {
	r := newRenderer(o)
	l := &r.l.team
	head := r.teamHead(KeyReminder, ":alarm_clock:")
	if m := r.headMentions(e.Tenant); m != "" {
		head = m + " " + head
	}
	forLabel := l.stuckFor
	if api.StatusPhase(e.To) == api.PhaseTrouble {
		forLabel = l.troubleFor
	}
	long := Duration(o.Now.Sub(since), o.Lang)
	blocks := []Block{
		Section(head),
		Fields(field(r.l.tenant, r.tenant(e.Tenant)), field(r.kind(e.Job.Kind), r.jobLink(e.Job, nameBudget)),
			field(r.l.owner, r.owner(e.Job)), field(r.l.status, inline(api.NormalStatus(e.To), 60, r.l.none)),
			field(forLabel, long), field(r.l.said[KeyReminder], fmt.Sprint(n))),
	}
	text := fmt.Sprintf("%s · %s · %s · %s %s", head, r.tenant(e.Tenant), inline(e.Job.Name, nameBudget, r.l.noName), forLabel, long)
	return Payload{Text: text, Blocks: blocks}
}

// FailedRun is one run of a job that keeps failing.
type FailedRun struct {
	Job api.Job
	At  time.Time
}

// RenderFailing renders the "failing repeatedly" message: the runs of one
// job name that failed within the window, mentioning escalate (Slack IDs).
func RenderFailing(t job.TenantRef, name string, runs []FailedRun, within time.Duration, escalate []string, o RenderOptions) Payload {
	r := newRenderer(o)
	l := &r.l.team
	head := r.teamHead(KeyFailing, ":rotating_light:")
	if m := joinMentions(r.tenantMentions(t), mentions(escalate)); m != "" {
		head = m + " " + head
	}
	summary := fmt.Sprintf("%s · %s · ", r.tenant(t), inline(name, nameBudget, r.l.noName)) +
		fmt.Sprintf(l.failed, len(runs), Duration(within, o.Lang))
	var lines []string
	for i, run := range runs {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("… +%d", len(runs)-i))
			break
		}
		lines = append(lines, "• "+r.jobLink(run.Job, 100)+" · "+r.owner(run.Job)+" · "+r.whenShort(run.At))
	}
	blocks := []Block{Section(head), Section(summary), Section("*" + l.runs + "*\n" + strings.Join(lines, "\n"))}
	return Payload{Text: head + " · " + summary, Blocks: blocks}
}

// SelfNotice describes kamobot's own trouble for RenderSelf.
type SelfNotice struct {
	// Up is set for the recovery message.
	Up bool
	// What says what failed ("login refused", "KAMONOHASHI unreachable").
	What  string
	Since time.Time
	// Error is the exit text of the latest failing pass (already free of
	// secrets).
	Error string
	// CaughtUp counts the events the first pass after the outage found.
	CaughtUp int
}

// RenderSelf renders kamobot's message about its own trouble reaching
// KAMONOHASHI, or its recovery. It mentions no one.
func RenderSelf(s SelfNotice, o RenderOptions) Payload {
	r := newRenderer(o)
	l := &r.l.team
	key, em := KeySelfDown, ":warning:"
	if s.Up {
		key, em = KeySelfUp, ":white_check_mark:"
	}
	head := r.teamHead(key, em)
	fields := []string{field(l.since, r.whenShort(s.Since)), field(l.downFor, Duration(o.Now.Sub(s.Since), o.Lang))}
	if s.Up {
		fields = append(fields, field(l.caughtUp, fmt.Sprint(s.CaughtUp)))
	} else {
		fields = append(fields, field(l.what, inline(s.What, valueBudget, r.l.none)))
	}
	return Payload{Text: head, Blocks: notice(head, fields, l.lastError, inline(s.Error, reasonBudget, ""))}
}

// RenderDeadHook renders the notice, sent through another webhook, that
// Slack refuses the webhook named hook (never its URL) since since.
func RenderDeadHook(hook string, since time.Time, lastError string, o RenderOptions) Payload {
	r := newRenderer(o)
	l := &r.l.team
	head := r.teamHead(KeyHookDead, ":warning:")
	name := inline(hook, valueBudget, "")
	fields := []string{field("Webhook", name), field(l.since, r.whenShort(since))}
	return Payload{Text: head + " · " + name, Blocks: notice(head, fields, l.lastError, inline(lastError, reasonBudget, ""))}
}
