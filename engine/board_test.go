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
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

// boardWorld is a KAMONOHASHI fake, a Slack fake and a state file for
// passes in app mode with [slack] board = true; each pass may use another
// bot token.
type boardWorld struct {
	t     *testing.T
	now   time.Time
	kqi   *kqifake.Server
	slack *slackfake.Server
	dir   string
	store *state.Store
	logs  strings.Builder
}

const boardChannel = "C0BOARD001"

func newBoardWorld(t *testing.T) *boardWorld {
	w := &boardWorld{t: t, now: time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC), dir: t.TempDir()}
	w.kqi = kqifake.NewTest(t, kqifake.Options{Now: func() time.Time { return w.now }})
	vision := w.kqi.AddTenant("vision", "")
	w.kqi.AddAccount("kamobot", "pw", vision)
	w.slack = slackfake.NewTest(t)
	w.slack.AddChannel(slackfake.Channel{ID: boardChannel, Name: "jobs"})
	if err := os.WriteFile(filepath.Join(w.dir, "config.toml"), []byte(`[watch]
stuck_pending_after = "off"
long_running_after = "off"
summary_after_silence = "off"
notify = ["failed"]

[slack]
language = "en"
board = true
channel = "`+boardChannel+`"
api_url = "`+w.slack.URL()+`/api/"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if w.store, err = state.Open(filepath.Join(w.dir, "state.json")); err != nil {
		t.Fatal(err)
	}
	return w
}

// pass runs one pass with the bot token.
func (w *boardWorld) pass(what, token string) {
	t := w.t
	t.Helper()
	p := newTestPass(t, passSetup{kqi: w.kqi, dir: w.dir, env: map[string]string{"KAMOBOT_SLACK_BOT_TOKEN": token},
		now: func() time.Time { return w.now }, log: slog.New(slog.NewTextHandler(&w.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if _, err := p.Run(context.Background(), engine.Options{}); err != nil {
		t.Fatalf("%s: %v\nlogs:\n%s", what, err, w.logs.String())
	}
}

// calls counts the Web API calls of method the fake answered, accepted
// or not.
func (w *boardWorld) calls(method string) int {
	n := 0
	for _, m := range w.slack.APICalls() {
		if m == method {
			n++
		}
	}
	return n
}

// posts are the boards posted (chat.postMessage in the channel).
func (w *boardWorld) posts() []slackfake.Message {
	var out []slackfake.Message
	for _, m := range w.slack.Messages() {
		if m.Method == "chat.postMessage" && m.ThreadTS == "" && strings.Contains(m.Text, "What runs now") {
			out = append(out, m)
		}
	}
	return out
}

func (w *boardWorld) state() *state.State {
	w.t.Helper()
	st, _, err := w.store.Load()
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// TestBoardDeletedIsPostedAgain: someone deletes the board's message in
// Slack. Its next chat.update answers message_not_found; the update is
// done with (not a dead letter) and the next pass posts a new board and
// pins it; later changes update the new one.
func TestBoardDeletedIsPostedAgain(t *testing.T) {
	w := newBoardWorld(t)
	const token = "xoxb-1-board"
	w.slack.AddToken(slackfake.Token{Token: token})
	j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "resnet-board",
		CreatedBy: "alice", Status: "Running"})
	if err != nil {
		t.Fatal(err)
	}
	w.pass("first", token)
	first := w.posts()
	if len(first) != 1 || w.calls("pins.add") != 1 {
		t.Fatalf("first pass: %d boards posted, %d pins; want 1 and 1", len(first), w.calls("pins.add"))
	}
	if !w.slack.DeleteMessage(boardChannel, first[0].TS) {
		t.Fatalf("the fake has no message %s to delete", first[0].TS)
	}
	if err := w.kqi.SetStatus(api.KindTraining, j.ID, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(time.Minute)
	w.pass("the job ends, the board is gone", token)
	st := w.state()
	if len(st.DeadLetters) != 0 || len(st.Outbox) != 0 {
		t.Fatalf("after message_not_found: %d dead letters, %d in the outbox; want 0 and 0", len(st.DeadLetters), len(st.Outbox))
	}
	if !strings.Contains(w.logs.String(), "deleted in Slack") {
		t.Errorf("nothing logged about the deleted board:\n%s", w.logs.String())
	}
	w.now = w.now.Add(time.Minute)
	w.pass("next pass", token)
	posts := w.posts()
	if len(posts) != 2 || w.calls("pins.add") != 2 {
		t.Fatalf("after the deletion: %d boards posted, %d pins; want 2 and 2", len(posts), w.calls("pins.add"))
	}
	if !strings.Contains(posts[1].Text, "0 open jobs") {
		t.Errorf("the new board does not list what runs now:\n%s", posts[1].Text)
	}
	if st := w.state(); !st.Boards[boardChannel].Pinned || st.Threads[state.BoardKey(boardChannel)].TS != posts[1].TS {
		t.Errorf("the state does not hold the new board pinned: %+v %+v", st.Boards[boardChannel], st.Threads[state.BoardKey(boardChannel)])
	}
	if _, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "bert-board",
		CreatedBy: "bob", Status: "Running"}); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(time.Minute)
	w.pass("a new job", token)
	var updates []slackfake.Message
	for _, m := range w.slack.Messages() {
		if m.Method == "chat.update" {
			updates = append(updates, m)
		}
	}
	if len(updates) != 1 || updates[0].TS != posts[1].TS || len(w.posts()) != 2 {
		t.Errorf("a new job: %d updates (want 1, of the new board %s), %d boards posted (want 2): %+v",
			len(updates), posts[1].TS, len(w.posts()), updates)
	}
}

// TestBoardPinRefusedIsRetried: a pin refused for lack of pins:write is
// not tried again each pass, but at once with a new bot token and once a
// day with the same one; the refusal is logged once per token.
func TestBoardPinRefusedIsRetried(t *testing.T) {
	w := newBoardWorld(t)
	const tokenA, tokenB = "xoxb-1-no-pins", "xoxb-2-no-pins"
	noPins := []string{"chat:write", "channels:read", "groups:read", "commands"}
	w.slack.AddToken(slackfake.Token{Token: tokenA, Scopes: noPins})
	w.slack.AddToken(slackfake.Token{Token: tokenB, Scopes: noPins})
	if _, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "resnet-board",
		CreatedBy: "alice", Status: "Running"}); err != nil {
		t.Fatal(err)
	}
	refusals := func() int { return strings.Count(w.logs.String(), "the board is not pinned") }
	check := func(what string, pins, logged int) {
		t.Helper()
		if got := w.calls("pins.add"); got != pins {
			t.Errorf("%s: %d pins.add calls, want %d", what, got, pins)
		}
		if got := refusals(); got != logged {
			t.Errorf("%s: the refusal logged %d times, want %d:\n%s", what, got, logged, w.logs.String())
		}
	}
	w.pass("first", tokenA)
	check("first pass", 1, 1)
	if b := w.state().Boards[boardChannel]; b.PinRefused != "missing_scope" || b.Pinned {
		t.Fatalf("first pass: board %+v, want refused for missing_scope", b)
	}
	w.now = w.now.Add(time.Hour)
	w.pass("an hour later", tokenA)
	check("an hour later, same token", 1, 1)

	w.pass("new token", tokenB)
	check("a new token", 2, 2)
	w.now = w.now.Add(time.Hour)
	w.pass("new token again", tokenB)
	check("an hour later, the new token", 2, 2)

	w.now = w.now.Add(state.PinRetry)
	w.pass("a day later", tokenB)
	check("a day later, still refused", 3, 2)

	w.slack.SetScopes(tokenB, slackfake.BotScopes)
	w.now = w.now.Add(time.Hour)
	w.pass("scope added, an hour later", tokenB)
	check("scope added, an hour later", 3, 2)
	w.now = w.now.Add(state.PinRetry)
	w.pass("scope added, a day later", tokenB)
	check("scope added, a day later", 4, 2)
	if b := w.state().Boards[boardChannel]; !b.Pinned || b.PinRefused != "" {
		t.Errorf("with pins:write a day later: board %+v, want pinned", b)
	}
	w.now = w.now.Add(state.PinRetry)
	w.pass("pinned", tokenB)
	check("pinned, a day later", 4, 2)
}

// TestNoAppClientKeepsMessages: messages to an app channel, in a pass
// without the app client, stay in the outbox, said once for the channel
// however many wait.
func TestNoAppClientKeepsMessages(t *testing.T) {
	w := newBoardWorld(t)
	const token = "xoxb-1-board"
	w.slack.AddToken(slackfake.Token{Token: token})
	var ids []int64
	for _, name := range []string{"resnet", "bert", "vit"} {
		j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: name, CreatedBy: "alice", Status: "Running"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	w.pass("first", token)
	for _, id := range ids {
		if err := w.kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: "Failed"}); err != nil {
			t.Fatal(err)
		}
	}
	sent := len(w.slack.Messages())
	var rep engine.Report
	var err error
	for range 2 { // a failure read straight after Running is confirmed by a second read
		w.now = w.now.Add(time.Minute)
		p := newTestPass(t, passSetup{kqi: w.kqi, dir: w.dir, env: map[string]string{"KAMOBOT_SLACK_BOT_TOKEN": token},
			now: func() time.Time { return w.now }, log: slog.New(slog.NewTextHandler(&w.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		p.App = nil
		rep, err = p.Run(context.Background(), engine.Options{})
	}
	if !errors.Is(err, engine.ErrPending) || rep.Pending < 3 {
		t.Fatalf("passes without the app client: %v, %d pending; want ErrPending and the messages kept", err, rep.Pending)
	}
	if n := strings.Count(w.logs.String(), "no Slack app client for this channel's messages"); n != 1 {
		t.Errorf("said %d times, want once (the first pass has nothing to send):\n%s", n, w.logs.String())
	}
	if got := len(w.slack.Messages()); got != sent {
		t.Errorf("%d messages sent without the app client", got-sent)
	}
}
