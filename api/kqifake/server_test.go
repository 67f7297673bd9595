package kqifake_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

// call makes one HTTP request to the fake and decodes a JSON answer into
// out (when not nil). It returns the status and the raw body.
func call(t *testing.T, method, url, token string, body any, out any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, data)
		}
	}
	return resp.StatusCode, resp.Header, data
}

func login(t *testing.T, s *kqifake.Server, user, password string) api.LoginOutput {
	t.Helper()
	var out api.LoginOutput
	st, _, body := call(t, "POST", s.URL()+"/api/v2/account/login", "", api.LoginInput{UserName: user, Password: password}, &out)
	if st != 200 {
		t.Fatalf("login %s: %d %s", user, st, body)
	}
	return out
}

func TestControlAPI(t *testing.T) {
	s := kqifake.NewTest(t)
	u := s.URL()
	var ten struct{ ID int64 }
	if st, _, b := call(t, "POST", u+"/_fake/tenants", "", map[string]string{"name": "nlp-ja", "displayName": "自然言語処理チーム"}, &ten); st != 200 || ten.ID == 0 {
		t.Fatalf("add tenant: %d %s", st, b)
	}
	if st, _, b := call(t, "POST", u+"/_fake/accounts", "", map[string]any{"user": "demo", "password": "pw", "tenants": []any{"nlp-ja"}}, nil); st != 200 {
		t.Fatalf("add account: %d %s", st, b)
	}
	var job struct {
		ID           int64
		PreprocessID int64 `json:"preprocessId"`
	}
	if st, _, b := call(t, "POST", u+"/_fake/jobs", "", map[string]any{"tenant": "nlp-ja", "kind": "training", "name": "学習", "createdBy": "tanaka", "status": "Pending"}, &job); st != 200 || job.ID == 0 {
		t.Fatalf("add job: %d %s", st, b)
	}
	var pre struct {
		ID           int64
		PreprocessID int64 `json:"preprocessId"`
	}
	if st, _, b := call(t, "POST", u+"/_fake/jobs", "", map[string]any{"tenant": ten.ID, "kind": "preprocessing", "name": "正規化"}, &pre); st != 200 || pre.PreprocessID == 0 {
		t.Fatalf("add preprocessing run: %d %s", st, b)
	}

	tok := login(t, s, "demo", "pw").Token
	detail := func() api.TrainingDetails {
		var d api.TrainingDetails
		if st, _, b := call(t, "GET", fmt.Sprintf("%s/api/v2/training/%d", u, job.ID), tok, nil, &d); st != 200 {
			t.Fatalf("detail: %d %s", st, b)
		}
		return d
	}
	if d := detail(); d.Status != "Pending" || d.StartedAt != "" || d.CompletedAt != "" || d.WaitingTime == "" || d.ExecutionTime != "" {
		t.Errorf("pending job: %+v", d)
	}
	if st, _, b := call(t, "POST", fmt.Sprintf("%s/_fake/jobs/training/%d/status", u, job.ID), "", map[string]string{"status": "Running"}, nil); st != 200 {
		t.Fatalf("set status: %d %s", st, b)
	}
	// A running training has no startedAt yet: the server writes it when
	// the training exits (Logic/TrainingLogic.cs ExitAsync, line 60).
	if d := detail(); d.Status != "Running" || d.StartedAt != "" || d.CompletedAt != "" || d.Node == "" {
		t.Errorf("running job: %+v", d)
	}
	if st, _, b := call(t, "POST", fmt.Sprintf("%s/_fake/jobs/training/%d/status", u, job.ID), "", map[string]string{"status": "Failed", "conditionNote": "exit 137", "logSummary": "Killed"}, nil); st != 200 {
		t.Fatalf("set status: %d %s", st, b)
	}
	if d := detail(); d.Status != "Failed" || d.CompletedAt == "" || d.StartedAt == "" || d.ConditionNote != "exit 137" || d.LogSummary != "Killed" || d.StatusType != "Failed" {
		t.Errorf("failed job: %+v", d)
	}
	// A pod phase alone, instead of a status: Failed shows as Error.
	if st, _, b := call(t, "POST", fmt.Sprintf("%s/_fake/jobs/training/%d/status", u, job.ID), "", map[string]string{"phase": "Failed"}, nil); st != 200 {
		t.Fatalf("set phase: %d %s", st, b)
	}
	if d := detail(); d.Status != "Error" {
		t.Errorf("job after phase Failed: %+v, want status Error", d)
	}
	if st, _, _ := call(t, "DELETE", fmt.Sprintf("%s/_fake/jobs/training/%d", u, job.ID), "", nil, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if st, _, _ := call(t, "GET", fmt.Sprintf("%s/api/v2/training/%d", u, job.ID), tok, nil, nil); st != 404 {
		t.Errorf("deleted job: %d, want 404", st)
	}

	// Control errors: unknown tenant, kind, job; unknown field.
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/_fake/jobs", map[string]any{"tenant": "nope", "kind": "training"}, 404},
		{"POST", "/_fake/jobs", map[string]any{"tenant": "nlp-ja", "kind": "video"}, 404},
		{"POST", "/_fake/jobs", map[string]any{"tenant": "nlp-ja", "kind": "training", "colour": "red"}, 400},
		{"POST", "/_fake/jobs/training/999/status", map[string]any{"status": "Running"}, 404},
		{"POST", "/_fake/jobs/training/x/status", map[string]any{"status": "Running"}, 400},
		{"POST", "/_fake/jobs/training/999/status", map[string]any{"conditionNote": "no status"}, 400},
		{"DELETE", "/_fake/jobs/notebook/999", nil, 404},
		{"POST", "/_fake/faults", map[string]any{"latency": "soon"}, 400},
		{"POST", "/_fake/accounts", map[string]any{"user": "x", "password": "y", "tenants": []any{42}}, 404},
	} {
		if st, _, b := call(t, c.method, u+c.path, "", c.body, nil); st != c.want {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, st, b, c.want)
		}
	}
}

func TestStatsAndFaultsOverHTTP(t *testing.T) {
	s := kqifake.NewTest(t)
	s.LoadDemo()
	u := s.URL()
	tok := login(t, s, "demo", "demo").Token
	call(t, "GET", u+"/api/v2/training", tok, nil, nil)
	call(t, "GET", u+"/api/v2/training/1", tok, nil, nil)
	var st kqifake.Stats
	call(t, "GET", u+"/_fake/stats", "", nil, &st)
	if st.Requests != 3 || st.ByPath["GET /api/v2/training"] != 1 || st.ByPath["GET /api/v2/training/{id}"] != 1 || st.BytesOut == 0 {
		t.Errorf("stats = %+v", st)
	}
	call(t, "DELETE", u+"/_fake/stats", "", nil, nil)

	if code, _, b := call(t, "POST", u+"/_fake/faults", "", map[string]any{"status": 500, "rate": 1, "paths": "GET /api/v2/notebook"}, nil); code != 200 {
		t.Fatalf("set faults: %d %s", code, b)
	}
	if code, _, _ := call(t, "GET", u+"/api/v2/notebook", tok, nil, nil); code != 500 {
		t.Errorf("faulted path answered %d", code)
	}
	if code, _, _ := call(t, "GET", u+"/api/v2/training", tok, nil, nil); code != 200 {
		t.Errorf("other path answered %d", code)
	}
	call(t, "POST", u+"/_fake/faults", "", map[string]any{"expire_tokens": true}, nil)
	if code, h, b := call(t, "GET", u+"/api/v2/training", tok, nil, nil); code != 401 || !strings.Contains(string(b), `"title"`) || h.Get("WWW-Authenticate") == "" {
		t.Errorf("expired token: %d %s", code, b)
	}
	call(t, "DELETE", u+"/_fake/faults", "", nil, nil)
	tok = login(t, s, "demo", "demo").Token
	if code, _, _ := call(t, "GET", u+"/api/v2/notebook", tok, nil, nil); code != 200 {
		t.Errorf("after clearing faults: %d", code)
	}
	call(t, "GET", u+"/_fake/stats", "", nil, &st)
	if st.ByStatus["500"] != 1 || st.ByStatus["401"] != 1 {
		t.Errorf("by status = %v", st.ByStatus)
	}
}

func TestLatencyHonoursTheClient(t *testing.T) {
	s := kqifake.NewTest(t)
	s.SetFaults(kqifake.Faults{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/api/v2/version", nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("want a timeout")
	}
	// The handler leaves its wait when the client goes.
	for deadline := time.Now().Add(5 * time.Second); s.Stats().ByStatus["0"] != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("handler still waiting: %+v", s.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

// TestAPIErrors holds the error answers to the real server's shapes:
// KAMONOHASHI's JsonErrorResponse (ApiModels/JsonErrorResponse.cs) from a
// controller or a filter, and ASP.NET's ValidationProblemDetails, errors
// as an object, where model binding fails ([ApiController], e.g.
// AccountController.cs line 25).
func TestAPIErrors(t *testing.T) {
	s := kqifake.NewTest(t)
	s.LoadDemo()
	u := s.URL()
	tok := login(t, s, "demo", "demo")
	viewer := login(t, s, "viewer", "viewer")
	const vpd = "One or more validation errors occurred."
	for _, c := range []struct {
		name, method, path, token string
		body                      any
		want                      int
		title                     string
		field                     string // the ValidationProblemDetails field, when one
	}{
		{"page word", "GET", "/api/v2/training?page=first", tok.Token, nil, 400, vpd, "page"},
		{"perPage word", "GET", "/api/v2/notebook?perPage=many", tok.Token, nil, 400, vpd, "perPage"},
		{"withTotal word", "GET", "/api/v2/inferences?withTotal=yes", tok.Token, nil, 400, vpd, "withTotal"},
		{"id not a number", "GET", "/api/v2/training/abc", tok.Token, nil, 400, vpd, "id"},
		{"no password", "POST", "/api/v2/account/login", "", map[string]string{"userName": "demo"}, 400, vpd, "Password"},
		// Startup.cs lines 262-305.
		{"no token", "GET", "/api/v2/training", "", nil, 401, "The access code is required.", ""},
		{"forged token", "GET", "/api/v2/training", tok.Token[:len(tok.Token)-4] + "AAAA", nil, 401, "The Access code is expired or invalid.", ""},
		{"unknown job", "GET", "/api/v2/training/424242", tok.Token, nil, 404, "Training ID 424242 is not found.", ""},
		{"job of another tenant", "GET", "/api/v2/training/1", viewer.Token, nil, 404, "Training ID 1 is not found.", ""},
		// Logic/LoginLogic.cs line 146.
		{"tenant not assigned", "POST", fmt.Sprintf("/api/v2/account/tenants/%d/token", tok.TenantID), viewer.Token, map[string]any{}, 400,
			fmt.Sprintf("Invalid tenant ID. Current user does not have a permission to tenant %d.", tok.TenantID), ""},
		{"unknown tenant", "POST", "/api/v2/account/tenants/77/token", tok.Token, map[string]any{}, 404, "Tenant ID 77 is not found.", ""},
		// Logic/LoginLogic.cs line 80.
		{"wrong password", "POST", "/api/v2/account/login", "", api.LoginInput{UserName: "demo", Password: "nope"}, 400, "User name or password is incorrect.", ""},
		{"unknown route", "GET", "/api/v2/nothing", tok.Token, nil, 404, "Not Found", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, h, b := call(t, c.method, u+c.path, c.token, c.body, nil)
			if st != c.want {
				t.Fatalf("%d %s, want %d", st, b, c.want)
			}
			if c.field != "" {
				var vp struct {
					Title  string              `json:"title"`
					Status int                 `json:"status"`
					Errors map[string][]string `json:"errors"`
				}
				if err := json.Unmarshal(b, &vp); err != nil || vp.Title != c.title || vp.Status != 400 || len(vp.Errors[c.field]) == 0 {
					t.Errorf("validation problem %s: %v, want errors.%s", b, err, c.field)
				}
				if !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
					t.Errorf("content type %q", h.Get("Content-Type"))
				}
				return
			}
			var pb map[string]any
			if err := json.Unmarshal(b, &pb); err != nil || pb["title"] != c.title || pb["instance"] == nil ||
				!strings.HasPrefix(fmt.Sprint(pb["type"]), "Nssol.Platypus.") {
				t.Errorf("error body %s: %v, want title %q", b, err, c.title)
			}
			for _, k := range []string{"type", "title", "detail", "instance", "errors"} {
				if _, ok := pb[k]; !ok {
					t.Errorf("error body %s lacks %q (the server writes nulls)", b, k)
				}
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("content type %q", h.Get("Content-Type"))
			}
		})
	}
}

func TestTokensAreBoundToATenant(t *testing.T) {
	s := kqifake.NewTest(t)
	s.LoadDemo()
	u := s.URL()
	lo := login(t, s, "demo", "demo")
	var acct api.AccountOutput
	call(t, "GET", u+"/api/v2/account", lo.Token, nil, &acct)
	if len(acct.Tenants) != 3 || acct.SelectedTenant == nil || acct.SelectedTenant.ID != lo.TenantID || acct.UserName != "demo" {
		t.Fatalf("account = %+v", acct)
	}
	// Sorted by display name, as the server does.
	if acct.Tenants[0].DisplayName != "Speech Lab" || acct.Tenants[2].DisplayName != "自然言語処理チーム" {
		t.Errorf("tenant order: %+v", acct.Tenants)
	}
	seen := map[int64]bool{}
	for _, ten := range acct.Tenants {
		var sw api.LoginOutput
		if st, _, b := call(t, "POST", fmt.Sprintf("%s/api/v2/account/tenants/%d/token", u, ten.ID), lo.Token, map[string]any{"expiresIn": 60}, &sw); st != 200 {
			t.Fatalf("switch: %d %s", st, b)
		}
		if sw.TenantID != ten.ID || sw.TenantName != ten.DisplayName || sw.ExpiresIn != 60 || sw.Token == lo.Token || len(strings.Split(sw.Token, ".")) != 3 {
			t.Errorf("switch answer %+v", sw)
		}
		var rows []api.TrainingIndex
		call(t, "GET", u+"/api/v2/training", sw.Token, nil, &rows)
		for _, r := range rows {
			if seen[r.ID] {
				t.Errorf("job %d listed by two tenants", r.ID)
			}
			seen[r.ID] = true
		}
	}
	if len(seen) == 0 {
		t.Error("no training jobs in the demo")
	}
}

// TestTokenCanary checks that a canary starts every token's signature and
// that the token keeps its JWT shape and works.
func TestTokenCanary(t *testing.T) {
	const canary = "CANARY-TOKEN-x1"
	s := kqifake.NewTest(t, kqifake.Options{TokenCanary: canary})
	s.LoadDemo()
	lo := login(t, s, "demo", "demo")
	parts := strings.Split(lo.Token, ".")
	if len(parts) != 3 || !strings.HasPrefix(parts[2], canary) {
		t.Fatalf("token %q: want header.claims.%s…", lo.Token, canary)
	}
	var acct api.AccountOutput
	if st, _, b := call(t, "GET", s.URL()+"/api/v2/account", lo.Token, nil, &acct); st != 200 {
		t.Fatalf("account with a canary token: %d %s", st, b)
	}
	defer func() {
		if recover() == nil {
			t.Error("New accepted a canary outside the base64url alphabet")
		}
	}()
	kqifake.New(kqifake.Options{TokenCanary: "CANARY TOKEN"})
}

func TestListsAreNewestFirstWithTotal(t *testing.T) {
	s := kqifake.NewTest(t)
	if _, err := s.Seed(kqifake.SeedOptions{Tenants: 2, JobsPerTenant: 300, OpenPerTenant: 3}); err != nil {
		t.Fatal(err)
	}
	tok := login(t, s, "seed", "seed").Token
	var rows []api.TrainingIndex
	st, h, b := call(t, "GET", s.URL()+"/api/v2/training?withTotal=true&perPage=50&page=2", tok, nil, &rows)
	if st != 200 || len(rows) != 50 {
		t.Fatalf("%d, %d rows: %.200s", st, len(rows), b)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].ID >= rows[i-1].ID {
			t.Fatalf("not newest first at %d: %d then %d", i, rows[i-1].ID, rows[i].ID)
		}
	}
	if h.Get("X-Total-Count") == "" {
		t.Error("no X-Total-Count")
	}
	// perPage above 1000 is capped; unset means 1000.
	call(t, "GET", s.URL()+"/api/v2/training?perPage=5000", tok, nil, &rows)
	if len(rows) > 1000 {
		t.Errorf("perPage=5000 gave %d rows", len(rows))
	}
}

func TestSeed(t *testing.T) {
	seedOnce := func() (*kqifake.Server, kqifake.SeedSummary) {
		s := kqifake.New(kqifake.Options{Now: func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }})
		sum, err := s.Seed(kqifake.SeedOptions{Tenants: 3, JobsPerTenant: 1000, OpenPerTenant: 5, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		return s, sum
	}
	a, sumA := seedOnce()
	b, _ := seedOnce()
	if sumA.Jobs != 3000 || sumA.Open != 15 || len(sumA.Tenants) != 3 {
		t.Errorf("summary = %+v", sumA)
	}
	// Deterministic: the same seed gives the same jobs.
	for _, k := range api.AllKinds() {
		for id := int64(1); id <= 50; id++ {
			ja, okA := a.Job(k, id)
			jb, okB := b.Job(k, id)
			if okA != okB || ja.Name != jb.Name || ja.Status != jb.Status || !ja.CreatedAt.Equal(jb.CreatedAt) {
				t.Fatalf("%s %d differs: %+v vs %+v", k, id, ja, jb)
			}
		}
	}
	// Per tenant: the oldest open job is among the first tenth of its
	// history; the ids grow with creation time.
	for _, tid := range sumA.Tenants {
		var jobs []api.Job
		for _, k := range api.AllKinds() {
			got, err := a.Jobs(fmt.Sprint(tid), k)
			if err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, got...)
		}
		if len(jobs) != 1000 {
			t.Fatalf("tenant %d has %d jobs", tid, len(jobs))
		}
		sortByCreated(jobs)
		firstOpen := -1
		open := 0
		for i, j := range jobs {
			if api.StatusPhase(j.Status) != api.PhaseClosed {
				open++
				if firstOpen < 0 {
					firstOpen = i
				}
			}
		}
		if open != 5 || firstOpen >= 100 {
			t.Errorf("tenant %d: %d open, oldest at %d of 1000", tid, open, firstOpen)
		}
	}
}

func TestSeedLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large seed")
	}
	s := kqifake.NewTest(t)
	s.AddAccount("demo", "demo")
	var sum kqifake.SeedSummary
	start := time.Now()
	if st, _, b := call(t, "POST", s.URL()+"/_fake/seed", "", map[string]any{"tenants": 50, "jobs_per_tenant": 2000, "open_per_tenant": 5}, &sum); st != 200 {
		t.Fatalf("seed: %d %s", st, b)
	}
	if sum.Jobs != 100_000 || sum.Open != 250 || len(sum.Accounts) != 1 {
		t.Errorf("summary %+v", sum)
	}
	t.Logf("seeded 100k jobs in %v", time.Since(start))
	// An incremental poll stays small.
	tok := login(t, s, "demo", "demo").Token
	var rows []api.TrainingIndex
	call(t, "GET", s.URL()+"/api/v2/training?Id=>=99000", tok, nil, &rows)
	if len(rows) > 1000 {
		t.Errorf("%d rows", len(rows))
	}
}

func TestConcurrentUse(t *testing.T) {
	s := kqifake.NewTest(t)
	s.LoadDemo()
	tok := login(t, s, "demo", "demo").Token
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				j, err := s.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining})
				if err != nil {
					t.Error(err)
					return
				}
				_ = s.SetStatus(api.KindTraining, j.ID, kqifake.StatusUpdate{Status: "Completed"})
				call(t, "GET", s.URL()+"/api/v2/training?Id=>="+fmt.Sprint(j.ID), tok, nil, nil)
				if i%2 == 0 {
					s.ResetStats()
				}
				_ = s.Stats()
			}
		})
	}
	wg.Wait()
}

func sortByCreated(jobs []api.Job) {
	slices.SortFunc(jobs, func(a, b api.Job) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

func TestDemo(t *testing.T) {
	s := kqifake.Demo(kqifake.Options{})
	statuses := map[string]bool{}
	kinds := map[api.Kind]int{}
	japanese := 0
	for _, ten := range []string{"vision", "nlp-ja", "speech"} {
		for _, k := range api.AllKinds() {
			jobs, err := s.Jobs(ten, k)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range jobs {
				statuses[j.Status] = true
				kinds[k]++
				if strings.ContainsFunc(j.Name, func(r rune) bool { return r > 0x3000 }) {
					japanese++
				}
				if api.StatusPhase(j.Status) == api.PhaseClosed && j.CompletedAt.IsZero() {
					t.Errorf("closed job without completedAt: %+v", j)
				}
			}
		}
	}
	for _, st := range []string{"Running", "Pending", "Completed", "Failed", "Killed", "UserCanceled", "OOMKilled", "Error"} {
		if !statuses[st] {
			t.Errorf("no %s job in the demo", st)
		}
	}
	// Container reasons never reach the API (GetPodsOutputModel.cs reads
	// only the phase and terminated.reason).
	for st := range statuses {
		if strings.HasSuffix(st, "BackOff") || st == "ContainerCreating" {
			t.Errorf("the demo shows %s, which the real server never does", st)
		}
	}
	total := 0
	for _, k := range api.AllKinds() {
		if kinds[k] == 0 {
			t.Errorf("no %s job in the demo", k)
		}
		total += kinds[k]
	}
	if total < 24 || japanese < 5 {
		t.Errorf("%d jobs, %d with Japanese names", total, japanese)
	}
	if _, err := s.Jobs("nope", api.KindTraining); err == nil {
		t.Error("Jobs of an unknown tenant = nil error")
	}
}

func TestFaultsScopedToOneTenant(t *testing.T) {
	s := kqifake.NewTest(t)
	a, b := s.AddTenant("alpha", ""), s.AddTenant("beta", "")
	s.AddAccount("u", "p", a, b)
	u := s.URL()
	ta := login(t, s, "u", "p").Token // bound to alpha, the default tenant
	var tb api.LoginOutput
	call(t, "POST", fmt.Sprintf("%s/api/v2/account/tenants/%d/token", u, b), ta, map[string]any{}, &tb)

	if code, _, body := call(t, "POST", u+"/_fake/faults", "", map[string]any{"status": 403, "tenant": b}, nil); code != 200 {
		t.Fatalf("set faults: %d %s", code, body)
	}
	if code, _, _ := call(t, "GET", u+"/api/v2/training", tb.Token, nil, nil); code != 403 {
		t.Errorf("request for the faulted tenant answered %d, want 403", code)
	}
	if code, _, _ := call(t, "POST", fmt.Sprintf("%s/api/v2/account/tenants/%d/token", u, b), ta, map[string]any{}, nil); code != 403 {
		t.Errorf("token request for the faulted tenant answered %d, want 403", code)
	}
	if code, _, _ := call(t, "GET", u+"/api/v2/training", ta, nil, nil); code != 200 {
		t.Errorf("request for the other tenant answered %d, want 200", code)
	}
	if code, _, _ := call(t, "POST", u+"/api/v2/account/login", "", map[string]any{"userName": "u", "password": "p"}, nil); code != 200 {
		t.Errorf("login (no tenant yet) answered %d, want 200", code)
	}
}
