package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// Summary is what is running now, per tenant.
type Summary struct {
	Tenants []TenantSummary
}

// TenantSummary is what runs in one tenant.
type TenantSummary struct {
	Tenant job.TenantRef
	// Counts are the running jobs per kind.
	Counts map[api.Kind]int
	// Longest are the longest-running jobs, longest first; at most five
	// are shown.
	Longest []api.Job
}

// longestShown is how many long runners are listed per tenant.
const longestShown = 5

// RenderSummary renders the "what is running now" message: the running
// jobs per tenant and kind, and the longest runners with owner (by name,
// never mentioned) and run time as of o.Now.
func RenderSummary(s Summary, o RenderOptions) Payload {
	r := newRenderer(o)
	r.noOwnerMentions = true // a summary is no one's event: it pings no one
	l := r.l
	var active []TenantSummary
	var running []int // running jobs of each active tenant
	total := 0
	for _, t := range s.Tenants {
		n := 0
		for _, c := range t.Counts {
			n += max(c, 0)
		}
		if n > 0 || len(t.Longest) > 0 {
			running = append(running, n)
			active = append(active, t)
			total += n
		}
	}

	blocks := []Block{Header(":bar_chart: " + l.summaryTitle(total))}
	footer := r.footer("summary", o.Now)
	budget := MaxBlocksChars - MaxHeaderText - utf8.RuneCountInString(footer) - 100
	for i, t := range active {
		sec := r.tenantSummary(t)
		n := utf8.RuneCountInString(sec)
		if len(blocks) >= MaxBlocks-2 || n > budget {
			jobs := 0
			for _, n := range running[i:] {
				jobs += n
			}
			blocks = append(blocks, Section(l.moreTenants(len(active)-i, jobs)))
			break
		}
		budget -= n
		blocks = append(blocks, Section(sec))
	}
	if len(active) == 0 {
		blocks = append(blocks, Section(l.summaryNone))
	}
	if footer != "" {
		blocks = append(blocks, Context(footer))
	}

	text := l.summaryTitle(total)
	sep := " ("
	for i, t := range active {
		item := fmt.Sprintf("%s %d", r.tenant(t.Tenant), running[i])
		if utf8.RuneCountInString(text)+utf8.RuneCountInString(item)+40 > MaxTextLen {
			text += sep + l.more(len(active)-i)
			break
		}
		text += sep + item
		sep = l.listSep
	}
	if len(active) > 0 {
		text += ")"
	}
	return Payload{Text: text, Blocks: blocks}
}

// tenantSummary is the section about one tenant.
func (r *renderer) tenantSummary(t TenantSummary) string {
	var b strings.Builder
	b.WriteString("*" + r.tenant(t.Tenant) + "*")
	var kinds []string
	for _, k := range api.AllKinds() {
		if n := t.Counts[k]; n > 0 {
			kinds = append(kinds, r.l.countItem(n, r.kind(k)))
		}
	}
	if len(kinds) > 0 {
		b.WriteString("  " + strings.Join(kinds, r.l.listSep))
	}
	for i, j := range t.Longest {
		if i == longestShown {
			b.WriteString("\n" + r.l.more(len(t.Longest)-i))
			break
		}
		since := j.StartedAt
		if since.IsZero() {
			since = j.CreatedAt
		}
		age := r.l.none
		if !since.IsZero() && !r.o.Now.IsZero() {
			age = Duration(r.o.Now.Sub(since), r.o.Lang)
		}
		fmt.Fprintf(&b, "\n• %s · %s · %s", r.jobLink(j, 100), r.owner(j), age)
	}
	return b.String()
}

// footer is the context line: the phrase for key, and "as of" at.
func (r *renderer) footer(key string, at time.Time) string {
	asOf := ""
	if t := r.when(at); t != "" {
		asOf = r.l.asOf(t)
	}
	return strings.Join(nonEmpty(r.phrase(key), asOf), " · ")
}
