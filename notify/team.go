package notify

import (
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

type teamLabels struct {
	title                                         map[string]string
	tenant, kind, until, reason, by, held, since  string
	allKinds, stuckFor, troubleFor, runs, failed  string
	what, lastError, caughtUp, downFor, reminderN string
}

var teamEN = teamLabels{
	title: map[string]string{
		KeyMuteSet: "Muted", KeyMuteEnded: "Mute ended", KeyReminder: "Reminder", KeyFailing: "Failing repeatedly",
		KeySelfDown: "KAMONOHASHI unreadable", KeySelfUp: "KAMONOHASHI readable again", KeyHookDead: "Webhook refused",
	},
	tenant: "Tenant", kind: "Kind", until: "Until", reason: "Reason", by: "By", held: "Held",
	since: "Since", allKinds: "all kinds", stuckFor: "Waiting for", troubleFor: "In trouble for",
	runs: "Runs", failed: "%[1]d failures within %[2]s", what: "What failed", lastError: "Last error",
	caughtUp: "Caught up", downFor: "Down for", reminderN: "Reminder",
}

var teamJA = teamLabels{
	title: map[string]string{
		KeyMuteSet: "ミュート", KeyMuteEnded: "ミュート終了", KeyReminder: "リマインド", KeyFailing: "失敗の繰り返し",
		KeySelfDown: "KAMONOHASHI 読み取り不可", KeySelfUp: "KAMONOHASHI 読み取り再開", KeyHookDead: "Webhook 拒否",
	},
	tenant: "テナント", kind: "種別", until: "終了予定", reason: "理由", by: "設定者", held: "保留",
	since: "開始", allKinds: "全種別", stuckFor: "待ち時間", troubleFor: "異常の継続",
	runs: "実行", failed: "%[2]s以内に%[1]d回失敗", what: "失敗した処理", lastError: "最後のエラー",
	caughtUp: "追いついた件数", downFor: "停止時間", reminderN: "リマインド",
}

func (r *renderer) team() *teamLabels {
	if r.o.Lang == "en" {
		return &teamEN
	}
	return &teamJA
}

// teamHead is the emoji and the phrase of key (escaped), else the fixed
// title of the message.
func (r *renderer) teamHead(key, emoji string) string {
	say := r.phrase(key)
	if say == "" {
		say = r.team().title[key]
	}
	return emoji + " " + say
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
	l := r.team()
	key, em := KeyMuteSet, ":mute:"
	if m.Ended {
		key, em = KeyMuteEnded, ":loud_sound:"
	}
	head := r.teamHead(key, em)
	kind := l.allKinds
	if m.Kind != "" {
		kind = r.kind(m.Kind)
	}
	fields := []string{field(l.tenant, r.tenant(m.Tenant)), field(l.kind, kind)}
	if m.Ended {
		fields = append(fields, field(l.since, r.whenShort(m.Since)), field(l.held, fmt.Sprint(m.Held)))
	} else {
		fields = append(fields, field(l.until, r.whenShort(m.Until)))
		if m.By != "" {
			fields = append(fields, field(l.by, inline(m.By, valueBudget, "")))
		}
	}
	blocks := []Block{Section(head), Fields(fields...)}
	if reason := inline(m.Reason, reasonBudget, ""); reason != "" && !m.Ended {
		blocks = append(blocks, Context("*"+l.reason+"*: "+reason))
	}
	text := head + " · " + r.tenant(m.Tenant) + " · " + kind
	return Payload{Text: text, Blocks: blocks}
}

// RenderReminder renders reminder number n (from 1) about a job still
// stuck pending (or Unknown), or still in trouble, since since.
func RenderReminder(e job.Event, since time.Time, n int, o RenderOptions) Payload {
	r := newRenderer(o)
	l := r.team()
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
		Fields(field(l.tenant, r.tenant(e.Tenant)), field(r.kind(e.Job.Kind), r.jobLink(e.Job, nameBudget)),
			field(r.l.owner, r.owner(e.Job)), field(r.l.status, inline(api.NormalStatus(e.To), 60, r.l.none)),
			field(forLabel, long), field(l.reminderN, fmt.Sprint(n))),
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
	l := r.team()
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
	l := r.team()
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
	blocks := []Block{Section(head), Fields(fields...)}
	if e := inline(s.Error, reasonBudget, ""); e != "" {
		blocks = append(blocks, Context("*"+l.lastError+"*: "+e))
	}
	return Payload{Text: head, Blocks: blocks}
}

// RenderDeadHook renders the notice, sent through another webhook, that
// Slack refuses the webhook named hook (never its URL) since since.
func RenderDeadHook(hook string, since time.Time, lastError string, o RenderOptions) Payload {
	r := newRenderer(o)
	l := r.team()
	head := r.teamHead(KeyHookDead, ":warning:")
	blocks := []Block{Section(head), Fields(field("Webhook", inline(hook, valueBudget, "")), field(l.since, r.whenShort(since)))}
	if e := inline(lastError, reasonBudget, ""); e != "" {
		blocks = append(blocks, Context("*"+l.lastError+"*: "+e))
	}
	return Payload{Text: head + " · " + inline(hook, valueBudget, ""), Blocks: blocks}
}
