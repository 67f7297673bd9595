package commands

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/engine"
	"github.com/urfave/cli/v2"
	"golang.org/x/sync/errgroup"
)

// jobRow is one job as `jobs -o json` prints it.
type jobRow struct {
	ID          int64      `json:"id"`
	ParentID    int64      `json:"parent_id,omitempty"`
	Kind        api.Kind   `json:"kind"`
	Tenant      string     `json:"tenant"`
	TenantID    int64      `json:"tenant_id"`
	Name        string     `json:"name"`
	Owner       string     `json:"owner"`
	Status      string     `json:"status"`
	CreatedAt   *time.Time `json:"created_at"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	// SeenStartedAt is, for an open job the server gives no start time
	// (a running training or inference: KAMONOHASHI writes StartedAt
	// when it exits), when kamobot's state saw it start; approximate.
	SeenStartedAt *time.Time `json:"seen_started_at,omitempty"`
	Duration      float64    `json:"duration_seconds,omitempty"`
	Node          string     `json:"node,omitempty"`
	GPU           int        `json:"gpu,omitempty"`
	URL           string     `json:"url"`

	tenantLabel string
}

type jobsOptions struct {
	status string
	all    bool
	limit  int
}

func newJobsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "jobs",
		Usage: "show the jobs: open ones and those ended in the last 24 hours",
		UsageText: `kamobot jobs [--tenant T]... [--kind K]... [--status S] [--all] [--limit N] [-o table|tsv|json] [--no-headers]

By default: the watched tenants' open jobs, and those that ended in the last
24 hours. --all shows every job, newest first, up to --limit.`,
		Description: jobWordsHelp,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "tenant", Aliases: []string{"t"}, Usage: "tenant id or name (repeatable; default: the watched tenants)"},
			&cli.StringSliceFlag{Name: "kind", Aliases: []string{"k"}, Usage: "training, inference, notebook or preprocessing (repeatable; default: the watched kinds)"},
			&cli.StringFlag{Name: "status", Aliases: []string{"s"}, Usage: "only jobs whose status contains `S` (case-sensitive, as the server matches; !S: those without S)"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "every job, not only open and recently ended ones"},
			&cli.IntFlag{Name: "limit", Value: 100, Usage: "show at most `N` jobs (0: no limit)"},
		}, outputFlags()...),
		Action: func(c *cli.Context) error { return runJobs(c, d) },
	}
}

func runJobs(c *cli.Context, d *Deps) error {
	ctx, o := c.Context, jobsOptions{status: c.String("status"), all: c.Bool("all"), limit: c.Int("limit")}
	format, err := d.listFormat(c)
	if err != nil {
		return err
	}
	if o.limit < 0 {
		return usageErrorf("--limit %d: want 0 or more", o.limit)
	}
	var kinds []api.Kind
	for _, k := range c.StringSlice("kind") {
		kind, err := api.ParseKind(k)
		if err != nil {
			return usageErrorf("--kind: %v", err)
		}
		kinds = append(kinds, kind)
	}
	cfg, err := d.Config()
	if err != nil {
		return err
	}
	client, err := d.client(cfg, "")
	if err != nil {
		return err
	}
	status := d.statusLine()
	defer status.done()
	status.set("waiting for KAMONOHASHI at " + client.Server() + " to log in and list the tenants")
	v, err := engine.ResolveTenants(ctx, cfg, client)
	if err != nil {
		return err
	}
	picked := c.StringSlice("tenant")
	if err := v.MissingError(); err != nil && len(picked) == 0 {
		d.log.Warn(err.Error()) // as check and tenants say it
	}
	tenants := v.Watched
	if len(picked) > 0 {
		tenants = make([]api.Tenant, len(picked))
	}
	for i, arg := range picked {
		if tenants[i], err = pickTenant(v.Visible, arg); err != nil {
			return err
		}
	}
	if len(kinds) == 0 {
		kinds = cfg.Watch.Kinds
	}
	now, loc, seen := d.Now(), cfg.Schedule.Location(), seenStarts(d)
	var mu sync.Mutex
	rows := []jobRow{}
	status.set(fmt.Sprintf("waiting for KAMONOHASHI at %s to list the jobs of %d tenants", client.Server(), len(tenants)))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, t := range tenants {
		for _, k := range kinds {
			g.Go(func() error {
				jobs, err := tenantJobs(gctx, d.log, client, t, k, o, now)
				if err != nil {
					return fmt.Errorf("tenant %s: %w", t.Name, err)
				}
				mu.Lock()
				defer mu.Unlock()
				for _, j := range jobs {
					r := newJobRow(j, t, client.Server(), now, loc)
					if at, ok := seen[t.ID][j.Key()]; ok && r.StartedAt == nil && api.StatusPhase(j.Status) != api.PhaseClosed {
						r.SeenStartedAt = timePtr(at, loc)
					}
					rows = append(rows, r)
				}
				return nil
			})
		}
	}
	err = g.Wait()
	status.done()
	if err != nil {
		return err
	}
	slices.SortFunc(rows, func(a, b jobRow) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), compareKinds(a.Kind, b.Kind),
			cmp.Compare(b.ID, a.ID), cmp.Compare(b.ParentID, a.ParentID))
	})
	if o.status != "" && len(rows) == 0 {
		// Say which statuses there are, from the jobs without the filter.
		if seen := statusesSeen(ctx, client, tenants, kinds); len(seen) > 0 {
			d.log.Warn(fmt.Sprintf("no job's status contains %q; the statuses of these jobs are %s",
				o.status, strings.Join(seen, ", ")))
		}
	}
	if o.limit > 0 && len(rows) > o.limit {
		d.log.Info("more jobs than --limit; showing the first", "shown", o.limit, "found", len(rows))
		rows = rows[:o.limit]
	}
	if format == formatJSON {
		return writeJSON(d.Stdout, rows)
	}
	var table [][]string
	for _, r := range rows {
		started, took := "-", humanDuration(time.Duration(r.Duration*float64(time.Second)))
		switch {
		case r.StartedAt != nil:
			started = clockTime(*r.StartedAt, now, loc)
		case r.SeenStartedAt != nil:
			// What kamobot saw, not what the server says: marked "~".
			started = "~" + clockTime(*r.SeenStartedAt, now, loc)
			if d := now.Sub(*r.SeenStartedAt); d > 0 {
				took = "~" + humanDuration(d)
			}
		}
		table = append(table, []string{r.tenantLabel, string(r.Kind), jobID(r.Kind, r.ParentID, r.ID), r.Name, dash(r.Owner), r.Status,
			started, took, nodeGPU(r.Node, r.GPU)})
	}
	return writeList(d.Stdout, format, c.Bool("no-headers"), []string{"TENANT", "KIND", "ID", "NAME", "OWNER", "STATUS",
		"STARTED (" + zoneName(now, loc) + ")", "DURATION", "NODE/GPU"}, table)
}

// tenantJobs lists one tenant's jobs of one kind and reads the details of
// those shown (start and end times, node, GPUs).
func tenantJobs(ctx context.Context, log *slog.Logger, c *api.Client, t api.Tenant, k api.Kind, o jobsOptions, now time.Time) ([]api.Job, error) {
	q := api.ListQuery{Status: o.status, PerPage: api.PerPageMax}
	if o.limit > 0 && o.all {
		q.PerPage = min(o.limit, api.PerPageMax)
	}
	listed, err := listJobs(ctx, c, t, k, q)
	if err != nil {
		return nil, err
	}
	var shown []api.Job
	for _, j := range listed {
		closed := api.StatusPhase(j.Status) == api.PhaseClosed
		// A job that ended in the last 24 hours was created no more than a
		// week before, unless it ran longer than that: read the details of
		// those to know when they ended.
		if o.all || !closed || now.Sub(j.CreatedAt) < 8*24*time.Hour {
			shown = append(shown, j)
		}
		if o.limit > 0 && len(shown) >= o.limit {
			break
		}
	}
	for i, j := range shown {
		dj, err := c.Detail(ctx, t.ID, k, j.ParentID, j.ID)
		if err != nil {
			// The list row is enough to show; the job may have just been deleted.
			log.Debug("job details not read; showing the list row", "tenant", t.Name, "kind", k, "id", j.ID, "err", err)
			continue
		}
		shown[i] = dj
	}
	if !o.all {
		shown = slices.DeleteFunc(shown, func(j api.Job) bool {
			return api.StatusPhase(j.Status) == api.PhaseClosed && now.Sub(cmp.Or(j.CompletedAt, j.CreatedAt)) > 24*time.Hour
		})
	}
	return shown, nil
}

// seenStarts reads, from kamobot's state when there is one, when each open
// job was seen starting, by tenant id and job key. A state that cannot be
// read gives nothing: the server's own times are shown.
func seenStarts(d *Deps) map[int64]map[string]time.Time {
	if _, err := os.Stat(d.StatePath()); err != nil {
		return nil // no state (and none created by looking)
	}
	s, err := d.Store()
	if err != nil {
		return nil
	}
	st, fresh, err := loadState(s)
	if err != nil || fresh {
		return nil
	}
	out := map[int64]map[string]time.Time{}
	for _, t := range st.Tenants {
		out[t.ID] = map[string]time.Time{}
		for _, c := range t.Kinds {
			if c == nil {
				continue
			}
			for key, j := range c.Open {
				if !j.StartedAt.IsZero() {
					out[t.ID][key] = j.StartedAt
				}
			}
		}
	}
	return out
}

func newJobRow(j api.Job, t api.Tenant, server string, now time.Time, loc *time.Location) jobRow {
	r := jobRow{ID: j.ID, ParentID: j.ParentID, Kind: j.Kind, Tenant: t.Name, TenantID: t.ID, Name: j.Name,
		Owner: j.CreatedBy, Status: api.NormalStatus(j.Status), CreatedAt: timePtr(j.CreatedAt, loc),
		StartedAt: timePtr(j.StartedAt, loc), CompletedAt: timePtr(j.CompletedAt, loc), Node: j.Node, GPU: j.GPU,
		URL: j.WebURL(server), tenantLabel: t.Label()}
	if d := cmp.Or(j.CompletedAt, now).Sub(j.StartedAt); !j.StartedAt.IsZero() && d > 0 {
		r.Duration = d.Round(time.Second).Seconds()
	}
	return r
}

// timePtr is t in loc (JSON writes it with that zone's offset), or nil
// for no time.
func timePtr(t time.Time, loc *time.Location) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.In(loc)
	return &u
}

// nodeGPU is where a job runs and on how many GPUs: "node/2 GPU", "node",
// "2 GPU", or "-" when neither is known.
func nodeGPU(node string, gpu int) string {
	if gpu != 0 {
		node = strings.TrimPrefix(fmt.Sprintf("%s/%d GPU", node, gpu), "/")
	}
	return dash(node)
}

// jobID is a job's id in a table: parent/id for a preprocessing run.
func jobID(k api.Kind, parent, id int64) string {
	if k == api.KindPreprocessing && parent != 0 {
		return fmt.Sprintf("%d/%d", parent, id)
	}
	return strconv.FormatInt(id, 10)
}

// compareKinds orders kinds as api.AllKinds does: training first.
func compareKinds(a, b api.Kind) int {
	return cmp.Compare(slices.Index(api.AllKinds(), a), slices.Index(api.AllKinds(), b))
}

// statusesSeen lists the statuses of the jobs jobs would show without
// --status, for a --status that matched nothing.
func statusesSeen(ctx context.Context, c *api.Client, tenants []api.Tenant, kinds []api.Kind) []string {
	seen := map[string]bool{}
	for _, t := range tenants {
		for _, k := range kinds {
			jobs, err := listJobs(ctx, c, t, k, api.ListQuery{PerPage: api.PerPageMax})
			if err != nil {
				continue
			}
			for _, j := range jobs {
				seen[api.NormalStatus(j.Status)] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// listJobs lists one tenant's jobs of one kind, without details, those
// whose status passes q.Status: the server filters the list of a kind,
// kamobot the runs of the preprocessings, by the server's rule.
func listJobs(ctx context.Context, c *api.Client, t api.Tenant, k api.Kind, q api.ListQuery) ([]api.Job, error) {
	if k != api.KindPreprocessing {
		res, err := c.List(ctx, t.ID, k, q)
		if err != nil {
			return nil, err
		}
		return res.Jobs, nil
	}
	defs, err := c.ListPreprocessings(ctx, t.ID, api.ListQuery{})
	if err != nil {
		return nil, err
	}
	var runs []api.Job
	for _, def := range defs {
		hs, err := c.Histories(ctx, t.ID, def.ID)
		if err != nil {
			return nil, err
		}
		runs = append(runs, hs...)
	}
	return slices.DeleteFunc(runs, func(j api.Job) bool { return !api.MatchesStatusFilter(j.Status, q.Status) }), nil
}

// jobWordsHelp lists the words a job's memo or tags may carry for kamobot
// (job/control.go); README.md has the same list.
const jobWordsHelp = `Words for kamobot in a job's memo (training, inference, notebook; for a
preprocessing run, its preprocessing's memo) or in a training's tags, set
where the job is made, separated by spaces, commas or new lines:

  kamobot:quiet              no message about this job at all (its endings,
                             alerts, reminders, failing-repeatedly counts)
  kamobot:loud               its events are sent at once, even outside
                             office hours (a mute still holds them)
  kamobot:mention=U01ABCDEF  also mention this Slack user (U…, W…) or user
  kamobot:mention=S0GROUP1   group (S…) on the job's messages; repeatable

Other kamobot: words, and a mention that is not a Slack ID, are ignored with
a warning in the log.`

func pickTenant(visible []api.Tenant, arg string) (api.Tenant, error) {
	id, idErr := strconv.ParseInt(arg, 10, 64)
	for _, t := range visible {
		if t.Name == arg || (idErr == nil && t.ID == id) || (t.DisplayName != "" && t.DisplayName == arg) {
			return t, nil
		}
	}
	return api.Tenant{}, usageErrorf("unknown tenant %q; visible tenants: %s", arg, engine.DescribeTenants(visible))
}
