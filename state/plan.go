package state

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
const (
	NearRows     = 4
	MaxFarPeriod = 5 * time.Minute
)

// FarPeriod is how long a far job may go unread, given how long it has been open.
func FarPeriod(age time.Duration) time.Duration {
	return min(max(age/20, 0), MaxFarPeriod)
}

// Plan says what to fetch for one tenant and kind in one pass.
type Plan struct {
	// Full asks for the whole listing (the first pass, a baseline).
	Full bool
	// RangeFrom: list every job with id >= RangeFrom (all pages).
	RangeFrom int64
	// Far lists the far jobs due to be re-read on their own.
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
		// A definition's histories come whole (the API has no filter), so
		// each is re-read on the same age-based period as a far job, by
		// its last activity: an active one every pass, an idle one every
		// few minutes.
		for id, d := range c.Defs {
			if due(d.NextCheck, now) {
				p.Defs = append(p.Defs, id)
			}
		}
		slices.Sort(p.Defs)
		return p
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

// due reports whether a re-read planned for next is due now. A time further
// ahead than the longest period can only come from a clock that went back:
// it is due at once rather than stuck until the clock catches up.
func due(next, now time.Time) bool {
	return !now.Before(next) || next.Sub(now) > MaxFarPeriod
}
