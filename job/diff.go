package job

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
)

// Fetched is what one successful fetch of one tenant and kind returned.
// A failed or partial fetch is never passed to Diff: nothing is inferred
// from it.
type Fetched struct {
	Kind api.Kind
	// Plan is what was asked for.
	Plan Plan
	// Range holds the rows of the range (or full) listing, all pages, in
	// the server's order (favourites first); nothing depends on it. For
	// preprocessing it holds the histories of Plan.Defs and of every new
	// definition.
	Range []api.Job
	// Reopened holds the rows of the Plan.Reopen listing, all pages.
	Reopened []api.Job
	// NewDefs lists preprocessing definitions first seen in this fetch
	// (their histories are in Range).
	NewDefs []int64
	// MaxDefID is the highest preprocessing definition id listed.
	MaxDefID int64
	// Far holds the jobs of Plan.Far re-read on their own.
	Far []api.Job
	// Gone lists jobs of Plan.Far whose re-read answered "not found".
	Gone []Ref
}

// DiffOptions are the thresholds of the time-based alerts; zero disables one.
type DiffOptions struct {
	// StuckPendingAfter is how long a job may wait in the queue, and stay
	// Unknown, before an alert.
	StuckPendingAfter time.Duration
	LongRunningAfter  time.Duration
}

// MissingPasses is how many successful listings in a row must miss an
// open job before it counts as deleted.
const MissingPasses = 2

// MaxEnded caps the memory of recently ended jobs kept per cursor.
const MaxEnded = 200

// source says which read a row came from.
type source int

const (
	fromRange  source = iota // the range (or full) listing, or a history list
	fromDetail               // a re-read on its own (Plan.Far)
	fromReopen               // the Plan.Reopen listing
)

// Diff compares what was known of one tenant's jobs of one kind with what
// was just fetched, and returns the new cursor and the events. It does not
// modify prev. It is a pure function of its arguments; nothing in it
// depends on the order of the rows.
//
// The first call (prev not baselined) records a baseline and returns no
// events: nothing that ended before kamobot started is reported.
func Diff(prev *KindCursor, f Fetched, tenant TenantRef, o DiffOptions, now time.Time) (*KindCursor, []Event) {
	next := prev.clone()
	d := differ{
		next:    next,
		tenant:  tenant,
		opts:    o,
		now:     now,
		kind:    f.Kind,
		seen:    make(map[Ref]bool, len(f.Range)+len(f.Far)),
		open:    make(map[Ref]string, len(next.Open)),
		baseMax: next.MaxID,
	}
	for key, t := range next.Open {
		d.open[Ref{ID: t.ID, ParentID: t.ParentID}] = key
	}
	baseline := !d.next.Baselined
	// Details first: a job awaiting confirmation is judged on its detail,
	// which carries completedAt, rather than on a list row of this pass.
	for _, j := range f.Far {
		d.observe(j, -1, fromDetail, baseline)
	}
	for _, r := range f.Gone {
		key := api.JobKey(f.Kind, r.ParentID, r.ID)
		if t := d.next.Open[key]; t != nil {
			d.seen[r] = true
			d.vanish(key, t)
		}
	}
	newer := countNewer(f.Range)
	for _, j := range f.Range {
		behind := 0 // preprocessing: histories of several definitions, no range
		if f.Kind != api.KindPreprocessing {
			behind = newer(j.ID)
			d.next.MaxID = max(d.next.MaxID, j.ID)
		}
		d.observe(j, behind, fromRange, baseline)
	}
	for _, j := range f.Reopened {
		d.observe(j, -1, fromReopen, baseline)
	}
	d.missing(f)
	// On the baseline too, so that jobs already stuck or long-running when
	// kamobot starts count as alerted: they are not news, and a first pass
	// must not flood the channel.
	d.alerts()
	d.next.Baselined = true
	d.next.Passes++
	if f.Kind == api.KindPreprocessing {
		d.defs(f)
	}
	slices.SortStableFunc(d.events, func(a, b Event) int {
		return cmp.Or(cmp.Compare(a.Job.ParentID, b.Job.ParentID), cmp.Compare(a.Job.ID, b.Job.ID))
	})
	if baseline {
		d.events = nil
	}
	return d.next, d.events
}

// countNewer returns a count, for an id, of the listed ids greater than
// it: the rows a range list reaching back to that id returns besides it,
// whatever the order the server listed them in.
func countNewer(rows []api.Job) func(id int64) int {
	ids := make([]int64, len(rows))
	for i, j := range rows {
		ids[i] = j.ID
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return func(id int64) int {
		i, _ := slices.BinarySearch(ids, id+1) // the first id above
		return len(ids) - i
	}
}

type differ struct {
	next   *KindCursor
	tenant TenantRef
	opts   DiffOptions
	now    time.Time
	kind   api.Kind
	events []Event
	seen   map[Ref]bool
	// open indexes the keys of the jobs tracked open before this fetch,
	// so that a row is looked up without building its key.
	open    map[Ref]string
	baseMax int64 // the highest id seen before this fetch
}

func (d *differ) emit(t EventType, j api.Job, from string) {
	if j.Memo == "" && d.kind == api.KindPreprocessing {
		if dc := d.next.Defs[j.ParentID]; dc != nil {
			j.Memo = strings.Join(dc.Words, " ")
		}
	}
	d.events = append(d.events, Event{Type: t, Tenant: d.tenant, Job: j, From: from, To: j.Status, At: d.now})
}
