package kqifake_test

// Tests of the behaviours the fake copies from the real server. Paths are
// relative to web-api/platypus/platypus/ in KAMONOHASHI/kamonohashi.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

// realFixture is a fake with one tenant "t" and the account u/p.
func realFixture(t *testing.T, opts ...kqifake.Options) (*kqifake.Server, api.LoginOutput) {
	t.Helper()
	s := kqifake.NewTest(t, opts...)
	id := s.AddTenant("t", "T")
	s.AddTenant("u", "U")
	s.AddAccount("u", "p", id, 2)
	return s, login(t, s, "u", "p")
}

func addJob(t *testing.T, s *kqifake.Server, n kqifake.NewJob) api.Job {
	t.Helper()
	if n.Tenant == "" {
		n.Tenant = "t"
	}
	j, err := s.AddJob(n)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// listRows lists a kind over HTTP and returns its rows.
func listRows(t *testing.T, s *kqifake.Server, tok, path string) []api.JobIndex {
	t.Helper()
	var rows []api.JobIndex
	if st, _, b := call(t, "GET", s.URL()+path, tok, nil, &rows); st != 200 {
		t.Fatalf("GET %s: %d %s", path, st, b)
	}
	return rows
}

func statusesOf(rows []api.JobIndex) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.Status)
	}
	return out
}

// TestStatusTypes: Infrastructure/ContainerStatus.cs (statusType, lines
// 20-78; a pod phase Failed becomes Error, line 237) and
// ServiceModels/KubernetesModels/GetPodsOutputModel.cs (only the phase and
// terminated.reason reach the API: no back-off statuses).
func TestStatusTypes(t *testing.T) {
	s, tok := realFixture(t)
	want := map[string]string{
		"Pending": "Running", "Running": "Running", "Succeeded": "Running", "Unknown": "Running", "OOMKilled": "Running",
		"Completed": "Closed", "UserCanceled": "Closed", "Killed": "Failed", "Failed": "Failed", "Error": "Error", "None": "None",
	}
	for status, typ := range want {
		j := addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: status})
		var d api.TrainingDetails
		call(t, "GET", fmt.Sprintf("%s/api/v2/training/%d", s.URL(), j.ID), tok.Token, nil, &d)
		if d.Status != status || d.StatusType != typ {
			t.Errorf("%s: status %q type %q, want type %q", status, d.Status, d.StatusType, typ)
		}
	}
	for _, bad := range []string{"ImagePullBackOff", "CrashLoopBackOff", "ContainerCreating", "ErrImagePull"} {
		if _, err := s.AddJob(kqifake.NewJob{Tenant: "t", Kind: api.KindTraining, Status: bad}); err == nil {
			t.Errorf("AddJob with %s: no error", bad)
		}
		if st, _, _ := call(t, "POST", s.URL()+"/_fake/jobs", "", map[string]any{"tenant": "t", "kind": "training", "status": bad}, nil); st != 400 {
			t.Errorf("control job with %s: %d, want 400", bad, st)
		}
	}
	j := addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: "Running"})
	if err := s.SetStatus(api.KindTraining, j.ID, kqifake.StatusUpdate{Phase: "Failed"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Job(api.KindTraining, j.ID); got.Status != "Error" || got.StatusType != "Error" {
		t.Errorf("pod phase Failed shows %q (%s), want Error", got.Status, got.StatusType)
	}
}

// TestNoneWindow: Services/KubernetesService.cs GetPodForJobAsync (no pod:
// None, lines 714-717) and Controllers/spa/TrainingController.cs (the row
// committed Running at line 717 before the pod, DoGetUpdatedIndexOutputModelAsync
// lines 216-238 storing what a list found). Off by default.
func TestNoneWindow(t *testing.T) {
	s, tok := realFixture(t)
	addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: "Running"})
	if got := statusesOf(listRows(t, s, tok.Token, "/api/v2/training")); !slices.Equal(got, []string{"Running"}) {
		t.Fatalf("without the window: %v", got)
	}
	if st, _, b := call(t, "POST", s.URL()+"/_fake/races", "", map[string]any{"none_window": true}, nil); st != 200 {
		t.Fatalf("races: %d %s", st, b)
	}
	j := addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: "Running"})
	if got := statusesOf(listRows(t, s, tok.Token, "/api/v2/training")); !slices.Equal(got, []string{"None", "Running"}) {
		t.Errorf("first list in the window: %v, want [None Running]", got)
	}
	if got := statusesOf(listRows(t, s, tok.Token, "/api/v2/training")); !slices.Equal(got, []string{"Running", "Running"}) {
		t.Errorf("next list: %v, want [Running Running]", got)
	}
	// A detail in the window sees None as well (GetContainerDetailsInfoAsync, KubernetesService.cs line 508).
	j2 := addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: "Pending"})
	var d api.TrainingDetails
	call(t, "GET", fmt.Sprintf("%s/api/v2/training/%d", s.URL(), j2.ID), tok.Token, nil, &d)
	if d.Status != "None" || d.CompletedAt != "" {
		t.Errorf("detail in the window: %q completedAt %q, want None and no completion", d.Status, d.CompletedAt)
	}
	call(t, "GET", fmt.Sprintf("%s/api/v2/training/%d", s.URL(), j2.ID), tok.Token, nil, &d)
	if d.Status != "Pending" {
		t.Errorf("detail after the window: %q, want Pending", d.Status)
	}
	_ = j
	call(t, "DELETE", s.URL()+"/_fake/races", "", nil, nil)
	addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: "Running"})
	if got := statusesOf(listRows(t, s, tok.Token, "/api/v2/training")); slices.Contains(got, "None") {
		t.Errorf("after DELETE /_fake/races: %v", got)
	}
}

// TestKubeErrorStoresFailed: KubernetesService.cs GetPodForJobAsync (an
// API error is Failed, lines 720-723), stored by the list
// (TrainingController.cs line 229) and never refreshed again
// (ContainerStatus.cs Exist, line 114). The Status filter reads the stored
// status before the refresh (TrainingController.cs line 252, Util.cs
// SearchString).
func TestKubeErrorStoresFailed(t *testing.T) {
	s, tok := realFixture(t)
	addJob(t, s, kqifake.NewJob{Kind: api.KindInference, Status: "Running"})
	s.SetRaces(kqifake.Races{KubeErrors: 1})
	if got := listRows(t, s, tok.Token, "/api/v2/inferences?Status=Failed"); len(got) != 0 {
		t.Errorf("Status=Failed before the refresh: %v", statusesOf(got))
	}
	if got := statusesOf(listRows(t, s, tok.Token, "/api/v2/inferences?Status=Run")); !slices.Equal(got, []string{"Failed"}) {
		t.Errorf("list with a Kubernetes error: %v, want [Failed]", got)
	}
	for range 2 {
		if got := statusesOf(listRows(t, s, tok.Token, "/api/v2/inferences")); !slices.Equal(got, []string{"Failed"}) {
			t.Errorf("later list: %v, want [Failed] for good", got)
		}
	}
	if got := listRows(t, s, tok.Token, "/api/v2/inferences?Status=!Fail"); len(got) != 0 {
		t.Errorf("Status=!Fail: %v", statusesOf(got))
	}
	if got := listRows(t, s, tok.Token, "/api/v2/inferences?Status=failed"); len(got) != 0 {
		t.Errorf("Status=failed matched: the filter is case-sensitive")
	}
}

// TestOrder: favourites first, then id descending
// (DataAccess/Repositories/TenantRepositories/TrainingHistoryRepository.cs
// line 41, InferenceHistoryRepository.cs line 41, NotebookHistoryRepository.cs
// line 33); a preprocessing's histories newest created first
// (PreprocessHistoryRepository.cs line 91).
func TestOrder(t *testing.T) {
	s, tok := realFixture(t)
	for _, k := range []struct {
		kind api.Kind
		path string
	}{{api.KindTraining, "/api/v2/training"}, {api.KindInference, "/api/v2/inferences"}, {api.KindNotebook, "/api/v2/notebook"}} {
		var ids []int64
		for i := range 4 {
			ids = append(ids, addJob(t, s, kqifake.NewJob{Kind: k.kind, Status: "Completed", Favorite: i == 0}).ID)
		}
		if st, _, b := call(t, "POST", fmt.Sprintf("%s/_fake/jobs/%s/%d/favorite", s.URL(), k.kind, ids[2]), "", map[string]bool{"favorite": true}, nil); st != 200 {
			t.Fatalf("favorite: %d %s", st, b)
		}
		var got []int64
		for _, r := range listRows(t, s, tok.Token, k.path) {
			got = append(got, r.ID)
		}
		if want := []int64{ids[2], ids[0], ids[3], ids[1]}; !slices.Equal(got, want) {
			t.Errorf("%s order %v, want %v", k.kind, got, want)
		}
		var paged []int64
		for _, r := range listRows(t, s, tok.Token, k.path+"?perPage=1&page=2") {
			paged = append(paged, r.ID)
		}
		if !slices.Equal(paged, []int64{ids[0]}) {
			t.Errorf("%s page 2 of 1: %v, want the second favourite", k.kind, paged)
		}
	}
	base := time.Now().Add(-time.Hour)
	first := addJob(t, s, kqifake.NewJob{Kind: api.KindPreprocessing, Name: "p", CreatedAt: base.Add(time.Minute)})
	second := addJob(t, s, kqifake.NewJob{Kind: api.KindPreprocessing, PreprocessID: first.ParentID, CreatedAt: base})
	var hist []api.PreprocessingHistory
	call(t, "GET", fmt.Sprintf("%s/api/v2/preprocessings/%d/histories", s.URL(), first.ParentID), tok.Token, nil, &hist)
	if len(hist) != 2 || hist[0].DataID != first.ID || hist[1].DataID != second.ID {
		t.Errorf("histories %+v, want newest created first", hist)
	}
}

// TestTimesAndJSON: times are the server's DateTime.Now written
// "yyyy-MM-dd HH:mm:ss" without an offset (DataAccess/CommonDbContext.cs
// line 402, Infrastructure/Util.cs ToFormatedString line 40), UTC unless the
// zone is set; a training's startedAt is written when it exits
// (Logic/TrainingLogic.cs line 60); JSON is indented with explicit nulls
// (Controllers/Util/CustomJsonResult.cs lines 96-106).
func TestTimesAndJSON(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	s, tok := realFixture(t, kqifake.Options{Now: func() time.Time { return now }})
	j := addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: "Running"})
	_, _, b := call(t, "GET", fmt.Sprintf("%s/api/v2/training/%d", s.URL(), j.ID), tok.Token, nil, nil)
	body := string(b)
	for _, want := range []string{`"createdAt": "2026-03-04 05:06:07"`, `"startedAt": null`, `"completedAt": null`, `"memo": null`, "{\n  \""} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %s:\n%s", want, body)
		}
	}
	if st, _, b := call(t, "POST", s.URL()+"/_fake/timezone", "", map[string]string{"zone": "Asia/Tokyo"}, nil); st != 200 {
		t.Fatalf("timezone: %d %s", st, b)
	}
	if err := s.SetStatus(api.KindTraining, j.ID, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
		t.Fatal(err)
	}
	var d api.TrainingDetails
	call(t, "GET", fmt.Sprintf("%s/api/v2/training/%d", s.URL(), j.ID), tok.Token, nil, &d)
	if d.CreatedAt != "2026-03-04 14:06:07" || d.StartedAt != "2026-03-04 14:06:07" || d.CompletedAt != "2026-03-04 14:06:07" {
		t.Errorf("times in Asia/Tokyo: created %q started %q completed %q", d.CreatedAt, d.StartedAt, d.CompletedAt)
	}
	if s.Location().String() != "Asia/Tokyo" {
		t.Errorf("Location() = %v", s.Location())
	}
	if kqifake.New(kqifake.Options{}).Location() != time.UTC {
		t.Error("the default zone is not UTC")
	}
}

// TestMenuDenied: Filters/PermissionFilterAttribute.cs lines 80-87: 403,
// an empty body, X-Permit-MenuCode; other menus still answer.
func TestMenuDenied(t *testing.T) {
	s, tok := realFixture(t)
	j := addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: "Running"})
	if st, _, b := call(t, "POST", s.URL()+"/_fake/menus", "", map[string]any{"tenant": "t", "deny": []string{"Notebook", "Training"}}, nil); st != 200 {
		t.Fatalf("menus: %d %s", st, b)
	}
	st, h, b := call(t, "GET", s.URL()+"/api/v2/notebook", tok.Token, nil, nil)
	if st != 403 || len(b) != 0 || h.Get("X-Permit-MenuCode") != "Notebook" {
		t.Errorf("notebook list: %d %q header %q", st, b, h.Get("X-Permit-MenuCode"))
	}
	if st, _, _ := call(t, "GET", s.URL()+"/api/v2/inferences", tok.Token, nil, nil); st != 200 {
		t.Errorf("inference list: %d, want 200", st)
	}
	// A training detail needs Training or Inference (TrainingController.cs line 522).
	if st, _, _ := call(t, "GET", fmt.Sprintf("%s/api/v2/training/%d", s.URL(), j.ID), tok.Token, nil, nil); st != 200 {
		t.Errorf("training detail with Inference allowed: %d", st)
	}
	if err := s.DenyMenus("t", "Training", "Inference"); err != nil {
		t.Fatal(err)
	}
	if st, h, _ := call(t, "GET", fmt.Sprintf("%s/api/v2/training/%d", s.URL(), j.ID), tok.Token, nil, nil); st != 403 || h.Get("X-Permit-MenuCode") != "Training,Inference" {
		t.Errorf("training detail: %d %q", st, h.Get("X-Permit-MenuCode"))
	}
	// The Account menu is internal: the account read and the token
	// exchange answer even when it is "denied" (MenuLogic.cs line 246).
	if err := s.DenyMenus("t", "Account"); err != nil {
		t.Fatal(err)
	}
	if st, _, b := call(t, "GET", s.URL()+"/api/v2/account", tok.Token, nil, nil); st != 200 {
		t.Errorf("account with Account denied: %d %s", st, b)
	}
	// Another tenant is not affected.
	other := login(t, s, "u", "p")
	var sw api.LoginOutput
	call(t, "POST", fmt.Sprintf("%s/api/v2/account/tenants/2/token", s.URL()), other.Token, map[string]any{}, &sw)
	if st, _, _ := call(t, "GET", s.URL()+"/api/v2/notebook", sw.Token, nil, nil); st != 200 {
		t.Errorf("notebook list of another tenant: %d", st)
	}
}

// TestServerErrorStackTrace: Filters/JsonExceptionHandlerAttribute.cs
// lines 45-51: a 500's detail is the exception's stack trace.
func TestServerErrorStackTrace(t *testing.T) {
	s, tok := realFixture(t)
	s.SetFaults(kqifake.Faults{Status: 500, Paths: "/api/v2/training"})
	st, _, b := call(t, "GET", s.URL()+"/api/v2/training", tok.Token, nil, nil)
	var eb api.ErrorBody
	if err := json.Unmarshal(b, &eb); st != 500 || err != nil || strings.Count(eb.Detail, "\n") < 3 || !strings.HasPrefix(eb.Detail, "   at Nssol.Platypus.") {
		t.Errorf("500: %d %s", st, b)
	}
}

// TestLostTenant: Infrastructure/Infos/UserInfo.cs line 120 (401 "You
// have lost a role for the access.") and Logic/LoginLogic.cs line 146 (a
// token for it: 400).
func TestLostTenant(t *testing.T) {
	s, tok := realFixture(t)
	var sw api.LoginOutput
	call(t, "POST", s.URL()+"/api/v2/account/tenants/2/token", tok.Token, map[string]any{}, &sw)
	if st, _, b := call(t, "DELETE", s.URL()+"/_fake/accounts/u/tenants/u", "", nil, nil); st != 204 {
		t.Fatalf("remove tenant: %d %s", st, b)
	}
	st, _, b := call(t, "GET", s.URL()+"/api/v2/training", sw.Token, nil, nil)
	var eb api.ErrorBody
	if err := json.Unmarshal(b, &eb); st != 401 || err != nil || eb.Title != "You have lost a role for the access." || eb.Detail == "" {
		t.Errorf("token of the lost tenant: %d %s", st, b)
	}
	if st, _, _ := call(t, "GET", s.URL()+"/api/v2/training", tok.Token, nil, nil); st != 200 {
		t.Errorf("the other tenant: %d", st)
	}
	st, _, b = call(t, "POST", s.URL()+"/api/v2/account/tenants/2/token", tok.Token, map[string]any{}, nil)
	if st != 400 || !strings.Contains(string(b), "does not have a permission to tenant 2") {
		t.Errorf("token for the lost tenant: %d %s", st, b)
	}
	if err := s.RemoveTenant("u", "u"); err == nil {
		t.Error("removing a tenant twice: no error")
	}
}

// TestPagingEdges: Infrastructure/Util.cs Paging (lines 61-65) and
// SearchLong (line 142), TrainingController.cs line 133,
// PreprocessingController.cs line 88 (1000 at most, even unasked).
func TestPagingEdges(t *testing.T) {
	s, tok := realFixture(t)
	for range 3 {
		addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: "Completed"})
	}
	for _, c := range []struct {
		query string
		n     int
	}{{"page=0", 3}, {"page=-3&perPage=2", 2}, {"perPage=0", 0}, {"perPage=-1", 0}, {"Id=abc", 0}, {"Id==2", 1}, {"Id=%3D%3D2", 0}, {"Id=%3E%3D2", 2}} {
		st, _, b := call(t, "GET", s.URL()+"/api/v2/training?"+c.query, tok.Token, nil, nil)
		var rows []api.JobIndex
		if err := json.Unmarshal(b, &rows); st != 200 || err != nil || rows == nil || len(rows) != c.n {
			t.Errorf("%s: %d, %d rows (%v), want 200 and %d", c.query, st, len(rows), err, c.n)
		}
	}
	first := addJob(t, s, kqifake.NewJob{Kind: api.KindPreprocessing, Name: "p0"})
	for i := range 1004 {
		addJob(t, s, kqifake.NewJob{Kind: api.KindPreprocessing, Name: fmt.Sprintf("p%d", i+1), Status: "Completed"})
	}
	var defs []api.PreprocessingIndex
	_, h, _ := call(t, "GET", s.URL()+"/api/v2/preprocessings?withTotal=true", tok.Token, nil, &defs)
	if len(defs) != 1000 || h.Get("X-Total-Count") != "1005" || defs[0].ID <= first.ParentID {
		t.Errorf("definitions: %d rows, total %q", len(defs), h.Get("X-Total-Count"))
	}
}

// TestNotebookRerun: Controllers/spa/NotebookController.cs Rerun (lines
// 760-975): the same id opens again; refused while open (line 777).
func TestNotebookRerun(t *testing.T) {
	s, tok := realFixture(t)
	j := addJob(t, s, kqifake.NewJob{Kind: api.KindNotebook, Status: "Killed"})
	u := fmt.Sprintf("%s/api/v2/notebook/%d", s.URL(), j.ID)
	if st, _, b := call(t, "POST", u+"/rerun", tok.Token, map[string]any{"expiresIn": 3600}, nil); st != 201 {
		t.Fatalf("rerun: %d %s", st, b)
	}
	var d api.NotebookDetails
	call(t, "GET", u, tok.Token, nil, &d)
	if d.ID != j.ID || d.Status != "Running" || d.CompletedAt != "" || d.StartedAt == "" {
		t.Errorf("after rerun: %+v", d.JobIndex)
	}
	if st, _, _ := call(t, "POST", u+"/rerun", tok.Token, map[string]any{}, nil); st != 404 {
		t.Errorf("rerun while running: %d, want 404", st)
	}
	if err := s.SetStatus(api.KindNotebook, j.ID, kqifake.StatusUpdate{Status: "Killed"}); err != nil {
		t.Fatal(err)
	}
	if st, _, b := call(t, "POST", fmt.Sprintf("%s/_fake/jobs/notebook/%d/rerun", s.URL(), j.ID), "", nil, nil); st != 200 {
		t.Fatalf("control rerun: %d %s", st, b)
	}
	if got, _ := s.Job(api.KindNotebook, j.ID); got.Status != "Running" || !got.CompletedAt.IsZero() {
		t.Errorf("after control rerun: %+v", got)
	}
	if st, _, _ := call(t, "POST", fmt.Sprintf("%s/_fake/jobs/notebook/%d/rerun", s.URL(), j.ID), "", nil, nil); st != 409 {
		t.Errorf("control rerun while running: %d, want 409", st)
	}
}

// TestPreprocessingHistories: one history per (definition, data)
// (PreprocessingController.cs, the "already processed" check), key
// "preproc-{historyId}" (Models/TenantModels/PreprocessHistory.cs line
// 119); after a delete, a run on the same data is a new history.
func TestPreprocessingHistories(t *testing.T) {
	s, tok := realFixture(t)
	run := addJob(t, s, kqifake.NewJob{Kind: api.KindPreprocessing, Name: "resize", DataID: 77, Status: "Completed"})
	if run.ID != 77 || run.HistoryID == 0 {
		t.Fatalf("run %+v", run)
	}
	if _, err := s.AddJob(kqifake.NewJob{Tenant: "t", Kind: api.KindPreprocessing, PreprocessID: run.ParentID, DataID: 77}); err == nil {
		t.Error("a second history on the same data: no error")
	}
	if err := s.DeleteJob(api.KindPreprocessing, run.HistoryID); err != nil {
		t.Fatal(err)
	}
	again := addJob(t, s, kqifake.NewJob{Kind: api.KindPreprocessing, PreprocessID: run.ParentID, DataID: 77})
	if again.ID != 77 || again.HistoryID == run.HistoryID {
		t.Errorf("rerun on the same data: %+v, want data 77 and a new history id", again)
	}
	var hist []api.PreprocessingHistory
	call(t, "GET", fmt.Sprintf("%s/api/v2/preprocessings/%d/histories", s.URL(), run.ParentID), tok.Token, nil, &hist)
	if len(hist) != 1 || hist[0].Key != fmt.Sprintf("preproc-%d", again.HistoryID) || hist[0].DataID != 77 {
		t.Errorf("histories %+v", hist)
	}
	var d api.PreprocessingHistoryDetails
	if st, _, b := call(t, "GET", fmt.Sprintf("%s/api/v2/preprocessings/%d/histories/77", s.URL(), run.ParentID), tok.Token, nil, &d); st != 200 || d.Key != hist[0].Key {
		t.Errorf("history detail: %d %s", st, b)
	}
}

// TestCostCounters: what a request costs the real server. A list loads
// the tenant's whole table (TrainingController.cs GetAll, lines 121-137),
// twice with withTotal (line 128); it calls Kubernetes once per open row
// returned, a detail once when open (line 548).
func TestCostCounters(t *testing.T) {
	s, tok := realFixture(t)
	for i := range 10 {
		st := "Completed"
		if i%5 == 0 {
			st = "Running"
		}
		addJob(t, s, kqifake.NewJob{Kind: api.KindTraining, Status: st})
	}
	open := addJob(t, s, kqifake.NewJob{Kind: api.KindNotebook, Status: "Running"})
	s.ResetStats()
	listRows(t, s, tok.Token, "/api/v2/training?Id=%3E%3D6")                                    // 10 rows, 5 returned, 1 open
	listRows(t, s, tok.Token, "/api/v2/training?withTotal=true")                                // 20 rows, 2 open
	call(t, "GET", fmt.Sprintf("%s/api/v2/notebook/%d", s.URL(), open.ID), tok.Token, nil, nil) // 1 row, 1 call
	st := s.Stats()
	if st.RowsLoaded != 31 || st.RowsByKind["training"] != 30 || st.RowsByKind["notebook"] != 1 {
		t.Errorf("rows loaded %d %v, want 31 (training 30, notebook 1)", st.RowsLoaded, st.RowsByKind)
	}
	if st.KubeCalls != 4 || st.KubeByKind["training"] != 3 {
		t.Errorf("Kubernetes calls %d %v, want 4 (training 3)", st.KubeCalls, st.KubeByKind)
	}
	if st.ListRequests != 2 || st.DetailRequests != 1 {
		t.Errorf("requests: %d lists, %d details", st.ListRequests, st.DetailRequests)
	}
	login(t, s, "u", "p")
	call(t, "GET", s.URL()+"/api/v2/account", tok.Token, nil, nil)
	call(t, "POST", s.URL()+"/api/v2/account/tenants/2/token", tok.Token, map[string]any{}, nil)

	// In flight: 5 requests held by latency at once.
	s.SetFaults(kqifake.Faults{Latency: 200 * time.Millisecond, Paths: "/api/v2/inferences"})
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { listRows(t, s, tok.Token, "/api/v2/inferences") })
	}
	wg.Wait()
	s.ClearFaults()

	var got kqifake.Stats
	if code, _, b := call(t, "GET", s.URL()+"/_fake/stats", "", nil, &got); code != 200 {
		t.Fatalf("stats: %d %s", code, b)
	}
	if got.Logins != 1 || got.AccountRequests != 1 || got.TokenRequests != 1 || got.MaxInFlight != 5 || got.ListRequests != 7 {
		t.Errorf("stats %+v", got)
	}
	if code, _, _ := call(t, "POST", s.URL()+"/_fake/stats/reset", "", nil, nil); code != http.StatusNoContent {
		t.Errorf("reset: %d", code)
	}
	if z := s.Stats(); z.RowsLoaded != 0 || z.KubeCalls != 0 || z.MaxInFlight != 0 || z.Requests != 0 {
		t.Errorf("after reset: %+v", z)
	}
}
