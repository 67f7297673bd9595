package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kamobot/kamobot/job"
)

// severity orders event types for picking a batch's phrase: the most
// serious event speaks for the batch.
var severity = []job.EventType{
	job.EventFailed, job.EventKilled, job.EventTrouble, job.EventStateUnknown, job.EventStuckPending,
	job.EventLongRunning, job.EventCanceled, job.EventDeleted, job.EventCompleted,
	job.EventStarted,
}

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
		word := r.l.count[t]
		if word == "" {
			word = typeName(t)
		}
		parts = append(parts, r.l.countItem(n[t], word))
	}
	return strings.Join(parts, r.l.listSep)
}

// compact is the short section about one event in a batch or digest.
func (r *renderer) compact(e job.Event) string {
	j := e.Job
	var b strings.Builder
	fmt.Fprintf(&b, "%s *%s* %s\n", eventEmoji(e.Type), r.jobLink(j, 100), r.title(e.Type))
	parts := []string{r.tenant(e.Tenant), r.kind(j.Kind), r.owner(j), r.transition(e)}
	if _, v, ok := r.runTime(e); ok {
		parts = append(parts, v)
	}
	if e.Unmarked() {
		parts = append(parts, "_"+r.l.unmarkedShort+"_")
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
func (r *renderer) textLine(e job.Event) string {
	return fmt.Sprintf("%s %s %s (%s) %s", eventEmoji(e.Type), inline(e.Job.Name, 60, r.l.noName),
		jobID(e.Job), r.tenant(e.Tenant), r.title(e.Type))
}

// batch renders several events as one message, split into parts when the
// job sections do not fit in one payload.
func (r *renderer) batch(events []job.Event) []Payload {
	title, footer := r.batchTitle(events)
	sections := make([]string, len(events))
	for i, e := range events {
		sections[i] = r.compact(e)
	}
	parts := r.pack(sections, footer)
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
		head := h
		if pi == 0 && r.mentions != "" {
			blocks = append(blocks, Section(r.mentions))
			head = r.mentions + " " + h
		}
		for _, i := range idx {
			blocks = append(blocks, Section(sections[i]))
		}
		if footer != "" {
			blocks = append(blocks, Context(footer))
		}

		lines := []string{head}
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

// batchTitle is the header text of a batch ("3 jobs ended: 2 completed,
// 1 failed") and its footer: the phrase of the most serious event, and the
// time of the latest.
func (r *renderer) batchTitle(events []job.Event) (title, footer string) {
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
	title = r.l.jobsUpdated(len(events))
	if ending {
		title = r.l.jobsEnded(len(events))
	}
	title += ": " + r.counts(events)
	key := "unknown"
	if worst < len(severity) {
		key = string(severity[worst])
	}
	var foot []string
	if p := r.phrase(key); p != "" {
		foot = append(foot, p)
	}
	if at := r.when(latest); at != "" {
		foot = append(foot, at)
	}
	return title, strings.Join(foot, " · ")
}

// pack groups the job sections, in order, into as few parts as the block
// limit and the character budget allow: each part takes sections greedily
// while they fit. It returns the section indexes of each part.
func (r *renderer) pack(sections []string, footer string) [][]int {
	overhead := MaxHeaderText + utf8.RuneCountInString(r.mentions) + utf8.RuneCountInString(footer)
	budget := MaxBlocksChars - overhead
	var parts [][]int
	var cur []int
	used := 0
	for i, sec := range sections {
		capacity := MaxBlocks - 2 // header and footer
		if len(parts) == 0 && r.mentions != "" {
			capacity-- // the mentions section of the first part
		}
		n := utf8.RuneCountInString(sec)
		if len(cur) > 0 && (len(cur)+1 > capacity || used+n > budget) {
			parts = append(parts, cur)
			cur, used = nil, 0
		}
		cur = append(cur, i)
		used += n
	}
	return append(parts, cur)
}
