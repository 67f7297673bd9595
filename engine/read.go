package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// fetchKind carries out plan p for one tenant and kind, one request after
// another (fetches of other tenants and kinds run meanwhile). Any error
// fails the whole fetch: a partial listing is never handed to the diff.
func fetchKind(ctx context.Context, c *api.Client, tenantID int64, k api.Kind, p job.Plan) (job.Fetched, error) {
	f := job.Fetched{Kind: k, Plan: p}
	if k == api.KindPreprocessing {
		return fetchPreprocessing(ctx, c, tenantID, f)
	}
	q := api.ListQuery{}
	if !p.Full {
		q.ID = ">=" + strconv.FormatInt(p.RangeFrom, 10)
	}
	var err error
	if f.Range, err = listAll(ctx, c, tenantID, k, q, p.Full); err != nil {
		return f, err
	}
	if p.Reopen != "" { // notebooks reopened below the range (job.ReopenFilter)
		if f.Reopened, err = listAll(ctx, c, tenantID, k, api.ListQuery{Status: p.Reopen}, false); err != nil {
			return f, err
		}
	}
	f.Far, f.Gone, err = readFar(ctx, c, tenantID, k, p.Far)
	return f, err
}

// readFar re-reads jobs on their own. A job the server answers "not found"
// for is gone; any other error fails the lot.
func readFar(ctx context.Context, c *api.Client, tenantID int64, k api.Kind, refs []job.Ref) ([]api.Job, []job.Ref, error) {
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

// listAll pages through a listing while pages come back full. A baseline
// (a full listing, the first pass) keeps only what the diff uses of it, so
// that a long history is never held whole: the NearRows+1 first rows (the
// diff tells near open jobs from far ones by how many listed ids are above
// them), every open job, and the row with the highest id (the cursor).
// Old favourites among the first rows (the server lists them first) can
// leave an old open job with fewer than NearRows ids above it: it is then
// near for one pass, whose range list reaches back to it and marks it far;
// that costs one longer list, and loses nothing.
func listAll(ctx context.Context, c *api.Client, tenantID int64, k api.Kind, q api.ListQuery, baseline bool) ([]api.Job, error) {
	q.PerPage = api.PerPageMax
	var rows []api.Job
	var top api.Job // the highest id among the rows dropped
	n := 0
	for q.Page = 1; ; q.Page++ {
		res, err := c.List(ctx, tenantID, k, q)
		if err != nil {
			return nil, err
		}
		for _, j := range res.Jobs {
			switch {
			case !baseline || n <= job.NearRows || api.StatusPhase(j.Status) != api.PhaseClosed:
				rows = append(rows, j)
			case j.ID > top.ID:
				top = j
			}
			n++
		}
		if len(res.Jobs) < q.PerPage {
			break
		}
		if q.Page > 10_000 {
			return nil, fmt.Errorf("list %s jobs of tenant %d: more than %d pages", k, tenantID, q.Page)
		}
	}
	if top.ID != 0 && !slices.ContainsFunc(rows, func(j api.Job) bool { return j.ID >= top.ID }) {
		rows = append(rows, top)
	}
	return rows, nil
}

// fetchPreprocessing lists the new definitions and reads their histories,
// re-reads the histories of the definitions due, and the open runs due on
// their own.
func fetchPreprocessing(ctx context.Context, c *api.Client, tenantID int64, f job.Fetched) (job.Fetched, error) {
	var err error
	var memos map[int64]string
	if f.NewDefs, f.MaxDefID, memos, err = listDefs(ctx, c, tenantID, f.Plan); err != nil {
		return f, err
	}
	for _, defs := range [][]int64{f.NewDefs, f.Plan.Defs} {
		for _, id := range defs {
			// A deleted definition lists no histories (the server answers
			// 200 []): its open runs go missing from this list, and are
			// ended as deleted like any other vanished job.
			hs, err := c.Histories(ctx, tenantID, id)
			if err != nil {
				return f, err
			}
			for i := range hs {
				hs[i].Memo = memos[id] // the definition's memo carries kamobot's words
			}
			f.Range = append(f.Range, hs...)
		}
	}
	f.Far, f.Gone, err = readFar(ctx, c, tenantID, api.KindPreprocessing, f.Plan.Far)
	return f, err
}

// listDefs lists the preprocessing definitions with id >= the plan's
// RangeFrom (all of them for a full plan).
func listDefs(ctx context.Context, c *api.Client, tenantID int64, p job.Plan) (defs []int64, maxID int64, memos map[int64]string, err error) {
	memos = map[int64]string{}
	q := api.ListQuery{PerPage: api.PerPageMax}
	if !p.Full {
		q.ID = ">=" + strconv.FormatInt(p.RangeFrom, 10)
	}
	for q.Page = 1; ; q.Page++ {
		got, err := c.ListPreprocessings(ctx, tenantID, q)
		if err != nil {
			return nil, 0, nil, err
		}
		for _, d := range got {
			defs = append(defs, d.ID)
			maxID = max(maxID, d.ID)
			if d.Memo != "" {
				memos[d.ID] = d.Memo
			}
		}
		if len(got) < q.PerPage {
			return defs, maxID, memos, nil
		}
	}
}
