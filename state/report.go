package state

import (
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
)

// ReportState is what the weekly report needs between passes: the runs that
// ended, in compact form, and the week each tenant's report was queued for.
//
// It came with no schema bump: both fields are optional, a schema 2 file
// without them reads as an empty ReportState, and a kamobot that does not
// know them ignores them.
type ReportState struct {
	// Runs are the ended runs seen by the passes, oldest ending first,
	// kept for [report] retention.
	Runs []RunRecord `json:"runs,omitempty"`
	// Posted maps a tenant id (decimal) to the week (the date of its
	// report day, YYYY-MM-DD) whose report is in the outbox or sent.
	Posted map[string]string `json:"posted,omitempty"`
}

// RunRecord is one ended run, as small as JSON allows: about 160 bytes
// (TestRunRecordSize measures it). Times are Unix seconds.
type RunRecord struct {
	Tenant int64    `json:"t"`
	Kind   api.Kind `json:"k"`
	// ID is the job's id in the API and its page's URL; for preprocessing,
	// the data id, with Parent the preprocessing id. The web UI shows the
	// id too (its lists and pages show id, not displayId).
	ID     int64  `json:"id"`
	Parent int64  `json:"p,omitempty"`
	Name   string `json:"n"`
	Owner  string `json:"o,omitempty"`
	// Status is the ending status ("Completed", "Failed", ..., "Deleted").
	Status  string `json:"s"`
	Created int64  `json:"c"`
	// Started is 0 when the run was never seen started.
	Started int64 `json:"b,omitempty"`
	Ended   int64 `json:"e"`
	GPU     int   `json:"g,omitempty"`
	// Wait is the queue wait in seconds: Started - Created.
	Wait int64 `json:"w,omitempty"`
}

// CreatedAt, StartedAt and EndedAt are the record's times.
func (r RunRecord) CreatedAt() time.Time { return unix(r.Created) }

// StartedAt is the zero time when the run was never seen started.
func (r RunRecord) StartedAt() time.Time { return unix(r.Started) }

// EndedAt is when the run ended.
func (r RunRecord) EndedAt() time.Time { return unix(r.Ended) }

// RunTime is how long the run ran: from its start (its creation when no
// start is known) to its end.
func (r RunRecord) RunTime() time.Duration {
	from := r.Started
	if from == 0 { // never seen started: Wait is 0 then
		from = r.Created
	}
	if r.Ended <= from {
		return 0
	}
	return time.Duration(r.Ended-from) * time.Second
}

// GPUHours is the GPU count times the run time, in hours.
func (r RunRecord) GPUHours() float64 { return float64(r.GPU) * r.RunTime().Hours() }

func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// NewRunRecord makes the record of run j of tenant, ended at ended.
func NewRunRecord(tenant int64, j api.Job, status string, ended time.Time) RunRecord {
	r := RunRecord{Tenant: tenant, Kind: j.Kind, ID: j.ID, Parent: j.ParentID, Name: j.Name, Owner: j.CreatedBy,
		Status: api.NormalStatus(status), GPU: j.GPU}
	if !j.CompletedAt.IsZero() {
		ended = j.CompletedAt
	}
	r.Ended = ended.Unix()
	if !j.CreatedAt.IsZero() {
		r.Created = j.CreatedAt.Unix()
	}
	if !j.StartedAt.IsZero() {
		r.Started = j.StartedAt.Unix()
		if r.Created != 0 && r.Started > r.Created {
			r.Wait = r.Started - r.Created
		}
	}
	if r.Created == 0 || r.Created > r.Ended {
		r.Created = r.Ended
	}
	return r
}

func (r RunRecord) same(o RunRecord) bool {
	return r.Tenant == o.Tenant && r.Kind == o.Kind && r.ID == o.ID && r.Parent == o.Parent && r.Created == o.Created
}

// RecordRun keeps r; a record of the same run (tenant, kind, id, creation)
// is replaced.
func (s *State) RecordRun(r RunRecord) {
	if i := slices.IndexFunc(s.Report.Runs, r.same); i >= 0 {
		s.Report.Runs = slices.Delete(s.Report.Runs, i, i+1)
	}
	i, _ := slices.BinarySearchFunc(s.Report.Runs, r.Ended, func(x RunRecord, e int64) int {
		if x.Ended <= e {
			return -1
		}
		return 1
	})
	s.Report.Runs = slices.Insert(s.Report.Runs, i, r)
}

// PruneRuns drops the runs that ended before cutoff and returns how many.
func (s *State) PruneRuns(cutoff time.Time) int {
	n := len(s.Report.Runs)
	s.Report.Runs = slices.DeleteFunc(s.Report.Runs, func(r RunRecord) bool { return r.Ended < cutoff.Unix() })
	return n - len(s.Report.Runs)
}

// ReportPosted is the week whose report was queued for tenant id, or "".
func (s *State) ReportPosted(id int64) string { return s.Report.Posted[api.FormatID(id)] }

// MarkReportPosted records that the report of week was queued for tenant id.
func (s *State) MarkReportPosted(id int64, week string) {
	if s.Report.Posted == nil {
		s.Report.Posted = map[string]string{}
	}
	s.Report.Posted[api.FormatID(id)] = week
}
