package api_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
)

// The fuzz targets feed random answer bodies to the client's decoders,
// through the real request path (a 200 answer from a transport in memory):
// job lists, details, preprocessing histories, the account and its
// tenants, and the login and tenant-token answers. Whatever the body, the
// client must not panic, must fail with ErrMalformed rather than guess, and
// its errors must stay short and hold no secret (the password, or a token
// in the body). When it succeeds, what it returns must be what the body
// said: the same ids, names and statuses, in the same order. Seeds:
// testdata/fuzz/<FuzzName>.

// fuzzPassword and fuzzToken (the token the login answers) are secrets
// that must never show in an error. Seeds echo them in bodies.
const (
	fuzzPassword = "CANARY-PASSWORD-fuzz"
	fuzzToken    = "eyJhbGciOiJIUzI1NiJ9.CANARY-TOKEN-fuzz.sig"
)

// maxErrLen bounds an error's text whatever the body: the body appears in
// it only as a snippet of at most 120 bytes.
const maxErrLen = 1024

// fuzzTransport answers the login and the tenant token with a valid token
// (unless the answer under test is theirs), and anything else with the
// answer under test: status (200 when 0) and body.
type fuzzTransport struct {
	loginBody bool // the login and token answers are the answer under test
	status    int
	body      []byte
	auth      []string // the Authorization headers of the requests
}

func (ft *fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	ft.auth = append(ft.auth, r.Header.Get("Authorization"))
	status, body := cmp.Or(ft.status, http.StatusOK), ft.body
	if !ft.loginBody && strings.HasPrefix(r.URL.Path, "/api/v2/account/") && r.Method == http.MethodPost {
		status, body = http.StatusOK, []byte(`{"token":"`+fuzzToken+`","tenantId":1,"expiresIn":3600}`)
	}
	return &http.Response{
		StatusCode: status,
		Header:     http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:       io.NopCloser(bytes.NewReader(body)),
		Request:    r,
	}, nil
}

func fuzzClient(t *testing.T, ft *fuzzTransport) *api.Client {
	t.Helper()
	c, err := api.New(api.Config{BaseURL: "https://kamonohashi.example.com", User: "fuzz", Password: fuzzPassword,
		HTTPClient: &http.Client{Transport: ft}, ServerLocation: time.UTC, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkErr checks what every error about a 200 answer must hold:
// ErrMalformed, a bounded length, no secret.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, api.ErrMalformed) {
		t.Errorf("a 200 answer that could not be used is not ErrMalformed: %v", err)
	}
	checkErrText(t, err)
}

// checkErrText checks what every error must hold: a bounded length, no
// secret.
func checkErrText(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if len(msg) > maxErrLen {
		t.Errorf("error of %d bytes: the body is not kept to a snippet: %.300s…", len(msg), msg)
	}
	for _, secret := range []string{fuzzPassword, fuzzToken} {
		if strings.Contains(msg, secret) {
			t.Errorf("error shows a secret (%s): %s", secret, msg)
		}
	}
}

// listTargets are the kinds FuzzDetailAnswer decodes, picked by the first
// argument; FuzzListAnswer takes one more: 4 is a preprocessing's runs.
var listTargets = []api.Kind{api.KindTraining, api.KindInference, api.KindNotebook, api.KindPreprocessing}

// FuzzListAnswer decodes a job list: 0 training, 1 inference, 2 notebook,
// 3 the preprocessing definitions, 4 the runs of a preprocessing.
func FuzzListAnswer(f *testing.F) {
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		if which%5 == 4 {
			fuzzHistories(t, body)
			return
		}
		kind := listTargets[int(which)%5]
		ft := &fuzzTransport{body: body}
		c := fuzzClient(t, ft)
		ctx := context.Background()
		if kind == api.KindPreprocessing {
			defs, err := c.ListPreprocessings(ctx, 1, api.ListQuery{})
			checkErr(t, err)
			if err != nil {
				return
			}
			var rows []api.PreprocessingIndex
			if err := json.Unmarshal(body, &rows); err != nil {
				t.Fatalf("ListPreprocessings took a body encoding/json refuses: %v", err)
			}
			if len(defs) != len(rows) {
				t.Fatalf("%d definitions from %d rows", len(defs), len(rows))
			}
			for i, d := range defs {
				if d.ID != rows[i].ID || d.Name != rows[i].Name || d.CreatedBy != rows[i].CreatedBy || d.GPU != int(rows[i].GPU) {
					t.Errorf("definition %d: got %+v from %+v", i, d, rows[i])
				}
			}
			return
		}
		res, err := c.List(ctx, 1, kind, api.ListQuery{})
		checkErr(t, err)
		if err != nil {
			return
		}
		var rows []api.JobIndex
		if err := json.Unmarshal(body, &rows); err != nil {
			t.Fatalf("List took a body encoding/json refuses: %v", err)
		}
		if len(res.Jobs) != len(rows) || res.Total != -1 {
			t.Fatalf("%d jobs (total %d) from %d rows", len(res.Jobs), res.Total, len(rows))
		}
		for i, j := range res.Jobs {
			r := rows[i]
			if j.Kind != kind || j.ID != r.ID || j.DisplayID != r.DisplayID || j.Name != r.Name || j.Status != r.Status || j.CreatedBy != r.CreatedBy || j.Detailed {
				t.Errorf("job %d: got %+v from %+v", i, j, r)
			}
			// A blank time is no time (ParseTime trims it): only a
			// non-blank one must survive.
			if strings.TrimSpace(r.CreatedAt) != "" && api.FormatTime(j.CreatedAt, time.UTC) == "" {
				t.Errorf("job %d: createdAt %q lost", i, r.CreatedAt)
			}
		}
	})
}

// FuzzDetailAnswer decodes a job's details, of the kind the first argument
// picks (as in FuzzListAnswer; 3 is a preprocessing run).
func FuzzDetailAnswer(f *testing.F) {
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		kind := listTargets[int(which)%len(listTargets)]
		c := fuzzClient(t, &fuzzTransport{body: body})
		j, err := c.Detail(context.Background(), 1, kind, 7, 12)
		checkErr(t, err)
		if err != nil {
			return
		}
		if !j.Detailed || j.Kind != kind {
			t.Fatalf("Detail returned %+v", j)
		}
		if kind == api.KindPreprocessing {
			var h api.PreprocessingHistoryDetails
			if err := json.Unmarshal(body, &h); err != nil {
				t.Fatalf("Detail took a body encoding/json refuses: %v", err)
			}
			if j.ID != h.DataID || j.ParentID != h.PreprocessID || j.Status != h.Status {
				t.Errorf("got %+v from %+v", j, h)
			}
			return
		}
		var d struct {
			api.JobIndex
			api.JobRuntime
		}
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatalf("Detail took a body encoding/json refuses: %v", err)
		}
		if j.ID != d.ID || j.Name != d.Name || j.Status != d.Status || j.Node != d.Node || j.GPU != int(d.GPU) ||
			j.ConditionNote != d.ConditionNote || (d.StartedAt == "") != j.StartedAt.IsZero() {
			t.Errorf("got %+v from %+v", j, d)
		}
	})
}

// fuzzHistories decodes the runs of a preprocessing.
func fuzzHistories(t *testing.T, body []byte) {
	{
		c := fuzzClient(t, &fuzzTransport{body: body})
		jobs, err := c.Histories(context.Background(), 1, 7)
		checkErr(t, err)
		if err != nil {
			return
		}
		var rows []api.PreprocessingHistory
		if err := json.Unmarshal(body, &rows); err != nil {
			t.Fatalf("Histories took a body encoding/json refuses: %v", err)
		}
		if len(jobs) != len(rows) {
			t.Fatalf("%d runs from %d rows", len(jobs), len(rows))
		}
		ids := map[int64]int{}
		for _, r := range rows {
			ids[r.DataID]++
		}
		for i, j := range jobs {
			ids[j.ID]--
			if j.Kind != api.KindPreprocessing {
				t.Errorf("run %d of kind %q", i, j.Kind)
			}
			if i > 0 && j.CreatedAt.After(jobs[i-1].CreatedAt) {
				t.Errorf("runs not newest first: %v after %v", j.CreatedAt, jobs[i-1].CreatedAt)
			}
		}
		for id, n := range ids {
			if n != 0 {
				t.Errorf("data id %d: %d more in the body than in the runs", id, n)
			}
		}
	}
}

// FuzzAccountAnswer decodes the account and its tenants.
func FuzzAccountAnswer(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fuzzClient(t, &fuzzTransport{body: body})
		a, err := c.Account(context.Background())
		checkErr(t, err)
		if err != nil {
			return
		}
		var out api.AccountOutput
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("Account took a body encoding/json refuses: %v", err)
		}
		if a.UserID != out.UserID || a.UserName != out.UserName || len(a.Tenants) != len(out.Tenants) {
			t.Fatalf("got %+v from %+v", a, out)
		}
		if out.DefaultTenant != nil && a.DefaultTenantID != out.DefaultTenant.ID {
			t.Errorf("default tenant %d, want %d", a.DefaultTenantID, out.DefaultTenant.ID)
		}
		for i, ten := range a.Tenants {
			if ten.ID != out.Tenants[i].ID || ten.Name != out.Tenants[i].Name || ten.DisplayName != out.Tenants[i].DisplayName {
				t.Errorf("tenant %d: got %+v from %+v", i, ten, out.Tenants[i])
			}
		}
	})
}

// FuzzLoginAnswer decodes the answers that carry a token: the login's and,
// with the first argument odd, a tenant token's. The token in a body must
// never show in an error, even when the rest of the body is wrong.
func FuzzLoginAnswer(f *testing.F) {
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		ft := &fuzzTransport{loginBody: true, body: body}
		c := fuzzClient(t, ft)
		ctx := context.Background()
		var err error
		if which%2 == 0 {
			err = c.Login(ctx)
		} else {
			// A tenant other than the one the login is bound to, so the
			// token is exchanged; both answers are the body under test.
			_, err = c.Tenants(ctx)
			if err == nil {
				_, err = c.List(ctx, 99, api.KindTraining, api.ListQuery{})
			}
		}
		var out api.LoginOutput
		jsonErr := json.Unmarshal(body, &out)
		if err != nil {
			if !errors.Is(err, api.ErrMalformed) {
				t.Fatalf("a 200 login answer that could not be used is not ErrMalformed: %v", err)
			}
			msg := err.Error()
			if len(msg) > maxErrLen {
				t.Errorf("error of %d bytes", len(msg))
			}
			if strings.Contains(msg, fuzzToken) || strings.Contains(msg, fuzzPassword) ||
				jsonErr == nil && len(out.Token) >= 4 && strings.Contains(msg, out.Token) {
				t.Errorf("error shows the token: %s", msg)
			}
			var me *api.MalformedError
			if errors.As(err, &me) && me.Snippet != "" {
				t.Errorf("a token answer quoted in an error: %q", me.Snippet)
			}
			return
		}
		if jsonErr != nil || out.Token == "" {
			t.Fatalf("logged in with an answer that has no token (%v): %q", jsonErr, body)
		}
		if which%2 == 0 {
			// The next request carries the token.
			if _, err := c.Version(ctx); err != nil {
				return // the body is not a version answer: fine
			}
			if _, err := c.Account(ctx); err == nil && ft.auth[len(ft.auth)-1] != "Bearer "+out.Token {
				t.Errorf("request sent with %q, want the token of the login", ft.auth[len(ft.auth)-1])
			}
		}
	})
}

// FuzzErrorAnswer decodes answers of any status (100 + code%500): the
// login's when login is true, else a job list's. A non-2xx answer is an
// *HTTPError with that status (a refused login, ErrUnauthorized), whose
// title and detail come from the body, short, with no secret the body
// echoes; a 2xx one is used or is ErrMalformed.
func FuzzErrorAnswer(f *testing.F) {
	f.Fuzz(func(t *testing.T, code uint16, login bool, body []byte) {
		status := 100 + int(code)%500
		ft := &fuzzTransport{loginBody: login, status: status, body: body}
		c := fuzzClient(t, ft)
		var err error
		if login {
			err = c.Login(context.Background())
		} else {
			_, err = c.List(context.Background(), 1, api.KindTraining, api.ListQuery{})
		}
		if login {
			// The login failed, so the client holds no token: a token-like
			// string in the body is no secret to it; the password is.
			if err != nil && strings.Contains(err.Error(), fuzzPassword) {
				t.Errorf("error shows the password: %v", err)
			}
			if err != nil && len(err.Error()) > maxErrLen {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
		} else {
			checkErrText(t, err)
		}
		if status/100 == 2 {
			if err != nil && !errors.Is(err, api.ErrMalformed) {
				t.Errorf("a %d answer that could not be used is not ErrMalformed: %v", status, err)
			}
			return
		}
		var he *api.HTTPError
		if !errors.As(err, &he) || he.StatusCode != status {
			t.Fatalf("a %d answer gave %v, want an *HTTPError with that status", status, err)
		}
		if len(he.Title) > 200 || len(he.Detail) > 200 || strings.ContainsFunc(he.Title+he.Detail, func(r rune) bool { return r < ' ' }) {
			t.Errorf("title or detail not cut or not cleaned: %q, %q", he.Title, he.Detail)
		}
		if refused := login && (status == 400 || status == 401 || status == 403); refused != errors.Is(err, api.ErrUnauthorized) && status != 401 {
			t.Errorf("a %d login answer: ErrUnauthorized is %v", status, !refused)
		}
		if !login && api.IsTemporary(err) != (status == 429 || status >= 500 && status != 501) {
			t.Errorf("a %d answer: temporary is %v", status, api.IsTemporary(err))
		}
	})
}
