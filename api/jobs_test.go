package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

func ids(jobs []api.Job) []int64 {
	out := make([]int64, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func TestListFiltersAndPaging(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx := t.Context()
	// Ten more training jobs in vision, every third one completed.
	all := []int64{f.visionJob.ID}
	for i := range 10 {
		st := "Running"
		if i%3 == 0 {
			st = "Completed"
		}
		all = append(all, f.add(t, kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Status: st}).ID)
	}
	slices.Reverse(all) // newest first
	mid := all[5]

	tests := []struct {
		name      string
		q         api.ListQuery
		want      []int64
		wantTotal int
	}{
		{name: "all", q: api.ListQuery{}, want: all, wantTotal: -1},
		{name: ">=", q: api.ListQuery{ID: ">=" + api.FormatID(mid)}, want: all[:6], wantTotal: -1},
		{name: ">", q: api.ListQuery{ID: ">" + api.FormatID(mid)}, want: all[:5], wantTotal: -1},
		{name: "<", q: api.ListQuery{ID: "<" + api.FormatID(mid)}, want: all[6:], wantTotal: -1},
		{name: "<=", q: api.ListQuery{ID: "<=" + api.FormatID(mid)}, want: all[5:], wantTotal: -1},
		{name: "=", q: api.ListQuery{ID: "=" + api.FormatID(mid)}, want: all[5:6], wantTotal: -1},
		{name: "bare", q: api.ListQuery{ID: api.FormatID(mid)}, want: all[5:6], wantTotal: -1},
		{name: "status", q: api.ListQuery{Status: "Complet"}, want: []int64{all[0], all[3], all[6], all[9]}, wantTotal: -1},
		{name: "page 1", q: api.ListQuery{PerPage: 4, WithTotal: true}, want: all[:4], wantTotal: 11},
		{name: "page 3", q: api.ListQuery{PerPage: 4, Page: 3, WithTotal: true}, want: all[8:], wantTotal: 11},
		{name: "page past the end", q: api.ListQuery{PerPage: 4, Page: 4, WithTotal: true}, want: []int64{}, wantTotal: 11},
		{name: "filter and page", q: api.ListQuery{ID: ">" + api.FormatID(mid), PerPage: 2, Page: 2, WithTotal: true}, want: all[2:4], wantTotal: 5},
		{name: "status and total", q: api.ListQuery{Status: "Running", PerPage: 1000, WithTotal: true}, want: []int64{all[1], all[2], all[4], all[5], all[7], all[8], all[10]}, wantTotal: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.List(ctx, f.vision, api.KindTraining, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ids(res.Jobs)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if res.Total != tt.wantTotal {
				t.Errorf("Total = %d, want %d", res.Total, tt.wantTotal)
			}
		})
	}
}

func TestListRejectsBadQueries(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	for _, q := range []api.ListQuery{
		{ID: "abc"}, {ID: ">= 5"}, {ID: "=>5"}, {PerPage: 1001}, {PerPage: -1}, {Page: -1},
	} {
		if _, err := c.List(t.Context(), f.vision, api.KindTraining, q); err == nil {
			t.Errorf("List(%+v) = nil error", q)
		}
	}
	if _, err := c.List(t.Context(), f.vision, api.KindPreprocessing, api.ListQuery{}); err == nil {
		t.Error("List of preprocessing = nil error, want a pointer to Histories")
	}
	if _, err := c.ListPreprocessings(t.Context(), f.vision, api.ListQuery{Status: "Running"}); err == nil {
		t.Error("ListPreprocessings with a status filter = nil error")
	}
	if n := f.srv.Stats().Requests; n != 0 {
		t.Errorf("bad queries reached the server %d times", n)
	}
}

func TestListMapsRows(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	res, err := c.List(t.Context(), f.nlp, api.KindTraining, api.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := []api.Job{{
		Kind: api.KindTraining, ID: f.nlpJob.ID, DisplayID: 1, Name: "BERT日本語", Status: "Pending",
		CreatedBy: "alice", CreatedAt: f.nlpJob.CreatedAt,
	}}
	if diff := cmp.Diff(want, res.Jobs); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}

func TestDetailAllKinds(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx := t.Context()
	for _, k := range []api.Kind{api.KindTraining, api.KindInference, api.KindNotebook, api.KindPreprocessing} {
		t.Run(string(k), func(t *testing.T) {
			j := f.add(t, kqifake.NewJob{Tenant: "nlp-ja", Kind: k, Name: "ジョブ " + string(k), GPU: 2, DataName: "corpus.txt"})
			if err := f.srv.SetStatus(k, j.ID, kqifake.StatusUpdate{Status: "Running"}); err != nil {
				t.Fatal(err)
			}
			if err := f.srv.SetStatus(k, j.ID, kqifake.StatusUpdate{Status: "Failed", ConditionNote: "exit code 1", LogSummary: "Traceback\nKeyError: 'label'"}); err != nil {
				t.Fatal(err)
			}
			got, err := c.Detail(ctx, f.nlp, k, j.ParentID, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Detailed || got.Status != "Failed" || got.ID != j.ID || got.Kind != k || got.StatusType != "Failed" {
				t.Errorf("Detail = %+v", got)
			}
			if k == api.KindPreprocessing {
				if got.ParentID == 0 || got.Name != "ジョブ preprocessing / corpus.txt" {
					t.Errorf("preprocessing run = %+v", got)
				}
				return
			}
			if got.Name != "ジョブ "+string(k) || got.GPU != 2 || got.Node == "" || got.StartedAt.IsZero() || got.CompletedAt.IsZero() {
				t.Errorf("Detail = %+v", got)
			}
			if got.ConditionNote != "exit code 1" || !strings.Contains(got.LogSummary, "KeyError") && k != api.KindNotebook {
				t.Errorf("failure fields = %q, %q", got.ConditionNote, got.LogSummary)
			}
			if k != api.KindInference && (got.WaitingTime == "" || got.ExecutionTime == "") {
				t.Errorf("times = %q, %q", got.WaitingTime, got.ExecutionTime)
			}
		})
	}
}

func TestPreprocessingRuns(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx := t.Context()
	base := time.Now().Add(-time.Hour)
	first := f.add(t, kqifake.NewJob{Tenant: "vision", Kind: api.KindPreprocessing, Name: "resize", DataName: "a.zip", Status: "Completed", CreatedAt: base})
	second := f.add(t, kqifake.NewJob{Tenant: "vision", Kind: api.KindPreprocessing, PreprocessID: first.ParentID, DataName: "b.zip", CreatedAt: base.Add(time.Minute)})
	other := f.add(t, kqifake.NewJob{Tenant: "vision", Kind: api.KindPreprocessing, Name: "tokenize", DataName: "c.txt", CreatedAt: base})

	defs, err := c.ListPreprocessings(ctx, f.vision, api.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	gotDefs := []int64{}
	for _, d := range defs {
		gotDefs = append(gotDefs, d.ID)
	}
	if diff := cmp.Diff([]int64{other.ParentID, first.ParentID}, gotDefs); diff != "" {
		t.Errorf("definitions (-want +got):\n%s", diff)
	}
	defs, err = c.ListPreprocessings(ctx, f.vision, api.ListQuery{ID: ">" + api.FormatID(first.ParentID)})
	if err != nil || len(defs) != 1 || defs[0].ID != other.ParentID || defs[0].Name != "tokenize" {
		t.Errorf("filtered definitions = %+v, %v", defs, err)
	}

	runs, err := c.Histories(ctx, f.vision, first.ParentID)
	if err != nil {
		t.Fatal(err)
	}
	want := []api.Job{
		{Kind: api.KindPreprocessing, ID: second.ID, ParentID: first.ParentID, HistoryID: second.HistoryID, Name: "resize / b.zip", Status: "Pending", StatusType: "Running", CreatedAt: second.CreatedAt},
		{Kind: api.KindPreprocessing, ID: first.ID, ParentID: first.ParentID, HistoryID: first.HistoryID, Name: "resize / a.zip", Status: "Completed", StatusType: "Closed", CreatedAt: first.CreatedAt},
	}
	if diff := cmp.Diff(want, runs); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	// Another tenant's preprocessing has no histories: the real server
	// queries them by preprocessing id within the tenant and answers 200 []
	// (PreprocessingController.cs GetHistories lines 418-434,
	// PreprocessHistoryRepository.cs line 91), never 404.
	if hs, err := c.Histories(ctx, f.nlp, first.ParentID); err != nil || len(hs) != 0 {
		t.Errorf("Histories of another tenant = %+v, %v, want none", hs, err)
	}
	// Nor has an unknown one.
	if hs, err := c.Histories(ctx, f.vision, 1<<40); err != nil || len(hs) != 0 {
		t.Errorf("Histories of an unknown preprocessing = %+v, %v, want none", hs, err)
	}
	// A history detail of another tenant is not found (GetDetailHistory,
	// lines 475-479).
	if _, err := c.Detail(ctx, f.nlp, api.KindPreprocessing, first.ParentID, first.ID); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("history detail of another tenant = %v, want 404", err)
	}
}

func TestDeletedJobIsNotFound(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	if err := f.srv.DeleteJob(api.KindTraining, f.visionJob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Detail(t.Context(), f.vision, api.KindTraining, 0, f.visionJob.ID); err == nil || !strings.Contains(err.Error(), "404 Not Found") {
		t.Errorf("Detail of a deleted job = %v", err)
	}
	res, err := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{})
	if err != nil || len(res.Jobs) != 0 {
		t.Errorf("List after delete = %+v, %v", res, err)
	}
}

// TestMatchesStatusFilter: the server's status filter (Util.cs
// SearchString): a case-sensitive substring, "!" negating.
func TestMatchesStatusFilter(t *testing.T) {
	for _, tt := range []struct {
		status, filter string
		want           bool
	}{
		{"Running", "", true},
		{"", "", true},
		{"Running", "Run", true},
		{"Running", "run", false},
		{"Completed", "Run", false},
		{"", "Run", false},
		{"Completed", "!Run", true},
		{"Running", "!Run", false},
		{"Running", "!run", true},
		{"", "!Run", true},
		{"Running", "!", false},
	} {
		if got := api.MatchesStatusFilter(tt.status, tt.filter); got != tt.want {
			t.Errorf("MatchesStatusFilter(%q, %q) = %v, want %v", tt.status, tt.filter, got, tt.want)
		}
	}
}
