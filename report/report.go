// Package report computes the weekly report from the ended runs kept in the
// state: per tenant, the runs by kind, the endings by status, the GPU-hours
// by user, the longest queue waits, the costliest runs and the change from
// the period before. It does no I/O; commands prints it, notify renders it
// for Slack.
package report

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/state"
)

// Top is how many runs the lists of longest waits and costliest runs hold.
const Top = 5

// Tenant names a tenant in a report.
type Tenant struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Label string `json:"label"`
}

// Report is one tenant's report for (From, To], with the period of the same
// length before it for comparison.
type Report struct {
	Tenant Tenant    `json:"tenant"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// Zone names the zone the times are written in.
	Zone string `json:"zone"`

	Runs     int            `json:"runs"`
	ByKind   []Count        `json:"by_kind"`
	ByStatus []Count        `json:"by_status"`
	GPUHours float64        `json:"gpu_hours"`
	ByUser   []UserGPU      `json:"gpu_hours_by_user"`
	Waits    []Run          `json:"longest_waits"`
	Costly   []Run          `json:"costliest"`
	Previous PreviousPeriod `json:"previous"`
}

// Count is a number of runs with one kind or status.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// UserGPU is one user's GPU use.
type UserGPU struct {
	User     string  `json:"user"`
	Runs     int     `json:"runs"`
	GPUHours float64 `json:"gpu_hours"`
}

// Run is one run in a list.
type Run struct {
	Kind     api.Kind  `json:"kind"`
	ID       int64     `json:"id"`
	Parent   int64     `json:"parent_id,omitempty"`
	Name     string    `json:"name"`
	Owner    string    `json:"owner"`
	Status   string    `json:"status"`
	GPU      int       `json:"gpu"`
	Created  time.Time `json:"created"`
	Started  time.Time `json:"started,omitzero"`
	Ended    time.Time `json:"ended"`
	Wait     Seconds   `json:"wait_seconds"`
	RunTime  Seconds   `json:"run_seconds"`
	GPUHours float64   `json:"gpu_hours"`
}

// Seconds is a duration written as whole seconds in JSON.
type Seconds int64

// Duration is s as a time.Duration.
func (s Seconds) Duration() time.Duration { return time.Duration(s) * time.Second }

// PreviousPeriod sums the period before, and the change to this one.
type PreviousPeriod struct {
	From     time.Time `json:"from"`
	Runs     int       `json:"runs"`
	GPUHours float64   `json:"gpu_hours"`
	// RunsChange and GPUHoursChange are this period minus the one before.
	RunsChange     int     `json:"runs_change"`
	GPUHoursChange float64 `json:"gpu_hours_change"`
}

// Build computes tenant's report over the runs that ended in (from, to],
// times written in loc: a run that ends at the very moment of a report is
// in it, and not in the next.
func Build(runs []state.RunRecord, t Tenant, from, to time.Time, loc *time.Location) Report {
	prevFrom := from.Add(-to.Sub(from))
	r := Report{Tenant: t, From: from.In(loc), To: to.In(loc), Zone: zoneName(loc, to),
		ByKind: []Count{}, ByStatus: []Count{}, ByUser: []UserGPU{}}
	r.Previous.From = prevFrom.In(loc)
	kinds, statuses := map[string]int{}, map[string]int{}
	users := map[string]*UserGPU{}
	list := []Run{} // so that topBy's lists are never nil: [] in JSON
	for _, rr := range runs {
		if rr.Tenant != t.ID {
			continue
		}
		end := rr.EndedAt()
		if end.After(from) && !end.After(to) {
			r.Runs++
			kinds[string(rr.Kind)]++
			statuses[rr.Status]++
			u := users[rr.Owner]
			if u == nil {
				u = &UserGPU{User: rr.Owner}
				users[rr.Owner] = u
			}
			u.Runs++
			u.GPUHours += rr.GPUHours()
			r.GPUHours += rr.GPUHours()
			list = append(list, runOf(rr, loc))
		} else if end.After(prevFrom) && !end.After(from) {
			r.Previous.Runs++
			r.Previous.GPUHours += rr.GPUHours()
		}
	}
	for _, k := range api.AllKinds() {
		if n := kinds[string(k)]; n > 0 {
			r.ByKind = append(r.ByKind, Count{string(k), n})
		}
	}
	for _, s := range slices.Sorted(maps.Keys(statuses)) {
		r.ByStatus = append(r.ByStatus, Count{s, statuses[s]})
	}
	slices.SortStableFunc(r.ByStatus, func(a, b Count) int { return cmp.Compare(b.Count, a.Count) })
	for _, u := range users {
		u.GPUHours = round2(u.GPUHours)
		r.ByUser = append(r.ByUser, *u)
	}
	slices.SortFunc(r.ByUser, func(a, b UserGPU) int {
		return cmp.Or(cmp.Compare(b.GPUHours, a.GPUHours), cmp.Compare(b.Runs, a.Runs), cmp.Compare(a.User, b.User))
	})
	r.Waits = topBy(list, func(x Run) float64 { return float64(x.Wait) })
	r.Costly = topBy(list, func(x Run) float64 { return x.GPUHours })
	r.GPUHours = round2(r.GPUHours)
	r.Previous.GPUHours = round2(r.Previous.GPUHours)
	r.Previous.RunsChange = r.Runs - r.Previous.Runs
	r.Previous.GPUHoursChange = round2(r.GPUHours - r.Previous.GPUHours)
	return r
}

// topBy returns the Top runs with the largest key above zero, largest first.
func topBy(list []Run, key func(Run) float64) []Run {
	out := slices.DeleteFunc(slices.Clone(list), func(x Run) bool { return key(x) <= 0 })
	slices.SortStableFunc(out, func(a, b Run) int {
		return cmp.Or(cmp.Compare(key(b), key(a)), a.Ended.Compare(b.Ended))
	})
	return out[:min(len(out), Top)]
}

func runOf(rr state.RunRecord, loc *time.Location) Run {
	x := Run{Kind: rr.Kind, ID: rr.ID, Parent: rr.Parent, Name: rr.Name, Owner: rr.Owner, Status: rr.Status,
		GPU: rr.GPU, Created: rr.CreatedAt().In(loc), Ended: rr.EndedAt().In(loc), Wait: Seconds(rr.Wait),
		RunTime: Seconds(rr.RunTime() / time.Second), GPUHours: round2(rr.GPUHours())}
	if s := rr.StartedAt(); !s.IsZero() {
		x.Started = s.In(loc)
	}
	return x
}

// round2 rounds to hundredths, as reports show GPU-hours.
func round2(f float64) float64 { return math.Round(f*100) / 100 }

// zoneName is how the report names loc: "Asia/Tokyo (JST)", or "UTC".
func zoneName(loc *time.Location, at time.Time) string {
	abbr, _ := at.In(loc).Zone()
	if loc.String() == abbr || loc.String() == "Local" {
		return abbr
	}
	return loc.String() + " (" + abbr + ")"
}
