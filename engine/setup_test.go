package engine_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// passSetup is what a test's pass is built from: the fake KAMONOHASHI,
// a directory for config.toml and state.json, the config text (or "" for
// the config.toml already in dir), the
// environment beside the server and account (the Slack webhook or bot
// token), the clock and the log.
type passSetup struct {
	kqi    *kqifake.Server
	dir    string
	config string
	env    map[string]string
	now    func() time.Time
	log    *slog.Logger
}

// newTestPass builds a pass as watch does, against the fakes: the config
// file written and loaded, the state in dir, a client of the fake with
// the server's zone, instant Slack pacing, and the Web API sender when
// the environment names a bot token.
func newTestPass(t testing.TB, s passSetup) *engine.Pass {
	t.Helper()
	cfgFile := filepath.Join(s.dir, "config.toml")
	if s.config != "" { // else the file is already there
		if err := os.WriteFile(cfgFile, []byte(s.config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"KAMOBOT_SERVER": s.kqi.URL(), "KAMOBOT_USER": "kamobot", "KAMOBOT_PASSWORD": "pw"}
	for k, v := range s.env {
		env[k] = v
	}
	cfg, _, err := config.Load(cfgFile, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.Open(filepath.Join(s.dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	store.Now = s.now
	client, err := api.New(api.Config{BaseURL: s.kqi.URL(), User: "kamobot", Password: "pw",
		ServerLocation: s.kqi.Location(), Timeout: 2 * time.Second, Logger: s.log})
	if err != nil {
		t.Fatal(err)
	}
	p := &engine.Pass{Cfg: cfg, API: client, Store: store, Log: s.log, Now: s.now,
		Sender: notify.NewSender(notify.SenderOptions{Logger: s.log, Pacer: notify.NewPacer(time.Millisecond, nil, nil)}),
		Pick:   func(string) string { return "" }, Who: "test", LockWait: time.Second, TenantsTTL: time.Hour}
	if token := env["KAMOBOT_SLACK_BOT_TOKEN"]; token != "" {
		fast := func(context.Context, time.Duration) error { return nil }
		p.App = notify.NewApp(token, notify.AppOptions{APIURL: cfg.Slack.App.APIURL, Sleep: fast})
	}
	return p
}
