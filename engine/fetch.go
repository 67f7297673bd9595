package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/state"
	"golang.org/x/sync/errgroup"
)

// API is what a pass needs of the KAMONOHASHI client.
type API interface {
	Tenants(ctx context.Context) ([]api.Tenant, error)
	List(ctx context.Context, tenantID int64, kind api.Kind, q api.ListQuery) (api.ListResult, error)
	ListPreprocessings(ctx context.Context, tenantID int64, q api.ListQuery) ([]api.PreprocessingDef, error)
	Histories(ctx context.Context, tenantID, preprocessingID int64) ([]api.Job, error)
	Detail(ctx context.Context, tenantID int64, kind api.Kind, parentID, id int64) (api.Job, error)
}

var _ API = (*api.Client)(nil)

// DefaultConcurrency is how many (tenant, kind) fetches, and so requests,
// a pass has in flight at once: each list costs the real server a load of
// the tenant's whole table. The API client keeps as many idle connections.
const DefaultConcurrency = api.MaxConns

// fetchAndDiff fetches every watched tenant and kind, Concurrency at a
// time, and diffs what came back. A tenant whose fetch of any kind failed
// is skipped as a whole and keeps its old state.
func (p *Pass) fetchAndDiff(ctx context.Context, st *state.State, now time.Time, rep *Report) ([]job.Event, error) {
	v, err := p.watchedTenants(ctx, now)
	if err != nil {
		return nil, err
	}
	p.warnVanished(st, v)
	type task struct {
		tenant int
		kind   api.Kind
		plan   job.Plan
	}
	var tasks []task
	for i, t := range v.Watched {
		ts := st.Tenant(t.ID, t.Name, t.DisplayName)
		for _, k := range p.routes[t.ID].Kinds {
			tasks = append(tasks, task{i, k, ts.Kinds[k].Plan(k, now)})
		}
	}
	fetched := make([]job.Fetched, len(tasks))
	errs := make([]error, len(tasks))
	var g errgroup.Group
	g.SetLimit(cmp.Or(p.Concurrency, DefaultConcurrency))
	for n, tk := range tasks {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			fetched[n], errs[n] = fetchKind(ctx, p.API, v.Watched[tk.tenant].ID, tk.kind, tk.plan)
			return nil // a failed tenant does not stop the others
		})
	}
	_ = g.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	failed := make([]error, len(v.Watched))
	for n, tk := range tasks {
		if errs[n] != nil && failed[tk.tenant] == nil {
			failed[tk.tenant] = fmt.Errorf("%s jobs: %w", tk.kind, errs[n])
		}
	}
	opts := job.DiffOptions{StuckPendingAfter: p.Cfg.Watch.StuckPendingAfter, LongRunningAfter: p.Cfg.Watch.LongRunningAfter}
	var events []job.Event
	for i, t := range v.Watched {
		if failed[i] != nil {
			p.Log.Warn("cannot read tenant; skipped this pass, nothing inferred", "tenant", t.Name, errAttr(failed[i]))
			rep.FailedFetch = append(rep.FailedFetch, t.Name)
			continue
		}
		rep.Tenants++
		ts := st.Tenant(t.ID, t.Name, t.DisplayName)
		for n, tk := range tasks {
			if tk.tenant != i {
				continue
			}
			f := fetched[n]
			prev := ts.Kinds[f.Kind]
			next, evs := job.Diff(prev, f, ts.Ref(), opts, now)
			if prev == nil || !prev.Baselined {
				rep.Baselined += len(next.Open)
			}
			ts.Kinds[f.Kind] = next
			events = append(events, evs...)
		}
	}
	return events, nil
}

// enrich reads the details of the jobs events are about (duration, node,
// GPUs, the reason of a failure). A detail that cannot be read leaves the
// event as it is: the message is still worth sending.
func (p *Pass) enrich(ctx context.Context, events []job.Event) {
	var g errgroup.Group
	g.SetLimit(cmp.Or(p.Concurrency, DefaultConcurrency))
	for i := range events {
		e := &events[i]
		if e.Job.Detailed || e.Type == job.EventDeleted {
			continue
		}
		g.Go(func() error {
			j, err := p.API.Detail(ctx, e.Tenant.ID, e.Job.Kind, e.Job.ParentID, e.Job.ID)
			if err != nil {
				p.Log.Debug("cannot read job details", "tenant", e.Tenant.Name, "job", e.Job.Key(), errAttr(err))
				return nil
			}
			if j.Status != e.To { // the job moved on since the list: keep the status the event is about
				j.Status = e.To
			}
			e.Job = j
			return nil
		})
	}
	_ = g.Wait()
}

// fetchKind carries out plan p for one tenant and kind, one request after
// another (fetches of other tenants and kinds run meanwhile). Any error
// fails the whole fetch: a partial listing is never handed to the diff.
func fetchKind(ctx context.Context, c API, tenantID int64, k api.Kind, p job.Plan) (job.Fetched, error) {
	f := job.Fetched{Kind: k, Plan: p}
	if k == api.KindPreprocessing {
		return fetchPreprocessing(ctx, c, tenantID, f)
	}
	q := api.ListQuery{}
	if !p.Full {
		q.ID = ">=" + strconv.FormatInt(p.RangeFrom, 10)
	}
	var err error
	if f.Range, err = listAll(ctx, c, tenantID, k, q); err != nil {
		return f, err
	}
	if p.Reopen != "" { // notebooks reopened below the range (job.ReopenFilter)
		if f.Reopened, err = listAll(ctx, c, tenantID, k, api.ListQuery{Status: p.Reopen}); err != nil {
			return f, err
		}
	}
	f.Far, f.Gone, err = readFar(ctx, c, tenantID, k, p.Far)
	return f, err
}

// readFar re-reads jobs on their own. A job the server answers "not found"
// for is gone; any other error fails the lot.
func readFar(ctx context.Context, c API, tenantID int64, k api.Kind, refs []job.Ref) ([]api.Job, []job.Ref, error) {
	var far []api.Job
	var gone []job.Ref
	for _, r := range refs {
		j, err := c.Detail(ctx, tenantID, k, r.ParentID, r.ID)
		switch {
		case errors.Is(err, api.ErrNotFound):
			gone = append(gone, r)
		case err != nil:
			return nil, nil, err
		default:
			far = append(far, j)
		}
	}
	return far, gone, nil
}

// listAll pages through a listing while pages come back full.
func listAll(ctx context.Context, c API, tenantID int64, k api.Kind, q api.ListQuery) ([]api.Job, error) {
	q.PerPage = api.PerPageMax
	var rows []api.Job
	for page := 1; ; page++ {
		q.Page = page
		res, err := c.List(ctx, tenantID, k, q)
		if err != nil {
			return nil, err
		}
		rows = append(rows, res.Jobs...)
		if len(res.Jobs) < q.PerPage {
			return rows, nil
		}
		if page > 10_000 {
			return nil, fmt.Errorf("list %s jobs of tenant %d: more than %d pages", k, tenantID, page)
		}
	}
}

// fetchPreprocessing lists the new definitions and reads their histories,
// re-reads the histories of the definitions due, and the open runs due on
// their own.
func fetchPreprocessing(ctx context.Context, c API, tenantID int64, f job.Fetched) (job.Fetched, error) {
	var err error
	if f.NewDefs, f.MaxDefID, err = listDefs(ctx, c, tenantID, f.Plan); err != nil {
		return f, err
	}
	for _, defs := range [][]int64{f.NewDefs, f.Plan.Defs} {
		for _, id := range defs {
			hs, err := c.Histories(ctx, tenantID, id)
			switch {
			case errors.Is(err, api.ErrNotFound): // the definition was deleted: its runs are gone too
			case err != nil:
				return f, err
			default:
				f.Range = append(f.Range, hs...)
			}
		}
	}
	f.Far, f.Gone, err = readFar(ctx, c, tenantID, api.KindPreprocessing, f.Plan.Far)
	return f, err
}

// listDefs lists the preprocessing definitions with id >= the plan's
// RangeFrom (all of them for a full plan).
func listDefs(ctx context.Context, c API, tenantID int64, p job.Plan) (defs []int64, maxID int64, err error) {
	q := api.ListQuery{PerPage: api.PerPageMax}
	if !p.Full {
		q.ID = ">=" + strconv.FormatInt(p.RangeFrom, 10)
	}
	for page := 1; ; page++ {
		q.Page = page
		got, err := c.ListPreprocessings(ctx, tenantID, q)
		if err != nil {
			return nil, 0, err
		}
		for _, d := range got {
			defs = append(defs, d.ID)
			maxID = max(maxID, d.ID)
		}
		if len(got) < q.PerPage {
			return defs, maxID, nil
		}
	}
}
