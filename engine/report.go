package engine

import (
	"context"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/report"
	"github.com/kamobot/kamobot/state"
)

// recordRuns keeps the runs that ended this pass in the state, for the
// weekly report. The endings posted were read in detail by enrich (GPU
// count, start and end times); those not posted are read here.
func (p *Pass) recordRuns(ctx context.Context, st *state.State, endings, posted []job.Event) {
	key := func(e job.Event) string { return state.ThreadKey(e.Tenant.ID, e.Job.Key()) } // names a job
	read := map[string]api.Job{}
	for _, e := range posted {
		if e.Type.IsEnding() {
			read[key(e)] = e.Job
		}
	}
	unread := slices.DeleteFunc(slices.Clone(endings), func(e job.Event) bool {
		_, ok := read[key(e)]
		return ok
	})
	p.enrich(ctx, unread)
	for _, e := range unread {
		read[key(e)] = e.Job
	}
	for _, e := range endings {
		status := e.To
		if e.Type == job.EventDeleted {
			status = "Deleted"
		}
		st.RecordRun(state.NewRunRecord(e.Tenant.ID, read[key(e)], status, e.At))
	}
}

// weeklyReports prunes the runs past [report] retention and, once the
// report of this week is due, renders it for each watched tenant that had
// runs in the last two weeks. The week is marked in the state with the
// message, in the same save: the report is queued once, and never lost.
func (p *Pass) weeklyReports(st *state.State, now time.Time, rep *Report) []state.Message {
	rc := p.Cfg.Report
	if rc.Retention > 0 {
		st.PruneRuns(now.Add(-rc.Retention))
	}
	due, week, ok := rc.Due(p.Cfg.Schedule, now)
	if !ok || now.Before(due) {
		return nil
	}
	from, to := rc.DuePeriod(due)
	loc := p.Cfg.Schedule.Location()
	var reports []report.Report
	for _, t := range p.tenants.Watched {
		if st.ReportPosted(t.ID) == week || slices.Contains(rep.FailedFetch, t.Name) || slices.Contains(rep.LostTenants, t.Name) {
			continue // posted; or not read this pass: its runs may be incomplete, the next pass posts it
		}
		st.MarkReportPosted(t.ID, week)
		r := report.Build(st.Report.Runs, report.Tenant{ID: t.ID, Name: t.Name, Label: t.Label()}, from, to, loc)
		if r.Runs == 0 && r.Previous.Runs == 0 {
			continue // nothing ran: nothing to tell
		}
		reports = append(reports, r)
	}
	hooks, per := groupBy(reports, func(r report.Report) state.Hook { return p.destOf(r.Tenant.ID).hook })
	var msgs []state.Message
	for _, h := range hooks {
		for _, pl := range notify.RenderWeeklyReport(per[h], p.renderOptions(now, nil)) {
			msgs = append(msgs, newMessage(h, "report", pl, now))
		}
	}
	return msgs
}
