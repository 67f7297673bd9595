package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// testClock is an injected clock whose Sleep advances it at once.
type testClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newClock() *testClock {
	return &testClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
		c.slept = append(c.slept, d)
	}
	return nil
}

func (c *testClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

const okPayload = `{"text":"hello"}`

func TestSendClassifiesEveryAnswer(t *testing.T) {
	clock := newClock()
	date := clock.Now().Add(90 * time.Second).Format(http.TimeFormat)
	long := strings.Repeat("x", 500)
	tests := []struct {
		name      string
		fault     *slackfake.Fault
		state     slackfake.HookState
		payload   string
		want      notify.Class
		status    int
		code      string
		retryWait time.Duration
	}{
		{name: "ok", want: notify.Delivered, status: 200},
		{name: "200 not ok", fault: &slackfake.Fault{Status: 200, Body: "not ok"}, want: notify.Temporary, status: 200, code: "not ok"},
		{name: "200 ok newline", fault: &slackfake.Fault{Status: 200, Body: "ok\n"}, want: notify.Temporary, status: 200, code: "ok"},
		{name: "202 empty", fault: &slackfake.Fault{Status: 202}, want: notify.Temporary, status: 202},
		{name: "204", fault: &slackfake.Fault{Status: 204}, want: notify.Temporary, status: 204},
		{name: "500 rollup_error", fault: &slackfake.Fault{Status: 500}, want: notify.Temporary, status: 500, code: "rollup_error"},
		{name: "502 html", fault: &slackfake.Fault{Status: 502}, want: notify.Temporary, status: 502,
			code: "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"},
		{name: "503 html", fault: &slackfake.Fault{Status: 503}, want: notify.Temporary, status: 503,
			code: "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>"},
		{name: "504", fault: &slackfake.Fault{Status: 504}, want: notify.Temporary, status: 504,
			code: "<html><head><title>504 Gateway Timeout</title></head><body><h1>Gateway Timeout</h1></body></html>"},
		{name: "500 action_prohibited", fault: &slackfake.Fault{Status: 500, Body: "action_prohibited"}, want: notify.DeadWebhook, status: 500, code: "action_prohibited"},
		{name: "500 msg_blocks_too_long", fault: &slackfake.Fault{Status: 500, Body: "msg_blocks_too_long"}, want: notify.PermanentMessage, status: 500, code: "msg_blocks_too_long"},
		{name: "503 own html", fault: &slackfake.Fault{Status: 503, Body: "<html>busy</html>"}, want: notify.Temporary, status: 503, code: "<html>busy</html>"},
		{name: "long body capped", fault: &slackfake.Fault{Status: 500, Body: long}, want: notify.Temporary, status: 500, code: long[:200] + "…"},
		{name: "body sanitised", fault: &slackfake.Fault{Status: 500, Body: "a\nb\x00c\xff"}, want: notify.Temporary, status: 500, code: "a b c?"},
		{name: "429 retry after", fault: &slackfake.Fault{Status: 429, RetryAfter: 2}, want: notify.RateLimited, status: 429, code: "rate_limited", retryWait: 2 * time.Second},
		{name: "429 no retry after", fault: &slackfake.Fault{Status: 429}, want: notify.RateLimited, status: 429, code: "message_limit_exceeded"},
		{name: "429 http date", fault: &slackfake.Fault{Status: 429, Header: map[string]string{"Retry-After": date}}, want: notify.RateLimited, status: 429, code: "message_limit_exceeded", retryWait: 90 * time.Second},
		{name: "429 huge capped", fault: &slackfake.Fault{Status: 429, RetryAfter: 86400}, want: notify.RateLimited, status: 429, code: "rate_limited", retryWait: 15 * time.Minute},
		{name: "429 garbage", fault: &slackfake.Fault{Status: 429, Header: map[string]string{"Retry-After": "soon"}}, want: notify.RateLimited, status: 429, code: "message_limit_exceeded"},
		{name: "invalid_payload", payload: "intentionally malformed JSON", want: notify.PermanentMessage, status: 400, code: "invalid_payload"},
		{name: "no_text", payload: `{"text":""}`, want: notify.PermanentMessage, status: 400, code: "no_text"},
		{name: "invalid_blocks", payload: `{"text":"x","blocks":[{"type":"nope"}]}`, want: notify.PermanentMessage, status: 400, code: "invalid_blocks"},
		{name: "invalid_blocks_format", payload: `{"text":"x","blocks":"nope"}`, want: notify.PermanentMessage, status: 400, code: "invalid_blocks_format"},
		{name: "msg_too_long", payload: `{"text":"` + strings.Repeat("a", 4001) + `"}`, want: notify.PermanentMessage, status: 400, code: "msg_too_long"},
		{name: "too_many_attachments", payload: `{"attachments":[` + strings.TrimSuffix(strings.Repeat("{},", 101), ",") + `]}`, want: notify.PermanentMessage, status: 400, code: "too_many_attachments"},
		{name: "user_not_found", fault: &slackfake.Fault{Status: 400, Body: "user_not_found"}, want: notify.PermanentMessage, status: 400, code: "user_not_found"},
		{name: "missing_text_or_fallback", fault: &slackfake.Fault{Status: 400, Body: "missing_text_or_fallback_or_attachments"}, want: notify.PermanentMessage, status: 400, code: "missing_text_or_fallback_or_attachments"},
		{name: "413", fault: &slackfake.Fault{Status: 413, Body: "too large"}, want: notify.PermanentMessage, status: 413, code: "too large"},
		{name: "disabled", state: slackfake.HookDisabled, want: notify.DeadWebhook, status: 404, code: "no_service"},
		{name: "revoked", state: slackfake.HookRevoked, want: notify.DeadWebhook, status: 403, code: "invalid_token"},
		{name: "archived", state: slackfake.HookArchived, want: notify.DeadWebhook, status: 410, code: "channel_is_archived"},
		{name: "invalid_token 400", fault: &slackfake.Fault{Status: 400, Body: "invalid_token"}, want: notify.DeadWebhook, status: 400, code: "invalid_token"},
		{name: "channel_not_found", fault: &slackfake.Fault{Status: 404, Body: "channel_not_found"}, want: notify.DeadWebhook, status: 404, code: "channel_not_found"},
		{name: "action_prohibited", fault: &slackfake.Fault{Status: 403, Body: "action_prohibited"}, want: notify.DeadWebhook, status: 403, code: "action_prohibited"},
		{name: "general denied", fault: &slackfake.Fault{Status: 403, Body: "posting_to_general_channel_denied"}, want: notify.DeadWebhook, status: 403, code: "posting_to_general_channel_denied"},
		{name: "no_active_hooks", fault: &slackfake.Fault{Status: 404, Body: "no_active_hooks"}, want: notify.DeadWebhook, status: 404, code: "no_active_hooks"},
		{name: "no_team", fault: &slackfake.Fault{Status: 404, Body: "no_team"}, want: notify.DeadWebhook, status: 404, code: "no_team"},
		{name: "team_disabled", fault: &slackfake.Fault{Status: 403, Body: "team_disabled"}, want: notify.DeadWebhook, status: 403, code: "team_disabled"},
		{name: "no_service_id", fault: &slackfake.Fault{Status: 404, Body: "no_service_id"}, want: notify.DeadWebhook, status: 404, code: "no_service_id"},
		{name: "other 4xx", fault: &slackfake.Fault{Status: 418, Body: "teapot"}, want: notify.DeadWebhook, status: 418, code: "teapot"},
		{name: "401", fault: &slackfake.Fault{Status: 401}, want: notify.DeadWebhook, status: 401},
		{name: "408", fault: &slackfake.Fault{Status: 408}, want: notify.Temporary, status: 408},
		{name: "501", fault: &slackfake.Fault{Status: 501}, want: notify.DeadWebhook, status: 501},
		{name: "redirect", fault: &slackfake.Fault{Status: 302, Header: map[string]string{"Location": "https://elsewhere.example/"}}, want: notify.DeadWebhook, status: 302},
		{name: "reset after read", fault: &slackfake.Fault{Reset: true}, want: notify.Temporary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := slackfake.NewTest(t)
			hook := fake.NewHook()
			if tt.fault != nil {
				fake.Script(*tt.fault)
			}
			if tt.state != "" {
				if err := fake.SetHookState(hook, tt.state); err != nil {
					t.Fatal(err)
				}
			}
			payload := tt.payload
			if payload == "" {
				payload = okPayload
			}
			s := notify.NewSender(notify.SenderOptions{Now: clock.Now})
			r := s.Send(t.Context(), hook, []byte(payload))
			if r.Class != tt.want || r.Status != tt.status || r.Code != tt.code || r.RetryAfter != tt.retryWait {
				t.Errorf("Send = %v status %d code %q retry %v (err %v); want %v %d %q %v",
					r.Class, r.Status, r.Code, r.RetryAfter, r.Err, tt.want, tt.status, tt.code, tt.retryWait)
			}
			if (r.Err == nil) != (tt.want == notify.Delivered) {
				t.Errorf("Err = %v for class %v", r.Err, r.Class)
			}
			var se *notify.Error
			if r.Err != nil && (!errors.As(r.Err, &se) || se.Class != r.Class || se.Status != r.Status) {
				t.Errorf("Err = %#v, want an *Error of the same class and status", r.Err)
			}
		})
	}
}

func TestSendTimeoutAndRefused(t *testing.T) {
	fake := slackfake.NewTest(t)
	hook := fake.NewHook()
	fake.Script(slackfake.Fault{Hang: true})
	s := notify.NewSender(notify.SenderOptions{Client: notify.NewHTTPClient(150 * time.Millisecond)})
	start := time.Now()
	r := s.Send(t.Context(), hook, []byte(okPayload))
	if r.Class != notify.Temporary || r.Status != 0 {
		t.Errorf("hang: %v %d, want temporary with no status", r.Class, r.Status)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("hang: Send took %v", el)
	}
	var ne net.Error
	if !errors.As(r.Err, &ne) || !ne.Timeout() {
		t.Errorf("hang: err %v is not a timeout", r.Err)
	}

	r = s.Send(t.Context(), closedURL(t), []byte(okPayload))
	if r.Class != notify.Temporary || r.Status != 0 || r.Err == nil {
		t.Errorf("refused: %+v, want temporary", r)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r = s.Send(ctx, hook, []byte(okPayload))
	if r.Class != notify.Temporary || !errors.Is(r.Err, context.Canceled) {
		t.Errorf("canceled: %v %v, want temporary wrapping context.Canceled", r.Class, r.Err)
	}
}

func TestSendRejectsBadURLWithoutQuotingIt(t *testing.T) {
	s := notify.NewSender(notify.SenderOptions{})
	for _, u := range []string{"", "hooks.slack.com/services/T1/B1/CANARY0SECRET", "ftp://x/services/T1/B1/CANARY0SECRET",
		"https://hooks.slack.com/services/T1/B1/CANARY0SECRET\x7f"} {
		r := s.Send(t.Context(), u, []byte(okPayload))
		if r.Class != notify.DeadWebhook {
			t.Errorf("Send(%q) = %v, want dead webhook", u, r.Class)
		}
		if strings.Contains(r.Err.Error(), "CANARY") {
			t.Errorf("Send(%q) error leaks the secret: %v", u, r.Err)
		}
	}
}

// closedURL is a hook URL on a port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/services/T1/B1/CANARY0SECRET0abcdefghijk"
}

func TestSendHeaders(t *testing.T) {
	var got http.Header
	srv := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		_, _ = w.Write([]byte("ok"))
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	s := notify.NewSender(notify.SenderOptions{UserAgent: "kamobot/test"})
	if r := s.Send(t.Context(), "http://"+l.Addr().String()+"/services/T1/B1/x", []byte(okPayload)); !r.OK() {
		t.Fatalf("Send: %v", r.Err)
	}
	if got.Get("User-Agent") != "kamobot/test" || got.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("headers = %v", got)
	}
}

// TestNoSecretLeaks is kamobot's version of alertmanager's
// AssertNotifyLeaksNoSecret: whatever goes wrong, the secret part of the
// webhook URL appears in no error, result, or log line.
func TestNoSecretLeaks(t *testing.T) {
	const canary = "CANARYxWEBHOOKxSECRETxyz"
	tests := []struct {
		name  string
		setup func(t *testing.T, fake *slackfake.Server) string
		ctx   func(t *testing.T) context.Context
	}{
		{name: "connection refused", setup: func(t *testing.T, _ *slackfake.Server) string {
			return strings.Replace(closedURL(t), "CANARY0SECRET0abcdefghijk", canary, 1)
		}},
		{name: "timeout", setup: func(_ *testing.T, fake *slackfake.Server) string {
			fake.Script(slackfake.Fault{Hang: true, Count: -1})
			return fake.HookURL("T1", "B1", canary)
		}},
		{name: "context canceled mid-request", setup: func(_ *testing.T, fake *slackfake.Server) string {
			fake.Script(slackfake.Fault{Hang: true, Count: -1})
			return fake.HookURL("T1", "B1", canary)
		}, ctx: func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}},
		{name: "reset", setup: func(_ *testing.T, fake *slackfake.Server) string {
			fake.Script(slackfake.Fault{Reset: true, Count: -1})
			return fake.HookURL("T1", "B1", canary)
		}},
		{name: "500", setup: func(_ *testing.T, fake *slackfake.Server) string {
			fake.Script(slackfake.Fault{Status: 500, Count: -1})
			return fake.HookURL("T1", "B1", canary)
		}},
		{name: "404 no_service", setup: func(_ *testing.T, fake *slackfake.Server) string {
			return fake.URL() + "/services/" + canary
		}},
		{name: "revoked", setup: func(_ *testing.T, fake *slackfake.Server) string {
			u := fake.HookURL("T1", "B1", canary)
			_ = fake.SetHookState(u, slackfake.HookRevoked)
			return u
		}},
		{name: "proxy echoes the url", setup: func(_ *testing.T, fake *slackfake.Server) string {
			u := fake.HookURL("T1", "B1", canary)
			fake.Script(slackfake.Fault{Status: 502, Body: "bad gateway for POST " + u + " (/services/T1/B1/" + canary + ")", Count: -1})
			return u
		}},
		{name: "429", setup: func(_ *testing.T, fake *slackfake.Server) string {
			fake.Script(slackfake.Fault{Status: 429, RetryAfter: 86400})
			return fake.HookURL("T1", "B1", canary)
		}},
		{name: "secret in query and user info", setup: func(_ *testing.T, fake *slackfake.Server) string {
			fake.Script(slackfake.Fault{Hang: true, Count: -1})
			return strings.Replace(fake.URL(), "http://", "http://user:"+canary+"@", 1) + "/services/T1/B1/x?token=" + canary
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := slackfake.NewTest(t)
			u := tt.setup(t, fake)
			ctx := t.Context()
			if tt.ctx != nil {
				ctx = tt.ctx(t)
			}
			var logs bytes.Buffer
			s := notify.NewSender(notify.SenderOptions{
				Client: notify.NewHTTPClient(200 * time.Millisecond),
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				Retry:  notify.RetryPolicy{Attempts: 2, Base: time.Millisecond, Cap: time.Millisecond},
				Pacer:  notify.NewPacer(0, nil, nil),
			})
			r, _ := s.Deliver(ctx, u, []byte(okPayload))
			if r.OK() {
				t.Fatal("delivered; the test wants a failure")
			}
			for what, text := range map[string]string{
				"Error()":   r.Err.Error(),
				"%v":        fmt.Sprintf("%v", r),
				"%+v":       fmt.Sprintf("%+v", r),
				"%#v":       fmt.Sprintf("%#v", r),
				"%+v error": fmt.Sprintf("%+v", r.Err),
				"logs":      logs.String(),
				"Redact":    notify.Redact(u),
				"unwrapped": unwrapAll(r.Err),
			} {
				if strings.Contains(text, canary) {
					t.Errorf("%s leaks the secret: %s", what, text)
				}
			}
			if !strings.Contains(logs.String(), "slack post") {
				t.Errorf("no log line written: %q", logs.String())
			}
		})
	}
}

// unwrapAll joins the texts of every error in err's chain.
func unwrapAll(err error) string {
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		b.WriteString(e.Error())
		b.WriteString("\n")
	}
	return b.String()
}

func TestRedactAndFingerprint(t *testing.T) {
	tests := map[string]string{
		"https://hooks.slack.com/services/T0001/B0123/abcdefghijklmnopqrstuvwx": "hooks.slack.com/…/B0123/****",
		"https://hooks.slack-gov.com/services/T1/B2/xyz":                        "hooks.slack-gov.com/…/B2/****",
		"https://mm.example/hooks/abcdef123":                                    "mm.example/****",
		"https://hooks.slack.com/services/T1/secret":                            "hooks.slack.com/****",
		"https://hooks.slack.com/services/T1/bad!/x":                            "hooks.slack.com/****",
		"http://u:p@127.0.0.1:8080/services/T1/B1/s?x=1":                        "127.0.0.1:8080/…/B1/****",
		"not a url": "<invalid webhook url>",
		"":          "<invalid webhook url>",
	}
	for in, want := range tests {
		if got := notify.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	a := notify.Fingerprint("https://hooks.slack.com/services/T1/B1/aaa")
	b := notify.Fingerprint("https://hooks.slack.com/services/T1/B1/bbb")
	if len(a) != 8 || a == b {
		t.Errorf("Fingerprint: %q and %q", a, b)
	}
	if a != notify.Fingerprint(" https://hooks.slack.com/services/T1/B1/aaa\n") {
		t.Error("Fingerprint depends on surrounding space")
	}
}
