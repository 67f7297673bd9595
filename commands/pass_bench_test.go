package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

// The scenario benchmark runs kamobot's real pass (fetch, diff, schedule,
// save) against the fake KAMONOHASHI over real HTTP, and, in the same run,
// a naive pass the old bot's way: log in, then per tenant switch the token
// and list up to 1000 training jobs, one tenant after the other.
//
// The pass's clock advances by the watch interval (30s) per pass, so the
// cost of re-reading old open jobs (every few minutes) is averaged in.
//
//	go test ./commands -run '^$' -bench Scenario -benchtime 20x

type scenario struct {
	tenants, jobs, open int
	latency             time.Duration
}

func (s scenario) String() string {
	return fmt.Sprintf("tenants=%d/jobs=%d/open=%d/latency=%s", s.tenants, s.jobs, s.open, s.latency)
}

func BenchmarkScenario(b *testing.B) {
	for _, s := range []scenario{
		{50, 2000, 5, 0},
		{50, 10000, 20, 0},
		{50, 10000, 20, 50 * time.Millisecond},
	} {
		b.Run("kamobot/"+s.String(), func(b *testing.B) { benchPass(b, s) })
		b.Run("naive/"+s.String(), func(b *testing.B) { benchNaive(b, s) })
	}
}

func seeded(b *testing.B, s scenario) *kqifake.Server {
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

func benchPass(b *testing.B, s scenario) {
	srv := seeded(b, s)
	slack, err := slackfake.New(slackfake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(slack.Close)
	env := map[string]string{"KAMOBOT_SERVER": srv.URL(), "KAMOBOT_USER": "seed", "KAMOBOT_PASSWORD": "seed",
		"KAMOBOT_SLACK_WEBHOOK": slack.NewHook()}
	cfg, _, err := config.Load(b.TempDir()+"/none.toml", func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	client, err := api.New(api.Config{BaseURL: cfg.Kamonohashi.Server, User: "seed", Password: "seed",
		ServerLocation: srv.Location()})
	if err != nil {
		b.Fatal(err)
	}
	store, err := state.Open(b.TempDir() + "/state.json")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	p := &Pass{Cfg: cfg, API: client, Store: store, Sender: notify.NewSender(notify.SenderOptions{}),
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
		Pick: func(string) string { return "" }, Who: "bench", TenantsTTL: 10 * time.Minute}
	ctx := context.Background()
	for range 2 { // the baseline, then one pass to settle
		if _, err := p.Run(ctx, PassOptions{}); err != nil {
			b.Fatal(err)
		}
		now = now.Add(30 * time.Second)
	}
	srv.SetFaults(kqifake.Faults{Latency: s.latency})
	srv.ResetStats()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Run(ctx, PassOptions{}); err != nil {
			b.Fatal(err)
		}
		now = now.Add(30 * time.Second)
	}
	b.StopTimer()
	st := srv.Stats()
	if testing.Verbose() {
		for path, n := range st.ByPath {
			b.Logf("%-45s %8.1f requests/pass", path, float64(n)/float64(b.N))
		}
	}
	b.ReportMetric(float64(st.Requests)/float64(b.N), "requests/pass")
	b.ReportMetric(float64(st.BytesOut)/float64(b.N), "bytes/pass")
	var lists int64
	for path, n := range st.ByPath {
		if path == "GET /api/v2/training" || path == "GET /api/v2/inferences" || path == "GET /api/v2/notebook" ||
			path == "GET /api/v2/preprocessings" {
			lists += n
		}
	}
	b.ReportMetric(float64(lists)/float64(b.N)/float64(s.tenants), "lists/tenant/pass")
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
