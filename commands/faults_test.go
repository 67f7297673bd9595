package commands

import (
	"context"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/clock"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

// The fault tests run real passes, in process, over real HTTP against the
// fake KAMONOHASHI and the fake Slack, with an injected clock shared by
// kamobot and the fake server. After every pass they check what must hold
// whatever the fault: the state file is valid; no secret is in the logs,
// the error or the state file; Slack got no ending that did not happen.
// Each case then checks that the endings are reported, once, as soon as
// they can be, and what kamobot said (a log line, an exit code).
//
// Faults the scripts in testdata/script cover already are not repeated:
// kqi_500_no_state_change, api_down, login_failure, slack_retry_500,
// slack_retry_after, slack_no_service, state_corrupt.

// Canaries: secrets that must never be shown.
const (
	canaryPassword = "CANARY-PASSWORD-7Hq2"
	canaryHook     = "CANARYhookSECRET4f9Kx2Lm" // the secret part of the webhook URL
	// tokenHead starts every token the fake issues (a JWT header).
	tokenHead = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
)

// faultStart is where the injected clock starts: a Wednesday morning.
var faultStart = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))

// faultConfig turns off the alerts about jobs still alive, so that every
// job link in a Slack message is an ending reported.
const faultConfig = `[watch]
stuck_pending_after = "off"
long_running_after = "off"
summary_after_silence = "off"
`

type world struct {
	t       *testing.T
	o       worldOptions
	clock   *clock.Manual
	kqi     *kqifake.Server
	slack   *slackfake.Server
	hook    string
	tenants map[string]int64
	env     map[string]string
	cfgFile string
	p       *engine.Pass
	logs    *syncBuffer
	step    time.Duration // the clock moves this much after each pass
	// endings holds every closed status each job was given, by job id.
	endings map[int64][]string
	names   map[int64]string
}

type worldOptions struct {
	tenants      []string      // default: vision
	apiTimeout   time.Duration // default 2s
	slackTimeout time.Duration // default 2s
	tenantsTTL   time.Duration // default 0: the tenant list is read every pass
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	if len(o.tenants) == 0 {
		o.tenants = []string{"vision"}
	}
	w := &world{t: t, o: o, clock: clock.NewManual(faultStart), tenants: map[string]int64{}, logs: &syncBuffer{},
		step: 30 * time.Second, endings: map[int64][]string{}, names: map[int64]string{}}
	w.kqi = kqifake.NewTest(t, kqifake.Options{Now: w.clock.Now})
	var ids []int64
	for _, name := range o.tenants {
		id := w.kqi.AddTenant(name, "")
		w.tenants[name] = id
		ids = append(ids, id)
	}
	w.kqi.AddAccount("kamobot", canaryPassword, ids...)
	w.slack = slackfake.NewTest(t)
	w.hook = w.slack.HookURL("T0FAULTS", "B0FAULTS", canaryHook)
	w.env = map[string]string{"KAMOBOT_SERVER": w.kqi.URL(), "KAMOBOT_USER": "kamobot",
		"KAMOBOT_PASSWORD": canaryPassword, "KAMOBOT_SLACK_WEBHOOK": w.hook}
	w.cfgFile = filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(w.cfgFile, []byte(faultConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	w.build()
	return w
}

// build makes the pass from the config and w.env, again when called again
// (as a config reload would); the state file stays.
func (w *world) build() {
	t := w.t
	t.Helper()
	cfg, _, err := config.Load(w.cfgFile, func(k string) string { return w.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, err := api.New(api.Config{BaseURL: w.kqi.URL(), User: "kamobot", Password: canaryPassword,
		ServerLocation: w.kqi.Location(), Timeout: cmpOr(w.o.apiTimeout, 2*time.Second), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	var store *state.Store
	if w.p != nil {
		store = w.p.Store
	} else if store, err = state.Open(filepath.Join(t.TempDir(), "state", "state.json")); err != nil {
		t.Fatal(err)
	}
	store.Now = w.clock.Now
	w.p = &engine.Pass{
		Cfg: cfg, API: client, Store: store, Log: log, Now: w.clock.Now,
		Sender: notify.NewSender(notify.SenderOptions{
			Client: notify.NewHTTPClient(cmpOr(w.o.slackTimeout, 2*time.Second)), Logger: log,
			Retry: notify.RetryPolicy{Attempts: 2, Base: 5 * time.Millisecond, Cap: 20 * time.Millisecond, MaxWait: 50 * time.Millisecond},
			Pacer: notify.NewPacer(5*time.Millisecond, nil, nil),
		}),
		Pick: func(string) string { return "" }, Who: "test", LockWait: time.Second, TenantsTTL: w.o.tenantsTTL,
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// pass runs one pass, checks the invariants, then moves the clock on.
func (w *world) pass() (engine.Report, error) {
	w.t.Helper()
	rep, err := w.p.Run(context.Background(), engine.Options{})
	w.invariants(err)
	w.clock.Add(w.step)
	return rep, err
}

// mustPass runs a pass that must succeed.
func (w *world) mustPass() engine.Report {
	w.t.Helper()
	rep, err := w.pass()
	if err != nil {
		w.t.Fatalf("pass: %v\nlogs:\n%s", err, w.logs)
	}
	return rep
}

// failPass runs a pass that must fail with the exit code code (as main
// maps the error).
func (w *world) failPass(code int) engine.Report {
	w.t.Helper()
	rep, err := w.pass()
	if got := ExitCode(err); got != code {
		w.t.Fatalf("pass: exit %d (%v), want %d\nlogs:\n%s", got, err, code, w.logs)
	}
	return rep
}

// invariants: a valid state file, no secret shown, no false ending.
func (w *world) invariants(err error) {
	t := w.t
	t.Helper()
	b, rerr := os.ReadFile(w.p.Store.Path())
	switch {
	case rerr == nil:
		if _, derr := state.Decode(b); derr != nil {
			t.Fatalf("the state file is no longer valid: %v", derr)
		}
	case !os.IsNotExist(rerr):
		t.Fatalf("read the state file: %v", rerr)
	}
	shown := w.logs.String() + string(b)
	if err != nil {
		shown += err.Error()
	}
	for _, secret := range []string{canaryPassword, canaryHook, tokenHead} {
		if strings.Contains(shown, secret) {
			t.Fatalf("a secret (%.12s…) was shown in the logs, the error or the state file", secret)
		}
	}
	for _, m := range w.slack.Messages() {
		for _, id := range linkedJobs(m) {
			ok := false
			for _, st := range w.endings[id] {
				ok = ok || strings.Contains(m.Readable, "→ "+st)
			}
			if !ok {
				t.Fatalf("message %d reports job %d (%s) ended, but it did not end so (endings %v):\n%s",
					m.Seq, id, w.names[id], w.endings[id], m.Readable)
			}
		}
	}
}

// add adds a running training job.
func (w *world) add(tenant, name string) int64 {
	w.t.Helper()
	j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: tenant, Kind: api.KindTraining, Name: name, CreatedBy: "alice", Status: "Running"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.names[j.ID] = name
	return j.ID
}

// end moves a training job to a closed status.
func (w *world) end(id int64, status string) {
	w.t.Helper()
	w.setStatus(id, status)
	w.endings[id] = append(w.endings[id], status)
}

func (w *world) setStatus(id int64, status string) {
	w.t.Helper()
	if err := w.kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: status}); err != nil {
		w.t.Fatal(err)
	}
}

// jobLink matches the job links kamobot puts in its messages.
var jobLink = regexp.MustCompile(`/#/training/(\d+)`)

// linkedJobs lists the training jobs a message links to, each once.
func linkedJobs(m slackfake.Message) []int64 {
	var ids []int64
	for _, v := range m.Views() {
		for _, l := range v.Links {
			if g := jobLink.FindStringSubmatch(l.URL); g != nil {
				id, _ := strconv.ParseInt(g[1], 10, 64)
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

// reported counts, per job id, the Slack messages that report its ending.
func (w *world) reported() map[int64]int {
	out := map[int64]int{}
	for _, m := range w.slack.Messages() {
		for _, id := range linkedJobs(m) {
			out[id]++
		}
	}
	return out
}

// wantReported checks that every job in ids was reported exactly once,
// and that Slack got nothing more than those.
func (w *world) wantReported(ids ...int64) {
	w.t.Helper()
	got := w.reported()
	for _, id := range ids {
		if got[id] != 1 {
			w.t.Errorf("job %d (%s, ended %v): reported %d times, want once", id, w.names[id], w.endings[id], got[id])
		}
	}
	for id, n := range got {
		if !slices.Contains(ids, id) {
			w.t.Errorf("job %d (%s) reported %d times, want not yet", id, w.names[id], n)
		}
	}
}

// wantLog checks that the logs match re.
func (w *world) wantLog(re string) {
	w.t.Helper()
	if !regexp.MustCompile(re).MatchString(w.logs.String()) {
		w.t.Errorf("no log line matches %q; logs:\n%s", re, w.logs)
	}
}

func (w *world) load() *state.State {
	w.t.Helper()
	st, _, err := w.p.Store.Load()
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// stateBytes is the state file as it is.
func (w *world) stateBytes() []byte {
	w.t.Helper()
	b, err := os.ReadFile(w.p.Store.Path())
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

// TestKamonohashiFaults: a pass that meets a fault of the KAMONOHASHI API
// infers nothing from it, leaves what it knows of the tenant as it was,
// says so, and reports the endings once the API answers again.
func TestKamonohashiFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   worldOptions
		inject func(w *world) (undo func())
		code   int    // exit code of the failed pass
		log    string // what kamobot says
	}{
		{name: "500", code: ExitTempFail, log: `cannot read tenant.*500 Internal Server Error`,
			inject: status(500)},
		{name: "502", code: ExitTempFail, log: `cannot read tenant.*502 Bad Gateway`,
			inject: status(502)},
		{name: "503", code: ExitTempFail, log: `cannot read tenant.*503 Service Unavailable`,
			inject: status(503)},
		{name: "timeout", opts: worldOptions{apiTimeout: 200 * time.Millisecond}, code: ExitTempFail,
			log: `cannot read tenant.*timed out after 200ms`,
			inject: func(w *world) func() {
				w.kqi.SetFaults(kqifake.Faults{Latency: 2 * time.Second, Paths: "GET /api/v2/training"})
				return w.kqi.ClearFaults
			}},
		{name: "connection refused", code: ExitUnavailable, log: `^$`,
			inject: func(w *world) func() {
				addr := strings.TrimPrefix(w.kqi.URL(), "http://")
				_ = w.kqi.Close()
				return func() {
					if err := w.kqi.Start(addr); err != nil {
						w.t.Fatal(err)
					}
				}
			}},
		{name: "malformed JSON", code: ExitTempFail, log: `cannot read tenant.*malformed answer`,
			inject: func(w *world) func() {
				w.kqi.SetFaults(kqifake.Faults{Malformed: true, Paths: "GET /api/v2/training"})
				return w.kqi.ClearFaults
			}},
		{name: "truncated body", code: ExitTempFail, log: `cannot read tenant.*(lost|cut short|unexpected EOF)`,
			inject: func(w *world) func() {
				w.kqi.SetFaults(kqifake.Faults{Truncate: true, Paths: "GET /api/v2/training"})
				return w.kqi.ClearFaults
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.opts)
			a, b := w.add("vision", "before-fault"), w.add("vision", "during-fault")
			w.mustPass() // baseline
			w.end(a, "Completed")
			w.mustPass()
			w.wantReported(a)

			w.end(b, "Failed")
			before := w.stateBytes()
			undo := tc.inject(w)
			_, err := w.pass()
			if got := ExitCode(err); got != tc.code {
				t.Fatalf("pass during the fault: exit %d (%v), want %d", got, err, tc.code)
			}
			if tc.log != `^$` {
				w.wantLog(tc.log)
			} else if err == nil || !strings.Contains(err.Error(), "cannot reach") {
				t.Errorf("error %v does not say the server cannot be reached", err)
			}
			w.wantReported(a)
			if got := w.load(); !sameTenants(t, before, got) {
				t.Errorf("the fault changed what is known of the tenant")
			}
			undo()
			w.mustPass()
			w.wantReported(a, b)
		})
	}
}

func status(code int) func(w *world) func() {
	return func(w *world) func() {
		w.kqi.SetFaults(kqifake.Faults{Status: code, Paths: "GET /api/v2/training"})
		return w.kqi.ClearFaults
	}
}

// sameTenants reports whether the tenants known in the state file before
// are those in after.
func sameTenants(t *testing.T, before []byte, after *state.State) bool {
	t.Helper()
	st, err := state.Decode(before)
	if err != nil {
		t.Fatal(err)
	}
	for key, ten := range st.Tenants {
		for k, c := range ten.Kinds {
			c2 := after.Tenants[key].Kinds[k]
			if c2 == nil || c.MaxID != c2.MaxID || !slices.Equal(slices.Sorted(maps.Keys(c.Open)), slices.Sorted(maps.Keys(c2.Open))) {
				return false
			}
			for jk, tr := range c.Open {
				if c2.Open[jk].Status != tr.Status {
					return false
				}
			}
		}
	}
	return true
}

// TestTokenExpiresMidPass: every token expires while a pass is under way;
// the client logs in again once and the pass goes on.
func TestTokenExpiresMidPass(t *testing.T) {
	w := newWorld(t, worldOptions{tenants: []string{"vision", "nlp", "speech"}})
	var ids []int64
	for name := range w.tenants {
		ids = append(ids, w.add(name, "expiry-"+name))
	}
	w.mustPass()
	for _, id := range ids {
		w.end(id, "Completed")
	}
	w.kqi.ResetStats()
	w.kqi.SetFaults(kqifake.Faults{Latency: 30 * time.Millisecond, Paths: "GET /api/v2/"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if w.kqi.Stats().Requests > 0 { // the pass has begun: its first answer came
				w.kqi.ExpireTokens()
				return
			}
		}
	}()
	rep := w.mustPass()
	<-done
	st := w.kqi.Stats()
	if st.ByStatus["401"] == 0 {
		t.Fatalf("no request met an expired token: %v", st.ByStatus)
	}
	if n := st.ByPath["POST /api/v2/account/login"]; n != 1 {
		t.Errorf("logged in %d times in the pass, want once", n)
	}
	// Per other tenant: at most the exchange refused with the expired
	// login token, and the one after the new login.
	if n := st.ByPath["POST /api/v2/account/tenants/{tenantId}/token"]; n > 4 {
		t.Errorf("%d tenant token requests for 2 other tenants, want at most 4", n)
	}
	if rep.Tenants != 3 || len(rep.FailedFetch) != 0 {
		t.Errorf("tenants read %d, failed %v", rep.Tenants, rep.FailedFetch)
	}
	w.wantReported(ids...)
}

// TestForbiddenOnOneTenant: one tenant answers 403; the others go on, and
// its ending is reported once it answers again.
func TestForbiddenOnOneTenant(t *testing.T) {
	w := newWorld(t, worldOptions{tenants: []string{"vision", "nlp"}})
	a, b := w.add("vision", "vision-job"), w.add("nlp", "nlp-job")
	w.mustPass()
	w.end(a, "Completed")
	w.end(b, "Killed")
	w.kqi.SetFaults(kqifake.Faults{Status: 403, Tenant: w.tenants["nlp"]})
	rep := w.failPass(ExitTempFail)
	if !slices.Equal(rep.FailedFetch, []string{"nlp"}) || rep.Tenants != 1 {
		t.Errorf("failed %v, read %d; want only nlp failed", rep.FailedFetch, rep.Tenants)
	}
	w.wantLog(`level=WARN msg="cannot read tenant; skipped this pass, nothing inferred" tenant=nlp .*403 Forbidden`)
	w.wantReported(a)
	w.kqi.ClearFaults()
	w.mustPass()
	w.wantReported(a, b)
}

// TestTenantRemovedFromAccount: the account loses a tenant. While the
// tenant list is cached the tenant answers 403 (exit 75); then it is no
// longer watched, and nothing is inferred about its open jobs. Given back,
// the job that ended meanwhile is reported.
func TestTenantRemovedFromAccount(t *testing.T) {
	w := newWorld(t, worldOptions{tenants: []string{"vision", "nlp"}, tenantsTTL: 2 * time.Minute})
	a, b := w.add("vision", "stays"), w.add("nlp", "in-removed-tenant")
	w.mustPass()
	w.kqi.AddAccount("kamobot", canaryPassword, w.tenants["vision"])
	w.end(b, "Completed")
	w.failPass(ExitTempFail)
	w.wantLog(`cannot read tenant.* tenant=nlp .*403`)
	for range 4 { // the tenant list is read again: nlp is no longer there
		w.pass()
	}
	if _, err := w.pass(); err != nil {
		t.Fatalf("pass without the tenant: %v", err)
	}
	w.wantLog(`level=WARN msg="a tenant with open jobs is no longer visible to this account; .*" tenant=nlp .*open_jobs=1`)
	if n := strings.Count(w.logs.String(), "no longer visible to this account"); n > 3 {
		t.Errorf("the vanished tenant is warned about %d times in 6 passes, want once per reading of the tenant list", n)
	}
	if st := w.load(); st.Tenants[api.FormatID(w.tenants["nlp"])].Kinds[api.KindTraining].Open[api.JobKey(api.KindTraining, 0, b)] == nil {
		t.Errorf("the open job of the removed tenant was dropped from the state")
	}
	w.end(a, "Failed")
	w.mustPass()
	w.wantReported(a)

	w.kqi.AddAccount("kamobot", canaryPassword, w.tenants["vision"], w.tenants["nlp"])
	for i := 0; i < 6 && w.reported()[b] == 0; i++ {
		w.pass()
	}
	w.wantReported(a, b)
}

// TestJobDeletedBetweenPasses: a job deleted on the server is dropped
// after two listings without it, and no ending is reported for it.
func TestJobDeletedBetweenPasses(t *testing.T) {
	w := newWorld(t, worldOptions{})
	a, b := w.add("vision", "to-delete"), w.add("vision", "to-complete")
	w.mustPass()
	if err := w.kqi.DeleteJob(api.KindTraining, a); err != nil {
		t.Fatal(err)
	}
	w.mustPass()
	w.mustPass()
	c := w.load().Tenants[api.FormatID(w.tenants["vision"])].Kinds[api.KindTraining]
	if c.Open[api.JobKey(api.KindTraining, 0, a)] != nil {
		t.Errorf("the deleted job is still tracked as open")
	}
	if i := slices.IndexFunc(c.Ended, func(e job.EndedJob) bool { return e.Key == api.JobKey(api.KindTraining, 0, a) }); i < 0 || c.Ended[i].Status != "Deleted" {
		t.Errorf("the deleted job is not remembered as deleted: %+v", c.Ended)
	}
	w.end(b, "Completed")
	w.mustPass()
	w.wantReported(b) // and nothing about the deleted job
}

// TestTenThousandJobs: a tenant with 10,000 jobs, 10 of them open. The
// first pass pages through all of them and posts nothing; the next ones
// read only what is open or new, and report the endings once.
func TestTenThousandJobs(t *testing.T) {
	w := newWorld(t, worldOptions{})
	var open []int64
	for i := range 10_000 {
		st := "Completed"
		if i%1000 == 500 {
			st = "Running"
		}
		j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "sweep-" + strconv.Itoa(i),
			CreatedBy: "bob", Status: st})
		if err != nil {
			t.Fatal(err)
		}
		w.names[j.ID] = "sweep-" + strconv.Itoa(i)
		if st == "Running" {
			open = append(open, j.ID)
		}
	}
	rep := w.mustPass()
	if rep.Baselined != 10 || rep.Queued != 0 {
		t.Fatalf("baseline: %d jobs recorded, %d messages; want 10 and none", rep.Baselined, rep.Queued)
	}
	w.mustPass() // the far open jobs are read on their own once
	for _, id := range open[:5] {
		w.end(id, "Completed")
	}
	w.kqi.ResetStats()
	w.clock.Add(5 * time.Minute) // every far job is due to be read again
	rep = w.mustPass()
	st := w.kqi.Stats()
	w.wantReported(open[:5]...)
	if rep.Queued != 1 {
		t.Errorf("%d messages for 5 endings in one pass, want one", rep.Queued)
	}
	if st.Requests > 40 || st.BytesOut > 200_000 {
		t.Errorf("a pass over 10,000 jobs made %d requests, %d bytes; want it to read only open and new jobs", st.Requests, st.BytesOut)
	}
	t.Logf("10,000 jobs, 10 open: %d requests, %d bytes for the pass that reported 5 endings", st.Requests, st.BytesOut)
}

// TestServerResync: the server moves a job Completed -> Running (a status
// resync) -> Completed: reported once. A different second ending is news
// when kamobot sees the job open again, i.e. when its listing reaches back
// to it (an older job is still open); closed jobs are not re-read, so
// otherwise the first ending stands and nothing more is reported.
func TestServerResync(t *testing.T) {
	for _, tc := range []struct {
		name           string
		olderOpen      bool
		same, switched int // reports of Completed->Running->Completed, ->Failed
	}{
		{"listing reaches back", true, 1, 2},
		{"listing does not reach back", false, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, worldOptions{})
			if tc.olderOpen {
				w.add("vision", "older-still-running")
			}
			a, b := w.add("vision", "resync-same"), w.add("vision", "resync-other")
			w.mustPass()
			w.end(a, "Completed")
			w.end(b, "Completed")
			w.mustPass()
			w.setStatus(a, "Running")
			w.setStatus(b, "Running")
			w.mustPass()
			w.end(a, "Completed")
			w.end(b, "Failed")
			w.mustPass()
			w.mustPass()
			got := w.reported()
			if got[a] != tc.same {
				t.Errorf("Completed -> Running -> Completed: reported %d times, want %d", got[a], tc.same)
			}
			if got[b] != tc.switched {
				t.Errorf("Completed -> Running -> Failed: reported %d times, want %d", got[b], tc.switched)
			}
		})
	}
}

// TestClockJumps: the clock goes back an hour or two, or forward a day.
// Nothing is stuck waiting for a time that now lies far ahead, and nothing
// is retried en masse.
func TestClockJumps(t *testing.T) {
	t.Run("back: a far job is still re-read", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		far := w.add("vision", "far-job")
		for i := range 6 { // rows newer than it make it far
			w.add("vision", "newer-"+strconv.Itoa(i))
		}
		w.mustPass()
		w.clock.Add(time.Hour)
		w.mustPass() // read on its own; next read planned minutes ahead
		w.end(far, "Completed")
		w.clock.Add(-2 * time.Hour)
		w.mustPass()
		w.wantReported(far)
	})
	t.Run("back: a message waiting for Retry-After is sent", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		a := w.add("vision", "retry-after-job")
		w.mustPass()
		w.end(a, "Completed")
		w.slack.Script(slackfake.Fault{Status: 429, RetryAfter: 600})
		w.failPass(ExitTempFail)
		if next := w.load().Outbox[0].NextAttempt; next.Sub(w.clock.Now()) < 9*time.Minute {
			t.Fatalf("next attempt %s, want about 10 minutes ahead", next)
		}
		w.failPass(ExitTempFail) // not yet: the message waits
		w.wantReported()
		w.clock.Add(-2 * time.Hour)
		w.mustPass()
		w.wantReported(a)
	})
	t.Run("back: a dead webhook is tried again", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		a := w.add("vision", "dead-then-back")
		w.mustPass()
		w.end(a, "Completed")
		mustHookState(t, w, slackfake.HookDisabled)
		w.failPass(ExitUnavailable)
		mustHookState(t, w, slackfake.HookActive)
		w.failPass(ExitUnavailable) // waiting a minute
		w.clock.Add(-2 * time.Hour)
		w.mustPass()
		w.wantReported(a)
	})
	t.Run("forward a day: one message tried, not the whole outbox", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		var ids []int64
		for i := range 5 {
			ids = append(ids, w.add("vision", "queued-"+strconv.Itoa(i)))
		}
		w.mustPass()
		w.slack.Script(slackfake.Fault{Status: 503, Count: -1})
		for _, id := range ids {
			w.end(id, "Completed")
			w.failPass(ExitTempFail)
		}
		if n := len(w.load().Outbox); n != 5 {
			t.Fatalf("outbox %d, want 5", n)
		}
		w.clock.Add(24 * time.Hour)
		before := len(w.slack.Attempts())
		w.failPass(ExitTempFail)
		if n := len(w.slack.Attempts()) - before; n > 2 {
			t.Errorf("after the jump the pass made %d attempts, want at most 2 (the head message, retried once)", n)
		}
		w.slack.ClearFaults()
		w.mustPass()
		w.wantReported(ids...)
		var order []int64
		for _, m := range w.slack.Messages() {
			order = append(order, linkedJobs(m)...)
		}
		if !slices.Equal(order, ids) {
			t.Errorf("delivered in the order %v, want %v", order, ids)
		}
	})
}

func mustHookState(t *testing.T, w *world, s slackfake.HookState) {
	t.Helper()
	if err := w.slack.SetHookState(w.hook, s); err != nil {
		t.Fatal(err)
	}
}

// TestSlackFaults: Slack does not take a message. It stays in the outbox,
// is retried when due, and arrives once (twice at most when Slack may have
// posted it before the connection broke). What Slack said is logged, short.
func TestSlackFaults(t *testing.T) {
	notOK := strings.Repeat("not ok, says a proxy ", 40) // 840 bytes
	for _, tc := range []struct {
		name  string
		opts  worldOptions
		fault slackfake.Fault
		log   string        // the warning, with what Slack said
		wait  time.Duration // until the retry is due
		most  int           // reports of the ending at most
	}{
		{name: "429 with Retry-After", fault: slackfake.Fault{Status: 429, RetryAfter: 120},
			log: `slack did not take the message; retrying later.* slack_error=rate_limited status=429`, wait: 2 * time.Minute, most: 1},
		{name: "429 without Retry-After", fault: slackfake.Fault{Status: 429, Count: 2},
			log: `slack did not take the message; retrying later.* slack_error=message_limit_exceeded status=429`, most: 1},
		{name: "503 HTML page", fault: slackfake.Fault{Status: 503, Count: 2},
			log: `slack did not take the message; retrying later.* slack_error="<html>.*status=503`, most: 1},
		{name: "hang", opts: worldOptions{slackTimeout: 200 * time.Millisecond}, fault: slackfake.Fault{Hang: true, Count: 2},
			log: `slack did not take the message; retrying later.* slack_error="" status=0`, most: 1},
		{name: "connection reset after Slack posted", fault: slackfake.Fault{Reset: true},
			log: `slack post failed, retrying.*result.class=temporary`, most: 2},
		{name: "200 with another body", fault: slackfake.Fault{Status: 200, Body: notOK, Count: 2},
			log: `slack did not take the message; retrying later.* slack_error="not ok, says a proxy .{100,200}…" status=200`, most: 1},
		{name: "202 empty", fault: slackfake.Fault{Status: 202, Count: 2},
			log: `slack did not take the message; retrying later.* status=202`, most: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.opts)
			a := w.add("vision", "slack-fault-job")
			w.mustPass()
			w.end(a, "Completed")
			w.slack.Script(tc.fault)
			_, err := w.pass()
			w.wantLog(tc.log)
			if err != nil {
				if code := ExitCode(err); code != ExitTempFail {
					t.Fatalf("pass: exit %d (%v), want 75", code, err)
				}
				if n := len(w.load().Outbox); n != 1 {
					t.Fatalf("outbox %d, want the message kept", n)
				}
				w.clock.Add(tc.wait)
				w.mustPass()
			}
			got := w.reported()[a]
			if got < 1 || got > tc.most {
				t.Errorf("reported %d times, want 1 to %d", got, tc.most)
			}
			if n := len(w.load().Outbox); n != 0 {
				t.Errorf("outbox %d after delivery, want 0", n)
			}
		})
	}
}

// TestSlackDeadWebhook: Slack refuses the webhook as a whole. The message
// stays in the outbox, the pass exits 69, and the webhook is tried again
// later, one message at a time, less and less often (1m doubling to 1h).
// After a day kamobot stops trying it and logs one ERROR saying what to
// do; a new webhook URL or `kamobot state retry` brings it back at once.
func TestSlackDeadWebhook(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(w *world)
		code  string
	}{
		{"no_service", func(w *world) { mustHookState(t, w, slackfake.HookDisabled) }, "no_service"},
		{"invalid_token 403", func(w *world) { mustHookState(t, w, slackfake.HookRevoked) }, "invalid_token"},
		{"invalid_token 400", func(w *world) {
			w.slack.Script(slackfake.Fault{Hook: w.hook, Status: 400, Body: "invalid_token", Count: -1})
		}, "invalid_token"},
		{"channel_is_archived", func(w *world) { mustHookState(t, w, slackfake.HookArchived) }, "channel_is_archived"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, worldOptions{})
			a := w.add("vision", "dead-hook-"+tc.code)
			w.mustPass()
			w.end(a, "Killed")
			tc.setup(w)
			w.failPass(ExitUnavailable)
			w.wantLog(`level=ERROR msg="slack refused the webhook; messages kept in the outbox until it is fixed" .*slack_error=` + tc.code)
			st := w.load()
			dh := st.DeadHooks[state.DefaultHook]
			if len(st.Outbox) != 1 || dh == nil || dh.Fingerprint != notify.Fingerprint(w.hook) || dh.Attempts != 1 {
				t.Fatalf("outbox %d, dead hook %+v", len(st.Outbox), dh)
			}
			// The webhook is fixed in the config: tried at once.
			w.env["KAMOBOT_SLACK_WEBHOOK"] = w.slack.HookURL("T0FAULTS", "B0NEWHOOK", canaryHook+"new")
			w.build()
			w.mustPass()
			w.wantLog(`the webhook Slack refused has a new URL`)
			w.wantReported(a)
			if st := w.load(); len(st.DeadHooks) != 0 || len(st.Outbox) != 0 {
				t.Errorf("after delivery: dead hooks %v, outbox %d", st.DeadHooks, len(st.Outbox))
			}
		})
	}
}

// TestSlackDeadWebhookGivesUp follows a dead webhook for 26 hours, a pass
// every 10 minutes.
func TestSlackDeadWebhookGivesUp(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.step = 10 * time.Minute
	a := w.add("vision", "gives-up")
	w.mustPass()
	w.end(a, "Failed")
	mustHookState(t, w, slackfake.HookDisabled)
	start := w.clock.Now()
	var tries []time.Duration // when the webhook was tried, from start
	for w.clock.Now().Sub(start) < 26*time.Hour {
		at, before := w.clock.Now().Sub(start), len(w.slack.Attempts())
		w.failPass(ExitUnavailable) // every pass while the webhook is dead
		switch n := len(w.slack.Attempts()) - before; n {
		case 0:
		case 1:
			tries = append(tries, at)
		default:
			t.Fatalf("%d attempts in one pass, want at most one", n)
		}
	}
	for i := 1; i < len(tries); i++ {
		gap, want := tries[i]-tries[i-1], min(engine.DeadHookFirstDelay<<min(i-1, 10), engine.DeadHookMaxDelay) // 1m doubling to 1h
		if gap < want || gap > want+w.step {
			t.Errorf("try %d came %s after the one before, want %s (passes every %s)", i+1, gap, want, w.step)
		}
	}
	if last := tries[len(tries)-1]; last < engine.DeadHookGiveUp || last > engine.DeadHookGiveUp+engine.DeadHookMaxDelay {
		t.Errorf("last try at %s, want just after %s", last, engine.DeadHookGiveUp)
	}
	if n := strings.Count(w.logs.String(), "kamobot stops trying it"); n != 1 {
		t.Errorf("the ERROR saying kamobot gives up was logged %d times, want once", n)
	}
	w.wantLog(`level=ERROR msg="slack has refused this webhook for 1d.*kamobot stops trying it.*kamobot state retry`)
	t.Logf("a dead webhook was tried %d times over %s: %v", len(tries), tries[len(tries)-1], tries)

	// Working again under the same URL: not tried until told.
	mustHookState(t, w, slackfake.HookActive)
	_, err := w.pass()
	if ExitCode(err) != ExitUnavailable || !strings.Contains(err.Error(), "kamobot state retry") {
		t.Fatalf("pass after giving up: %v, want exit 69 saying what to do", err)
	}
	w.wantReported()
	var out, errOut syncBuffer
	d := NewDeps(BuildInfo{Version: "test"}, &out, &errOut, func(k string) string { return w.env[k] })
	if err := NewApp(d).Run([]string{"kamobot", "--state", w.p.Store.Path(), "state", "retry"}); err != nil {
		t.Fatalf("state retry: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "webhook default was no longer tried: tried again at the next pass") {
		t.Errorf("state retry said:\n%s", out.String())
	}
	w.mustPass()
	w.wantReported(a)
}

// TestStateWriteFailures: the state cannot be written (a full disk, a
// read-only or missing directory). The pass exits 74 and sends nothing it
// could not record first; once the state can be written, every ending is
// reported, a message posted but not marked sent at most twice.
func TestStateWriteFailures(t *testing.T) {
	// enospc fails the from-th state write and every one after it.
	enospc := func(from int) func() error {
		n := 0
		return func() error {
			n++
			if n >= from {
				return syscall.ENOSPC
			}
			return nil
		}
	}
	t.Run("full disk when the outbox is saved", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		a := w.add("vision", "unsaved-ending")
		w.mustPass()
		w.end(a, "Completed")
		before := w.stateBytes()
		w.p.Store.BeforeRename = enospc(1)
		_, err := w.pass()
		if ExitCode(err) != ExitIOErr || !strings.Contains(err.Error(), "no space left on device") {
			t.Fatalf("pass: %v, want exit 74 naming the cause", err)
		}
		w.wantReported()
		if !slices.Equal(before, w.stateBytes()) {
			t.Errorf("the state file changed")
		}
		w.p.Store.BeforeRename = nil
		w.mustPass()
		w.wantReported(a)
	})
	t.Run("full disk when a sent message is marked", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		a, b := w.add("vision", "first"), w.add("vision", "second")
		w.mustPass()
		w.end(a, "Completed")
		w.slack.Script(slackfake.Fault{Status: 503, Count: 2})
		w.failPass(ExitTempFail) // the first message waits in the outbox
		w.end(b, "Failed")
		w.p.Store.BeforeRename = enospc(2) // the outbox is saved, then nothing
		_, err := w.pass()
		if ExitCode(err) != ExitIOErr {
			t.Fatalf("pass: %v, want exit 74", err)
		}
		w.wantLog(`cannot save the state after sending; the message may be sent again; the rest wait in the outbox`)
		if got := w.reported(); got[a] != 1 || got[b] != 0 {
			t.Errorf("reported %v; want the first message sent and the second held back", got)
		}
		w.p.Store.BeforeRename = nil
		w.mustPass()
		if got := w.reported(); got[a] != 2 || got[b] != 1 {
			t.Errorf("reported %v; want the first once again (posted, not marked), the second once", got)
		}
	})
	t.Run("state directory is a regular file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := state.Open(filepath.Join(file, "kamobot", "state.json"))
		if ExitCode(err) != ExitIOErr || !strings.Contains(err.Error(), "not a directory") {
			t.Fatalf("open: %v, want exit 74 naming the cause", err)
		}
	})
	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only directories; the cases above stop root too")
		}
		w := newWorld(t, worldOptions{})
		a := w.add("vision", "read-only")
		w.mustPass()
		w.end(a, "Completed")
		dir := filepath.Dir(w.p.Store.Path())
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		w.failPass(ExitIOErr)
		w.wantReported()
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		w.mustPass()
		w.wantReported(a)
	})
}

// TestSlackRefusesOneMessage: Slack refuses one message for good
// (invalid_blocks). It goes to the dead letters with Slack's answer, logged
// once at ERROR, and the message queued behind it still goes in the same
// pass.
func TestSlackRefusesOneMessage(t *testing.T) {
	w := newWorld(t, worldOptions{})
	a := w.add("vision", "poison-job")
	b := w.add("vision", "behind-the-poison")
	w.mustPass()
	// The first message waits in the outbox (Slack 500), the second joins it.
	w.end(a, "Failed")
	w.slack.Script(slackfake.Fault{Status: 500, Count: 2})
	w.failPass(ExitTempFail)
	w.clock.Add(time.Minute) // both due
	w.end(b, "Completed")
	w.slack.Script(slackfake.Fault{Status: 400, Body: "invalid_blocks"})
	rep := w.mustPass()
	if rep.Dead != 1 || rep.Sent != 1 {
		t.Fatalf("pass: %d dead, %d sent; want 1 and 1\nlogs:\n%s", rep.Dead, rep.Sent, w.logs)
	}
	w.wantLog(`level=ERROR msg="slack refused the message for good; kept in the dead letters".* slack_error=invalid_blocks status=400`)
	if n := strings.Count(w.logs.String(), "refused the message for good"); n != 1 {
		t.Errorf("the refusal is logged %d times, want once", n)
	}
	st := w.load()
	if len(st.Outbox) != 0 || len(st.DeadLetters) != 1 || st.DeadLetters[0].LastError != "invalid_blocks" {
		t.Fatalf("outbox %d, dead letters %+v", len(st.Outbox), st.DeadLetters)
	}
	w.wantReported(b)
	w.mustPass()
	w.wantReported(b) // the dead letter is not sent again
}
