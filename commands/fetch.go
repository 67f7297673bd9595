package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/state"
)

// jobsAPI is what a pass needs of the KAMONOHASHI client.
type jobsAPI interface {
	Tenants(ctx context.Context) ([]api.Tenant, error)
	List(ctx context.Context, tenantID int64, kind api.Kind, q api.ListQuery) (api.ListResult, error)
	ListPreprocessings(ctx context.Context, tenantID int64, q api.ListQuery) ([]api.PreprocessingDef, error)
	Histories(ctx context.Context, tenantID, preprocessingID int64) ([]api.Job, error)
	Detail(ctx context.Context, tenantID int64, kind api.Kind, parentID, id int64) (api.Job, error)
}

var _ jobsAPI = (*api.Client)(nil)

// fetchConcurrency bounds the requests a pass has in flight at once, over
// every tenant and kind: range lists, far re-reads, preprocessing
// histories. A steady pass over 50 tenants makes about 300 requests, nearly
// all independent: 256 in flight finish them in two round trips (128 took
// three, 205 ms a pass at 50 ms of latency; see docs/performance.md). The
// API client keeps as many idle connections (api.MaxConns), so a pass
// reuses the last one's instead of dialling anew.
const fetchConcurrency = api.MaxConns

// limiter bounds the requests in flight.
type limiter chan struct{}

func newLimiter(n int) limiter { return make(limiter, max(n, 1)) }

// do runs f once a slot is free.
func (l limiter) do(ctx context.Context, f func() error) error {
	if err := l.acquire(ctx); err != nil {
		return err
	}
	defer l.release()
	return f()
}

func (l limiter) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err // even if a slot is free
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l limiter) release() { <-l }

// goEach runs f(i) for i in [0, n), each in a goroutine of its own started
// once one of l's slots is free and holding it until f returns. The caller
// waits for the slots, so that the goroutines (and their stacks) are never
// more than the slots, however many tasks there are: a pass over 500
// tenants has thousands. A task not started because ctx ended gets the
// context's error.
func (l limiter) goEach(ctx context.Context, n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		if err := l.acquire(ctx); err != nil {
			errs[i] = err
			continue
		}
		wg.Go(func() {
			defer l.release()
			errs[i] = f(i)
		})
	}
	wg.Wait()
	return errs
}

// fetchKind carries out plan p for one tenant and kind: the range listing
// and the far re-reads run at once, each request under lim. Any error fails
// the whole fetch: a partial listing is never handed to the diff.
func fetchKind(ctx context.Context, c jobsAPI, lim limiter, tenantID int64, k api.Kind, p state.Plan) (state.Fetched, error) {
	f := state.Fetched{Kind: k, Plan: p}
	if k == api.KindPreprocessing {
		return fetchPreprocessing(ctx, c, lim, tenantID, f)
	}
	q := api.ListQuery{}
	if !p.Full {
		q.ID = ">=" + strconv.FormatInt(p.RangeFrom, 10)
	}
	var (
		wg      sync.WaitGroup
		listErr error
	)
	wg.Go(func() { f.Range, listErr = listAll(ctx, c, lim, tenantID, k, q) })
	far, gone, farErr := readFar(ctx, c, lim, tenantID, k, p.Far)
	wg.Wait()
	if err := cmp.Or(listErr, farErr); err != nil {
		return f, err
	}
	f.Far, f.Gone = far, gone
	return f, nil
}

// readFar re-reads jobs on their own, concurrently (under lim). A job the
// server answers "not found" for is gone; any other error fails the lot.
func readFar(ctx context.Context, c jobsAPI, lim limiter, tenantID int64, k api.Kind, refs []state.Ref) ([]api.Job, []state.Ref, error) {
	if len(refs) == 0 {
		return nil, nil, nil
	}
	jobs := make([]api.Job, len(refs))
	errs := lim.goEach(ctx, len(refs), func(i int) (err error) {
		jobs[i], err = c.Detail(ctx, tenantID, k, refs[i].ParentID, refs[i].ID)
		return err
	})
	var far []api.Job
	var gone []state.Ref
	for i, err := range errs {
		switch {
		case errors.Is(err, api.ErrNotFound):
			gone = append(gone, refs[i])
		case err != nil:
			return nil, nil, err
		default:
			far = append(far, jobs[i])
		}
	}
	return far, gone, nil
}

// listAll pages through a listing while pages come back full.
func listAll(ctx context.Context, c jobsAPI, lim limiter, tenantID int64, k api.Kind, q api.ListQuery) ([]api.Job, error) {
	q.PerPage = api.PerPageMax
	var rows []api.Job
	for page := 1; ; page++ {
		q.Page = page
		var res api.ListResult
		err := lim.do(ctx, func() (err error) {
			res, err = c.List(ctx, tenantID, k, q)
			return err
		})
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

// fetchPreprocessing lists the new definitions, and at once re-reads the
// histories of the definitions due and the open runs due on their own;
// then it reads the histories of the new definitions.
func fetchPreprocessing(ctx context.Context, c jobsAPI, lim limiter, tenantID int64, f state.Fetched) (state.Fetched, error) {
	var (
		wg               sync.WaitGroup
		defsErr, farErr  error
		newHist, oldHist [][]api.Job
		newErr, oldErr   error
	)
	wg.Go(func() {
		f.NewDefs, f.MaxDefID, defsErr = listDefs(ctx, lim, c, tenantID, f.Plan)
		if defsErr == nil {
			newHist, newErr = readHistories(ctx, c, lim, tenantID, f.NewDefs)
		}
	})
	wg.Go(func() { f.Far, f.Gone, farErr = readFar(ctx, c, lim, tenantID, api.KindPreprocessing, f.Plan.Far) })
	oldHist, oldErr = readHistories(ctx, c, lim, tenantID, f.Plan.Defs)
	wg.Wait()
	if err := cmp.Or(defsErr, newErr, oldErr, farErr); err != nil {
		return f, err
	}
	for _, hs := range append(newHist, oldHist...) {
		f.Range = append(f.Range, hs...)
	}
	return f, nil
}

// listDefs lists the preprocessing definitions with id >= the plan's
// RangeFrom (all of them for a full plan).
func listDefs(ctx context.Context, lim limiter, c jobsAPI, tenantID int64, p state.Plan) (defs []int64, maxID int64, err error) {
	q := api.ListQuery{PerPage: api.PerPageMax}
	if !p.Full {
		q.ID = ">=" + strconv.FormatInt(p.RangeFrom, 10)
	}
	for page := 1; ; page++ {
		q.Page = page
		var got []api.PreprocessingDef
		err := lim.do(ctx, func() (err error) {
			got, err = c.ListPreprocessings(ctx, tenantID, q)
			return err
		})
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

// readHistories reads the histories of several definitions concurrently. A
// definition that is not found was deleted: its runs are gone too.
func readHistories(ctx context.Context, c jobsAPI, lim limiter, tenantID int64, defs []int64) ([][]api.Job, error) {
	out := make([][]api.Job, len(defs))
	errs := lim.goEach(ctx, len(defs), func(i int) (err error) {
		out[i], err = c.Histories(ctx, tenantID, defs[i])
		if errors.Is(err, api.ErrNotFound) {
			out[i], err = nil, nil
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
