package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/internal/testkit"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

// world is a pass against a fake KAMONOHASHI with two tenants, "vision"
// and "nlp", and a fake Slack; its clock moves only when told.
type world struct {
	t     testing.TB
	kqi   *kqifake.Server
	slack *slackfake.Server
	pass  *engine.Pass
	now   time.Time
	logs  *testkit.SyncBuffer
	// vision and nlp are the tenants' ids.
	vision, nlp int64
}

// newWorld builds the world; cfgText is the config file (besides the
// server and secrets, from the environment), edit changes the client's.
func newWorld(t testing.TB, loc *time.Location, cfgText string, edit ...func(*api.Config)) *world {
	t.Helper()
	w := &world{t: t, now: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC), logs: &testkit.SyncBuffer{}}
	w.kqi = kqifake.NewTest(t, kqifake.Options{Now: func() time.Time { return w.now }, Location: loc})
	w.vision, w.nlp = w.kqi.AddTenant("vision", ""), w.kqi.AddTenant("nlp", "")
	w.kqi.AddAccount("kamobot", "pw", w.vision, w.nlp)
	w.slack = slackfake.NewTest(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgFile, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KAMOBOT_SERVER": w.kqi.URL(), "KAMOBOT_USER": "kamobot", "KAMOBOT_PASSWORD": "pw",
		"KAMOBOT_SLACK_WEBHOOK": w.slack.NewHook()}
	cfg, _, err := config.Load(cfgFile, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.Open(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	store.Now = func() time.Time { return w.now }
	log := slog.New(slog.NewTextHandler(w.logs, nil))
	ac := api.Config{BaseURL: w.kqi.URL(), User: "kamobot", Password: "pw", ServerLocation: cfg.Kamonohashi.Location,
		Timeout: 2 * time.Second, Logger: log, MaxInFlight: cfg.Kamonohashi.MaxInFlight,
		TokenFile: filepath.Join(dir, "tokens.json")}
	for _, e := range edit {
		e(&ac)
	}
	client, err := api.New(ac)
	if err != nil {
		t.Fatal(err)
	}
	w.pass = &engine.Pass{Cfg: cfg, API: client, Store: store, Log: log, Now: func() time.Time { return w.now },
		Sender: notify.NewSender(notify.SenderOptions{Logger: log, Pacer: notify.NewPacer(time.Millisecond, nil, nil)}),
		Pick:   func(string) string { return "" }, Who: "test", LockWait: time.Second, TenantsTTL: time.Hour}
	return w
}

const quietConfig = `[watch]
stuck_pending_after = "off"
long_running_after = "off"
summary_after_silence = "off"
`

func (w *world) add(tenant string, kind api.Kind, name, status string) int64 {
	w.t.Helper()
	j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: tenant, Kind: kind, Name: name, CreatedBy: "alice", Status: status})
	if err != nil {
		w.t.Fatal(err)
	}
	return j.ID
}

func (w *world) run() (engine.Report, error) {
	w.t.Helper()
	w.now = w.now.Add(30 * time.Second)
	return w.pass.Run(context.Background(), engine.Options{})
}

// The Notebook menu is denied in vision: its notebooks are skipped alone,
// with one warning a pass naming tenant, kind and menu; its trainings, and
// the other tenant, are still watched and reported in the same pass.
func TestMenuDeniedSkipsTheKindAlone(t *testing.T) {
	w := newWorld(t, nil, quietConfig)
	train := w.add("vision", api.KindTraining, "resnet", "Running")
	nlp := w.add("nlp", api.KindTraining, "bert", "Running")
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	if err := w.kqi.DenyMenus("vision", "Notebook"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{train, nlp} {
		if err := w.kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := w.run()
	if !errors.Is(err, engine.ErrAccess) || errors.Is(err, engine.ErrFetchFailed) {
		t.Fatalf("pass: %v; want ErrAccess alone", err)
	}
	if rep.Sent != 1 || rep.Events != 2 || len(rep.FailedFetch) != 0 {
		t.Errorf("report: %d events, %d sent, failed %v; want both endings reported", rep.Events, rep.Sent, rep.FailedFetch)
	}
	if got := strings.Join(rep.DeniedKinds, ","); got != "vision/notebook" {
		t.Errorf("denied kinds %q, want vision/notebook", got)
	}
	text := w.slack.Messages()[0].Readable
	if !strings.Contains(text, "resnet") || !strings.Contains(text, "bert") {
		t.Errorf("the message misses an ending:\n%s", text)
	}
	logs := w.logs.String()
	if n := strings.Count(logs, "lacks the menu permission"); n != 1 {
		t.Errorf("%d warnings about the menu, want 1:\n%s", n, logs)
	}
	for _, want := range []string{"tenant=vision", "kind=notebook", "menu=Notebook"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the warning does not say %s:\n%s", want, logs)
		}
	}
}

// The account loses nlp mid-pass: the tenant is named in a warning, vision
// is reported, and the pass says what happened (ErrAccess, exit 77).
func TestTenantLostMidPass(t *testing.T) {
	w := newWorld(t, nil, quietConfig+"kinds = [\"training\"]\n")
	v := w.add("vision", api.KindTraining, "resnet", "Running")
	w.add("nlp", api.KindTraining, "bert", "Running")
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	if err := w.kqi.RemoveTenant("kamobot", "nlp"); err != nil {
		t.Fatal(err)
	}
	if err := w.kqi.SetStatus(api.KindTraining, v, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
		t.Fatal(err)
	}
	rep, err := w.run()
	if !errors.Is(err, engine.ErrAccess) || !strings.Contains(err.Error(), "nlp") {
		t.Fatalf("pass: %v; want ErrAccess naming nlp", err)
	}
	if rep.Sent != 1 || strings.Join(rep.LostTenants, ",") != "nlp" {
		t.Errorf("report: %d sent, lost %v; want vision's ending sent and nlp lost", rep.Sent, rep.LostTenants)
	}
	if logs := w.logs.String(); !strings.Contains(logs, "lost its role") || !strings.Contains(logs, "tenant=nlp") {
		t.Errorf("no warning naming nlp:\n%s", logs)
	}
	// The next pass reads the account again: nlp is gone from it, and the
	// pass is fine.
	if _, err := w.run(); err != nil {
		t.Errorf("the pass after: %v", err)
	}
}

// A 500 with a stack trace: no line of the trace beyond the first reaches
// a log line or the pass's error.
func TestStackTraceStaysOut(t *testing.T) {
	w := newWorld(t, nil, quietConfig)
	w.add("vision", api.KindTraining, "resnet", "Running")
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	w.kqi.SetFaults(kqifake.Faults{Status: 500, Paths: "/api/v2/training"})
	_, err := w.run()
	if !errors.Is(err, engine.ErrFetchFailed) {
		t.Fatalf("pass: %v; want ErrFetchFailed", err)
	}
	for _, text := range []string{err.Error(), w.logs.String()} {
		if strings.Contains(text, "lambda_method") || strings.Contains(text, "ControllerActionInvoker") {
			t.Errorf("the stack trace leaked:\n%s", text)
		}
	}
}

// A server in Tokyo, read as UTC: its times lie 9 hours ahead, and the pass
// says to set kamonohashi.timezone, once. With the key set, nothing.
func TestFutureTimesWarn(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, tokyo, quietConfig)
	w.add("vision", api.KindTraining, "resnet", "Running")
	w.add("nlp", api.KindTraining, "bert", "Running")
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(w.logs.String(), "kamonohashi.timezone"); n != 1 {
		t.Errorf("%d warnings naming kamonohashi.timezone, want 1:\n%s", n, w.logs.String())
	}

	w = newWorld(t, tokyo, quietConfig+"\n[kamonohashi]\ntimezone = \"Asia/Tokyo\"\n")
	w.add("vision", api.KindTraining, "resnet", "Running")
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w.logs.String(), "kamonohashi.timezone") {
		t.Errorf("a warning with the zone set:\n%s", w.logs.String())
	}
}

// 50 tenants, every kind, a little latency: the server never sees more
// than kamonohashi.max_in_flight requests at once (logins and tokens
// included), and a second pass makes no login.
func TestPoliteFiftyTenants(t *testing.T) {
	w := newWorld(t, nil, quietConfig)
	if _, err := w.kqi.Seed(kqifake.SeedOptions{Tenants: 50, JobsPerTenant: 8, OpenPerTenant: 2}); err != nil {
		t.Fatal(err)
	}
	w.kqi.SetFaults(kqifake.Faults{Latency: 5 * time.Millisecond})
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	st := w.kqi.Stats()
	if st.MaxInFlight > 8 || st.MaxInFlight < 2 {
		t.Errorf("%d requests in flight at most, want 2 to 8", st.MaxInFlight)
	}
	w.kqi.ResetStats()
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	if st := w.kqi.Stats(); st.Logins+st.TokenRequests+st.AccountRequests != 0 || st.MaxInFlight > 8 {
		t.Errorf("second pass: %d logins, %d token requests, %d account reads, %d in flight; want none and at most 8",
			st.Logins, st.TokenRequests, st.AccountRequests, st.MaxInFlight)
	}
}
