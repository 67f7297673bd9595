package job

import (
	"cmp"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
)

// Fetch policy. A pass re-reads every open job, and the cost of a pass must
// grow with open and new jobs, not with history:
//
//   - One list request per tenant and kind, "Id>=<lowest near open id>"
//     (or "Id>" the highest id seen when no near job is open), returns every
//     new job and every open job that is recent.
//   - An open job with more than NearRows rows newer than it would drag that
//     much history into every range request. It becomes "far" and is re-read
//     on its own with a detail request (about 1.5 KB, the size of four list
//     rows: measured with BenchmarkScenario in commands). Far jobs are old by construction, so
//     they are re-read less often: every FarPeriod(age), so that a job is
//     noticed to have ended within about 5% of how long it has been open,
//     and never later than MaxFarPeriod.
//   - Preprocessing runs have no list with a filter: a definition's
//     histories come whole. An open run is re-read on its own, with the
//     history detail request, on the far schedule; the whole list of a
//     definition is only needed to find runs not seen yet, and is re-read
//     every DefPeriod(time since its newest run, runs it lists).
const (
	NearRows     = 4
	MaxFarPeriod = 5 * time.Minute
	// MaxDefPeriod bounds how late a new run of a long idle preprocessing
	// definition is noticed (its ending, if it ended meanwhile, is still
	// reported then).
	MaxDefPeriod = 30 * time.Minute
)

// FarPeriod is how long a far job may go unread, given how long it has been open.
func FarPeriod(age time.Duration) time.Duration {
	return min(max(age/20, 0), MaxFarPeriod)
}

// DefPeriod is how long a preprocessing definition's histories may go
// unread, given how long ago its newest run was created and how many runs
// it has. Two things set it: how likely a new run is (an active definition
// is read every pass, one idle for an hour every 3 minutes), and what a
// read costs (DefRunPeriod per run it returns, so that a long history costs
// about as much per pass as a short one). Never more than MaxDefPeriod.
func DefPeriod(idle time.Duration, runs int) time.Duration {
	return min(max(idle/20, time.Duration(runs)*DefRunPeriod, 0), MaxDefPeriod)
}

// DefRunPeriod is the time between whole reads of a definition's histories
// per run they list: 267 runs (a definition of the 10,000-job scenario) are
// read every 18 minutes, 30 runs every 2 minutes.
const DefRunPeriod = 4 * time.Second

// Plan says what to fetch for one tenant and kind in one pass.
type Plan struct {
	// Full asks for the whole listing (the first pass, a baseline).
	Full bool
	// RangeFrom: list every job with id >= RangeFrom (all pages).
	RangeFrom int64
	// Far lists the far jobs due to be re-read on their own (for
	// preprocessing: the open runs due, of definitions not read whole).
	Far []Ref
	// Defs lists the preprocessing definitions whose histories to read
	// (preprocessing only; new definitions are found from the definition
	// list with id >= RangeFrom).
	Defs []int64
}

// Ref names one job.
type Ref struct {
	ID       int64
	ParentID int64
}

// Plan computes what to fetch now.
func (c *KindCursor) Plan(k api.Kind, now time.Time) Plan {
	if c == nil || !c.Baselined {
		return Plan{Full: true}
	}
	p := Plan{RangeFrom: c.MaxID + 1}
	if k == api.KindPreprocessing {
		return c.planPreprocessing(p, now)
	}
	for _, t := range c.Open {
		switch {
		case !t.Far:
			p.RangeFrom = min(p.RangeFrom, t.ID)
		case due(t.NextCheck, now):
			p.Far = append(p.Far, Ref{ID: t.ID, ParentID: t.ParentID})
		}
	}
	slices.SortFunc(p.Far, func(a, b Ref) int { return cmp.Compare(a.ID, b.ID) })
	return p
}

// planPreprocessing: the definitions due for a whole re-read, and the open
// runs of the other definitions due for a re-read on their own.
func (c *KindCursor) planPreprocessing(p Plan, now time.Time) Plan {
	for id, d := range c.Defs {
		if dueWithin(d.NextCheck, now, MaxDefPeriod) {
			p.Defs = append(p.Defs, id)
		}
	}
	slices.Sort(p.Defs)
	for _, t := range c.Open {
		if due(t.NextCheck, now) && !slices.Contains(p.Defs, t.ParentID) {
			p.Far = append(p.Far, Ref{ID: t.ID, ParentID: t.ParentID})
		}
	}
	slices.SortFunc(p.Far, func(a, b Ref) int { return cmp.Or(cmp.Compare(a.ParentID, b.ParentID), cmp.Compare(a.ID, b.ID)) })
	return p
}

// due reports whether a re-read planned for next is due now. A time further
// ahead than the longest period can only come from a clock that went back:
// it is due at once rather than stuck until the clock catches up.
func due(next, now time.Time) bool {
	return dueWithin(next, now, MaxFarPeriod)
}

func dueWithin(next, now time.Time, longest time.Duration) bool {
	return !now.Before(next) || next.Sub(now) > longest
}
