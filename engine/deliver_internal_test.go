package engine

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// TestDeliverRefusedWebhooksConcurrently sends to 200 webhooks at once,
// every one refused by Slack for good (404 no_service), half of them
// refused before under another URL. The held webhooks are decided before
// the sends start, the sends record theirs under the lock: every webhook
// ends with one record of one attempt, and under -race no access to the
// dead webhooks or the report races.
func TestDeliverRefusedWebhooksConcurrently(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("no_service"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgFile, []byte("[watch]\nstuck_pending_after = \"off\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KAMOBOT_SERVER": "http://127.0.0.1:1", "KAMOBOT_USER": "u", "KAMOBOT_PASSWORD": "pw",
		"KAMOBOT_SLACK_WEBHOOK": srv.URL + "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"}
	cfg, _, err := config.Load(cfgFile, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.Open(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	p := &Pass{Cfg: cfg, Store: store, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
		Sender: notify.NewSender(notify.SenderOptions{Pacer: notify.NewPacer(0, nil, nil)})}
	const hooks = 200
	st := state.New()
	st.DeadHooks = map[state.Hook]*state.DeadHook{}
	for h := state.Hook(1); h <= hooks; h++ {
		st.Enqueue(state.Message{Hook: h, Kind: "events", Payload: []byte(`{"text":"x"}`), Created: now})
		if h%2 == 0 { // refused before under another URL: tried again at once
			st.DeadHooks[h] = &state.DeadHook{Fingerprint: "another URL", Since: now.Add(-time.Hour)}
		}
	}
	rep := Report{SendFailures: map[string]int{}}
	p.deliver(context.Background(), st, now, &rep)
	if len(st.DeadHooks) != hooks || len(st.Outbox) != hooks {
		t.Fatalf("%d webhooks recorded refused, %d messages kept; want %d and %d", len(st.DeadHooks), len(st.Outbox), hooks, hooks)
	}
	for h, dh := range st.DeadHooks {
		if dh.Attempts != 1 || dh.Fingerprint == "another URL" {
			t.Errorf("webhook %v: %d attempts, fingerprint %q; want 1 attempt with the new URL's", h, dh.Attempts, dh.Fingerprint)
		}
	}
}
