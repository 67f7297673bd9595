package notify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kamobot/kamobot/job"
)

// RenderEvents renders the events of one pass for one webhook. One event
// gives one detailed job message; several give one batched message with a
// compact section per job, split into as few payloads as Slack's limits
// allow. No events give no payloads.
func RenderEvents(events []job.Event, o RenderOptions) []Payload {
	if len(events) == 0 {
		return nil
	}
	return newRenderer(o).batch(supersede(events))
}

// job renders the detailed message about one event.
func (r *renderer) job(e job.Event) Payload {
	l, j := r.l, e.Job
	em, title := eventEmoji(e.Type), r.title(e.Type)

	prefix := em + " " + title + ": "
	header := prefix + inline(j.Name, MaxHeaderText-utf8.RuneCountInString(prefix), l.noName)

	head := r.headMentions(e.Tenant)
	showReason, showLog := explains(e.Type)
	reason, logLink := "", ""
	if showReason {
		reason = inline(j.ConditionNote, reasonBudget, "")
	}
	if showLog {
		logLink = r.logLink(j)
	}
	name := strings.Join(nonEmpty("*"+r.jobLink(j, nameBudget)+"*", logLink), " · ")
	lines := nonEmpty(head, name, r.phrase(eventKey(e.Type)), r.note(e))

	fields := []string{
		field(l.tenant, r.tenant(e.Tenant)),
		field(l.kindLabel, r.kind(j.Kind)),
		field(l.owner, r.owner(j)),
		field(l.status, r.transition(e)),
	}
	if label, v := r.runTime(e); v != "" {
		fields = append(fields, field(label, v))
	}
	if label, v := r.queueTime(e); v != "" {
		fields = append(fields, field(label, v))
	}
	if n := oneLine(j.Node); n != "" {
		fields = append(fields, field(l.node, inline(n, valueBudget, l.none)))
	}
	if j.GPU > 0 {
		fields = append(fields, field(l.gpus, strconv.Itoa(j.GPU)))
	}

	blocks := []Block{Header(header), Section(strings.Join(lines, "\n")), Fields(fields...)}
	if reason != "" {
		blocks = append(blocks, Section(field(l.reason, reason)))
	}
	if c := codeBlock(j.LogSummary, logBudget); showLog && c != "" {
		blocks = append(blocks, Section(field(l.logTail, c)))
	}
	if at := r.when(e.At); at != "" {
		blocks = append(blocks, Context(at))
	}

	// The text fallback carries the essentials on one or two lines.
	text := strings.Join(nonEmpty(head, fmt.Sprintf("%s %s: %s (%s · %s) %s", em, title, r.jobLink(j, nameBudget),
		r.tenant(e.Tenant), r.kind(j.Kind), r.transition(e))), " ")
	if _, v := r.runTime(e); v != "" {
		text += " · " + v
	}
	text += " · " + l.owner + " " + r.owner(j)
	if reason != "" {
		text += "\n" + l.reason + ": " + inline(j.ConditionNote, 300, "")
	}
	return Payload{Text: strings.Join(nonEmpty(text, r.note(e), logLink), "\n"), Blocks: blocks}
}

// note is kamobot's own remark about an event, or "": that KAMONOHASHI did
// not record an ending (Succeeded), or what an Unknown state means.
func (r *renderer) note(e job.Event) string {
	switch {
	case e.Unmarked():
		return "_" + r.l.unmarked + "_"
	case e.Type == job.EventStateUnknown:
		return "_" + r.l.unknownNote + "_"
	}
	return ""
}

// nonEmpty is xs without its empty strings.
func nonEmpty(xs ...string) []string {
	return slices.DeleteFunc(xs, func(x string) bool { return x == "" })
}
