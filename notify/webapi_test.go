package notify_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
)

func TestAppSendAndClassify(t *testing.T) {
	const token = "xoxb-1-2-SECRETtokenVALUE"
	f := slackfake.NewTest(t)
	f.AddToken(slackfake.Token{Token: token})
	f.AddChannel(slackfake.Channel{ID: "C0JOBS0001", Name: "ml-jobs"})
	f.AddChannel(slackfake.Channel{ID: "C0OUT00001", Name: "elsewhere", NotMember: true})
	clock := &fakeClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	app := notify.NewApp(token, notify.AppOptions{APIURL: f.URL() + "/api/", Now: clock.Now, Sleep: clock.Sleep})
	ctx := t.Context()

	r, ts := app.Send(ctx, notify.AppMessage{Channel: "C0JOBS0001", Text: "job 1 running"})
	if !r.OK() || ts == "" {
		t.Fatalf("post: %+v", r)
	}
	if r, uts := app.Send(ctx, notify.AppMessage{Channel: "C0JOBS0001", TS: ts, Text: "job 1 failed"}); !r.OK() || uts != ts {
		t.Fatalf("update: %+v %q", r, uts)
	}
	if r, _ := app.Send(ctx, notify.AppMessage{Channel: "C0JOBS0001", ThreadTS: ts, Broadcast: true, Text: "failed"}); !r.OK() {
		t.Fatalf("reply: %+v", r)
	}
	msgs := f.Messages()
	if len(msgs) != 3 || msgs[1].Method != "chat.update" || msgs[2].ThreadTS != ts || !msgs[2].ReplyBroadcast {
		t.Fatalf("recorded %+v", msgs)
	}

	for _, tc := range []struct {
		name  string
		fault slackfake.APIFault
		msg   notify.AppMessage
		class notify.Class
		code  string
	}{
		{"rate limited", slackfake.APIFault{Status: 429, RetryAfter: 3}, notify.AppMessage{Channel: "C0JOBS0001", Text: "x"}, notify.RateLimited, "ratelimited"},
		{"revoked", slackfake.APIFault{Error: "token_revoked"}, notify.AppMessage{Channel: "C0JOBS0001", Text: "x"}, notify.DeadWebhook, "token_revoked"},
		{"too long", slackfake.APIFault{Error: "msg_too_long"}, notify.AppMessage{Channel: "C0JOBS0001", Text: "x"}, notify.PermanentMessage, "msg_too_long"},
		{"not in channel", slackfake.APIFault{}, notify.AppMessage{Channel: "C0OUT00001", Text: "x"}, notify.DeadWebhook, "not_in_channel"},
		{"unknown channel", slackfake.APIFault{}, notify.AppMessage{Channel: "C0NONE0001", Text: "x"}, notify.DeadWebhook, "channel_not_found"},
		{"internal error", slackfake.APIFault{Error: "internal_error"}, notify.AppMessage{Channel: "C0JOBS0001", Text: "x"}, notify.Temporary, "internal_error"},
	} {
		if tc.fault != (slackfake.APIFault{}) {
			f.ScriptAPI(tc.fault)
		}
		r, _ := app.Send(ctx, tc.msg)
		if r.Class != tc.class || r.Code != tc.code {
			t.Errorf("%s: %v %q, want %v %q", tc.name, r.Class, r.Code, tc.class, tc.code)
		}
		if tc.class == notify.RateLimited && r.RetryAfter != 3*time.Second {
			t.Errorf("%s: retry after %v", tc.name, r.RetryAfter)
		}
		if tc.class == notify.DeadWebhook && notify.AppFix(r.Code) == "" {
			t.Errorf("%s: no fix for %q", tc.name, r.Code)
		}
		if r.Err != nil && strings.Contains(r.Err.Error(), token) {
			t.Errorf("%s: the token is in the error", tc.name)
		}
	}
	// Six posts to C0JOBS0001 waited one second each on the pacers'
	// clock (the first was free; other channels and the update do not
	// wait), none on the real one.
	if clock.slept != 5*time.Second {
		t.Errorf("posts paced %v in all", clock.slept)
	}
	// A transport failure names the host, never the token.
	f.Close()
	r, _ = app.Send(ctx, notify.AppMessage{Channel: "C0JOBS0001", Text: "x"})
	if r.Class != notify.Temporary || strings.Contains(r.Err.Error(), token) {
		t.Errorf("closed server: %+v", r)
	}
}

// fakeClock is the pacers' clock: Sleep moves Now on at once.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept += d
	return ctx.Err()
}

// TestAppPacingWaitsOutsideTheGate: a post waiting for its channel's turn
// does not hold the delivery gate, so a post to another channel goes out
// meanwhile; the gate bounds only the window between Slack's ok and the
// caller's record.
func TestAppPacingWaitsOutsideTheGate(t *testing.T) {
	const token = "xoxb-1-2-SECRETtokenVALUE"
	f := slackfake.NewTest(t)
	f.AddToken(slackfake.Token{Token: token})
	f.AddChannel(slackfake.Channel{ID: "C0JOBS0001", Name: "ml-jobs"})
	f.AddChannel(slackfake.Channel{ID: "C0JOBS0002", Name: "nlp-jobs"})
	clock := &fakeClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	sleeping, release := make(chan struct{}, 1), make(chan struct{})
	app := notify.NewApp(token, notify.AppOptions{APIURL: f.URL() + "/api/", Now: clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error { // a pacing wait: until released
			select {
			case sleeping <- struct{}{}:
			default:
			}
			select {
			case <-release:
				return clock.Sleep(ctx, d)
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
	ctx := t.Context()
	if r, _ := app.Send(ctx, notify.AppMessage{Channel: "C0JOBS0001", Text: "first"}); !r.OK() {
		t.Fatalf("first post: %+v", r)
	}
	var gate sync.Mutex
	waiting := make(chan notify.Result, 1)
	go func() { // the channel's next post must wait a second
		r, _, _ := app.DeliverGated(ctx, notify.AppMessage{Channel: "C0JOBS0001", Text: "second"}, &gate, time.Minute)
		gate.Unlock()
		waiting <- r
	}()
	<-sleeping
	other := make(chan notify.Result, 1)
	go func() {
		r, _, _ := app.DeliverGated(ctx, notify.AppMessage{Channel: "C0JOBS0002", Text: "elsewhere"}, &gate, time.Minute)
		gate.Unlock()
		other <- r
	}()
	select {
	case r := <-other:
		if !r.OK() {
			t.Errorf("the other channel's post: %+v", r)
		}
	case <-time.After(10 * time.Second): // a generous bound: the post itself takes milliseconds
		t.Fatal("a post to another channel waited for the first channel's pacing: the wait held the gate")
	}
	close(release)
	if r := <-waiting; !r.OK() {
		t.Errorf("the paced post: %+v", r)
	}
}
