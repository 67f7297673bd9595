// Over 400 lines: one test per behaviour of the fake that kamobot's tests
// rely on (answers, validation, limits, hook states, faults, control API),
// each short; they share the post helpers at the top.
package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/clock"
)

// reply is what a client saw.
type reply struct {
	status int
	body   string
	header http.Header
}

func post(t *testing.T, rawURL, contentType, body string) reply {
	t.Helper()
	r, err := doPost(t.Context(), http.DefaultClient, rawURL, contentType, body)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	return r
}

func doPost(ctx context.Context, c *http.Client, rawURL, contentType, body string) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{resp.StatusCode, string(b), resp.Header}, nil
}

const jsonType = "application/json"

func TestSuccessAnswerIsExactlyOK(t *testing.T) {
	s := NewTest(t)
	hook := s.NewHook()
	r := post(t, hook, jsonType, `{"text":"hi","replace_original":false,"delete_original":false,"username":"x"}`)
	if r.status != 200 || r.body != "ok" {
		t.Fatalf("got %d %q, want 200 \"ok\"", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/html" {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || msgs[0].Text != "hi" || msgs[0].Hook != HookID(hook) {
		t.Fatalf("messages = %+v", msgs)
	}
	if strings.Contains(msgs[0].Hook, secretOf(hook)) {
		t.Errorf("hook id %q holds the secret", msgs[0].Hook)
	}
}

func secretOf(hook string) string { return hook[strings.LastIndex(hook, "/")+1:] }

func TestAnswers(t *testing.T) {
	s := NewTest(t)
	hook := s.NewHook()
	base := s.URL()
	long := strings.Repeat("x", 4001)
	tests := []struct {
		name        string
		method      string
		url         string
		contentType string
		body        string
		wantStatus  int
		wantBody    string
	}{
		{"get", http.MethodGet, hook, "", "", 405, "invalid_method"},
		{"put", http.MethodPut, hook, jsonType, `{"text":"x"}`, 405, "invalid_method"},
		{"root", http.MethodPost, base + "/", jsonType, `{"text":"x"}`, 404, "no_service"},
		{"short path", http.MethodPost, base + "/services/T1/B1", jsonType, `{"text":"x"}`, 404, "no_service"},
		{"long path", http.MethodPost, base + "/services/T1/B1/s/x", jsonType, `{"text":"x"}`, 404, "no_service"},
		{"bad team", http.MethodPost, base + "/services/X1/B1/s", jsonType, `{"text":"x"}`, 404, "no_service"},
		{"any hook path", http.MethodPost, base + "/services/T9/B9/whatever", jsonType, `{"text":"x"}`, 200, "ok"},
		{"charset", http.MethodPost, hook, "application/json; charset=utf-8", `{"text":"x"}`, 200, "ok"},
		{"form", http.MethodPost, hook, "application/x-www-form-urlencoded",
			"payload=" + url.QueryEscape(`{"text":"form"}`), 200, "ok"},
		{"no content type form", http.MethodPost, hook, "", "payload=" + url.QueryEscape(`{"text":"f"}`), 200, "ok"},
		{"form without payload", http.MethodPost, hook, "application/x-www-form-urlencoded", "text=x", 400, "invalid_payload"},
		{"text/plain", http.MethodPost, hook, "text/plain", `{"text":"x"}`, 400, "invalid_payload"},
		{"latin1", http.MethodPost, hook, "application/json; charset=iso-8859-1", `{"text":"x"}`, 400, "invalid_payload"},
		{"bad json", http.MethodPost, hook, jsonType, "intentionally malformed JSON", 400, "invalid_payload"},
		{"array", http.MethodPost, hook, jsonType, `[{"text":"x"}]`, 400, "invalid_payload"},
		{"string", http.MethodPost, hook, jsonType, `"x"`, 400, "invalid_payload"},
		{"null", http.MethodPost, hook, jsonType, `null`, 400, "invalid_payload"},
		{"text not string", http.MethodPost, hook, jsonType, `{"text":3}`, 400, "invalid_payload"},
		{"not utf8", http.MethodPost, hook, jsonType, "{\"text\":\"\xff\"}", 400, "invalid_payload"},
		{"empty object", http.MethodPost, hook, jsonType, `{}`, 400, "no_text"},
		{"empty text", http.MethodPost, hook, jsonType, `{"text":""}`, 400, "no_text"},
		{"empty blocks", http.MethodPost, hook, jsonType, `{"blocks":[]}`, 400, "no_text"},
		{"blocks only", http.MethodPost, hook, jsonType, `{"blocks":[{"type":"divider"}]}`, 200, "ok"},
		{"attachments only", http.MethodPost, hook, jsonType, `{"attachments":[{"text":"a"}]}`, 200, "ok"},
		{"too many attachments", http.MethodPost, hook, jsonType,
			`{"attachments":[` + strings.TrimSuffix(strings.Repeat(`{},`, 101), ",") + `]}`, 400, "too_many_attachments"},
		{"blocks not array", http.MethodPost, hook, jsonType, `{"text":"x","blocks":{"type":"divider"}}`, 400, "invalid_blocks_format"},
		{"text too long", http.MethodPost, hook, jsonType, `{"text":"` + long + `"}`, 400, "msg_too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || string(b) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, b, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestBlockValidation(t *testing.T) {
	section := func(n int) string {
		return `{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("a", n) + `"}}`
	}
	fields := func(count, size int) string {
		f := make([]string, count)
		for i := range f {
			f[i] = `{"type":"mrkdwn","text":"` + strings.Repeat("f", size) + `"}`
		}
		return `{"type":"section","fields":[` + strings.Join(f, ",") + `]}`
	}
	header := func(typ string, n int) string {
		return `{"type":"header","text":{"type":"` + typ + `","text":"` + strings.Repeat("h", n) + `"}}`
	}
	many := func(n int) string {
		return strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, n), ",")
	}
	tests := []struct {
		name   string
		blocks string
		want   string // "" for accepted
	}{
		{"section 3000", section(3000), ""},
		{"section 3001", section(3001), "invalid_blocks"},
		{"section 3000 runes", `{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("あ", 3000) + `"}}`, ""},
		{"empty section text", section(0), "invalid_blocks"},
		{"section without text", `{"type":"section"}`, "invalid_blocks"},
		{"section bad text type", `{"type":"section","text":{"type":"markdown","text":"x"}}`, "invalid_blocks"},
		{"10 fields", fields(10, 800), ""}, // 8,000 in all: the default total
		{"field 2000", fields(1, 2000), ""},
		{"11 fields", fields(11, 1), "invalid_blocks"},
		{"field 2001", fields(1, 2001), "invalid_blocks"},
		{"header 150", header("plain_text", 150), ""},
		{"header 151", header("plain_text", 151), "invalid_blocks"},
		{"header mrkdwn", header("mrkdwn", 5), "invalid_blocks"},
		{"50 blocks", many(50), ""},
		{"51 blocks", many(51), "invalid_blocks"},
		{"unknown type", `{"type":"sectoin","text":{"type":"mrkdwn","text":"x"}}`, "invalid_blocks"},
		{"no type", `{"text":{"type":"mrkdwn","text":"x"}}`, "invalid_blocks"},
		{"block not object", `"divider"`, "invalid_blocks"},
		{"context", `{"type":"context","elements":[{"type":"mrkdwn","text":"c"},{"type":"image","image_url":"https://x/i.png","alt_text":"i"}]}`, ""},
		{"context empty", `{"type":"context","elements":[]}`, "invalid_blocks"},
		{"context image without alt", `{"type":"context","elements":[{"type":"image","image_url":"https://x/i.png"}]}`, "invalid_blocks"},
		{"block_id 255", `{"type":"divider","block_id":"` + strings.Repeat("b", 255) + `"}`, ""},
		{"block_id 256", `{"type":"divider","block_id":"` + strings.Repeat("b", 256) + `"}`, "invalid_blocks"},
		{"unknown fields", `{"type":"divider","whatever":1}`, ""},
	}
	s := NewTest(t)
	hook := s.NewHook()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"text":"fallback","blocks":[` + tt.blocks + `]}`
			err := Validate([]byte(body))
			var rej *Reject
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v, want accepted", err)
			case tt.want != "" && (!errors.As(err, &rej) || rej.Code != tt.want):
				t.Fatalf("Validate: %v, want %s", err, tt.want)
			}
			r := post(t, hook, jsonType, body)
			want := reply{status: 200, body: "ok"}
			if tt.want != "" {
				want = reply{status: 400, body: tt.want}
			}
			if r.status != want.status || r.body != want.body {
				t.Errorf("server answered %d %q, want %d %q", r.status, r.body, want.status, want.body)
			}
		})
	}
}

func TestLimitsTruncateAndBlocksTotal(t *testing.T) {
	s := NewTest(t, Options{Limits: Limits{MaxText: 10, TruncateText: true, MaxBlocksChars: 20}})
	hook := s.NewHook()
	if r := post(t, hook, jsonType, `{"text":"あいうえおかきくけこさ"}`); r.status != 200 {
		t.Fatalf("long text: %d %q, want 200 (truncated)", r.status, r.body)
	}
	m := s.Messages()[0]
	if !m.Truncated || m.Text != "あいうえおかきくけこ" {
		t.Errorf("message = %q truncated=%v, want the first 10 characters", m.Text, m.Truncated)
	}
	body := `{"text":"x","blocks":[` + strings.Repeat(`{"type":"section","text":{"type":"mrkdwn","text":"0123456789"}},`, 2) +
		`{"type":"divider"}]}`
	if r := post(t, hook, jsonType, body); r.status != 200 {
		t.Errorf("20 characters in blocks: %d %q, want 200", r.status, r.body)
	}
	body = strings.Replace(body, `{"type":"divider"}`, `{"type":"section","text":{"type":"mrkdwn","text":"x"}}`, 1)
	if r := post(t, hook, jsonType, body); r.status != 400 || r.body != "msg_blocks_too_long" {
		t.Errorf("21 characters in blocks: %d %q, want 400 msg_blocks_too_long", r.status, r.body)
	}
}

// By default the fake refuses a message whose blocks hold more than 8,000
// characters of text in all, though every block is within its own limit,
// as Slack has refused 11,300 characters in 45 blocks; a negative limit
// turns the check off.
func TestDefaultBlocksTotal(t *testing.T) {
	section := func(n int) string {
		return `{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("x", n) + `"}}`
	}
	body := func(sizes ...int) string {
		var bs []string
		for _, n := range sizes {
			bs = append(bs, section(n))
		}
		return `{"text":"x","blocks":[` + strings.Join(bs, ",") + `]}`
	}
	atLimit, over := body(2900, 2900, 2200), body(2900, 2900, 2201)
	s := NewTest(t)
	hook := s.NewHook()
	if r := post(t, hook, jsonType, atLimit); r.status != 200 {
		t.Errorf("8,000 characters in blocks: %d %q, want 200", r.status, r.body)
	}
	if r := post(t, hook, jsonType, over); r.status != 400 || r.body != "msg_blocks_too_long" {
		t.Errorf("8,001 characters in blocks: %d %q, want 400 msg_blocks_too_long", r.status, r.body)
	}
	if err := Validate([]byte(over)); err == nil {
		t.Error("Validate takes 8,001 characters in blocks")
	}
	off := NewTest(t, Options{Limits: Limits{MaxBlocksChars: -1}})
	if r := post(t, off.NewHook(), jsonType, over); r.status != 200 {
		t.Errorf("check off: %d %q, want 200", r.status, r.body)
	}
}

func TestHookStates(t *testing.T) {
	s := NewTest(t, Options{Strict: true})
	hook := s.HookURL("T1", "B1", "SECRET1")
	tests := []struct {
		name       string
		url        string
		state      HookState
		wantStatus int
		wantBody   string
	}{
		{"active", hook, HookActive, 200, "ok"},
		{"unknown hook", s.URL() + "/services/T1/B2/SECRET1", "", 404, "no_service"},
		{"wrong secret", s.URL() + "/services/T1/B1/OTHER", "", 403, "invalid_token"},
		{"disabled", hook, HookDisabled, 404, "no_service"},
		{"revoked", hook, HookRevoked, 403, "invalid_token"},
		{"archived", hook, HookArchived, 410, "channel_is_archived"},
		{"active again", hook, HookActive, 200, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.state != "" {
				if err := s.SetHookState(hook, tt.state); err != nil {
					t.Fatal(err)
				}
			}
			r := post(t, tt.url, jsonType, `{"text":"x"}`)
			if r.status != tt.wantStatus || r.body != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", r.status, r.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	if err := s.SetHookState("T1/B1", "gone"); err == nil {
		t.Error("SetHookState with an unknown state: no error")
	}
}

func TestInvalidTokenStatus400(t *testing.T) {
	s := NewTest(t, Options{InvalidTokenStatus: 400})
	hook := s.NewHook()
	if err := s.SetHookState(hook, HookRevoked); err != nil {
		t.Fatal(err)
	}
	if r := post(t, hook, jsonType, `{"text":"x"}`); r.status != 400 || r.body != "invalid_token" {
		t.Errorf("got %d %q, want 400 invalid_token", r.status, r.body)
	}
}

func TestRateLimit(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	s := NewTest(t, Options{Now: clk.Now, RateLimit: RateLimit{Enabled: true, Burst: 2}})
	a, b := s.NewHook(), s.NewHook()
	for i := range 2 {
		if r := post(t, a, jsonType, `{"text":"x"}`); r.status != 200 {
			t.Fatalf("post %d within the burst: %d", i, r.status)
		}
	}
	r := post(t, a, jsonType, `{"text":"x"}`)
	if r.status != 429 || r.header.Get("Retry-After") != "1" ||
		r.body != `{"retry_after":1,"ok":false,"error":"rate_limited"}` {
		t.Fatalf("over the burst: %d Retry-After=%q %q", r.status, r.header.Get("Retry-After"), r.body)
	}
	if r := post(t, b, jsonType, `{"text":"x"}`); r.status != 200 {
		t.Errorf("other hook: %d, want 200 (buckets are per hook)", r.status)
	}
	clk.Add(time.Second)
	if r := post(t, a, jsonType, `{"text":"x"}`); r.status != 200 {
		t.Errorf("after 1s: %d, want 200", r.status)
	}
	if got := s.Stats(); got.RateLimited != 1 || got.Accepted != 4 {
		t.Errorf("stats = %+v", got)
	}
	if err := s.CheckRate(a, 1, 3); err != nil {
		t.Errorf("CheckRate(1/s, burst 3): %v", err)
	}
	if err := s.CheckRate(a, 1, 2); err == nil {
		t.Error("CheckRate(1/s, burst 2): no error for 3 requests in one second")
	}

	s.SetRateLimit(RateLimit{Enabled: true, Rate: 0.1, Burst: 1})
	post(t, a, jsonType, `{"text":"x"}`)
	if r := post(t, a, jsonType, `{"text":"x"}`); r.header.Get("Retry-After") != "10" {
		t.Errorf("rate 0.1/s: Retry-After = %q, want 10", r.header.Get("Retry-After"))
	}
}

func TestScriptedFaults(t *testing.T) {
	s := NewTest(t)
	hook := s.NewHook()
	other := s.NewHook()
	date := "Wed, 21 Oct 2015 07:28:00 GMT"
	s.Script(
		Fault{Status: 500},
		Fault{Status: 503},
		Fault{Status: 429, RetryAfter: 2},
		Fault{Status: 429},
		Fault{Status: 429, Header: map[string]string{"Retry-After": date}, Body: "rate_limited"},
		Fault{Status: 200, Body: "not ok"},
		Fault{Status: 202},
		Fault{Hook: other, Status: 404, Count: 2},
	)
	type want struct {
		status     int
		body       string
		retryAfter string
	}
	wants := []want{
		{500, "rollup_error", ""},
		{503, "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>", ""},
		{429, `{"retry_after":2,"ok":false,"error":"rate_limited"}`, "2"},
		{429, "message_limit_exceeded", ""},
		{429, "rate_limited", date},
		{200, "not ok", ""},
		{202, "", ""},
		{200, "ok", ""},
	}
	// The hook-specific fault answers the other hook first, twice.
	for range 2 {
		if r := post(t, other, jsonType, `{"text":"x"}`); r.status != 404 || r.body != "no_service" {
			t.Errorf("other hook: %d %q, want 404 no_service", r.status, r.body)
		}
	}
	for i, w := range wants {
		r := post(t, hook, jsonType, `{"text":"x"}`)
		if r.status != w.status || r.body != w.body || r.header.Get("Retry-After") != w.retryAfter {
			t.Errorf("request %d: %d %q Retry-After=%q, want %d %q %q", i, r.status, r.body,
				r.header.Get("Retry-After"), w.status, w.body, w.retryAfter)
		}
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages recorded, want 1 (faults post nothing)", n)
	}
}

func TestFaultForeverAndClear(t *testing.T) {
	s := NewTest(t)
	hook := s.NewHook()
	s.Script(Fault{Status: 503, Count: -1})
	for range 3 {
		if r := post(t, hook, jsonType, `{"text":"x"}`); r.status != 503 {
			t.Fatalf("got %d, want 503", r.status)
		}
	}
	s.ClearFaults()
	if r := post(t, hook, jsonType, `{"text":"x"}`); r.status != 200 {
		t.Fatalf("after ClearFaults: %d, want 200", r.status)
	}
}

func TestHangUntilClientGivesUp(t *testing.T) {
	s := NewTest(t)
	hook := s.NewHook()
	s.Script(Fault{Hang: true})
	c := &http.Client{Timeout: 100 * time.Millisecond}
	start := time.Now()
	_, err := doPost(t.Context(), c, hook, jsonType, `{"text":"x"}`)
	if err == nil {
		t.Fatal("no error from a hanging server")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("client waited %v", el)
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages after a hang, want 0", n)
	}
}

func TestResetAfterReadPostsTheMessage(t *testing.T) {
	s := NewTest(t)
	hook := s.NewHook()
	s.Script(Fault{Reset: true})
	_, err := doPost(t.Context(), http.DefaultClient, hook, jsonType, `{"text":"dup"}`)
	if err == nil {
		t.Fatal("no error from a reset connection")
	}
	msgs := s.Messages()
	if len(msgs) != 1 || msgs[0].Text != "dup" {
		t.Fatalf("messages = %+v, want the posted one", msgs)
	}
	at := s.Attempts()
	if len(at) != 1 || at[0].Fault != "reset" || !at[0].Accepted {
		t.Errorf("attempts = %+v", at)
	}
}

func TestDeliverFault(t *testing.T) {
	s := NewTest(t)
	hook := s.NewHook()
	s.Script(Fault{Status: 500, Deliver: true})
	if r := post(t, hook, jsonType, `{"text":"x"}`); r.status != 500 {
		t.Fatalf("got %d, want 500", r.status)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages, want 1 (posted despite the 500)", n)
	}
}

// CallControl calls the control API at base over HTTP; the external tests
// use it too.
func CallControl(t *testing.T, base, method, path, body string) (status int, text string, header http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestControlAPI(t *testing.T) {
	s := NewTest(t)
	ctl := func(method, path, body string) reply {
		t.Helper()
		code, text, header := CallControl(t, s.URL(), method, path, body)
		return reply{code, text, header}
	}
	var created struct{ URL string }
	if err := json.Unmarshal([]byte(ctl("POST", "/_fake/hooks", "").body), &created); err != nil || created.URL == "" {
		t.Fatalf("POST /_fake/hooks: %v %+v", err, created)
	}
	hook := created.URL

	if r := ctl("POST", "/_fake/faults", `{"status":500,"count":1}`); r.status != 204 {
		t.Fatalf("POST fault: %d %s", r.status, r.body)
	}
	if r := post(t, hook, jsonType, `{"text":"a"}`); r.status != 500 {
		t.Errorf("scripted over HTTP: %d, want 500", r.status)
	}
	if r := ctl("POST", "/_fake/faults", `[{"status":429,"retry_after":2,"count":1},{"rate_limit":true,"burst":1}]`); r.status != 204 {
		t.Fatalf("POST faults: %d %s", r.status, r.body)
	}
	if r := post(t, hook, jsonType, `{"text":"b"}`); r.status != 429 || r.header.Get("Retry-After") != "2" {
		t.Errorf("scripted 429: %d %q", r.status, r.header.Get("Retry-After"))
	}
	if r := post(t, hook, jsonType, `{"text":"c <@U1> &amp;"}`); r.status != 200 {
		t.Errorf("first of the burst: %d", r.status)
	}
	if r := post(t, hook, jsonType, `{"text":"d"}`); r.status != 429 {
		t.Errorf("rate limited: %d", r.status)
	}
	if r := ctl("POST", "/_fake/faults", `{"rate_limit":false}`); r.status != 204 {
		t.Fatalf("rate limit off: %d", r.status)
	}
	if r := ctl("POST", "/_fake/faults", `{"status":"x"}`); r.status != 400 {
		t.Errorf("bad fault: %d, want 400", r.status)
	}

	var msgs []Message
	if err := json.Unmarshal([]byte(ctl("GET", "/_fake/messages", "").body), &msgs); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Text != "c <@U1> &amp;" || msgs[0].Readable != "c @U1 &" {
		t.Fatalf("GET /_fake/messages = %+v", msgs)
	}
	var st Stats
	if err := json.Unmarshal([]byte(ctl("GET", "/_fake/stats", "").body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Requests != 4 || st.Accepted != 1 || st.RateLimited != 1 || st.Faults != 2 || st.ByStatus["429"] != 2 {
		t.Errorf("stats = %+v", st)
	}
	if r := ctl("POST", "/_fake/hooks", fmt.Sprintf(`{"hook":%q,"state":"archived"}`, hook)); r.status != 200 {
		t.Fatalf("archive: %d %s", r.status, r.body)
	}
	if r := post(t, hook, jsonType, `{"text":"e"}`); r.status != 410 {
		t.Errorf("archived: %d, want 410", r.status)
	}
	if r := ctl("DELETE", "/_fake/messages", ""); r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	if r := ctl("GET", "/_fake/messages", ""); strings.TrimSpace(r.body) != "[]" {
		t.Errorf("after DELETE: %s", r.body)
	}
	if r := ctl("GET", "/_fake/nope", ""); r.status != 404 {
		t.Errorf("unknown endpoint: %d", r.status)
	}
	if strings.Contains(ctl("GET", "/_fake/attempts", "").body, secretOf(hook)) {
		t.Error("attempts expose the secret")
	}
}

func TestRecordsReadableBlocks(t *testing.T) {
	s := NewTest(t)
	hook := s.NewHook()
	body := `{"text":"fallback","blocks":[` +
		`{"type":"header","text":{"type":"plain_text","text":"Done &amp; dusted"}},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"<https://k.example/#/training/1|job &lt;1&gt;>"}},` +
		`{"type":"section","fields":[{"type":"mrkdwn","text":"*A*\n1"},{"type":"mrkdwn","text":"*B*\n2"}]},` +
		`{"type":"context","elements":[{"type":"mrkdwn","text":"c1"},{"type":"mrkdwn","text":"c2"}]}]}`
	post(t, hook, jsonType, body)
	m := s.Messages()[0]
	want := "# Done & dusted\njob <1> (https://k.example/#/training/1)\n*A*\n1 | *B*\n2\nc1 | c2"
	if m.Readable != want {
		t.Errorf("Readable =\n%s\nwant\n%s", m.Readable, want)
	}
	if len(m.Unescaped()) != 0 {
		t.Errorf("unescaped: %v", m.Unescaped())
	}
}

func TestConcurrentPosts(t *testing.T) {
	s := NewTest(t)
	hooks := []string{s.NewHook(), s.NewHook()}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := doPost(t.Context(), http.DefaultClient, hooks[i%2], jsonType, fmt.Sprintf(`{"text":"%d"}`, i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Every message is stored before its "ok" is sent.
	got := s.Messages()
	if len(got) != 20 {
		t.Fatalf("%d messages after 20 posts answered", len(got))
	}
	for i, m := range got {
		if m.Seq != i+1 {
			t.Errorf("message %d has seq %d", i, m.Seq)
		}
	}
	if n := len(s.MessagesFor(hooks[0])); n != 10 {
		t.Errorf("hook 0 got %d messages, want 10", n)
	}
}

func TestAssertHelpersFlagProblems(t *testing.T) {
	s := NewTest(t)
	hook := s.NewHook()
	post(t, hook, jsonType, `{"text":"a <b> & <!channel>"}`)
	m := s.Messages()[0]
	if len(m.Unescaped()) != 3 {
		t.Errorf("Unescaped = %v, want 3 flaws", m.Unescaped())
	}
	if got := m.TextView.Specials; len(got) != 1 || got[0] != "channel" {
		t.Errorf("Specials = %v", got)
	}
}

func TestTLS(t *testing.T) {
	s := NewTest(t, Options{TLS: true})
	hook := s.NewHook()
	if !strings.HasPrefix(hook, "https://") {
		t.Fatalf("hook %q is not https", hook)
	}
	r, err := doPost(t.Context(), s.srv.Client(), hook, jsonType, `{"text":"x"}`)
	if err != nil || r.status != 200 {
		t.Fatalf("post over TLS: %v %d", err, r.status)
	}
	if _, err := doPost(t.Context(), http.DefaultClient, hook, jsonType, `{"text":"x"}`); err == nil {
		t.Error("a client without the fake's CA succeeded")
	}
}

func TestHookID(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T1/B2/xyz": "T1/B2",
		"/services/T1/B2/xyz":                        "T1/B2",
		"T1/B2":                                      "T1/B2",
		"https://x.example/hooks/abc":                "",
		"nonsense":                                   "",
	} {
		if got := HookID(in); got != want {
			t.Errorf("HookID(%q) = %q, want %q", in, got, want)
		}
	}
}
