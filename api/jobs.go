package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ListQuery filters and pages a job list.
type ListQuery struct {
	// ID is a comparison on the job id: ">=120", ">5", "=7", "<5", "<=5",
	// or a bare number meaning "=". Sent as the Id query parameter.
	ID string
	// Status keeps the jobs whose status contains it, as
	// MatchesStatusFilter matches.
	Status string
	// Page counts from 1; 0 leaves it to the server (page 1).
	Page int
	// PerPage is at most PerPageMax; 0 leaves it to the server, which then
	// returns up to PerPageMax jobs (all preprocessings, for
	// ListPreprocessings).
	PerPage int
	// WithTotal asks for the number of matching jobs (ListResult.Total).
	WithTotal bool
}

// MatchesStatusFilter tells whether a job status passes a ListQuery.Status
// filter as the server applies it (Util.cs SearchString, lines 74-84): an
// empty filter keeps every status; otherwise the status must contain the
// filter, case-sensitively; a filter starting with "!" keeps the statuses
// that do not contain the rest, and the empty status.
func MatchesStatusFilter(status, filter string) bool {
	switch {
	case filter == "":
		return true
	case strings.HasPrefix(filter, "!"):
		return status == "" || !strings.Contains(status, filter[1:])
	}
	return strings.Contains(status, filter)
}

// ListResult is one page of a job list, in the server's order: favourites
// first, then by id descending (TrainingHistoryRepository.cs line 41; the
// inference and notebook repositories alike).
type ListResult struct {
	Jobs []Job
	// Total is the number of jobs matching the query over all pages, or -1
	// when unknown (WithTotal was not asked, or the server did not say).
	Total int
}

// PreprocessingDef is a preprocessing definition; its runs are listed by
// Histories.
type PreprocessingDef struct {
	ID         int64
	Name       string
	Memo       string
	CreatedBy  string
	CreatedAt  time.Time
	ModifiedAt time.Time
	CPU        int
	Memory     int
	GPU        int
}

// listPaths are the list routes of the kinds that have one.
var listPaths = map[Kind]string{
	KindTraining:  "/api/v2/training",
	KindInference: "/api/v2/inferences",
	KindNotebook:  "/api/v2/notebook",
}

var idFilter = regexp.MustCompile(`^(>=|<=|>|<|=)?[0-9]+$`)

// values encodes q as query parameters, checking it first.
func (q ListQuery) values(withStatus bool) (url.Values, error) {
	v := url.Values{}
	if q.ID != "" {
		if !idFilter.MatchString(q.ID) {
			return nil, fmt.Errorf("id filter %q: want a comparison such as \">=120\", \"<5\" or \"=7\"", q.ID)
		}
		v.Set("Id", q.ID)
	}
	if q.Status != "" {
		if !withStatus {
			return nil, fmt.Errorf("status filter %q: this list has no status", q.Status)
		}
		v.Set("Status", q.Status)
	}
	switch {
	case q.Page < 0:
		return nil, fmt.Errorf("page %d: pages count from 1", q.Page)
	case q.Page > 0:
		v.Set("page", strconv.Itoa(q.Page))
	}
	switch {
	case q.PerPage < 0 || q.PerPage > PerPageMax:
		return nil, fmt.Errorf("per page %d: want 1 to %d", q.PerPage, PerPageMax)
	case q.PerPage > 0:
		v.Set("perPage", strconv.Itoa(q.PerPage))
	}
	if q.WithTotal {
		v.Set("withTotal", "true")
	}
	return v, nil
}

// List returns one page of the training, inference or notebook jobs of a
// tenant, favourites first, then by id descending (see ListResult).
// Preprocessing runs are listed by Histories.
func (c *Client) List(ctx context.Context, tenantID int64, kind Kind, q ListQuery) (ListResult, error) {
	op := fmt.Sprintf("list %s jobs of tenant %d", kind, tenantID)
	path, ok := listPaths[kind]
	if !ok {
		return ListResult{}, fmt.Errorf("%s: no such list (preprocessing runs are listed per preprocessing, with Histories)", op)
	}
	v, err := q.values(true)
	if err != nil {
		return ListResult{}, fmt.Errorf("%s: %w", op, err)
	}
	// The training rows' tags ride along; the other kinds have none.
	var rows []TrainingIndex
	h, err := c.get(ctx, path, path, tenantID, v, &rows)
	if err != nil {
		return ListResult{}, fmt.Errorf("%s: %w", op, err)
	}
	res := ListResult{Jobs: make([]Job, 0, len(rows)), Total: -1}
	for _, r := range rows {
		j, err := c.jobFromIndex(kind, r.JobIndex)
		if err != nil {
			return ListResult{}, fmt.Errorf("%s: %w", op, malformed(path, err))
		}
		j.Tags = r.Tags
		res.Jobs = append(res.Jobs, j)
	}
	if q.WithTotal {
		if n, err := strconv.Atoi(h.Get("X-Total-Count")); err == nil && n >= 0 {
			res.Total = n
		}
	}
	return res, nil
}

// ListPreprocessings returns one page of the preprocessing definitions of
// a tenant, newest first. q.Status must be empty.
func (c *Client) ListPreprocessings(ctx context.Context, tenantID int64, q ListQuery) ([]PreprocessingDef, error) {
	op := fmt.Sprintf("list preprocessings of tenant %d", tenantID)
	v, err := q.values(false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	const path = "/api/v2/preprocessings"
	var rows []PreprocessingIndex
	if _, err := c.get(ctx, path, path, tenantID, v, &rows); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defs := make([]PreprocessingDef, 0, len(rows))
	for _, r := range rows {
		d := PreprocessingDef{
			ID: r.ID, Name: r.Name, Memo: r.Memo, CreatedBy: r.CreatedBy,
			CPU: int(r.CPU), Memory: int(r.Memory), GPU: int(r.GPU),
		}
		if d.CreatedAt, err = c.parseTime("createdAt", r.ID, r.CreatedAt); err == nil {
			d.ModifiedAt, err = c.parseTime("modifiedAt", r.ID, r.ModifiedAt)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, malformed(path, err))
		}
		defs = append(defs, d)
	}
	return defs, nil
}

// Histories returns the runs of one preprocessing, newest first. Each run
// is a Job whose ID is the data id and ParentID the preprocessing id.
func (c *Client) Histories(ctx context.Context, tenantID, preprocessID int64) ([]Job, error) {
	op := fmt.Sprintf("list runs of preprocessing %d in tenant %d", preprocessID, tenantID)
	path := fmt.Sprintf("/api/v2/preprocessings/%d/histories", preprocessID)
	var rows []PreprocessingHistory
	if _, err := c.get(ctx, path, "/api/v2/preprocessings/{id}/histories", tenantID, nil, &rows); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	jobs := make([]Job, 0, len(rows))
	for _, r := range rows {
		j, err := c.jobFromHistory(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, malformed(path, err))
		}
		jobs = append(jobs, j)
	}
	slices.SortStableFunc(jobs, func(a, b Job) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return jobs, nil
}

// Detail reads one job with its detail fields (Detailed is true). parentID
// is the preprocessing id for a preprocessing run, and ignored otherwise.
func (c *Client) Detail(ctx context.Context, tenantID int64, kind Kind, parentID, id int64) (Job, error) {
	op := fmt.Sprintf("read %s job %d of tenant %d", kind, id, tenantID)
	path, route := fmt.Sprintf("%s/%d", listPaths[kind], id), listPaths[kind]+"/{id}"
	var j Job
	var err error
	switch kind {
	case KindTraining, KindInference, KindNotebook:
		// TrainingDetails, InferenceDetails and NotebookDetails share these
		// fields; a kind without one of the three strings leaves it empty.
		var d struct {
			JobIndex
			JobRuntime
			Tags          []string `json:"tags"` // training only
			LogSummary    string   `json:"logSummary"`
			WaitingTime   string   `json:"waitingTime"`
			ExecutionTime string   `json:"executionTime"`
		}
		if _, err := c.get(ctx, path, route, tenantID, nil, &d); err != nil {
			return Job{}, fmt.Errorf("%s: %w", op, err)
		}
		if j, err = c.jobFromIndex(kind, d.JobIndex); err == nil {
			err = c.addRuntime(&j, d.JobRuntime)
		}
		j.Tags, j.LogSummary, j.WaitingTime, j.ExecutionTime = d.Tags, d.LogSummary, d.WaitingTime, d.ExecutionTime
	case KindPreprocessing:
		op = fmt.Sprintf("read run %d of preprocessing %d in tenant %d", id, parentID, tenantID)
		path = fmt.Sprintf("/api/v2/preprocessings/%d/histories/%d", parentID, id)
		var d PreprocessingHistoryDetails
		if _, err := c.get(ctx, path, "/api/v2/preprocessings/{id}/histories/{dataId}", tenantID, nil, &d); err != nil {
			return Job{}, fmt.Errorf("%s: %w", op, err)
		}
		j, err = c.jobFromHistory(d.PreprocessingHistory)
	default:
		return Job{}, fmt.Errorf("%s: unknown job kind %q", op, kind)
	}
	if err != nil {
		return Job{}, fmt.Errorf("%s: %w", op, malformed(path, err))
	}
	j.Detailed = true
	return j, nil
}

// jobFromIndex maps a list row of training, inference or notebook.
func (c *Client) jobFromIndex(kind Kind, r JobIndex) (Job, error) {
	j := Job{
		Kind: kind, ID: r.ID, DisplayID: r.DisplayID, Name: r.Name,
		Status: r.Status, CreatedBy: r.CreatedBy, Memo: r.Memo,
	}
	var err error
	j.CreatedAt, err = c.parseTime("createdAt", r.ID, r.CreatedAt)
	return j, err
}

// addRuntime copies the detail fields shared by the three kinds.
func (c *Client) addRuntime(j *Job, d JobRuntime) error {
	j.Node, j.Partition = d.Node, d.Partition
	j.GPU, j.CPU, j.Memory = int(d.GPU), int(d.CPU), int(d.Memory)
	j.StatusType, j.ConditionNote = d.StatusType, d.ConditionNote
	var err error
	if j.StartedAt, err = c.parseTime("startedAt", j.ID, d.StartedAt); err != nil {
		return err
	}
	j.CompletedAt, err = c.parseTime("completedAt", j.ID, d.CompletedAt)
	return err
}

// jobFromHistory maps a preprocessing run.
func (c *Client) jobFromHistory(r PreprocessingHistory) (Job, error) {
	j := Job{
		Kind: KindPreprocessing, ID: r.DataID, ParentID: r.PreprocessID,
		Name: r.PreprocessName + " / " + r.DataName, Status: r.Status, StatusType: r.StatusType,
		HistoryID: HistoryID(r.Key),
	}
	var err error
	j.CreatedAt, err = c.parseTime("createdAt", r.DataID, r.CreatedAt)
	return j, err
}

// HistoryID reads a preprocessing history's id from its key,
// "preproc-{id}" (Models/TenantModels/PreprocessHistory.cs, Name); 0 when
// the key has another form.
func HistoryID(key string) int64 {
	rest, ok := strings.CutPrefix(key, "preproc-")
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || id < 0 {
		return 0
	}
	return id
}

// parseTime reads a time field of the row of id. The value is the
// server's: it may echo the password or a token, so it is redacted
// before it is cut.
func (c *Client) parseTime(field string, id int64, s string) (time.Time, error) {
	t, err := ParseTime(s, c.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s of id %d: time %q is not in the form %q", field, id, sanitize(c.redact(s), 40), TimeLayout)
	}
	return t, nil
}

// malformed is the error of a list or detail answer with a field that
// could not be read.
func malformed(path string, err error) error {
	return &MalformedError{Method: http.MethodGet, Path: path, Err: err}
}
