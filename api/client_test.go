package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

func TestNormalizeServer(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "https://kqi.example.com", want: "https://kqi.example.com"},
		{in: "https://kqi.example.com/", want: "https://kqi.example.com"},
		{in: "https://kqi.example.com/#/", want: "https://kqi.example.com"},
		{in: "https://kqi.example.com/#", want: "https://kqi.example.com"},
		{in: "https://kqi.example.com#/", want: "https://kqi.example.com"},
		{in: " https://kqi.example.com:8443/#/training/12 ", want: "https://kqi.example.com:8443"},
		{in: "http://10.0.0.5/kqi/#/", want: "http://10.0.0.5/kqi"},
		{in: "", wantErr: "empty"},
		{in: "kqi.example.com", wantErr: "must start with https://"},
		{in: "ftp://kqi.example.com", wantErr: "must start with https://"},
		{in: "https://user:hunter22@kqi.example.com", wantErr: "must not hold credentials"},
		{in: "https://kqi.example.com/?token=abc", wantErr: "must not have a query"},
		{in: "https:///#/", wantErr: "no host"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := api.NormalizeServer(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NormalizeServer(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter22") || strings.Contains(err.Error(), "token=abc") {
					t.Errorf("error shows a secret: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeServer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	t.Run("ok", func(t *testing.T) {
		c := f.client(t)
		if err := c.Login(t.Context()); err != nil {
			t.Fatal(err)
		}
		a, err := c.Account(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := api.Account{
			UserID: a.UserID, UserName: canaryUser, DefaultTenantID: f.vision,
			Tenants: []api.Tenant{
				{ID: f.vision, Name: "vision", DisplayName: "Vision", Default: true, IsOrigin: true},
				{ID: f.nlp, Name: "nlp-ja", DisplayName: "自然言語処理チーム", IsOrigin: true},
			},
		}
		if diff := cmp.Diff(want, a); diff != "" {
			t.Errorf("Account (-want +got):\n%s", diff)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := f.client(t, func(c *api.Config) { c.Password = canaryPassword + "-wrong" })
		err := c.Login(t.Context())
		if !errors.Is(err, api.ErrUnauthorized) {
			t.Fatalf("Login = %v, want ErrUnauthorized", err)
		}
		var he *api.HTTPError
		if !errors.As(err, &he) || he.StatusCode != 400 {
			t.Errorf("Login error %v: want an *HTTPError with status 400", err)
		}
		for _, want := range []string{canaryUser, "127.0.0.1", "rejected"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
		assertNoSecret(t, err, canaryPassword)
		// Any other call fails the same way, without a retry storm.
		f.srv.ResetStats()
		_, err = c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{})
		if !errors.Is(err, api.ErrUnauthorized) {
			t.Fatalf("List = %v, want ErrUnauthorized", err)
		}
		if n := f.srv.Stats().Requests; n != 1 {
			t.Errorf("a refused login made %d requests, want 1", n)
		}
		assertNoSecret(t, err, canaryPassword)
	})
	t.Run("unknown user", func(t *testing.T) {
		c := f.client(t, func(c *api.Config) { c.User = "nobody" })
		if err := c.Login(t.Context()); !errors.Is(err, api.ErrUnauthorized) {
			t.Fatalf("Login = %v, want ErrUnauthorized", err)
		}
	})
}

func TestVersionNeedsNoLogin(t *testing.T) {
	f := newFixture(t)
	c := f.client(t, func(c *api.Config) { c.User, c.Password = "", "" })
	v, err := c.Version(t.Context())
	if err != nil || v != "kqifake" {
		t.Fatalf("Version = %q, %v", v, err)
	}
	if n := f.srv.Stats().ByPath["POST /api/v2/account/login"]; n != 0 {
		t.Errorf("Version logged in %d times", n)
	}
}

func TestTokensCachedPerTenant(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx := t.Context()
	for range 3 {
		for _, tid := range []int64{f.vision, f.nlp} {
			for _, k := range []api.Kind{api.KindTraining, api.KindInference, api.KindNotebook} {
				if _, err := c.List(ctx, tid, k, api.ListQuery{}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	st := f.srv.Stats()
	// One login (its token serves the default tenant, vision), one token
	// exchange for nlp-ja, then 18 lists.
	want := map[string]int64{
		"POST /api/v2/account/login":                    1,
		"POST /api/v2/account/tenants/{tenantId}/token": 1,
		"GET /api/v2/training":                          6,
		"GET /api/v2/inferences":                        6,
		"GET /api/v2/notebook":                          6,
	}
	if diff := cmp.Diff(want, st.ByPath); diff != "" {
		t.Errorf("requests by path (-want +got):\n%s", diff)
	}
}

func TestConcurrentTenantsShareOneLogin(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			tid := []int64{f.vision, f.nlp}[i%2]
			if _, err := c.List(t.Context(), tid, api.KindTraining, api.ListQuery{}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := f.srv.Stats()
	if st.ByPath["POST /api/v2/account/login"] != 1 || st.ByPath["POST /api/v2/account/tenants/{tenantId}/token"] != 1 {
		t.Errorf("concurrent first calls: %v, want one login and one token exchange", st.ByPath)
	}
}

func TestRenewOn401(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx := t.Context()
	for _, tid := range []int64{f.vision, f.nlp} {
		if _, err := c.List(ctx, tid, api.KindTraining, api.ListQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	f.srv.SetFaults(kqifake.Faults{ExpireTokens: true})
	f.srv.ResetStats()

	// nlp-ja: its token and the login token have both expired: the list
	// fails with 401, the exchange with 401, one login, one exchange, retry.
	if _, err := c.List(ctx, f.nlp, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatalf("List after expiry: %v", err)
	}
	// vision: the login token serves it, and it is fresh again.
	if _, err := c.List(ctx, f.vision, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatalf("List after expiry: %v", err)
	}
	st := f.srv.Stats()
	want := map[string]int64{
		"GET /api/v2/training":                          4, // 401 + retry, 401 + retry
		"POST /api/v2/account/tenants/{tenantId}/token": 2, // 401 with the old login token, then ok
		"POST /api/v2/account/login":                    1,
	}
	if diff := cmp.Diff(want, st.ByPath); diff != "" {
		t.Errorf("requests by path (-want +got):\n%s", diff)
	}
}

func TestSecond401IsAnError(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	f.srv.SetFaults(kqifake.Faults{Status: 401, Paths: "GET /api/v2/training"})
	_, err := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{})
	if !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("List = %v, want ErrUnauthorized", err)
	}
	if api.IsTemporary(err) {
		t.Errorf("IsTemporary(%v) = true", err)
	}
	if n := f.srv.Stats().ByPath["GET /api/v2/training"]; n != 2 {
		t.Errorf("list tried %d times, want 2", n)
	}
	assertNoSecret(t, err, canaryPassword)
}

func TestTokenExpiredOnTheServerClock(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := kqifake.NewTest(t, kqifake.Options{Now: clock, TokenLifetime: time.Hour})
	tid := srv.AddTenant("vision", "Vision")
	srv.AddAccount("demo", "demo", tid)
	c, err := api.New(api.Config{BaseURL: srv.URL(), User: "demo", Password: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(t.Context(), tid, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour) // the fake's clock: every token has expired
	mu.Unlock()
	if _, err := c.List(t.Context(), tid, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatalf("List after expiry: %v", err)
	}
	if st := srv.Stats(); st.ByPath["POST /api/v2/account/login"] != 2 || st.ByStatus["401"] != 1 {
		t.Errorf("stats %v %v: want a second login after one 401", st.ByPath, st.ByStatus)
	}
}

func TestTokenRenewedBeforeItExpires(t *testing.T) {
	srv := kqifake.NewTest(t, kqifake.Options{TokenLifetime: time.Second})
	tid := srv.AddTenant("vision", "Vision")
	srv.AddAccount("demo", "demo", tid)
	c, err := api.New(api.Config{BaseURL: srv.URL(), User: "demo", Password: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(t.Context(), tid, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := c.List(t.Context(), tid, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.ByPath["POST /api/v2/account/login"] != 2 || st.ByStatus["401"] != 0 {
		t.Errorf("stats %v %v: want a second login and no 401", st.ByPath, st.ByStatus)
	}
}

func TestCrossTenant(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx := t.Context()

	// A tenant the account is not in: 403 on the token exchange.
	_, err := c.List(ctx, f.other, api.KindTraining, api.ListQuery{})
	if !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("List of another tenant = %v, want ErrForbidden", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("tenant %d", f.other)) {
		t.Errorf("error %q does not name the tenant", err)
	}
	// A tenant that does not exist: 404.
	if _, err := c.List(ctx, 999, api.KindTraining, api.ListQuery{}); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("List of tenant 999 = %v, want ErrNotFound", err)
	}
	// Another tenant's job through this tenant's token: 404.
	_, err = c.Detail(ctx, f.vision, api.KindTraining, 0, f.otherJob.ID)
	if !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("Detail of another tenant's job = %v, want ErrNotFound", err)
	}
	var he *api.HTTPError
	if !errors.As(err, &he) || he.Path != fmt.Sprintf("/api/v2/training/%d", f.otherJob.ID) || he.Title == "" {
		t.Errorf("HTTPError = %+v", he)
	}
	// Each token lists only its own tenant's jobs.
	for tid, want := range map[int64]int64{f.vision: f.visionJob.ID, f.nlp: f.nlpJob.ID} {
		res, err := c.List(ctx, tid, api.KindTraining, api.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) != 1 || res.Jobs[0].ID != want {
			t.Errorf("tenant %d lists %+v, want only job %d", tid, res.Jobs, want)
		}
	}
}

func TestErrorText(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	f.srv.SetFaults(kqifake.Faults{Status: 500, Paths: "GET /api/v2/training"})
	_, err := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{ID: ">=5", Status: "Run"})
	// The server's 500 carries the stack trace in detail
	// (Filters/JsonExceptionHandlerAttribute.cs line 50): only its first
	// line is shown.
	want := fmt.Sprintf("list training jobs of tenant %d: GET /api/v2/training: 500 Internal Server Error: "+
		"An error was injected by the fake (status 500). (at Nssol.Platypus.Controllers.spa.TrainingController.GetAll("+
		"SearchInputModel filter, Nullable`1 perPage, Int32 page, Boolean withTotal) in /src/platypus/Controllers/spa/TrainingController.cs:line 137)", f.vision)
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got %v\nwant %s", err, want)
	}
}

func TestTimeZone(t *testing.T) {
	f := newFixture(t)
	created := time.Date(2026, 3, 1, 23, 30, 0, 0, f.tokyo) // 14:30 UTC
	j := f.add(t, kqifake.NewJob{Tenant: "vision", Kind: api.KindInference, Name: "tz", CreatedAt: created})

	c := f.client(t)
	got, err := c.Detail(t.Context(), f.vision, api.KindInference, 0, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(created) || got.CreatedAt.Location() != f.tokyo {
		t.Errorf("CreatedAt = %v, want %v in Asia/Tokyo", got.CreatedAt, created)
	}
	// A client told the wrong zone reads the same wall clock as another instant.
	utc := f.client(t, func(c *api.Config) { c.ServerLocation = time.UTC })
	got, err = utc.Detail(t.Context(), f.vision, api.KindInference, 0, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.CreatedAt.Sub(created); d != 9*time.Hour {
		t.Errorf("in UTC CreatedAt is %v off, want 9h", d)
	}
}

func TestObserve(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var seen []string
	c := f.client(t, func(c *api.Config) {
		c.Observe = func(method, path string, status int, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, fmt.Sprintf("%s %s %d", method, path, status))
		}
	})
	if _, err := c.Detail(t.Context(), f.nlp, api.KindTraining, 0, f.nlpJob.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"POST /api/v2/account/login 200",
		"POST /api/v2/account/tenants/{tenantId}/token 200",
		"GET /api/v2/training/{id} 200",
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}

// TestDebugLog checks the debug line of each exchange: route template,
// scope, status, size and time; never a path with ids, a token or the
// password.
func TestDebugLog(t *testing.T) {
	const tokenCanary = "CANARY-TOKEN-dbg"
	f := newFixture(t)
	srv := kqifake.NewTest(t, kqifake.Options{TokenCanary: tokenCanary, Location: f.tokyo})
	id := srv.AddTenant("vision", "Vision")
	srv.AddAccount(f.user, f.password, id)
	job, err := srv.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "resnet50", Status: "Running"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c, err := api.New(api.Config{BaseURL: srv.URL(), User: f.user, Password: f.password, ServerLocation: f.tokyo,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Detail(t.Context(), id, api.KindTraining, 0, job.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Detail(t.Context(), id, api.KindTraining, 0, job.ID+1000); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("Detail of a missing job = %v", err)
	}
	var got []string
	dec := json.NewDecoder(&logs)
	for dec.More() {
		var line map[string]any
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		if line["msg"] != "kamonohashi request" {
			continue
		}
		if _, ok := line["took"]; !ok {
			t.Errorf("no duration in %v", line)
		}
		got = append(got, fmt.Sprintf("%v %v %v %v", line["method"], line["route"], line["scope"], line["status"]))
	}
	want := []string{
		"POST /api/v2/account/login anonymous 200",
		"GET /api/v2/training/{id} tenant " + strconv.FormatInt(id, 10) + " 200",
		"GET /api/v2/training/{id} tenant " + strconv.FormatInt(id, 10) + " 404",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("debug lines (-want +got):\n%s", diff)
	}
	for _, secret := range []string{tokenCanary, f.password, "/api/v2/training/" + strconv.FormatInt(job.ID, 10)} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("debug log holds %q:\n%s", secret, logs.String())
		}
	}
}

func TestContextCanceled(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.List(ctx, f.vision, api.KindTraining, api.ListQuery{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("List = %v, want context.Canceled", err)
	}
	if api.IsTemporary(err) || errors.Is(err, api.ErrUnreachable) {
		t.Errorf("a canceled call counts as a server failure: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := api.New(api.Config{BaseURL: "kqi.example.com"}); err == nil {
		t.Error("New accepted a URL without a scheme")
	}
	if _, err := api.New(api.Config{BaseURL: "https://kqi.example.com", CAFile: "x.pem", HTTPClient: httpClient()}); err == nil {
		t.Error("New accepted a CA file together with an HTTP client")
	}
}

// assertNoSecret fails if err's text holds any of the secrets.
func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
}

// TestLoginToken401DropsItsTenantToo: the default tenant's token is the
// login token; when the server refuses it for the account read, the next
// list of that tenant does not send it again.
func TestLoginToken401DropsItsTenantToo(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx := t.Context()
	if _, err := c.List(ctx, f.vision, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	f.srv.SetFaults(kqifake.Faults{ExpireTokens: true})
	f.srv.ResetStats()
	if _, err := c.Tenants(ctx); err != nil {
		t.Fatalf("Tenants after expiry: %v", err)
	}
	if _, err := c.List(ctx, f.vision, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatalf("List after expiry: %v", err)
	}
	st := f.srv.Stats()
	want := map[string]int64{
		"GET /api/v2/account":        2, // 401 + retry
		"POST /api/v2/account/login": 1,
		"GET /api/v2/training":       1, // with the new login token
	}
	if diff := cmp.Diff(want, st.ByPath); diff != "" {
		t.Errorf("requests by path (-want +got):\n%s", diff)
	}
}
