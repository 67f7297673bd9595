package main

import (
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kamobot/kamobot/internal/testkit"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// The secrets canary test runs every command, at debug level, in text and
// in JSON (the Slack failures in text only, unless KAMOBOT_LONG=1), as a
// process of the real binary against the fakes, with canary secrets: the
// password, the secret part of the webhook URL and every token the fake
// KAMONOHASHI issues. It runs the failing variants too (wrong password, KAMONOHASHI
// down or behind a certificate kamobot does not trust, Slack answering 500
// or no_service, Slack behind an untrusted certificate or down). After
// each command it searches stdout and stderr, and at the end every file
// kamobot wrote (state, lock, starter config, imported config), for any
// canary. Each source of secrets is used once: config *_file keys, the
// environment, the *_FILE variables and systemd credentials.
//
// The Redactor masks registered secrets in everything kamobot prints; it
// is the last line of defence. The test also fails when it had to act
// ("<redacted>" in the output), so a secret formatted by mistake is found
// even though the user would not have seen it.

// Canary prefixes; the values add a suffix. A wrong password is a canary
// too.
const (
	canaryPassword = "CANARY-PASSWORD-4c1e9b"
	canaryWrongPW  = "CANARY-PASSWORD-wrong-77d2"
	canaryWebhook  = "CANARY-WEBHOOK-a83f0d5e"
	canaryToken    = "CANARY-TOKEN-"
)

// canary matches any canary, whatever its suffix.
var canary = regexp.MustCompile(`CANARY-(PASSWORD|WEBHOOK|TOKEN)-`)

// TestSecretsNeverShown runs the kamobot binary, one process a command;
// each world (fakes, files) runs in parallel with the others.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	// Secrets from files named in the config: every command and the
	// failures about KAMONOHASHI in one world, the failures about Slack in
	// another, for each format. The Slack failures wait for kamobot's real
	// retry backoff (some 5s): by default they run in text only.
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			w := newFileConfigWorld(t, format)
			everyCommand(w)
			kamonohashiFailures(w)
			w.assertDebugSeen()
			w.assertFilesClean()
		})
		if format != "text" && !longTests() {
			continue
		}
		t.Run(format+" slack failures", func(t *testing.T) {
			t.Parallel()
			w := newFileConfigWorld(t, format)
			slackFailures(w)
			w.assertDebugSeen()
			w.assertFilesClean()
		})
	}
	sources := []struct {
		name string
		set  func(w *canaryWorld)
	}{
		{"environment", func(w *canaryWorld) {
			w.env["KAMOBOT_PASSWORD"] = canaryPassword
			w.env["KAMOBOT_SLACK_WEBHOOK"] = w.hook
		}},
		{"_FILE variables", func(w *canaryWorld) {
			w.env["KAMOBOT_PASSWORD_FILE"] = w.secret("password", canaryPassword)
			w.env["KAMOBOT_SLACK_WEBHOOK_FILE"] = w.secret("webhook", w.hook)
		}},
		{"systemd credentials", func(w *canaryWorld) {
			creds := filepath.Join(w.dir, "credentials")
			for name, value := range map[string]string{"kamonohashi-password": canaryPassword, "slack-webhook": w.hook} {
				path := filepath.Join(creds, name)
				w.write(path, value, 0o400) // as systemd leaves them, no newline
				w.secretFiles[path] = true
			}
			w.env["CREDENTIALS_DIRECTORY"] = creds
		}},
	}
	for _, src := range sources {
		t.Run("from "+src.name, func(t *testing.T) {
			t.Parallel()
			w := newCanaryWorld(t, "json")
			w.env["KAMOBOT_SERVER"] = w.kqi.URL()
			w.env["KAMOBOT_USER"] = "kamobot"
			src.set(w)
			w.write(w.cfgPath, "[watch]\nsummary_after_silence = \"off\"\n", 0o600)
			out, _ := w.run(0, nil, "config", "check")
			if !strings.Contains(out, "kamonohashi: reached") {
				t.Errorf("config check did not reach the fake:\n%s", out)
			}
			w.run(0, nil, "check")
			w.finish("Failed", "CUDA out of memory")
			w.run(0, nil, "check")
			w.run(0, nil, "test-slack")
			w.run(77, map[string]string{"KAMOBOT_PASSWORD": canaryWrongPW, "KAMOBOT_PASSWORD_FILE": "", "CREDENTIALS_DIRECTORY": ""}, "jobs")
			w.assertDebugSeen()
			w.assertFilesClean()
		})
	}
}

// everyCommand runs each command once where it succeeds.
func everyCommand(w *canaryWorld) {
	t := w.t
	w.run(0, nil, "version")
	starter := filepath.Join(w.dir, "init", "config.toml")
	w.run(0, map[string]string{}, "--config", starter, "config", "init")
	out, _ := w.run(0, nil, "config", "check")
	if !strings.Contains(out, "kamonohashi: reached") || !strings.Contains(out, "T0CANARY") && !strings.Contains(out, "slack:") {
		t.Errorf("config check:\n%s", out)
	}
	w.run(0, nil, "config", "check", "--offline")
	w.run(0, nil, "tenants")
	w.run(0, nil, "tenants", "-o", "json")
	w.run(0, nil, "jobs")
	w.run(0, nil, "jobs", "-o", "json", "--all")

	w.run(0, nil, "check") // the baseline
	w.finish("Completed", "")
	out, _ = w.run(0, nil, "check", "--dry-run")
	if !strings.Contains(out, "job-completed") {
		t.Errorf("check --dry-run shows no message:\n%s", out)
	}
	w.run(0, nil, "check")
	if n := len(w.slack.MessagesFor(w.hook)); n != 1 {
		t.Errorf("slack got %d messages after check, want 1", n)
	}
	w.run(0, nil, "test-slack")
	w.run(0, nil, "test-slack", "--webhook-file", filepath.Join(w.dir, "secrets", "webhook"))
	w.run(0, nil, "state", "show")
	w.run(0, nil, "state", "show", "-o", "json")

	// watch: one pass, which posts the job that failed meanwhile, then
	// a clean stop.
	w.finish("Failed", "OOMKilled")
	before := len(w.slack.MessagesFor(w.hook))
	w.watchOnePass()
	if got := len(w.slack.MessagesFor(w.hook)); got != before+1 {
		t.Errorf("watch posted %d messages, want 1", got-before)
	}
	w.run(0, nil, "demo", "--duration", "500ms", "--interval", "200ms", "--lang", "en", "--seed", "7")

	// import-legacy: the secrets go to 0600 files beside the config,
	// never into the config, stdout or stderr.
	legacy := filepath.Join(w.dir, "legacy")
	w.write(filepath.Join(legacy, "config.json"), `{"Watch": {"Default": {"Active": true, "Tenant": [1], "Enter": 9, "Leave": 17}}, "Polling": 10}`, 0o600)
	w.write(filepath.Join(legacy, "message.json"), `{"Message": {"Completed": ["done"]}}`, 0o600)
	secure := filepath.Join(legacy, "secure.json")
	w.write(secure, `{"KAMONOHASHI": {"Server": "https://kamonohashi.example.com/#/",
 "Application": {"Username": "kamobot", "Password": "`+canaryPassword+`"}},
 "SlackURI": "https://hooks.slack.com/services/T0CANARY/B0CANARY/`+canaryWebhook+`"}`, 0o600)
	w.secretFiles[secure] = true
	outDir := filepath.Join(w.dir, "imported")
	out, _ = w.run(0, nil, "config", "import-legacy", "--config", filepath.Join(legacy, "config.json"),
		"--secure", secure, "--message", filepath.Join(legacy, "message.json"), "-o", filepath.Join(outDir, "config.toml"))
	for _, m := range regexp.MustCompile(`wrote (\S+) \(0600\)`).FindAllStringSubmatch(out, -1) {
		fi, err := os.Stat(m[1])
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("import-legacy secret file %s: %v, mode %v", m[1], err, fi.Mode())
		}
		w.secretFiles[m[1]] = true
	}
	if len(w.secretFiles) < 5 {
		t.Errorf("import-legacy wrote no secret file:\n%s", out)
	}
	// Without -o the TOML goes to stdout, and the secrets nowhere.
	w.run(0, nil, "config", "import-legacy", "--config", filepath.Join(legacy, "config.json"), "--secure", secure)
}

// longTests reports whether the long variants run (KAMOBOT_LONG=1, as in
// CI); without it a representative subset runs.
func longTests() bool { return testkit.Long() }

// kamonohashiFailures runs the failing variants about KAMONOHASHI: a
// wrong password, the server down or not trusted.
func kamonohashiFailures(w *canaryWorld) {
	t := w.t
	// A wrong password.
	wrong := map[string]string{"KAMOBOT_PASSWORD": canaryWrongPW}
	w.run(77, wrong, "check")
	w.run(77, wrong, "jobs")
	w.run(77, wrong, "config", "check")

	// KAMONOHASHI down.
	down := map[string]string{"KAMOBOT_SERVER": "http://127.0.0.1:1"}
	w.run(69, down, "check")
	w.run(69, down, "jobs")
	w.run(69, down, "tenants")
	w.run(69, down, "config", "check")

	// KAMONOHASHI behind a certificate kamobot does not trust.
	ts := httptest.NewUnstartedServer(w.kqi.Handler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes kamobot refuses
	ts.StartTLS()
	t.Cleanup(ts.Close)
	untrusted := map[string]string{"KAMOBOT_SERVER": ts.URL}
	_, errOut := w.run(69, untrusted, "check")
	if !strings.Contains(errOut, "kamonohashi.ca_file") {
		t.Errorf("the TLS error does not say how to trust the server:\n%s", errOut)
	}
	w.run(69, untrusted, "jobs")
	_, errOut = w.run(0, untrusted, "--insecure-skip-tls-verify", "jobs")
	if !strings.Contains(errOut, "TLS certificate verification is OFF") {
		t.Errorf("--insecure-skip-tls-verify without a warning:\n%s", errOut)
	}
	caFile := filepath.Join(w.dir, "ca.pem")
	w.write(caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})), 0o644)
	trusted := filepath.Join(w.dir, "trusted.toml")
	w.write(trusted, "[kamonohashi]\nca_file = \""+caFile+"\"\n", 0o600)
	w.run(0, map[string]string{"KAMOBOT_SERVER": ts.URL, "KAMOBOT_PASSWORD": canaryPassword, "KAMOBOT_USER": "kamobot",
		"KAMOBOT_SLACK_WEBHOOK": w.hook}, "--config", trusted, "jobs")
}

// slackFailures runs the failing variants about Slack, each with a
// message to send.
func slackFailures(w *canaryWorld) {
	t := w.t
	// Slack answers 500: the message stays in the outbox, exit 75.
	w.finish("Killed", "")
	w.slack.Script(slackfake.Fault{Status: 500, Count: 20})
	w.run(75, nil, "check")
	w.run(69, nil, "test-slack")
	w.slack.ClearFaults()

	// Slack says no_service: exit 69, and test-slack says so. (state retry
	// first: the message the 500 kept waits for its next attempt.)
	if err := w.slack.SetHookState(w.hook, slackfake.HookDisabled); err != nil {
		t.Fatal(err)
	}
	w.run(0, nil, "state", "retry")
	w.run(69, nil, "check")
	w.run(69, nil, "test-slack")
	w.run(0, nil, "state", "show")
	if err := w.slack.SetHookState(w.hook, slackfake.HookActive); err != nil {
		t.Fatal(err)
	}
	w.run(0, nil, "state", "retry")
	w.run(0, nil, "check")

	// Slack behind a certificate kamobot does not trust, and Slack down:
	// the webhook URL is in neither error.
	tlsSlack := slackfake.NewTest(t, slackfake.Options{TLS: true})
	tlsHook := map[string]string{"KAMOBOT_SLACK_WEBHOOK": tlsSlack.HookURL("T0CANARY", "B0CANARY", canaryWebhook)}
	w.run(69, tlsHook, "test-slack")
	w.finish("UserCanceled", "")
	w.run(75, tlsHook, "check")
	deadHook := map[string]string{"KAMOBOT_SLACK_WEBHOOK": "http://127.0.0.1:1/services/T0CANARY/B0CANARY/" + canaryWebhook}
	w.run(69, deadHook, "test-slack")
	w.run(75, deadHook, "check")
	w.run(0, nil, "state", "retry")
	w.run(0, nil, "check")
	w.run(0, nil, "state", "reset", "--yes")
	w.run(0, nil, "check") // a new baseline
}
