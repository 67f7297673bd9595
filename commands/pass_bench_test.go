package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

// The scenario benchmark runs kamobot's real pass (fetch, diff, schedule,
// save) against the fake KAMONOHASHI over real HTTP, and, in the same run,
// a naive pass the old bot's way: log in, then per tenant switch the token
// and list up to 1000 training jobs, one tenant after the other. The fake
// sleeps each request's latency in its handler, so requests in flight wait
// concurrently, as on a real server.
//
// The pass's clock advances by the watch interval (30s) per pass. The
// timed passes (-benchtime) give the wall time and allocations; requests
// and bytes per pass are averaged over a simulated hour (window passes,
// timed ones included), so that re-reads every few minutes (far jobs,
// preprocessing histories, up to 30 min) are counted at their true rate.
//
//	go test ./commands -run '^$' -bench 'Scenario$' -benchtime 5x -timeout 60m
//	go test ./commands -run '^$' -bench 'Scenario$/kamobot/tenants=50/jobs=10000/open=20' -benchtime 5x -v  # requests per route

type scenario struct {
	tenants, jobs, open int
	latency             time.Duration
}

func (s scenario) String() string {
	return fmt.Sprintf("tenants=%d/jobs=%d/open=%d/latency=%s", s.tenants, s.jobs, s.open, s.latency)
}

// window is how many passes requests and bytes are averaged over: an hour
// of 30 s passes.
const window = 120

// scenarios: every value the issue lists (tenants 1, 10, 50, 500; history
// 100 and 10,000; open 0 and 20; latency 0 and 50 ms) appears, plus the
// curves of cost against history (100, 1000, 10000) and open jobs (0, 5,
// 20) at 50 tenants. 500 tenants run with a history of 100 and no latency:
// the naive pass would take 50 s at 50 ms a request.
var scenarios = []scenario{
	{1, 100, 0, 0},
	{1, 100, 0, 50 * time.Millisecond},
	{10, 10000, 20, 0},
	{10, 10000, 20, 50 * time.Millisecond},
	{50, 100, 20, 0},
	{50, 1000, 20, 0},
	{50, 10000, 0, 0},
	{50, 10000, 5, 0},
	{50, 10000, 20, 0},
	{50, 10000, 20, 50 * time.Millisecond},
	{500, 100, 20, 0},
}

func BenchmarkScenario(b *testing.B) {
	for _, s := range scenarios {
		b.Run("kamobot/"+s.String(), func(b *testing.B) { benchPass(b, s) })
		b.Run("naive/"+s.String(), func(b *testing.B) { benchNaive(b, s) })
	}
}

func seeded(b testing.TB, s scenario) *kqifake.Server {
	b.Helper()
	srv := kqifake.New(kqifake.Options{})
	if _, err := srv.Seed(kqifake.SeedOptions{Tenants: s.tenants, JobsPerTenant: s.jobs, OpenPerTenant: s.open}); err != nil {
		b.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}

// benchEnv is a Pass against a seeded fake, with its clock.
type benchEnv struct {
	srv  *kqifake.Server
	pass *engine.Pass
	now  time.Time
}

func newBenchEnv(b testing.TB, s scenario) *benchEnv {
	b.Helper()
	srv := seeded(b, s)
	e := newPassEnv(b, srv.URL(), srv.Location())
	e.srv = srv
	return e
}

// newPassEnv is a Pass against the fake KAMONOHASHI at url, baselined and
// settled, without a handle on the fake (it may run in another process).
func newPassEnv(b testing.TB, url string, loc *time.Location) *benchEnv {
	b.Helper()
	slack, err := slackfake.New(slackfake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(slack.Close)
	env := map[string]string{"KAMOBOT_SERVER": url, "KAMOBOT_USER": "seed", "KAMOBOT_PASSWORD": "seed",
		"KAMOBOT_SLACK_WEBHOOK": slack.NewHook()}
	cfg, _, err := config.Load(b.TempDir()+"/none.toml", func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	client, err := api.New(api.Config{BaseURL: cfg.Kamonohashi.Server, User: "seed", Password: "seed",
		ServerLocation: loc})
	if err != nil {
		b.Fatal(err)
	}
	store, err := state.Open(b.TempDir() + "/state.json")
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{now: time.Now()}
	e.pass = &engine.Pass{Cfg: cfg, API: client, Store: store, Sender: notify.NewSender(notify.SenderOptions{}),
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return e.now },
		Pick: func(string) string { return "" }, Who: "bench", TenantsTTL: 10 * time.Minute}
	for range 2 { // the baseline, then one pass to settle
		e.run(b)
	}
	return e
}

// run runs one pass and advances the clock by the watch interval.
func (e *benchEnv) run(b testing.TB) {
	if _, err := e.pass.Run(context.Background(), engine.Options{}); err != nil {
		b.Fatal(err)
	}
	e.now = e.now.Add(30 * time.Second)
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

func benchPass(b *testing.B, s scenario) {
	e := newBenchEnv(b, s)
	e.srv.SetFaults(kqifake.Faults{Latency: s.latency})
	e.srv.ResetStats()
	b.ReportAllocs()
	b.ResetTimer()
	passes := 0
	for b.Loop() {
		e.run(b)
		passes++
	}
	b.StopTimer()
	// The rest of the simulated hour, untimed. Allocations in the first and
	// the second half hour of the window (the fake's included; each half
	// holds every periodic re-read once) show whether a pass allocates more
	// as passes go on.
	e.srv.SetFaults(kqifake.Faults{}) // latency changes no request or byte
	var early, late uint64
	for passes < window {
		m := mallocs()
		e.run(b)
		passes++
		switch d := mallocs() - m; {
		case passes <= window/2:
			early += d
		default:
			late += d
		}
	}
	st := e.srv.Stats()
	if testing.Verbose() {
		for _, path := range slices.Sorted(maps.Keys(st.ByPath)) {
			b.Logf("%-55s %8.2f requests/pass", path, float64(st.ByPath[path])/float64(passes))
		}
	}
	b.ReportMetric(float64(st.Requests)/float64(passes), "requests/pass")
	b.ReportMetric(float64(st.BytesOut)/float64(passes), "bytes/pass")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "wall-ms/pass")
	var lists int64
	for path, n := range st.ByPath {
		if path == "GET /api/v2/training" || path == "GET /api/v2/inferences" || path == "GET /api/v2/notebook" ||
			path == "GET /api/v2/preprocessings" {
			lists += n
		}
	}
	b.ReportMetric(float64(lists)/float64(passes)/float64(s.tenants), "lists/tenant/pass")
	if b.N < window/2 {
		b.ReportMetric(float64(early)/float64(window/2-b.N), "allocs/pass-1st-half")
		b.ReportMetric(float64(late)/float64(window/2), "allocs/pass-2nd-half")
	}
}

// benchNaive is the old bot's pass: log in, then for each tenant switch
// the token and list the newest 1000 training jobs, sequentially.
func benchNaive(b *testing.B, s scenario) {
	srv := seeded(b, s)
	srv.SetFaults(kqifake.Faults{Latency: s.latency})
	srv.ResetStats()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var login api.LoginOutput
		post(ctx, b, srv.URL()+"/api/v2/account/login", "", api.LoginInput{UserName: "seed", Password: "seed"}, &login)
		var acct api.AccountOutput
		get(ctx, b, srv.URL()+"/api/v2/account", login.Token, &acct)
		for _, t := range acct.Tenants {
			var tok api.LoginOutput
			post(ctx, b, fmt.Sprintf("%s/api/v2/account/tenants/%d/token", srv.URL(), t.ID), login.Token, struct{}{}, &tok)
			var jobs []api.TrainingIndex
			get(ctx, b, srv.URL()+"/api/v2/training?perPage=1000", tok.Token, &jobs)
		}
	}
	b.StopTimer()
	st := srv.Stats()
	b.ReportMetric(float64(st.Requests)/float64(b.N), "requests/pass")
	b.ReportMetric(float64(st.BytesOut)/float64(b.N), "bytes/pass")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "wall-ms/pass")
}

func post(ctx context.Context, b *testing.B, url, token string, in, out any) {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	do(b, req, token, out)
}

func get(ctx context.Context, b *testing.B, url, token string, out any) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	do(b, req, token, out)
}

func do(b *testing.B, req *http.Request, token string, out any) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		b.Fatal(err)
	}
}
