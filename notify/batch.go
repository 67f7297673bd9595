package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kamobot/kamobot/job"
)

// countOrder is the order of the counts in batch and digest headers.
var countOrder = []job.EventType{
	job.EventCompleted, job.EventFailed, job.EventKilled, job.EventCanceled,
	job.EventTrouble, job.EventStateUnknown, job.EventStuckPending, job.EventLongRunning, job.EventStarted,
	job.EventDeleted,
}

// counts is "2 completed, 1 failed" (Japanese: "完了2・失敗1"), in a fixed
// order; unknown event types are counted under their own names, last.
func (r *renderer) counts(events []job.Event) string {
	n := map[job.EventType]int{}
	var others []job.EventType
	for _, e := range events {
		if _, known := emoji[e.Type]; !known && n[e.Type] == 0 {
			others = append(others, e.Type)
		}
		n[e.Type]++
	}
	var parts []string
	for _, t := range append(append([]job.EventType(nil), countOrder...), others...) {
		if n[t] == 0 {
			continue
		}
		parts = append(parts, r.l.countItem(n[t], strings.ToLower(r.title(t))))
	}
	return strings.Join(parts, r.l.listSep)
}

// supersede drops the alerts (long running, stuck pending, trouble,
// started, ...) about a job that ends later in the same list: the ending
// says what became of it. Endings are all kept (a rerun notebook can end
// twice), and the order of what is left is kept.
func supersede(events []job.Event) []job.Event {
	type key struct {
		tenant int64
		job    string
	}
	lastEnd := map[key]int{}
	for i, e := range events {
		if e.Type.IsEnding() {
			lastEnd[key{e.Tenant.ID, e.Job.Key()}] = i
		}
	}
	if len(lastEnd) == 0 {
		return events
	}
	out := make([]job.Event, 0, len(events))
	for i, e := range events {
		if end, ok := lastEnd[key{e.Tenant.ID, e.Job.Key()}]; ok && !e.Type.IsEnding() && i < end {
			continue
		}
		out = append(out, e)
	}
	return out
}

// timing is the time that matters for the event, labelled, for a short
// line: the run time of a job that ran, how long a stuck job has waited.
func (r *renderer) timing(e job.Event) string {
	if label, v := r.runTime(e); v != "" {
		return label + " " + v
	}
	if e.Type == job.EventStuckPending {
		if label, v := r.queueTime(e); v != "" {
			return label + " " + v
		}
	}
	return ""
}

// compact is the short section about one event in a batch. withTenant
// names the tenant (a batch of one tenant's jobs; a batch over several
// tenants has a heading per tenant instead).
func (r *renderer) compact(e job.Event, withTenant bool) string {
	j := e.Job
	showReason, showLog := explains(e.Type)
	first := fmt.Sprintf("%s *%s* %s", eventEmoji(e.Type), r.jobLink(j, 100), r.title(e.Type))
	if l := r.logLink(j); showLog && l != "" {
		first += " · " + l
	}
	var parts []string
	if withTenant {
		parts = append(parts, r.tenant(e.Tenant))
	}
	parts = append(parts, r.kind(j.Kind), r.owner(j), r.transition(e), r.timing(e))
	if e.Unmarked() {
		parts = append(parts, "_"+r.l.unmarkedShort+"_")
	}
	s := first + r.threadLink(e) + "\n" + strings.Join(nonEmpty(parts...), " · ")
	if note := inline(j.ConditionNote, 200, ""); showReason && note != "" {
		s += "\n" + r.l.reason + ": " + note
	}
	return s
}

// textLine is the one-line text fallback about one event in a batch, with
// the tenant unless a heading names it.
func (r *renderer) textLine(e job.Event, withTenant bool) string {
	name := inline(e.Job.Name, 60, r.l.noName) + " " + jobID(e.Job)
	if withTenant {
		name += " (" + r.tenant(e.Tenant) + ")"
	}
	line := eventEmoji(e.Type) + " " + name + " " + r.title(e.Type)
	if t := r.timing(e); t != "" && e.Type == job.EventStuckPending {
		line += " · " + t
	}
	return line
}

// tenantGroup is one tenant's events in a batch.
type tenantGroup struct {
	tenant job.TenantRef
	events []job.Event
}

// groupByTenant groups events by tenant, tenants in the order they first
// appear, each tenant's events in their order.
func groupByTenant(events []job.Event) []tenantGroup {
	var groups []tenantGroup
	at := map[int64]int{}
	for _, e := range events {
		i, ok := at[e.Tenant.ID]
		if !ok {
			i = len(groups)
			at[e.Tenant.ID] = i
			groups = append(groups, tenantGroup{tenant: e.Tenant})
		}
		groups[i].events = append(groups[i].events, e)
	}
	return groups
}

// item is one block of a batch's body, a tenant heading or a job section,
// and its line in the text fallback.
type item struct {
	text, line string
	heading    bool
}

// batch renders several events as one message, split into parts when the
// job sections do not fit in one payload. A batch of one tenant's jobs
// opens with the mentions; a batch over several tenants (a shared
// webhook) has a section per tenant, headed by the tenant's name and its
// own mentions.
func (r *renderer) batch(events []job.Event) []Payload {
	if len(events) == 1 {
		return []Payload{r.job(events[0])}
	}
	groups := groupByTenant(events)
	shared := len(groups) > 1
	head := r.mentions
	if !shared {
		head = r.headMentions(groups[0].tenant)
	}
	title, intro, footer := r.batchTitle(events)
	parts := r.pack(groups, shared, head, intro, footer)
	out := make([]Payload, 0, len(parts))
	for pi, part := range parts {
		suffix := ""
		if len(parts) > 1 {
			suffix = fmt.Sprintf(" (%d/%d)", pi+1, len(parts))
		}
		// The title holds only kamobot's own words and numbers: it can be
		// cut anywhere.
		const bell = ":bell: "
		h := bell + Truncate(title, MaxHeaderText-utf8.RuneCountInString(bell+suffix)) + suffix
		blocks := []Block{Header(h)}
		first := h
		if pi == 0 && head != "" {
			blocks = append(blocks, Section(head))
			first = head + " " + h
		}
		if pi == 0 && intro != "" {
			blocks = append(blocks, Context(intro))
		}
		for _, it := range part {
			blocks = append(blocks, Section(it.text))
		}
		if footer != "" {
			blocks = append(blocks, Context(footer))
		}
		out = append(out, Payload{Text: r.batchText(first, part), Blocks: blocks})
	}
	return out
}

// tenantHeading heads a tenant's section in a batch over several tenants,
// with its mentions ("" on a heading repeated in a later part): its name
// and mentions, and its line in the text fallback.
func (r *renderer) tenantHeading(t job.TenantRef, mentions string) item {
	it := item{text: ":office: *" + r.tenant(t) + "*", line: r.tenant(t) + ":", heading: true}
	if mentions != "" {
		it.text += "  " + mentions
		it.line += " " + mentions
	}
	return it
}

// batchText is the text fallback of one part: the header, then a line per
// job, with each tenant's heading (and mentions) before its jobs, cut with
// "…and N more" to fit.
func (r *renderer) batchText(first string, part []item) string {
	lines := []string{first}
	size := utf8.RuneCountInString(first)
	jobs := 0 // not yet shown
	for _, it := range part {
		if !it.heading {
			jobs++
		}
	}
	for _, it := range part {
		if size+utf8.RuneCountInString(it.line)+40 > MaxTextLen {
			lines = append(lines, r.l.more(jobs))
			break
		}
		lines = append(lines, it.line)
		size += utf8.RuneCountInString(it.line) + 1
		if !it.heading {
			jobs--
		}
	}
	return strings.Join(lines, "\n")
}

// batchTitle is the header text of a batch ("3 jobs ended: 2 completed,
// 1 failed"), the phrase that introduces it, and its footer (the time of
// the latest event). Only a batch of one kind of event has a phrase: the
// phrase of that kind speaks for every job in it, where the phrase of one
// event among others would speak for the wrong jobs.
func (r *renderer) batchTitle(events []job.Event) (title, intro, footer string) {
	ending := true
	same := true
	latest := events[0].At
	for _, e := range events {
		ending = ending && e.Type.IsEnding()
		same = same && e.Type == events[0].Type
		if e.At.After(latest) {
			latest = e.At
		}
	}
	title = r.l.jobsUpdated(len(events))
	if ending {
		title = r.l.jobsEnded(len(events))
	}
	title += ": " + r.counts(events)
	if same {
		intro = r.phrase(eventKey(events[0].Type))
	}
	return title, intro, r.when(latest)
}

// pack lays out the job sections, in order, in as few parts as the block
// limit and the character budget allow: each part takes sections greedily
// while they fit. In a batch over several tenants a tenant's sections
// follow its heading, which never ends a part; a tenant whose jobs go on
// in the next part gets its heading again there, without its mentions
// (they were made once). Every part keeps its block text within
// MaxBlocksChars.
func (r *renderer) pack(groups []tenantGroup, shared bool, head, intro, footer string) [][]item {
	// What every part holds besides its items: the header (at most
	// MaxHeaderText) and the footer; the first part also the mentions and
	// the intro.
	fixed := MaxHeaderText + utf8.RuneCountInString(footer)
	fixedBlocks := 1
	if footer != "" {
		fixedBlocks++
	}
	var parts [][]item
	var cur []item
	used := fixed + utf8.RuneCountInString(head) + utf8.RuneCountInString(intro)
	nblocks := fixedBlocks
	for _, s := range []string{head, intro} {
		if s != "" {
			nblocks++
		}
	}
	add := func(it item) {
		cur = append(cur, it)
		used += utf8.RuneCountInString(it.text)
		nblocks++
	}
	for _, g := range groups {
		mentions := ""
		if shared {
			mentions = r.tenantMentions(g.tenant)
		}
		for k, e := range g.events {
			it := item{text: r.compact(e, !shared), line: r.textLine(e, !shared)}
			n, blocks := utf8.RuneCountInString(it.text), 1
			if shared && k == 0 {
				n += utf8.RuneCountInString(r.tenantHeading(g.tenant, mentions).text)
				blocks++
			}
			split := len(cur) > 0 && (nblocks+blocks > MaxBlocks || used+n > MaxBlocksChars)
			if split {
				parts = append(parts, cur)
				cur, used, nblocks = nil, fixed, fixedBlocks
			}
			if shared && (k == 0 || split) {
				if k > 0 {
					mentions = ""
				}
				add(r.tenantHeading(g.tenant, mentions))
			}
			add(it)
		}
	}
	return append(parts, cur)
}
