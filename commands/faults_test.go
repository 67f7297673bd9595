package commands

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/clock"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/internal/testkit"
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
	logs    *testkit.SyncBuffer
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
	w := &world{t: t, o: o, clock: clock.NewManual(faultStart), tenants: map[string]int64{}, logs: &testkit.SyncBuffer{},
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
