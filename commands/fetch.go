package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"

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

// fetchKind carries out plan p for one tenant and kind. Any error fails the
// whole fetch: a partial listing is never handed to the diff.
func fetchKind(ctx context.Context, c jobsAPI, tenantID int64, k api.Kind, p state.Plan) (state.Fetched, error) {
	f := state.Fetched{Kind: k, Plan: p}
	if k == api.KindPreprocessing {
		return fetchPreprocessing(ctx, c, tenantID, f)
	}
	q := api.ListQuery{}
	if !p.Full {
		q.ID = ">=" + strconv.FormatInt(p.RangeFrom, 10)
	}
	rows, err := listAll(ctx, c, tenantID, k, q)
	if err != nil {
		return f, err
	}
	f.Range = rows
	for _, r := range p.Far {
		j, err := c.Detail(ctx, tenantID, k, r.ParentID, r.ID)
		switch {
		case errors.Is(err, api.ErrNotFound):
			f.Gone = append(f.Gone, r)
		case err != nil:
			return f, err
		default:
			f.Far = append(f.Far, j)
		}
	}
	return f, nil
}

// listAll pages through a listing while pages come back full.
func listAll(ctx context.Context, c jobsAPI, tenantID int64, k api.Kind, q api.ListQuery) ([]api.Job, error) {
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

func fetchPreprocessing(ctx context.Context, c jobsAPI, tenantID int64, f state.Fetched) (state.Fetched, error) {
	q := api.ListQuery{PerPage: api.PerPageMax}
	if !f.Plan.Full {
		q.ID = ">=" + strconv.FormatInt(f.Plan.RangeFrom, 10)
	}
	var defs []int64
	for page := 1; ; page++ {
		q.Page = page
		got, err := c.ListPreprocessings(ctx, tenantID, q)
		if err != nil {
			return f, err
		}
		for _, d := range got {
			defs = append(defs, d.ID)
			f.MaxDefID = max(f.MaxDefID, d.ID)
		}
		if len(got) < q.PerPage {
			break
		}
	}
	f.NewDefs = defs
	for _, id := range append(defs, f.Plan.Defs...) {
		hs, err := c.Histories(ctx, tenantID, id)
		if errors.Is(err, api.ErrNotFound) {
			continue // the definition was deleted: its runs are gone too
		}
		if err != nil {
			return f, err
		}
		f.Range = append(f.Range, hs...)
	}
	return f, nil
}
