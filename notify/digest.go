package notify

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kamobot/kamobot/job"
)

// digestPerTenant is how many events of one tenant a digest lists.
const digestPerTenant = 10

// RenderDigest renders the "while you were away" catch-up: the events held
// since a time (outside office hours), counted, then listed per tenant in
// the order the tenants first appear, each list capped with "…and N more".
// An alert about a job that ended later (long running, then completed) is
// left out: the ending supersedes it. It always fits in one payload.
func RenderDigest(events []job.Event, since time.Time, o RenderOptions) Payload {
	r := newRenderer(o)
	events = supersede(events)
	l := r.l
	sinceText := r.whenShort(since)
	if since.IsZero() {
		sinceText = l.none
	}
	title := ":newspaper: " + l.digestTitle(sinceText)
	blocks := []Block{Header(title)}
	footer := r.footer("digest", o.Now)

	summary := l.digestNone
	if len(events) > 0 {
		summary = l.digestCount(len(events)) + ": " + r.counts(events)
	}
	blocks = append(blocks, Section(summary))

	budget := MaxBlocksChars - blocksChars(blocks) - utf8.RuneCountInString(footer) - 200
	groups := groupByTenant(events)
	for gi, g := range groups {
		sec := "*" + r.tenant(g.tenant) + "*"
		secLen := utf8.RuneCountInString(sec)
		listed := 0
		for _, e := range g.events[:min(len(g.events), digestPerTenant)] {
			line := "\n" + r.digestLine(e)
			n := utf8.RuneCountInString(line)
			if secLen+n > min(MaxSectionText, budget)-100 {
				break
			}
			sec += line
			secLen += n
			listed++
		}
		if listed == 0 || len(blocks) >= MaxBlocks-2 {
			jobs := 0
			for _, rest := range groups[gi:] {
				jobs += len(rest.events)
			}
			blocks = append(blocks, Section(l.moreTenants(len(groups)-gi, jobs)))
			break
		}
		if listed < len(g.events) {
			more := "\n" + l.more(len(g.events)-listed)
			sec += more
			secLen += utf8.RuneCountInString(more)
		}
		blocks = append(blocks, Section(sec))
		budget -= secLen
	}
	if footer != "" {
		blocks = append(blocks, Context(footer))
	}
	text := l.digestTitle(sinceText) + " — " + summary
	return Payload{Text: clipLines(text, MaxTextLen), Blocks: blocks}
}

// digestLine is one event in a digest: emoji, link, what happened, the run
// time of a job that ended, how long a stuck job has waited.
func (r *renderer) digestLine(e job.Event) string {
	parts := []string{eventEmoji(e.Type) + " " + r.jobLink(e.Job, 80) + r.threadLink(e), r.title(e.Type)}
	if e.Unmarked() {
		parts = append(parts, "_"+r.l.unmarkedShort+"_")
	}
	if _, v := r.runTime(e); v != "" && e.Type.IsEnding() {
		parts = append(parts, v)
	}
	if e.Type == job.EventStuckPending {
		parts = append(parts, r.timing(e))
	}
	if e.Type.IsEnding() || e.Type == job.EventTrouble {
		parts = append(parts, r.owner(e.Job))
	}
	return strings.Join(nonEmpty(parts...), " · ")
}
