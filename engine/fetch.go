package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/state"
	"golang.org/x/sync/errgroup"
)

// concurrency is how many (tenant, kind) fetches, or detail reads, a pass
// runs at once: kamonohashi.max_in_flight, else api.MaxConns. The API
// client bounds the requests in flight to the server (logins and tokens
// included) to max_in_flight as well, since each list costs the real
// server a load of the tenant's whole table.
func (p *Pass) concurrency() int {
	return cmp.Or(p.Cfg.Kamonohashi.MaxInFlight, api.MaxConns)
}

// fetchAndDiff fetches every watched tenant and kind, a few at a time,
// and diffs what came back. A tenant whose fetch of any kind failed is
// skipped as a whole and keeps its old state, with two exceptions that
// leave its other kinds watched: a kind whose menu permission the account
// lacks is skipped alone (one warning per pass), and a tenant the account
// lost mid-pass is named and skipped.
func (p *Pass) fetchAndDiff(ctx context.Context, st *state.State, now time.Time, rep *Report) ([]job.Event, error) {
	v, err := p.watchedTenants(ctx, st, now)
	if err != nil {
		return nil, err
	}
	defer func() { p.readAll = true }()
	outs := make([]tenantOutcome, len(v.Watched))
	for i, t := range v.Watched {
		ts := st.Tenant(t.ID, t.Name, t.DisplayName)
		for _, k := range p.routes[t.ID].Kinds {
			c := ts.Kinds[k]
			var plan job.Plan
			if !p.ReadEveryOther || !p.readAll {
				plan = c.Plan(k, now)
			} else if plan = c.PlanRested(k, now, t.ID); plan.Rest {
				c.Passes++ // counts the rest, so that the next pass reads
				continue
			}
			outs[i].fetches = append(outs[i].fetches, &kindFetch{kind: k, plan: plan})
		}
		outs[i].left = len(outs[i].fetches)
	}
	// A tenant is diffed as soon as its last kind is fetched, and what was
	// fetched is dropped then: a first pass over a long history never holds
	// every tenant's listings at once.
	opts := job.DiffOptions{StuckPendingAfter: p.Cfg.Watch.StuckPendingAfter, LongRunningAfter: p.Cfg.Watch.LongRunningAfter}
	settle := func(t api.Tenant, o *tenantOutcome) {
		for _, f := range o.fetches {
			switch _, isMenu := api.MenusDenied(f.err); {
			case f.err == nil:
			case errors.Is(f.err, api.ErrTenantLost):
				o.lost = true
			case isMenu:
				o.denied = append(o.denied, f)
			case o.failed == nil:
				o.failed = fmt.Errorf("%s jobs: %w", f.kind, f.err)
			}
		}
		if o.lost || o.failed != nil {
			return
		}
		ts := st.Tenant(t.ID, t.Name, t.DisplayName)
		for _, f := range o.fetches {
			if f.err != nil {
				continue // a denied kind: skipped alone
			}
			o.ahead.scan(t.Name, f.got, now)
			prev := ts.Kinds[f.kind]
			next, evs := job.Diff(prev, f.got, ts.Ref(), opts, now)
			f.got = job.Fetched{}
			if prev == nil || !prev.Baselined {
				o.baselined += len(next.Open)
			}
			ts.Kinds[f.kind] = next
			o.events = append(o.events, evs...)
		}
	}
	var mu sync.Mutex // guards st and outs
	var g errgroup.Group
	g.SetLimit(p.concurrency())
	for i := range outs {
		o := &outs[i]
		for _, f := range o.fetches {
			if ctx.Err() != nil {
				break
			}
			g.Go(func() error {
				got, err := fetchKind(ctx, p.API, v.Watched[i].ID, f.kind, f.plan)
				mu.Lock()
				defer mu.Unlock()
				f.got, f.err = got, err
				if o.left--; o.left == 0 && ctx.Err() == nil {
					settle(v.Watched[i], o)
				}
				return nil // a failed tenant does not stop the others
			})
		}
	}
	_ = g.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var events []job.Event
	var ahead futureTime
	for i, t := range v.Watched {
		o := outs[i]
		for _, f := range o.denied {
			menus, _ := api.MenusDenied(f.err)
			p.Log.Warn("the account may not read these jobs: it lacks the menu permission in this tenant; "+
				"the tenant's other kinds are watched. Grant the menu to kamobot's account, or drop the kind "+
				"from watch.kinds (or the tenant's kinds)",
				"tenant", t.Name, "kind", string(f.kind), "menu", strings.Join(menus, " or "))
			rep.DeniedKinds = append(rep.DeniedKinds, fmt.Sprintf("%s/%s", t.Name, f.kind))
		}
		switch {
		case o.lost:
			p.Log.Warn("the account lost its role in this tenant during the pass; skipped, nothing inferred; "+
				"its jobs are kept and reported if access comes back", "tenant", t.Name, "tenant_id", t.ID)
			rep.LostTenants = append(rep.LostTenants, t.Name)
			p.tenantsAt = time.Time{} // read the account again next pass
			continue
		case o.failed != nil:
			p.Log.Warn("cannot read tenant; skipped this pass, nothing inferred", "tenant", t.Name, errAttr(o.failed))
			rep.FailedFetch = append(rep.FailedFetch, t.Name)
			continue
		}
		rep.Tenants++
		rep.Baselined += o.baselined
		events = append(events, o.events...)
		if o.ahead.by > ahead.by {
			ahead = o.ahead
		}
	}
	if err := unreachable(outs); err != nil {
		// Not one kind of one tenant answered because the server cannot be
		// reached: that is what the pass says (exit 69), as when the
		// tenant list itself could not be read.
		return nil, err
	}
	if ahead.by > FutureSkew {
		p.Log.Warn(FutureWarning(p.Cfg.Kamonohashi.Location, ahead.by),
			"tenant", ahead.tenant, "job", ahead.job, "time", ahead.at.Format(time.RFC3339))
	}
	return events, nil
}

// unreachable returns the first failure when every kind of every tenant
// failed because the server could not be reached, else nil.
func unreachable(outs []tenantOutcome) error {
	var first error
	for _, o := range outs {
		for _, f := range o.fetches {
			if !errors.Is(f.err, api.ErrUnreachable) {
				return nil
			}
			if first == nil {
				first = f.err
			}
		}
	}
	if first == nil {
		return nil
	}
	return fmt.Errorf("read the tenants' jobs: %w", first)
}

// kindFetch is the fetch of one kind of a tenant in a pass.
type kindFetch struct {
	kind api.Kind
	plan job.Plan
	got  job.Fetched
	err  error
}

// tenantOutcome is what the fetch and diff of one tenant came to.
type tenantOutcome struct {
	fetches   []*kindFetch
	left      int          // fetches not done yet
	lost      bool         // the account lost its role in the tenant
	failed    error        // the first failure of a kind, other than a denied menu
	denied    []*kindFetch // kinds the account lacks the menu permission for
	events    []job.Event
	baselined int
	ahead     futureTime
}

// enrich reads the details of the jobs events are about (duration, node,
// GPUs, the reason of a failure). A detail that cannot be read leaves the
// event as it is: the message is still worth sending. A preprocessing
// run's detail is not read: it is its list row and the ids of its output
// data (PreprocessingController.cs GetDetailHistory,
// HistoryDetailsOutputModel.cs), nothing a message or the report uses.
func (p *Pass) enrich(ctx context.Context, events []job.Event) {
	var g errgroup.Group
	g.SetLimit(p.concurrency())
	for i := range events {
		e := &events[i]
		if e.Job.Detailed || e.Type == job.EventDeleted || e.Job.Kind == api.KindPreprocessing {
			continue
		}
		g.Go(func() error {
			j, err := p.API.Detail(ctx, e.Tenant.ID, e.Job.Kind, e.Job.ParentID, e.Job.ID)
			if err != nil {
				p.Log.Debug("cannot read job details", "tenant", e.Tenant.Name, "job", e.Job.Key(), errAttr(err))
				return nil
			}
			j.Status = e.To                     // the job may have moved on since the list: keep the status the event is about
			j.Memo = cmp.Or(j.Memo, e.Job.Memo) // the list's memo when the detail has none
			e.Job = j
			return nil
		})
	}
	_ = g.Wait()
}
