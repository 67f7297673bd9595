package metrics

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// newTest returns metrics on the real clock: the tests that move it run in
// a synctest bubble, where time.Sleep moves it at once.
func newTest(t *testing.T) *Metrics {
	t.Helper()
	return New(Options{Version: "v1.2.3", Commit: "abc123", GoVersion: "go1.26.8", UnhealthyAfter: 3, Interval: 30 * time.Second})
}

func TestObservePass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTest(t)
		m.ObservePass(Pass{Result: ResultOK, Duration: 2 * time.Second, Queued: 3, Sent: 2, Dead: 1,
			Failures: map[string]int{"rate_limited": 1}, OutboxSeen: true, Pending: 1,
			OldestPending: time.Now().Add(-90 * time.Second), DeadLetters: 4})
		m.ObservePass(Pass{Result: ResultFailed, Duration: time.Second, StateWriteFailed: true})
		m.ObservePass(Pass{Result: ResultSkippedLocked})
		m.ObservePass(Pass{Result: ResultFailed, OutboxSeen: true, Pending: 5, DeadWebhooks: 1})
		m.ObserveAPI("GET", "/api/v2/training/{id}", 200, 50*time.Millisecond)
		m.ObserveAPI("GET", "/api/v2/training/{id}", 0, time.Second)
		m.SetTLSInsecure(true)

		for _, tt := range []struct {
			name string
			got  float64
			want float64
		}{
			{"passes ok", testutil.ToFloat64(m.passes.WithLabelValues("ok")), 1},
			{"passes failed", testutil.ToFloat64(m.passes.WithLabelValues("failed")), 2},
			{"passes skipped", testutil.ToFloat64(m.passes.WithLabelValues("skipped_locked")), 1},
			{"failures in a row", testutil.ToFloat64(m.failuresInRow), 2},
			{"last success", testutil.ToFloat64(m.lastSuccess), float64(time.Now().Unix())},
			{"queued", testutil.ToFloat64(m.queued), 3},
			{"delivered", testutil.ToFloat64(m.notifications.WithLabelValues("delivered")), 2},
			{"dead letter", testutil.ToFloat64(m.notifications.WithLabelValues("dead_letter")), 1},
			{"failures rate_limited", testutil.ToFloat64(m.sendFailures.WithLabelValues("rate_limited")), 1},
			{"pending: from the last pass that sent", testutil.ToFloat64(m.outboxPending), 5},
			{"oldest age: none known in the last pass", testutil.ToFloat64(m.outboxOldest), 0},
			{"dead letters", testutil.ToFloat64(m.deadLetters), 0},
			{"webhook healthy", testutil.ToFloat64(m.webhookHealthy), 0},
			{"state write failures", testutil.ToFloat64(m.stateWrites), 1},
			{"api 200", testutil.ToFloat64(m.apiRequests.WithLabelValues("GET", "/api/v2/training/{id}", "200")), 1},
			{"api no answer", testutil.ToFloat64(m.apiRequests.WithLabelValues("GET", "/api/v2/training/{id}", "error")), 1},
			{"tls insecure", testutil.ToFloat64(m.tlsInsecure), 1},
		} {
			if tt.got != tt.want {
				t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
			}
		}
		if n := testutil.CollectAndCount(m.passDuration); n != 1 {
			t.Errorf("pass duration: %d series", n)
		}
	})
}

func TestOutboxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTest(t)
		m.ObservePass(Pass{Result: ResultOK, OutboxSeen: true, Pending: 2, OldestPending: time.Now().Add(-90 * time.Second), DeadLetters: 4})
		if got := testutil.ToFloat64(m.outboxOldest); got != 90 {
			t.Errorf("oldest age: got %v, want 90", got)
		}
		if got := testutil.ToFloat64(m.deadLetters); got != 4 {
			t.Errorf("dead letters: got %v, want 4", got)
		}
		// A pass that did not get to sending leaves the outbox figures alone.
		m.ObservePass(Pass{Result: ResultFailed})
		if got := testutil.ToFloat64(m.outboxPending); got != 2 {
			t.Errorf("pending after a failed fetch: got %v, want 2", got)
		}
	})
}

func TestHealth(t *testing.T) {
	ok := Pass{Result: ResultOK, OutboxSeen: true}
	failed := Pass{Result: ResultFailed}
	skipped := Pass{Result: ResultSkippedLocked}
	tests := []struct {
		name       string
		passes     []Pass
		wait       time.Duration // after the passes
		wantHealth string
		wantLive   string
		wantReason string
	}{
		{name: "no pass yet", wantHealth: "starting", wantLive: "starting"},
		{name: "first pass hangs", wait: 6*time.Minute + 31*time.Second, wantHealth: "unhealthy", wantLive: "unhealthy",
			wantReason: "no pass succeeded for 6m31s"},
		{name: "ok", passes: []Pass{ok}, wantHealth: "ok", wantLive: "ok"},
		{name: "two failures", passes: []Pass{ok, failed, failed}, wantHealth: "ok", wantLive: "ok"},
		{name: "three failures", passes: []Pass{ok, failed, failed, failed}, wantHealth: "unhealthy", wantLive: "ok",
			wantReason: "3 passes failed in a row"},
		{name: "failures then ok", passes: []Pass{failed, failed, failed, ok}, wantHealth: "ok", wantLive: "ok"},
		{name: "skips do not fail", passes: []Pass{ok, skipped, skipped, skipped, skipped}, wantHealth: "ok", wantLive: "ok"},
		{name: "long without success", passes: []Pass{ok}, wait: 7 * time.Minute, wantHealth: "unhealthy", wantLive: "unhealthy",
			wantReason: "no pass succeeded for 7m0s"},
		{name: "within the grace", passes: []Pass{ok}, wait: 6 * time.Minute, wantHealth: "ok", wantLive: "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := newTest(t)
				for _, p := range tt.passes {
					time.Sleep(30 * time.Second)
					m.ObservePass(p)
				}
				time.Sleep(tt.wait)
				h, l := m.Health(), m.Live()
				if h.Status != tt.wantHealth || l.Status != tt.wantLive {
					t.Errorf("health %q live %q, want %q %q", h.Status, l.Status, tt.wantHealth, tt.wantLive)
				}
				if h.Reason != tt.wantReason {
					t.Errorf("reason: got %q, want %q", h.Reason, tt.wantReason)
				}
			})
		})
	}
}

func TestHealthFollowsInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTest(t)
		m.ObservePass(Pass{Result: ResultOK})
		m.SetInterval(10 * time.Minute) // 3 × 10m + 5m
		time.Sleep(30 * time.Minute)
		if s := m.Health(); s.Status != "ok" {
			t.Errorf("30 minutes with a 10 minute interval: %+v", s)
		}
		time.Sleep(6 * time.Minute)
		if s := m.Health(); s.Status != "unhealthy" {
			t.Errorf("36 minutes with a 10 minute interval: %+v", s)
		}
	})
}

func get(t *testing.T, h http.Handler, method, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), method, path, nil))
	return rec.Code, rec.Header(), rec.Body.String()
}

func TestHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTest(t)
		h := m.Handler(nil)
		m.ObservePass(Pass{Result: ResultOK, OutboxSeen: true, Pending: 0})

		code, hdr, body := get(t, h, "GET", "/metrics")
		if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
			t.Fatalf("/metrics: %d %s", code, hdr.Get("Content-Type"))
		}
		for _, want := range []string{
			`kamobot_build_info{goversion="go1.26.8",revision="abc123",version="v1.2.3"} 1`,
			`kamobot_passes_total{result="ok"} 1`,
			`kamobot_passes_total{result="skipped_locked"} 0`,
			`kamobot_notifications_total{result="dead_letter"} 0`,
			`kamobot_webhook_healthy 1`,
			`kamobot_tls_insecure 0`,
			`kamobot_outbox_pending 0`,
			"# TYPE kamobot_pass_duration_seconds histogram",
			"go_goroutines ",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		if problems, err := testutil.GatherAndLint(m.reg); err != nil || len(problems) > 0 {
			t.Errorf("lint: %v %+v", err, problems)
		}

		code, hdr, body = get(t, h, "GET", "/healthz")
		var s Status
		if err := json.Unmarshal([]byte(body), &s); err != nil || code != 200 || hdr.Get("Content-Type") != "application/json" {
			t.Fatalf("/healthz: %d %q %v", code, body, err)
		}
		if s.Status != "ok" || s.LastResult != "ok" || !s.LastSuccess.Equal(time.Now()) || s.Pending == nil || *s.Pending != 0 || s.UnhealthyAfter != 3 {
			t.Errorf("/healthz: %+v", s)
		}
		for range 3 {
			m.ObservePass(Pass{Result: ResultFailed})
		}
		if code, _, body := get(t, h, "GET", "/healthz"); code != 503 || !strings.Contains(body, `"reason":"3 passes failed in a row"`) {
			t.Errorf("/healthz after 3 failures: %d %s", code, body)
		}
		if code, _, _ := get(t, h, "GET", "/livez"); code != 200 {
			t.Errorf("/livez after 3 failures: %d, want 200 (the loop moves)", code)
		}
		if code, _, body := get(t, h, "HEAD", "/healthz"); code != 503 || body != "" {
			t.Errorf("HEAD /healthz: %d %q", code, body)
		}
		if code, hdr, _ := get(t, h, "POST", "/healthz"); code != 405 || hdr.Get("Allow") == "" {
			t.Errorf("POST /healthz: %d", code)
		}
		if code, _, _ := get(t, h, "GET", "/nothing"); code != 404 {
			t.Errorf("/nothing: %d", code)
		}
		if code, _, body := get(t, h, "GET", "/"); code != 200 || !strings.Contains(body, "/healthz") {
			t.Errorf("/: %d %q", code, body)
		}
	})
}

func TestCheckAddr(t *testing.T) {
	for _, tt := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:9465", true},
		{":9465", true},
		{"[::1]:9465", true},
		{"localhost:0", true},
		{"9465", false},
		{"127.0.0.1", false},
		{"127.0.0.1:http", false},
		{"127.0.0.1:70000", false},
	} {
		if err := CheckAddr(tt.addr); (err == nil) != tt.ok {
			t.Errorf("CheckAddr(%q) = %v, want ok %v", tt.addr, err, tt.ok)
		}
	}
}

func TestListenInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m := newTest(t)
	_, err = Listen(l.Addr().String(), m, nil)
	if err == nil || !strings.Contains(err.Error(), "cannot listen on "+l.Addr().String()+" for metrics: bind: address already in use") {
		t.Fatalf("got %v", err)
	}
}

func TestServeShutsDown(t *testing.T) {
	m := newTest(t)
	s, err := Listen("127.0.0.1:0", m, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()

	resp, err := http.Get("http://" + s.Addr().String() + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"status":"starting"`) {
		t.Errorf("/livez: %d %s", resp.StatusCode, b)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(ShutdownTimeout + time.Second):
		t.Fatal("Serve did not return after the context ended")
	}
	if _, err := http.Get("http://" + s.Addr().String() + "/livez"); err == nil {
		t.Error("still serving after shutdown")
	}
}
