package job

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
)

// Fetch policy, chosen by what a request costs the real server rather than
// by bytes. On KAMONOHASHI 3.x a list request loads the tenant's whole table
// of its kind whatever its filters (TrainingController.cs GetAll,
// Infrastructure/Util.cs): the Id and Status filters and paging only save
// bytes and the Kubernetes calls of the open rows returned. A detail
// request loads one row and makes one Kubernetes call when the job is open;
// a preprocessing definition's history list loads that definition's runs
// only. So, every pass and every kind:
//
//   - One range list, "Id>=<lowest near open id>" (or "Id>" the highest id
//     seen), returns every new job and every near open job.
//   - An open job with more than NearRows higher ids listed above it
//     (counted by id, not by place: favourites come first) would drag that
//     many rows into every range list: it is "far" and re-read by detail,
//     every pass, so its ending is noticed by the next pass like any other.
//   - A closed status that may be the start-up race is re-read by detail
//     next pass before it is reported (Tracked.Confirm).
//   - Notebooks also get a second list with the Status filter ReopenFilter
//     and no Id filter, to find a notebook reopened by a rerun below the
//     range (see ReopenFilter for its cost).
//   - Preprocessing runs have no list across definitions: the definitions
//     list with "Id>=" finds new definitions, and each definition's history
//     list is read every pass while it is active (a run open or created in
//     the last IdleDefAfter), every other pass otherwise (half of the idle
//     definitions each pass, by id parity).
//
// `watch` at an interval under a minute reads each kind of a tenant every
// other pass only (PlanRested, half of the (tenant, kind) pairs each pass):
// a list loads a whole table whatever it returns, and a watch at 30 s that
// read every kind every pass cost the server 63 % of the old bot's
// training-only poll every 10 s in rows loaded and 70 % in Kubernetes calls
// (BenchmarkServerCost, docs/performance.md); every other pass, 31 % and
// 35 %. A kind with a status awaiting confirmation is read every pass.
//
// How late an ending is noticed, at worst, with interval I: a job of any
// kind, near or far, by the pass after it ends (I), or the second pass
// after it under `watch` below a minute (2I); a status that needs
// confirming, one pass later (2I; 3I under watch when the ending itself
// was read 2I late); a new run of an idle preprocessing definition, 2I; a
// reopened notebook, by the next pass that reads notebooks while its
// status does not contain "ed" (see ReopenFilter).
const (
	// NearRows bounds the rows a range list returns because of one open
	// job. Returned rows cost the server serialization and bytes only (the
	// table is loaded anyway); a far job costs a request, a row and a
	// Kubernetes call each pass. A hundred rows (about 40 KB) cost less
	// than a request.
	NearRows = 100
	// IdleDefAfter: a preprocessing definition with no run created for this
	// long and none open is read every other pass.
	IdleDefAfter = 24 * time.Hour
	// ConfirmWindow: a closed status read this soon after the job was
	// created may be the start-up race and is confirmed first.
	ConfirmWindow = 2 * time.Minute
)

// ReopenFilter is the Status filter of the notebook list that finds
// notebooks reopened by POST /notebook/{id}/rerun (NotebookController.cs
// Rerun), whose ids lie below any range. The real server's Status filter is
// a case-sensitive substring match on the status name, "!" negating it,
// applied before the Kubernetes refresh (Infrastructure/Util.cs
// SearchString; NotebookController.cs Search). Closed notebooks end as
// Killed (halt, the expiry timer DeleteNotebookContainerTimer.cs, a failed
// start), Completed, UserCanceled or Failed, all containing "ed"; a
// reopened one is stored Running at once, then Pending, Running, Unknown,
// Error, Empty or Multiple, none of which does. So "!ed" returns the open
// notebooks plus the few closed ones stored None, Invalid or Forbidden;
// it misses a notebook that went straight to OOMKilled or Succeeded, which
// the range and far reads still see if it was tracked. Cost: one more
// load of the tenant's notebook table per pass, one Kubernetes call per
// open notebook returned, and the bytes of the open rows.
const ReopenFilter = "!ed"

// Plan says what to fetch for one tenant and kind in one pass.
type Plan struct {
	// Full asks for the whole listing (the first pass, a baseline).
	Full bool
	// RangeFrom: list every job with id >= RangeFrom (all pages).
	RangeFrom int64
	// Reopen, when set, asks for a second listing with this Status filter
	// and no Id filter (notebooks, see ReopenFilter), all pages.
	Reopen string
	// Far lists the jobs to re-read on their own, by detail: far open jobs
	// and jobs whose closed status awaits confirmation.
	Far []Ref
	// Rest: the kind is not read this pass (PlanRested); the cursor stays
	// as it is.
	Rest bool
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
	if k == api.KindNotebook {
		p.Reopen = ReopenFilter
	}
	for _, t := range c.Open {
		switch {
		case t.Far || t.Confirm != "":
			p.Far = append(p.Far, Ref{ID: t.ID, ParentID: t.ParentID})
		default:
			p.RangeFrom = min(p.RangeFrom, t.ID)
		}
	}
	slices.SortFunc(p.Far, func(a, b Ref) int { return cmp.Compare(a.ID, b.ID) })
	return p
}

// PlanRested is Plan for a kind read every other pass only: on one pass
// in two the plan rests (Plan.Rest), and on the others every preprocessing
// definition's history is read, idle or not (so that a new run is found
// within two passes). Which pass rests alternates with the cursor's
// Passes, which the caller counts on a rest too, offset by the tenant and
// the kind so that each pass reads about half of the pairs. A cursor not
// yet baselined, or with a status awaiting confirmation, never rests.
func (c *KindCursor) PlanRested(k api.Kind, now time.Time, tenantID int64) Plan {
	if c == nil || !c.Baselined {
		return c.Plan(k, now)
	}
	for _, t := range c.Open {
		if t.Confirm != "" {
			return c.Plan(k, now)
		}
	}
	if (c.Passes+tenantID+int64(slices.Index(api.AllKinds(), k)))%2 == 1 {
		return Plan{Rest: true}
	}
	p := c.Plan(k, now)
	if k == api.KindPreprocessing {
		p.Defs = slices.Sorted(maps.Keys(c.Defs))
		p.Far = slices.DeleteFunc(p.Far, func(r Ref) bool { return slices.Contains(p.Defs, r.ParentID) })
	}
	return p
}

// planPreprocessing: the active definitions every pass, the idle ones every
// other pass, and on their own the runs awaiting confirmation and the open
// runs of definitions not read this pass.
func (c *KindCursor) planPreprocessing(p Plan, now time.Time) Plan {
	active := map[int64]bool{}
	for _, t := range c.Open {
		active[t.ParentID] = true
	}
	for id, d := range c.Defs {
		if active[id] || now.Sub(d.LastActivity) < IdleDefAfter || (id+c.Passes)%2 == 0 {
			p.Defs = append(p.Defs, id)
		}
	}
	slices.Sort(p.Defs)
	for _, t := range c.Open {
		if t.Confirm != "" || !slices.Contains(p.Defs, t.ParentID) {
			p.Far = append(p.Far, Ref{ID: t.ID, ParentID: t.ParentID})
		}
	}
	slices.SortFunc(p.Far, func(a, b Ref) int { return cmp.Or(cmp.Compare(a.ParentID, b.ParentID), cmp.Compare(a.ID, b.ID)) })
	return p
}
