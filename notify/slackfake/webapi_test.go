package slackfake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/kamobot/kamobot/notify/slackfake"
)

const botToken = "xoxb-1-2-fakebot"

func apiClient(f *slackfake.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(f.URL()+"/api/"),
		slack.OptionHTTPClient(&http.Client{Timeout: 5 * time.Second}))
}

func TestWebAPIThreadAndUpdate(t *testing.T) {
	f := slackfake.NewTest(t)
	f.AddToken(slackfake.Token{Token: botToken})
	f.AddChannel(slackfake.Channel{ID: "C0JOBS0001", Name: "ml-jobs"})
	api := apiClient(f, botToken)
	ctx := t.Context()

	at, err := api.AuthTestContext(ctx)
	if err != nil || at.Team != "Fake Team" || at.UserID == "" {
		t.Fatalf("auth.test: %+v, %v", at, err)
	}
	ch, ts, err := api.PostMessageContext(ctx, "C0JOBS0001", slack.MsgOptionText("job 1 running", false))
	if err != nil || ch != "C0JOBS0001" || ts == "" {
		t.Fatalf("chat.postMessage: %q %q %v", ch, ts, err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("job 1 completed", false)); err != nil {
		t.Fatalf("chat.update: %v", err)
	}
	_, rts, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("failed: <b>", false), slack.MsgOptionTS(ts), slack.MsgOptionBroadcast())
	if err != nil || rts == ts {
		t.Fatalf("reply: %q %v", rts, err)
	}
	if err := api.AddPinContext(ctx, ch, slack.ItemRef{Channel: ch, Timestamp: ts}); err != nil {
		t.Fatalf("pins.add: %v", err)
	}
	msgs := f.Messages()
	if len(msgs) != 4 {
		t.Fatalf("%d messages recorded, want 4: %+v", len(msgs), msgs)
	}
	want := []struct{ method, ts, thread string }{
		{"chat.postMessage", ts, ""}, {"chat.update", ts, ""}, {"chat.postMessage", rts, ts}, {"pins.add", ts, ""},
	}
	for i, w := range want {
		m := msgs[i]
		if m.Method != w.method || m.TS != w.ts || m.ThreadTS != w.thread || m.Channel != ch {
			t.Errorf("message %d = %s ts %s thread %s channel %s, want %+v", i, m.Method, m.TS, m.ThreadTS, m.Channel, w)
		}
	}
	if !msgs[2].ReplyBroadcast || msgs[1].Readable != "job 1 completed" {
		t.Errorf("broadcast %v, update readable %q", msgs[2].ReplyBroadcast, msgs[1].Readable)
	}

	// Errors come as {"ok":false} on HTTP 200.
	if _, _, err := api.PostMessageContext(ctx, "C0NOPE0001", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("unknown channel: %v", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ch, "1.000099", slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
		t.Errorf("unknown ts: %v", err)
	}
	f.ScriptAPI(slackfake.APIFault{Method: "chat.postMessage", Status: 429, RetryAfter: 7})
	_, _, err = api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Errorf("429: %v", err)
	}
	f.AddToken(slackfake.Token{Token: botToken, Error: "token_revoked"})
	if _, err := api.AuthTestContext(ctx); err == nil || err.Error() != "token_revoked" {
		t.Errorf("revoked: %v", err)
	}
	f.AddToken(slackfake.Token{Token: "xoxb-noscope", Scopes: []string{"channels:read"}})
	if _, _, err := apiClient(f, "xoxb-noscope").PostMessageContext(ctx, ch, slack.MsgOptionText("x", false)); err == nil || err.Error() != "missing_scope" {
		t.Errorf("missing scope: %v", err)
	}
	if _, err := apiClient(f, "xoxb-unknown").AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("unknown token: %v", err)
	}
}

func TestSocketModeSlashCommand(t *testing.T) {
	f := slackfake.NewTest(t)
	api := slack.New(botToken, slack.OptionAPIURL(f.URL()+"/api/"), slack.OptionAppLevelToken("xapp-1-A1-fake"))
	sm := socketmode.New(api)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for ev := range sm.Events {
			if ev.Type != socketmode.EventTypeSlashCommand {
				continue
			}
			cmd := ev.Data.(slack.SlashCommand)
			sm.Ack(*ev.Request, map[string]any{"response_type": "ephemeral", "text": "you said " + cmd.Text + " as " + cmd.UserID})
		}
	}()
	go func() { _ = sm.RunContext(ctx) }()
	for round := range 3 {
		ack, err := f.Slash(ctx, slackfake.SlashCommand{Text: "jobs vision", UserID: "U0ALICE01"}, 10*time.Second)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if ack.Text != "you said jobs vision as U0ALICE01" || ack.ResponseType != "ephemeral" {
			t.Fatalf("round %d: ack %+v", round, ack)
		}
		if round < 2 && f.DropSockets() != 1 {
			t.Fatalf("round %d: no connection to drop", round)
		}
	}
	if n := f.SocketsOpened(); n < 3 || !strings.Contains(strings.Join(f.APICalls(), " "), "apps.connections.open") {
		t.Errorf("%d connections opened, calls %v", n, f.APICalls())
	}
}

// The app part of the control API, over HTTP.
func TestAppControlAPI(t *testing.T) {
	f := slackfake.NewTest(t)
	ctl := func(method, path, body string) (int, string) {
		t.Helper()
		code, text, _ := slackfake.CallControl(t, f.URL(), method, path, body)
		return code, strings.TrimSpace(text)
	}
	for _, c := range []struct{ path, body string }{
		{"/_fake/tokens", `{"token":"` + botToken + `"}`},
		{"/_fake/channels", `{"id":"C0JOBS0001","name":"ml-jobs","not_member":true}`},
		{"/_fake/api_faults", `[{"method":"auth.test","error":"account_inactive"},{"method":"auth.test","status":429,"retry_after":3}]`},
	} {
		if code, body := ctl("POST", c.path, c.body); code != 204 {
			t.Fatalf("POST %s: %d %s", c.path, code, body)
		}
	}
	api := apiClient(f, botToken)
	if _, err := api.AuthTestContext(t.Context()); err == nil || err.Error() != "account_inactive" {
		t.Errorf("first scripted fault: %v", err)
	}
	var rl *slack.RateLimitedError
	if _, err := api.AuthTestContext(t.Context()); !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("second scripted fault: %v", err)
	}
	if _, _, err := api.PostMessageContext(t.Context(), "C0JOBS0001", slack.MsgOptionText("x", false)); err == nil || err.Error() != "not_in_channel" {
		t.Errorf("channel without the bot: %v", err)
	}
	if _, err := apiClient(f, "xoxb-other").AuthTestContext(t.Context()); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("token not registered over HTTP: %v", err)
	}
	for _, c := range []struct{ method, path, body, want string }{
		{"GET", "/_fake/acks", "", "[]"},
		{"POST", "/_fake/socket/drop", "", `{
  "dropped": 0
}`},
		{"POST", "/_fake/tokens", "{", ""},
		{"POST", "/_fake/api_faults", `{"count":"x"}`, ""},
	} {
		code, body := ctl(c.method, c.path, c.body)
		if c.want == "" && code != 400 || c.want != "" && (code != 200 || body != c.want) {
			t.Errorf("%s %s %s: %d %s", c.method, c.path, c.body, code, body)
		}
	}
}
