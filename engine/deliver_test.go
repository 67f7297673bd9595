package engine_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

// TestDeliverRefusedWebhooksConcurrently runs a pass whose outbox holds
// messages for 200 destinations at once, all on a webhook Slack has
// disabled (404 no_service), half of them refused before under another
// URL. The held webhooks are decided before the sends start and the sends
// record theirs under the pass's lock: every destination ends with one
// record of one attempt on the new URL, and under -race no access to the
// dead webhooks or the report races.
func TestDeliverRefusedWebhooksConcurrently(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	kqi := kqifake.NewTest(t, kqifake.Options{Now: func() time.Time { return now }})
	kqi.AddAccount("kamobot", "pw", kqi.AddTenant("vision", ""))
	slack := slackfake.NewTest(t)
	hook := slack.NewHook()
	if err := slack.SetHookState(hook, slackfake.HookDisabled); err != nil {
		t.Fatal(err)
	}
	p := newTestPass(t, passSetup{kqi: kqi, dir: t.TempDir(), config: "[watch]\nstuck_pending_after = \"off\"\n",
		env: map[string]string{"KAMOBOT_SLACK_WEBHOOK": hook}, now: func() time.Time { return now },
		log: slog.New(slog.DiscardHandler)})
	// No pacing: the sends overlap the loop that starts them.
	p.Sender = notify.NewSender(notify.SenderOptions{Pacer: notify.NewPacer(0, nil, nil)})
	const hooks = 200
	st := state.New()
	st.DeadHooks = map[state.Hook]*state.DeadHook{}
	for h := state.Hook(1); h <= hooks; h++ {
		st.Enqueue(state.Message{Hook: h, Kind: "events", Payload: []byte(`{"text":"x"}`), Created: now})
		if h%2 == 0 { // refused before under another URL: tried again at once
			st.DeadHooks[h] = &state.DeadHook{Fingerprint: "another URL", Since: now.Add(-time.Hour)}
		}
	}
	if err := p.Store.Save(st); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(t.Context(), engine.Options{}); err == nil {
		t.Fatal("a pass whose every webhook Slack refused ended without an error")
	}
	st, _, err := p.Store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.DeadHooks) != hooks || len(st.Outbox) != hooks {
		t.Fatalf("%d webhooks recorded refused, %d messages kept; want %d and %d", len(st.DeadHooks), len(st.Outbox), hooks, hooks)
	}
	for h, dh := range st.DeadHooks {
		if dh.Attempts != 1 || dh.Fingerprint == "another URL" {
			t.Errorf("webhook %v: %d attempts, fingerprint %q; want 1 attempt with the new URL's", h, dh.Attempts, dh.Fingerprint)
		}
	}
}
