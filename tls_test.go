package main

import (
	"encoding/pem"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// TestTLSToKamonohashi runs the real kamobot binary against a fake
// KAMONOHASHI served over HTTPS with a certificate no system trusts (a
// private CA, as on premises):
//
//   - untrusted: exit 69, one line naming the host and both fixes
//     (kamonohashi.ca_file, SSL_CERT_FILE), one connection (not retried);
//   - ca_file in the config, or SSL_CERT_FILE: it works;
//   - --insecure-skip-tls-verify (or its variable): it works, and says so
//     once, loudly; Slack is still verified.
func TestTLSToKamonohashi(t *testing.T) {
	t.Parallel()
	bin := kamobotBin.Path(t)
	kqi := kqifake.Demo(kqifake.Options{Now: func() time.Time { return demoNow }})
	var conns atomic.Int32
	ts := httptest.NewUnstartedServer(kqi.Handler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes kamobot refuses
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	host := strings.TrimPrefix(ts.URL, "https://")
	slack := slackfake.NewTest(t)
	tlsSlack := slackfake.NewTest(t, slackfake.Options{TLS: true})

	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	noCA := filepath.Join(dir, "none.toml") // absent: the environment alone configures
	withCA := filepath.Join(dir, "with-ca.toml")
	if err := os.WriteFile(withCA, []byte("[kamonohashi]\nca_file = \""+caFile+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// The environment is built from nothing (processEnv): the one this
	// test runs in may set SSL_CERT_FILE or a proxy.
	base := map[string]string{
		"SSL_CERT_DIR": filepath.Join(dir, "no-certs"), "SSL_CERT_FILE": filepath.Join(dir, "no-certs.pem"),
		"KAMOBOT_SERVER": ts.URL, "KAMOBOT_USER": "demo", "KAMOBOT_PASSWORD": "demo",
		"KAMOBOT_SLACK_WEBHOOK": slack.NewHook(), "KAMOBOT_NOW": demoNow.Format(time.RFC3339),
	}
	run := func(env map[string]string, args ...string) (int, string, string) {
		t.Helper()
		vars := maps.Clone(base)
		maps.Copy(vars, env)
		r, err := runKamobot(t.Context(), command{Bin: bin, Args: args, Env: processEnv(dir, vars)})
		if err != nil {
			t.Fatal(err)
		}
		return r.Code, r.Stdout, r.Stderr
	}
	const warn = "TLS certificate verification is OFF for the KAMONOHASHI server"

	t.Run("untrusted", func(t *testing.T) {
		for _, cmd := range [][]string{{"jobs"}, {"check"}, {"tenants"}, {"config", "check"}} {
			before := conns.Load()
			code, _, stderr := run(nil, append([]string{"--config", noCA}, cmd...)...)
			if code != 69 {
				t.Errorf("%s: exit %d, want 69\n%s", cmd, code, stderr)
			}
			for _, want := range []string{host, "unknown authority", "kamonohashi.ca_file", "SSL_CERT_FILE"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("%s: stderr does not say %q:\n%s", cmd, want, stderr)
				}
			}
			if strings.Contains(stderr, warn) {
				t.Errorf("%s: insecure warning without the flag:\n%s", cmd, stderr)
			}
			if n := conns.Load() - before; n != 1 {
				t.Errorf("%s: %d connections to the server, want 1 (a certificate error is not retried)", cmd, n)
			}
		}
		if n := len(slack.Messages()); n != 0 {
			t.Errorf("%d Slack messages while KAMONOHASHI could not be trusted", n)
		}
	})

	t.Run("ca_file", func(t *testing.T) {
		code, stdout, stderr := run(nil, "--config", withCA, "jobs")
		if code != 0 || !strings.Contains(stdout, "resnet50-imagenet-e90") {
			t.Errorf("jobs with ca_file: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if strings.Contains(stderr, warn) {
			t.Errorf("insecure warning with ca_file:\n%s", stderr)
		}
	})

	t.Run("SSL_CERT_FILE", func(t *testing.T) {
		code, stdout, stderr := run(map[string]string{"SSL_CERT_FILE": caFile}, "--config", noCA, "jobs")
		if code != 0 || !strings.Contains(stdout, "resnet50-imagenet-e90") {
			t.Errorf("jobs with SSL_CERT_FILE: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})

	t.Run("insecure", func(t *testing.T) {
		for _, c := range []struct {
			env  map[string]string
			args []string
		}{
			{nil, []string{"--insecure-skip-tls-verify", "--config", noCA, "jobs"}},
			{nil, []string{"--config", noCA, "jobs", "--insecure-skip-tls-verify"}},
			{map[string]string{"KAMOBOT_INSECURE_SKIP_TLS_VERIFY": "true"}, []string{"--config", noCA, "check"}},
			{map[string]string{"KAMOBOT_INSECURE_SKIP_TLS_VERIFY": "1"}, []string{"--config", noCA, "--log-format", "json", "tenants"}},
		} {
			code, _, stderr := run(c.env, c.args...)
			if code != 0 {
				t.Errorf("%v %v: exit %d, want 0\n%s", c.env, c.args, code, stderr)
			}
			if n := strings.Count(stderr, warn); n != 1 {
				t.Errorf("%v %v: the insecure warning came %d times, want once:\n%s", c.env, c.args, n, stderr)
			}
			if !strings.Contains(stderr, "WARN") && !strings.Contains(stderr, `"level":"WARN"`) {
				t.Errorf("%v %v: the insecure line is not a warning:\n%s", c.env, c.args, stderr)
			}
		}
		// Slack is verified all the same: its fake's certificate is not trusted.
		code, stdout, stderr := run(map[string]string{"KAMOBOT_SLACK_WEBHOOK": tlsSlack.NewHook()},
			"--insecure-skip-tls-verify", "--config", noCA, "test-slack")
		if code != 69 || len(tlsSlack.Messages()) != 0 {
			t.Errorf("test-slack to an untrusted Slack with --insecure-skip-tls-verify: exit %d, %d messages; want 69, none\nstdout:\n%s\nstderr:\n%s",
				code, len(tlsSlack.Messages()), stdout, stderr)
		}
	})
}
