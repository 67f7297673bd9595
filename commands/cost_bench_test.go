package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/clock"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// BenchmarkServerCost measures what watching costs the KAMONOHASHI server,
// on the fake's counters of what each request would cost the real one
// (kqifake.Stats: database rows loaded, Kubernetes calls, logins and
// requests), per minute of (simulated) wall time, in steady state, for 10,
// 50 and 500 tenants, and three ways of watching them:
//
//   - watch: one `kamobot watch` process (one Pass, one API client, kept
//     across passes) at the default interval, all four kinds;
//   - check: `kamobot check` from cron every minute, all four kinds, each
//     run a new Deps, API client and Pass (the command's own code path,
//     commands.Run), sharing the state file and the token file beside it;
//   - oldbot: the old Python bot's poll: every 10 s, for each tenant,
//     `kqi account switch-tenant` (a tenant token) and `kqi training list`
//     with its default --count 1000, i.e. one GET /api/v2/training?perPage=1000
//     with no filter (kqi's cli/kamonohashi/cli/training.py list_training;
//     the bot's main.py loop logs in once a day).
//
// History: kqifake.Seed's mix, 2,000 jobs a tenant over 30 days (about 60 %
// trainings, 20 % inferences, 12 % notebooks, 8 % preprocessing runs over
// three definitions), 20 open a tenant spread through the history (the
// oldest among its first tenth). During the measured minutes jobs start
// and end: every minute, in one tenant in ten (at least one), an open job
// ends (Completed) and a new one starts (Running), of a kind drawn from the
// same mix; the same events at the same simulated times in every mode.
//
// Time is simulated: the fake, the engine and the old bot's poll read one
// clock.Manual, moved 10 s at a time; nothing sleeps for minutes. The API
// client's own clock (token lifetimes, the 5-minute life of the tenant
// list kept in the token file) is the real one, which stands nearly still
// meanwhile: see the logins and account reads of `check` in
// docs/performance.md.
//
//	go test ./commands -run '^$' -bench ServerCost -benchtime 1x -timeout 60m
//
// KAMOBOT_BENCH_MINUTES sets the measured minutes (default 10).
func BenchmarkServerCost(b *testing.B) {
	minutes := 10
	if v, err := strconv.Atoi(os.Getenv("KAMOBOT_BENCH_MINUTES")); err == nil && v > 0 {
		minutes = v
	}
	for _, tenants := range []int{10, 50, 500} {
		for _, mode := range []string{"watch", "check", "oldbot"} {
			b.Run(fmt.Sprintf("tenants=%d/%s", tenants, mode), func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					w := newCostWorld(b, tenants)
					st := w.measure(b, mode, minutes)
					b.StartTimer()
					reportCost(b, st, minutes)
				}
			})
		}
	}
}

const (
	costJobs = 2000 // a tenant's history
	costOpen = 20   // open jobs a tenant
	costStep = 10 * time.Second
)

// costWorld is a seeded fake KAMONOHASHI on a simulated clock, the jobs
// open in it, and the churn to apply while measuring.
type costWorld struct {
	srv     *kqifake.Server
	clk     *clock.Manual
	tenants int
	open    [][]api.Job // by tenant index
	defs    [][]int64   // preprocessing definitions, by tenant index
	rng     *rand.Rand
	slack   string
	dir     string
}

func newCostWorld(b *testing.B, tenants int) *costWorld {
	b.Helper()
	clk := clock.NewManual(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	srv := kqifake.New(kqifake.Options{Now: clk.Now})
	if _, err := srv.Seed(kqifake.SeedOptions{Tenants: tenants, JobsPerTenant: costJobs, OpenPerTenant: costOpen}); err != nil {
		b.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	slack, err := slackfake.New(slackfake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(slack.Close)
	w := &costWorld{srv: srv, clk: clk, tenants: tenants, rng: rand.New(rand.NewPCG(7, 11)),
		open: make([][]api.Job, tenants), defs: make([][]int64, tenants), slack: slack.NewHook(), dir: b.TempDir()}
	for i := range tenants {
		for _, k := range api.AllKinds() {
			jobs, err := srv.Jobs(tenantName(i), k)
			if err != nil {
				b.Fatal(err)
			}
			for _, j := range jobs {
				if api.StatusPhase(j.Status) != api.PhaseClosed {
					w.open[i] = append(w.open[i], j)
				}
				if k == api.KindPreprocessing && !slices.Contains(w.defs[i], j.ParentID) {
					w.defs[i] = append(w.defs[i], j.ParentID)
				}
			}
		}
	}
	return w
}

func tenantName(i int) string { return fmt.Sprintf("tenant-%03d", i+1) }

// churn ends one open job and starts a new one in a tenth of the tenants
// (at least one), at a random step of the coming minute: it returns, per
// step, what to do.
func (w *costWorld) churnPlan() [][]int {
	steps := make([][]int, int(time.Minute/costStep))
	n := max(1, w.tenants/10)
	for _, i := range w.rng.Perm(w.tenants)[:n] {
		s := w.rng.IntN(len(steps))
		steps[s] = append(steps[s], i)
	}
	return steps
}

// churn applies one end and one start in tenant i.
func (w *costWorld) churn(b *testing.B, i int) {
	if len(w.open[i]) > 0 {
		n := w.rng.IntN(len(w.open[i]))
		j := w.open[i][n]
		if err := w.srv.SetStatus(j.Kind, j.ID, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
			b.Fatal(err)
		}
		w.open[i] = slices.Delete(w.open[i], n, n+1)
	}
	nj := kqifake.NewJob{Tenant: tenantName(i), Status: "Running"}
	switch p := w.rng.IntN(100); {
	case p < 60:
		nj.Kind = api.KindTraining
	case p < 80:
		nj.Kind = api.KindInference
	case p < 92:
		nj.Kind = api.KindNotebook
	default:
		nj.Kind, nj.PreprocessID = api.KindPreprocessing, w.defs[i][w.rng.IntN(len(w.defs[i]))]
	}
	j, err := w.srv.AddJob(nj)
	if err != nil {
		b.Fatal(err)
	}
	w.open[i] = append(w.open[i], j)
}

// measure warms mode up (its baseline), resets the counters, and runs it
// for the given simulated minutes with the churn.
func (w *costWorld) measure(b *testing.B, mode string, minutes int) kqifake.Stats {
	b.Helper()
	var tick func(step int) // called every costStep, step counts from 0
	switch mode {
	case "watch":
		tick = w.watcher(b)
	case "check":
		tick = w.checker(b)
	case "oldbot":
		tick = w.oldBot(b)
	default:
		b.Fatalf("mode %q", mode)
	}
	// The baseline and one pass (or poll) to settle, a minute apart.
	tick(0)
	w.clk.Add(time.Minute)
	tick(0)
	w.srv.ResetStats()
	step := 1
	for range minutes {
		plan := w.churnPlan()
		for _, ts := range plan {
			w.clk.Add(costStep)
			for _, i := range ts {
				w.churn(b, i)
			}
			tick(step)
			step++
		}
	}
	return w.srv.Stats()
}

// env is what kamobot reads from the environment (no config file).
func (w *costWorld) env() func(string) string {
	env := map[string]string{"KAMOBOT_SERVER": w.srv.URL(), "KAMOBOT_USER": "seed", "KAMOBOT_PASSWORD": "seed",
		"KAMOBOT_SLACK_WEBHOOK": w.slack}
	return func(k string) string { return env[k] }
}

func (w *costWorld) deps() *Deps {
	d := NewDeps(BuildInfo{Version: "bench"}, io.Discard, io.Discard, w.env())
	d.Now = w.clk.Now
	return d
}

// watcher is `kamobot watch`: one Pass kept, a pass every interval.
func (w *costWorld) watcher(b *testing.B) func(int) {
	d := w.deps()
	d.configPath = filepath.Join(w.dir, "none.toml")
	d.statePath = filepath.Join(w.dir, "state.json")
	cfg, err := d.Config()
	if err != nil {
		b.Fatal(err)
	}
	p, err := d.NewPass(cfg, "watch")
	if err != nil {
		b.Fatal(err)
	}
	every := int(cfg.Watch.Interval / costStep)
	if every < 1 || cfg.Watch.Interval%costStep != 0 {
		b.Fatalf("interval %s is not a multiple of %s", cfg.Watch.Interval, costStep)
	}
	return func(step int) {
		if step%every != 0 {
			return
		}
		if _, err := p.Run(context.Background(), engine.Options{}); err != nil {
			b.Fatalf("watch pass: %v", err)
		}
	}
}

// checker is `kamobot check` from cron, every minute: a new process each
// time (new Deps, client and Pass; the token file is what carries over).
func (w *costWorld) checker(b *testing.B) func(int) {
	args := []string{"kamobot", "--config", filepath.Join(w.dir, "none.toml"), "--state", filepath.Join(w.dir, "state.json"), "check"}
	every := int(time.Minute / costStep)
	return func(step int) {
		if step%every != 0 {
			return
		}
		if code := Run(context.Background(), w.deps(), args); code != 0 {
			b.Fatalf("check exited %d", code)
		}
	}
}

// oldBot is the old bot's poll, every 10 s: per tenant, switch the token,
// then `kqi training list` (perPage=1000, no filter). It logs in (and
// reads the account) when it starts and then once a day.
func (w *costWorld) oldBot(b *testing.B) func(int) {
	ctx := context.Background()
	hc := &http.Client{}
	var login api.LoginOutput
	var acct api.AccountOutput
	return func(int) {
		if login.Token == "" {
			postWith(ctx, b, hc, w.srv.URL()+"/api/v2/account/login", "", api.LoginInput{UserName: "seed", Password: "seed"}, &login)
			getWith(ctx, b, hc, w.srv.URL()+"/api/v2/account", login.Token, &acct)
		}
		for _, t := range acct.Tenants {
			var tok api.LoginOutput
			postWith(ctx, b, hc, fmt.Sprintf("%s/api/v2/account/tenants/%d/token", w.srv.URL(), t.ID), login.Token, struct{}{}, &tok)
			getWith(ctx, b, hc, w.srv.URL()+"/api/v2/training?perPage=1000", tok.Token, nil)
		}
	}
}

func postWith(ctx context.Context, b *testing.B, hc *http.Client, url, token string, in, out any) {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	doWith(b, hc, req, token, out)
}

func getWith(ctx context.Context, b *testing.B, hc *http.Client, url, token string, out any) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	doWith(b, hc, req, token, out)
}

// doWith sends req and decodes the answer into out, or drops it when out
// is nil (the old bot's table output is beside the point).
func doWith(b *testing.B, hc *http.Client, req *http.Request, token string, out any) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		b.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, data)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		b.Fatal(err)
	}
}

// reportCost reports the counters per minute.
func reportCost(b *testing.B, st kqifake.Stats, minutes int) {
	per := func(n int64) float64 { return float64(n) / float64(minutes) }
	b.ReportMetric(per(st.RowsLoaded), "rows/min")
	b.ReportMetric(per(st.KubeCalls), "kube/min")
	b.ReportMetric(per(st.Logins), "logins/min")
	b.ReportMetric(per(st.Requests), "requests/min")
	b.ReportMetric(per(st.ListRequests), "lists/min")
	b.ReportMetric(per(st.DetailRequests), "details/min")
	b.ReportMetric(per(st.TokenRequests), "tokens/min")
	b.ReportMetric(per(st.AccountRequests), "accounts/min")
	b.ReportMetric(float64(st.MaxInFlight), "max-in-flight")
	if testing.Verbose() {
		for _, k := range api.AllKinds() {
			b.Logf("%-14s rows/min %10.1f  kube/min %8.1f", k, per(st.RowsByKind[string(k)]), per(st.KubeByKind[string(k)]))
		}
	}
}
