package notify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/report"
)

// The weekly report's layout. Its messages keep to the budgets of every
// message, MaxBlocks and MaxBlocksChars, whatever the number of tenants
// and users.
const (
	// reportUsers is how many users a tenant's GPU-hours list names; the
	// rest are summed on one line.
	reportUsers = 10
	barWidth    = 10
)

// RenderWeeklyReport renders the weekly reports of tenants that share a
// webhook: a header, then each tenant's sections. A tenant is never split
// across messages; a new message starts when the next tenant would take one
// past MaxBlocks blocks or MaxBlocksChars characters.
func RenderWeeklyReport(reps []report.Report, o RenderOptions) []Payload {
	r := newRenderer(o)
	l := r.l.report
	if len(reps) == 0 {
		return nil
	}
	from, to := reps[0].From.In(r.loc), reps[0].To.In(r.loc)
	zone, _ := to.Zone()
	head := []Block{
		Header(":bar_chart: " + l.title),
		Context(Escape(fmt.Sprintf("%s – %s (%s)", from.Format("2006-01-02 15:04"), to.Format("2006-01-02 15:04"), zone))),
	}
	var out []Payload
	blocks := slices.Clone(head)
	var names []string
	flush := func() {
		out = append(out, Payload{Text: l.title + ": " + strings.Join(names, ", "), Blocks: blocks})
		blocks, names = slices.Clone(head), nil
	}
	for _, rep := range reps {
		tb := r.tenantReport(rep, l)
		if len(names) > 0 && (len(blocks)+len(tb) > MaxBlocks || blocksChars(blocks)+blocksChars(tb) > MaxBlocksChars) {
			flush()
		}
		blocks = append(blocks, tb...)
		names = append(names, inline(rep.Tenant.Label, 40, "-"))
	}
	flush()
	return out
}

// tenantReport is one tenant's blocks: at most 6, about 2,000 characters.
func (r *renderer) tenantReport(rep report.Report, l reportLabels) []Block {
	title := fmt.Sprintf("*%s* · %s %d · %s %s · %s %s, %sh", inline(rep.Tenant.Label, 80, "-"),
		l.runs, rep.Runs, l.gpuHours, hours(rep.GPUHours),
		l.prev, signed(float64(rep.Previous.RunsChange), 0), signed(rep.Previous.GPUHoursChange, 2))
	blocks := []Block{{Type: "divider"}, Section(title)}
	if rep.Runs == 0 {
		return append(blocks, Context(l.none))
	}
	kind := func(name string) string { return r.kind(api.Kind(name)) }
	status := func(name string) string { return inline(name, 20, "-") }
	blocks = append(blocks, Fields(field(l.byKind, countBars(rep.ByKind, kind)), field(l.byStatus, countBars(rep.ByStatus, status))))

	var users []string
	top := 0.0
	if len(rep.ByUser) > 0 {
		top = rep.ByUser[0].GPUHours
	}
	rest, restN := 0.0, 0
	for i, u := range rep.ByUser {
		if i >= reportUsers {
			rest += u.GPUHours
			restN++
			continue
		}
		users = append(users, fmt.Sprintf("`%s` %s  %s (%s)", bar(u.GPUHours, top), hours(u.GPUHours),
			reportUser(u.User), l.runsN(u.Runs)))
	}
	if restN > 0 {
		users = append(users, fmt.Sprintf("+%d %s: %s", restN, l.others, hours(rest)))
	}
	blocks = append(blocks, Section(field(l.byUser, strings.Join(users, "\n"))))

	// The costliest runs and the longest waits, each list cut to whole
	// lines that fit in a section.
	runs := func(label string, xs []report.Run, what func(report.Run) string) {
		if len(xs) == 0 {
			return
		}
		var lines []string
		for _, x := range xs {
			lines = append(lines, r.runLink(x)+" · "+reportUser(x.Owner)+" · "+what(x))
		}
		blocks = append(blocks, Section(clipLines(field(label, strings.Join(lines, "\n")), MaxSectionText)))
	}
	runs(l.costly, rep.Costly, func(x report.Run) string {
		return fmt.Sprintf("%d GPU × %s = %s", x.GPU, Duration(x.RunTime.Duration(), r.o.Lang), hours(x.GPUHours))
	})
	runs(l.waits, rep.Waits, func(x report.Run) string { return Duration(x.Wait.Duration(), r.o.Lang) })
	return blocks
}

// countBars lists counts as bars, each against the largest, with the
// count and the name.
func countBars(counts []report.Count, name func(string) string) string {
	top := 0
	for _, c := range counts {
		top = max(top, c.Count)
	}
	var lines []string
	for _, c := range counts {
		lines = append(lines, fmt.Sprintf("`%s` %d %s", bar(float64(c.Count), float64(top)), c.Count, name(c.Name)))
	}
	return strings.Join(lines, "\n")
}

// runLink names a run with its link, its name cut short.
func (r *renderer) runLink(x report.Run) string {
	return r.kind(x.Kind) + " " + r.jobLink(api.Job{Kind: x.Kind, ID: x.ID, ParentID: x.Parent, Name: x.Name}, 40)
}

// bar is a small text bar of v out of top.
func bar(v, top float64) string {
	n := 0
	if top > 0 && v > 0 {
		n = max(1, int(v/top*barWidth+0.5))
	}
	n = min(n, barWidth)
	return strings.Repeat("█", n) + strings.Repeat("░", barWidth-n)
}

// hours writes GPU-hours: "12.5h", "0.25h".
func hours(h float64) string {
	s := fmt.Sprintf("%.2f", h)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "h"
}

// signed writes a change with its sign: "+3", "−1.5", "±0".
func signed(v float64, decimals int) string {
	if v == 0 {
		return "±0"
	}
	s := fmt.Sprintf("%+.*f", decimals, v)
	if decimals > 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// reportUser names a user by name: a weekly report mentions no one.
func reportUser(name string) string { return inline(name, 40, "-") }
