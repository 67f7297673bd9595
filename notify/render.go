package notify

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/state"
)

// RenderOptions is what the renderers need besides the events. Rendering is
// pure: the same options and events give the same payloads.
type RenderOptions struct {
	// Server is the KAMONOHASHI web UI base URL, for job links. Without it
	// jobs are named but not linked.
	Server string
	// Location is the time zone of the times shown; default UTC.
	Location *time.Location
	// Now is the time of the summary and greetings.
	Now time.Time
	// Lang picks the fixed labels: "ja" (default) or "en".
	Lang string
	// Phrase picks a phrase for a key ("completed", "failed", "killed",
	// "canceled", "trouble", "stuck_pending", "long_running", "started",
	// "deleted", "unknown", "enter", "leave", "leave_friday", "leave_quiet",
	// "summary", "digest"), usually at random from a message set. It may be
	// nil. Phrases are escaped like everything else.
	Phrase func(key string) string
	// Mentions are the Slack targets of the tenant: user IDs "U…"/"W…",
	// user-group IDs "S…", or "here"/"channel". Every job message, single or
	// batched, starts with them; greetings, summaries and digests mention
	// no one.
	Mentions []string
	// Owners maps a KAMONOHASHI user name to a Slack user ID, so the owner
	// of a job is mentioned; an unmapped owner is shown by name.
	Owners map[string]string
}

// Budgets for values from KAMONOHASHI, in characters once escaped.
const (
	nameBudget    = 200
	valueBudget   = 120
	reasonBudget  = 500
	logBudget     = 1500
	phraseBudget  = 300
	mentionsLimit = 20 // configured mentions used at most
)

// renderer holds the options and what is derived from them.
type renderer struct {
	o        RenderOptions
	l        *labels
	loc      *time.Location
	server   string
	mentions string
}

func newRenderer(o RenderOptions) *renderer {
	r := &renderer{o: o, l: labelsFor(o.Lang), loc: o.Location}
	if r.loc == nil {
		r.loc = time.UTC
	}
	s := strings.TrimSpace(o.Server)
	s = strings.TrimRight(strings.TrimSuffix(strings.TrimRight(s, "/"), "/#"), "/")
	r.server = s
	m := o.Mentions
	if len(m) > mentionsLimit {
		m = m[:mentionsLimit]
	}
	r.mentions = mentions(m)
	return r
}

// phrase returns the escaped phrase for key, or "".
func (r *renderer) phrase(key string) string {
	if r.o.Phrase == nil {
		return ""
	}
	return inline(r.o.Phrase(key), phraseBudget, "")
}

// eventKey is the phrase key and label key of an event type.
func eventKey(t state.EventType) string {
	if _, ok := emoji[t]; ok {
		return string(t)
	}
	return "unknown"
}

func (r *renderer) title(t state.EventType) string {
	if s, ok := r.l.title[t]; ok {
		return s
	}
	return typeName(t)
}

var plainTypeName = regexp.MustCompile(`^[a-z_]{1,40}$`)

// typeName shows an event type kamobot has no label for; it needs no
// escaping, so titles holding it can be cut anywhere.
func typeName(t state.EventType) string {
	if plainTypeName.MatchString(string(t)) {
		return string(t)
	}
	return "?"
}

func eventEmoji(t state.EventType) string {
	if e, ok := emoji[t]; ok {
		return e
	}
	return ":grey_question:"
}

func (r *renderer) kind(k api.Kind) string {
	if s, ok := r.l.kinds[k]; ok {
		return s
	}
	return inline(string(k), 40, r.l.none)
}

// jobID is how a job is numbered in the web UI.
func jobID(j api.Job) string {
	id := j.ID
	if j.DisplayID != 0 {
		id = j.DisplayID
	}
	if j.Kind == api.KindPreprocessing && j.ParentID != 0 {
		return "#" + strconv.FormatInt(j.ParentID, 10) + "/" + strconv.FormatInt(j.ID, 10)
	}
	return "#" + strconv.FormatInt(id, 10)
}

// jobLink is "<url|name #id>", or "name #id" without a server.
func (r *renderer) jobLink(j api.Job, budget int) string {
	label := inline(j.Name, budget, r.l.noName) + " " + jobID(j)
	if r.server == "" {
		return label
	}
	return link(j.WebURL(r.server), label)
}

// owner is the job's owner: a mention when mapped, else the escaped name.
func (r *renderer) owner(j api.Job) string {
	name := strings.TrimSpace(j.CreatedBy)
	if name == "" {
		return r.l.none
	}
	if id, ok := r.o.Owners[name]; ok && slackUser.MatchString(strings.TrimSpace(id)) {
		return "<@" + strings.TrimSpace(id) + ">"
	}
	return inline(name, valueBudget, r.l.none)
}

func (r *renderer) tenant(t state.TenantRef) string {
	return inline(t.Label(), valueBudget, r.l.none)
}

// transition is "Running → Completed", or the status alone.
func (r *renderer) transition(e state.Event) string {
	to := inline(api.NormalStatus(e.To), 60, r.l.none)
	if e.Type == state.EventDeleted {
		to = r.l.gone
	}
	from := inline(e.From, 60, "")
	if from == "" || from == to {
		return to
	}
	return from + " → " + to
}

// runTime is the run's duration: started to completed (or to when kamobot
// noticed), with its label. ok is false when the job never started.
func (r *renderer) runTime(e state.Event) (label, value string, ok bool) {
	j := e.Job
	if j.StartedAt.IsZero() {
		return "", "", false
	}
	switch {
	case e.Type == state.EventLongRunning || e.Type == state.EventTrouble || e.Type == state.EventDeleted:
		// Still running, or last seen running: how long so far.
		return r.l.runningFor, Duration(e.At.Sub(j.StartedAt), r.o.Lang), true
	case e.Type.IsEnding():
		end := j.CompletedAt
		if end.IsZero() {
			end = e.At
		}
		return r.l.duration, Duration(end.Sub(j.StartedAt), r.o.Lang), true
	}
	return "", "", false
}

// queueTime is how long the job waited in the queue, with its label.
func (r *renderer) queueTime(e state.Event) (label, value string, ok bool) {
	j := e.Job
	if j.CreatedAt.IsZero() {
		return "", "", false
	}
	switch {
	case !j.StartedAt.IsZero():
		return r.l.queued, Duration(j.StartedAt.Sub(j.CreatedAt), r.o.Lang), true
	case e.Type == state.EventStuckPending:
		return r.l.waitingFor, Duration(e.At.Sub(j.CreatedAt), r.o.Lang), true
	case e.Type.IsEnding():
		return r.l.queued, Duration(e.At.Sub(j.CreatedAt), r.o.Lang), true
	}
	return "", "", false
}

// when formats a time for people, in the configured zone.
func (r *renderer) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(r.loc).Format("2006-01-02 15:04 MST")
}

// explains reports whether a message about the event shows why: the
// condition note, and for failures the end of the log.
func explains(t state.EventType) (reason, log bool) {
	switch t {
	case state.EventFailed, state.EventKilled, state.EventTrouble:
		return true, true
	case state.EventStuckPending:
		return true, false
	}
	return false, false
}

func field(label, value string) string { return "*" + label + "*\n" + value }

// RenderEvents renders the events of one pass for one webhook. One event
// gives one detailed job message; several give one batched message with a
// compact section per job, split into as few payloads as Slack's limits
// allow. No events give no payloads.
func RenderEvents(events []state.Event, o RenderOptions) []Payload {
	r := newRenderer(o)
	switch len(events) {
	case 0:
		return nil
	case 1:
		return []Payload{r.job(events[0])}
	}
	return r.batch(events)
}

// job renders the detailed message about one event.
func (r *renderer) job(e state.Event) Payload {
	l, j := r.l, e.Job
	em, title := eventEmoji(e.Type), r.title(e.Type)

	prefix := em + " " + title + ": "
	header := prefix + inline(j.Name, MaxHeaderText-utf8.RuneCountInString(prefix), l.noName)

	var lines []string
	if r.mentions != "" {
		lines = append(lines, r.mentions)
	}
	lines = append(lines, "*"+r.jobLink(j, nameBudget)+"*")
	if p := r.phrase(eventKey(e.Type)); p != "" {
		lines = append(lines, p)
	}

	fields := []string{
		field(l.tenant, r.tenant(e.Tenant)),
		field(l.kindLabel, r.kind(j.Kind)),
		field(l.owner, r.owner(j)),
		field(l.status, r.transition(e)),
	}
	if label, v, ok := r.runTime(e); ok {
		fields = append(fields, field(label, v))
	}
	if label, v, ok := r.queueTime(e); ok {
		fields = append(fields, field(label, v))
	}
	if n := oneLine(j.Node); n != "" {
		fields = append(fields, field(l.node, inline(n, valueBudget, l.none)))
	}
	if j.GPU > 0 {
		fields = append(fields, field(l.gpus, strconv.Itoa(j.GPU)))
	}

	blocks := []Block{Header(header), Section(strings.Join(lines, "\n")), Fields(fields...)}
	showReason, showLog := explains(e.Type)
	reason := inline(j.ConditionNote, reasonBudget, "")
	if showReason && reason != "" {
		blocks = append(blocks, Section(field(l.reason, reason)))
	}
	if showLog {
		if c := codeBlock(j.LogSummary, logBudget); c != "" {
			blocks = append(blocks, Section(field(l.logTail, c)))
		}
	}
	if at := r.when(e.At); at != "" {
		blocks = append(blocks, Context(at))
	}

	// The text fallback carries the essentials on one or two lines.
	var text strings.Builder
	if r.mentions != "" {
		text.WriteString(r.mentions + " ")
	}
	fmt.Fprintf(&text, "%s %s: %s (%s · %s) %s", em, title, r.jobLink(j, nameBudget),
		r.tenant(e.Tenant), r.kind(j.Kind), r.transition(e))
	if _, v, ok := r.runTime(e); ok {
		text.WriteString(" · " + v)
	}
	text.WriteString(" · " + l.owner + " " + r.owner(j))
	if showReason && reason != "" {
		text.WriteString("\n" + l.reason + ": " + inline(j.ConditionNote, 300, ""))
	}
	return Payload{Text: text.String(), Blocks: blocks}
}

// severity orders event types for picking a batch's phrase: the most
// serious event speaks for the batch.
var severity = []state.EventType{
	state.EventFailed, state.EventKilled, state.EventTrouble, state.EventStuckPending,
	state.EventLongRunning, state.EventCanceled, state.EventDeleted, state.EventCompleted,
	state.EventStarted,
}

// countOrder is the order of the counts in batch and digest headers.
var countOrder = []state.EventType{
	state.EventCompleted, state.EventFailed, state.EventKilled, state.EventCanceled,
	state.EventTrouble, state.EventStuckPending, state.EventLongRunning, state.EventStarted,
	state.EventDeleted,
}

// counts is "2 completed, 1 failed" (Japanese: "完了2・失敗1"), in a fixed
// order; unknown event types are counted under their own names, last.
func (r *renderer) counts(events []state.Event) string {
	n := map[state.EventType]int{}
	var others []state.EventType
	for _, e := range events {
		if _, known := emoji[e.Type]; !known && n[e.Type] == 0 {
			others = append(others, e.Type)
		}
		n[e.Type]++
	}
	var parts []string
	for _, t := range append(append([]state.EventType(nil), countOrder...), others...) {
		if n[t] == 0 {
			continue
		}
		word := r.l.count[t]
		if word == "" {
			word = typeName(t)
		}
		parts = append(parts, r.l.countItem(n[t], word))
	}
	return strings.Join(parts, r.l.listSep)
}

// compact is the short section about one event in a batch or digest.
func (r *renderer) compact(e state.Event) string {
	j := e.Job
	var b strings.Builder
	fmt.Fprintf(&b, "%s *%s* %s\n", eventEmoji(e.Type), r.jobLink(j, 100), r.title(e.Type))
	parts := []string{r.tenant(e.Tenant), r.kind(j.Kind), r.owner(j), r.transition(e)}
	if _, v, ok := r.runTime(e); ok {
		parts = append(parts, v)
	}
	b.WriteString(strings.Join(parts, " · "))
	if reason, _ := explains(e.Type); reason {
		if note := inline(j.ConditionNote, 200, ""); note != "" {
			b.WriteString("\n" + r.l.reason + ": " + note)
		}
	}
	return b.String()
}

// textLine is the one-line text fallback about one event in a batch.
func (r *renderer) textLine(e state.Event) string {
	return fmt.Sprintf("%s %s %s (%s) %s", eventEmoji(e.Type), inline(e.Job.Name, 60, r.l.noName),
		jobID(e.Job), r.tenant(e.Tenant), r.title(e.Type))
}

// batch renders several events as one message, split into parts when the
// job sections do not fit in one payload.
func (r *renderer) batch(events []state.Event) []Payload {
	ending := true
	latest := events[0].At
	worst := len(severity)
	for _, e := range events {
		ending = ending && e.Type.IsEnding()
		if e.At.After(latest) {
			latest = e.At
		}
		for i, t := range severity {
			if t == e.Type && i < worst {
				worst = i
			}
		}
	}
	title := r.l.jobsUpdated(len(events))
	if ending {
		title = r.l.jobsEnded(len(events))
	}
	title += ": " + r.counts(events)
	key := "unknown"
	if worst < len(severity) {
		key = string(severity[worst])
	}
	foot := []string{}
	if p := r.phrase(key); p != "" {
		foot = append(foot, p)
	}
	if at := r.when(latest); at != "" {
		foot = append(foot, at)
	}
	footer := strings.Join(foot, " · ")

	// Pack the job sections greedily, in order: each part holds as many as
	// the block count and the character budget allow.
	overhead := MaxHeaderText + utf8.RuneCountInString(r.mentions) + utf8.RuneCountInString(footer)
	budget := MaxBlocksChars - overhead
	var parts [][]int
	var cur []int
	used := 0
	for i, e := range events {
		capacity := MaxBlocks - 2 // header and footer
		if len(parts) == 0 && r.mentions != "" {
			capacity-- // the mentions section of the first part
		}
		n := utf8.RuneCountInString(r.compact(e))
		if len(cur) > 0 && (len(cur)+1 > capacity || used+n > budget) {
			parts = append(parts, cur)
			cur, used = nil, 0
		}
		cur = append(cur, i)
		used += n
	}
	parts = append(parts, cur)

	out := make([]Payload, 0, len(parts))
	for pi, idx := range parts {
		suffix := ""
		if len(parts) > 1 {
			suffix = r.l.part(pi+1, len(parts))
		}
		// The title holds only kamobot's own words and numbers: it can be
		// cut anywhere.
		const bell = ":bell: "
		h := bell + Truncate(title, MaxHeaderText-utf8.RuneCountInString(bell+suffix)) + suffix
		blocks := []Block{Header(h)}
		first := pi == 0 && r.mentions != ""
		if first {
			blocks = append(blocks, Section(r.mentions))
		}
		for _, i := range idx {
			blocks = append(blocks, Section(r.compact(events[i])))
		}
		if footer != "" {
			blocks = append(blocks, Context(footer))
		}

		var lines []string
		head := h
		if first {
			head = r.mentions + " " + h
		}
		lines = append(lines, head)
		size := utf8.RuneCountInString(head)
		for k, i := range idx {
			line := r.textLine(events[i])
			if size+utf8.RuneCountInString(line)+40 > MaxTextLen {
				lines = append(lines, r.l.more(len(idx)-k))
				break
			}
			lines = append(lines, line)
			size += utf8.RuneCountInString(line) + 1
		}
		out = append(out, Payload{Text: strings.Join(lines, "\n"), Blocks: blocks})
	}
	return out
}
