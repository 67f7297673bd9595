// Slightly over 400 lines: the watch loop's tests (systemd, metrics,
// flags, reload) share the environment and notify-socket helpers here.
package commands

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/internal/testkit"
	"github.com/kamobot/kamobot/metrics"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// The watch tests run the real loop against the fake KAMONOHASHI and the
// fake Slack over real HTTP, and play systemd the way go-systemd's own
// TestSdNotify does: a unixgram socket in a temporary directory, named by
// NOTIFY_SOCKET. t.Setenv rules out t.Parallel for those.

type watchEnv struct {
	kqi    *kqifake.Server
	slack  *slackfake.Server
	hook   string
	d      *Deps
	stderr *testkit.SyncBuffer
}

// newWatchEnv starts the fakes and builds Deps reading the config from the
// environment only, with the state in a temporary directory.
func newWatchEnv(t *testing.T) *watchEnv {
	t.Helper()
	kqi := kqifake.Demo(kqifake.Options{})
	if err := kqi.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kqi.Close() })
	slack := slackfake.NewTest(t)
	hook := slack.NewHook()
	env := map[string]string{"KAMOBOT_SERVER": kqi.URL(), "KAMOBOT_USER": "demo", "KAMOBOT_PASSWORD": "demo",
		"KAMOBOT_SLACK_WEBHOOK": hook}
	stderr := &testkit.SyncBuffer{}
	d := NewDeps(BuildInfo{Version: "v0.0.0-test", Commit: "c0ffee", GoVersion: "go1.26.8"}, io.Discard, stderr,
		func(k string) string { return env[k] })
	dir := t.TempDir()
	d.configPath = filepath.Join(dir, "none.toml")
	d.statePath = filepath.Join(dir, "state.json")
	return &watchEnv{kqi: kqi, slack: slack, hook: hook, d: d, stderr: stderr}
}

// start runs watch until the test stops it; stop cancels it and returns
// what runWatch returned.
func (e *watchEnv) start(t *testing.T, o watchOptions) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runWatch(ctx, e.d, o) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				err = errors.New("watch did not stop within 15s")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// datagram is one message to the notify socket, split in lines.
type datagram struct {
	at    time.Time
	lines []string
}

func (g datagram) has(line string) bool {
	for _, l := range g.lines {
		if l == line {
			return true
		}
	}
	return false
}

// listenNotify plays systemd: it sets NOTIFY_SOCKET and WATCHDOG_USEC and
// returns the datagrams as they come.
func listenNotify(t *testing.T, watchdog time.Duration) <-chan datagram {
	t.Helper()
	addr := &net.UnixAddr{Name: filepath.Join(t.TempDir(), "notify.sock"), Net: "unixgram"}
	conn, err := net.ListenUnixgram("unixgram", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFY_SOCKET", addr.Name)
	if watchdog > 0 {
		t.Setenv("WATCHDOG_USEC", strconv.FormatInt(watchdog.Microseconds(), 10))
	}
	ch := make(chan datagram, 1024)
	go func() {
		defer close(ch)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			ch <- datagram{at: time.Now(), lines: strings.Split(string(buf[:n]), "\n")}
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return ch
}

// next returns the next datagram, failing the test after wait.
func next(t *testing.T, ch <-chan datagram, wait time.Duration) datagram {
	t.Helper()
	select {
	case g, ok := <-ch:
		if !ok {
			t.Fatal("notify socket closed")
		}
		return g
	case <-time.After(wait):
		t.Fatalf("no datagram within %s", wait)
		return datagram{}
	}
}

func TestWatchNotifiesSystemd(t *testing.T) {
	const watchdog = time.Second // the loop must ping at least every 500ms
	ch := listenNotify(t, watchdog)
	e := newWatchEnv(t)
	stop := e.start(t, watchOptions{interval: time.Hour, unhealthyAfter: 3})

	if g := next(t, ch, 10*time.Second); !g.has("READY=1") {
		t.Fatalf("first datagram %q, want READY=1", g.lines)
	}
	g := next(t, ch, 30*time.Second)
	if !g.has("WATCHDOG=1") || len(g.lines) != 2 || !regexp.MustCompile(`^STATUS=last pass \d\d:\d\d:\d\d ok, 0 pending$`).MatchString(g.lines[0]) {
		t.Fatalf("after the first pass: %q, want a STATUS= line and WATCHDOG=1", g.lines)
	}
	// Between passes (an hour apart) the loop wakes to ping, every
	// WatchdogSec/2, and never lets WatchdogSec go by without one.
	last := g.at
	for range 3 {
		g := next(t, ch, 2*watchdog)
		if len(g.lines) != 1 || g.lines[0] != "WATCHDOG=1" {
			t.Fatalf("while idle: %q, want WATCHDOG=1 alone", g.lines)
		}
		if gap := g.at.Sub(last); gap >= watchdog || gap < watchdog/4 {
			t.Errorf("ping %s after the one before, want about %s", gap, watchdog/2)
		}
		last = g.at
	}
	if err := stop(); err != nil {
		t.Fatalf("watch: %v", err)
	}
	for {
		g := next(t, ch, 5*time.Second)
		if g.has("WATCHDOG=1") {
			continue // a ping sent before the stop
		}
		if !g.has("STOPPING=1") {
			t.Fatalf("at stop: %q, want STOPPING=1", g.lines)
		}
		break
	}
}

func TestWatchHungPassStarvesWatchdog(t *testing.T) {
	const watchdog = 300 * time.Millisecond
	ch := listenNotify(t, watchdog)
	e := newWatchEnv(t)
	e.kqi.SetFaults(kqifake.Faults{Latency: time.Minute}) // the first request of the first pass hangs
	stop := e.start(t, watchOptions{interval: time.Hour, unhealthyAfter: 3})

	if g := next(t, ch, 10*time.Second); !g.has("READY=1") {
		t.Fatalf("first datagram %q, want READY=1 (ready does not wait for the API)", g.lines)
	}
	select {
	case g := <-ch:
		t.Fatalf("got %q while the pass hangs; want nothing, so that systemd restarts kamobot", g.lines)
	case <-time.After(5 * watchdog):
	}
	if err := stop(); err != nil {
		t.Fatalf("watch: %v", err)
	}
	g := next(t, ch, 5*time.Second)
	if !g.has("STOPPING=1") || g.has("WATCHDOG=1") {
		t.Fatalf("at stop: %q, want STOPPING=1 and no ping (the pass was cut short)", g.lines)
	}
}

// metricsURL waits for the log line that names the metrics address.
func (e *watchEnv) metricsURL(t *testing.T) string {
	t.Helper()
	re := regexp.MustCompile(`msg="serving metrics" addr=(\S+)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(e.stderr.String()); m != nil {
			return "http://" + m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no metrics address logged: %s", e.stderr.String())
	return ""
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// eventually polls url until cond holds on its answer.
func eventually(t *testing.T, url, what string, cond func(code int, body string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var code int
	var body string
	for time.Now().Before(deadline) {
		if code, body = httpGet(t, url); cond(code, body) {
			return body
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: never; last answer %d:\n%s", what, code, body)
	return ""
}

func TestWatchMetricsAndHealth(t *testing.T) {
	e := newWatchEnv(t)
	j, err := e.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "resnet-metrics",
		CreatedBy: "alice", Status: "Running", GPU: 1})
	if err != nil {
		t.Fatal(err)
	}
	stop := e.start(t, watchOptions{interval: 200 * time.Millisecond, metricsAddr: "127.0.0.1:0", unhealthyAfter: 2})
	base := e.metricsURL(t)

	eventually(t, base+"/healthz", "a pass that went well", func(code int, body string) bool {
		var s metrics.Status
		return code == 200 && json.Unmarshal([]byte(body), &s) == nil && s.LastResult == "ok" && s.Status == "ok"
	})
	if err := e.kqi.SetStatus(api.KindTraining, j.ID, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
		t.Fatal(err)
	}
	body := eventually(t, base+"/metrics", "the completion delivered", func(code int, body string) bool {
		return code == 200 && strings.Contains(body, `kamobot_notifications_total{result="delivered"} 1`+"\n")
	})
	for _, want := range []string{
		`kamobot_build_info{goversion="go1.26.8",revision="c0ffee",version="v0.0.0-test"} 1`,
		`kamobot_api_requests_total{code="200",method="POST",route="/api/v2/account/login"} 1`,
		`kamobot_api_requests_total{code="200",method="GET",route="/api/v2/training"}`,
		`kamobot_api_request_duration_seconds_bucket{route="/api/v2/training",le="+Inf"}`,
		`kamobot_passes_total{result="failed"} 0`,
		`kamobot_pass_duration_seconds_count `,
		`kamobot_notifications_queued_total 1`,
		`kamobot_outbox_pending 0`,
		`kamobot_outbox_oldest_age_seconds 0`,
		`kamobot_webhook_healthy 1`,
		`kamobot_tls_insecure 0`,
		`kamobot_pass_failures_in_a_row 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`(?m)^kamobot_last_successful_pass_timestamp_seconds (\S+)$`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("last success timestamp: %v", m)
	}
	if strings.Contains(body, e.hook) || strings.Contains(body, strings.TrimPrefix(e.slack.URL(), "http://")) ||
		strings.Contains(strings.ToLower(body), "bearer") {
		t.Error("/metrics names the webhook or a token")
	}

	// KAMONOHASHI answers 500: two failed passes in a row make /healthz
	// 503, while /livez stays 200 (a restart would not help).
	e.kqi.SetFaults(kqifake.Faults{Status: 500})
	eventually(t, base+"/healthz", "unhealthy after 2 failed passes", func(code int, body string) bool {
		return code == 503 && strings.Contains(body, `"status":"unhealthy"`) && strings.Contains(body, "passes failed in a row")
	})
	if code, body := httpGet(t, base+"/livez"); code != 200 {
		t.Errorf("/livez while passes fail: %d %s", code, body)
	}
	if _, body := httpGet(t, base+"/metrics"); !strings.Contains(body, `code="500"`) {
		t.Error("/metrics: no request counted with code 500")
	}
	e.kqi.ClearFaults()
	eventually(t, base+"/healthz", "healthy again", func(code int, _ string) bool { return code == 200 })

	if err := stop(); err != nil {
		t.Fatalf("watch: %v", err)
	}
	if n := strings.Count(e.stderr.String(), `msg="serving metrics"`); n != 1 {
		t.Errorf("the address was logged %d times, want once", n)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the metrics server still answers after watch stopped")
	}
}

func TestWatchMetricsAddrInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := newWatchEnv(t)
	err = NewApp(e.d).RunContext(t.Context(), []string{"kamobot", "watch", "--config", e.d.configPath,
		"--state", e.d.statePath, "--metrics-addr", l.Addr().String()})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != ExitConfig || !strings.Contains(err.Error(), "--metrics-addr: cannot listen on "+l.Addr().String()) {
		t.Fatalf("got %v, want exit 78 naming the address", err)
	}
	if len(e.slack.Messages()) != 0 || e.kqi.Stats().Requests != 0 {
		t.Error("watch ran a pass although it could not serve its metrics")
	}
}

func TestWatchFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--metrics-addr", "9465"}, "--metrics-addr \"9465\" is not host:port"},
		{[]string{"--metrics-addr", "127.0.0.1:99999"}, "the port must be a number"},
		{[]string{"--unhealthy-after", "0"}, "--unhealthy-after 0: give 1 or more"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			d := NewDeps(BuildInfo{}, io.Discard, io.Discard, func(string) string { return "" })
			err := NewApp(d).RunContext(t.Context(), append([]string{"kamobot", "watch"}, tt.args...))
			if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a usage error with %q", err, tt.want)
			}
		})
	}
}

// TestReloadKeepsConfigOnFailure: a reload whose config loads but whose
// pass cannot be built leaves the config in force as it was; one that
// builds replaces it.
func TestReloadKeepsConfigOnFailure(t *testing.T) {
	e := newWatchEnv(t)
	old, err := e.d.Config()
	if err != nil {
		t.Fatal(err)
	}
	errBuild := errors.New("cannot build the pass")
	if _, err := e.d.ReloadConfig(func(*config.Config) error { return errBuild }); !errors.Is(err, errBuild) {
		t.Fatalf("reload: %v, want the build's error", err)
	}
	if cfg, _ := e.d.Config(); cfg != old {
		t.Fatal("a reload that failed replaced the config in force")
	}
	next, err := e.d.ReloadConfig(func(cfg *config.Config) error {
		_, err := e.d.NewPass(cfg, "watch")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := e.d.Config(); cfg != next || cfg == old {
		t.Fatal("a reload that succeeded did not replace the config in force")
	}
}
