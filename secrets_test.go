package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// The secrets canary test runs every command, at debug level, in text and
// in JSON, against the fakes, with canary secrets: the password, the
// secret part of the webhook URL and every token the fake KAMONOHASHI
// issues. It runs the failing variants too (wrong password, KAMONOHASHI
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

// canaryWorld is the fakes and the files of one canary run.
type canaryWorld struct {
	t       *testing.T
	dir     string
	format  string // text or json
	kqi     *kqifake.Server
	slack   *slackfake.Server
	hook    string // the webhook URL, with canaryWebhook as its secret
	tenant  int64
	jobID   int64
	env     map[string]string
	cfgPath string
	state   string
	// secretFiles may hold a canary: they are where the secrets come from
	// (or where import-legacy was asked to put them).
	secretFiles map[string]bool
	// debugSeen collects the debug messages seen, to check that the search
	// was over something.
	debugSeen map[string]bool
}

func newCanaryWorld(t *testing.T, format string) *canaryWorld {
	t.Helper()
	w := &canaryWorld{t: t, dir: t.TempDir(), format: format, secretFiles: map[string]bool{}, debugSeen: map[string]bool{}}
	w.kqi = kqifake.New(kqifake.Options{TokenCanary: canaryToken + "x9"})
	if err := w.kqi.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.kqi.Close() })
	w.tenant = w.kqi.AddTenant("vision", "Vision")
	w.kqi.AddAccount("kamobot", canaryPassword, w.tenant)
	j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "resnet50", CreatedBy: "alice", Status: "Running", GPU: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.jobID = j.ID
	w.slack = slackfake.NewTest(t)
	w.hook = w.slack.HookURL("T0CANARY", "B0CANARY", canaryWebhook)
	w.cfgPath = filepath.Join(w.dir, "config.toml")
	w.state = filepath.Join(w.dir, "state", "state.json")
	w.env = map[string]string{"TZ": "Asia/Tokyo"}
	return w
}

// secret writes a secret file (mode 0600) under dir/secrets.
func (w *canaryWorld) secret(name, value string) string {
	w.t.Helper()
	path := filepath.Join(w.dir, "secrets", name)
	w.write(path, value+"\n", 0o600)
	w.secretFiles[path] = true
	return path
}

func (w *canaryWorld) write(path, content string, mode fs.FileMode) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		w.t.Fatal(err)
	}
}

// run runs kamobot with the global flags of the world, checks the exit
// code and that no canary is in its output, and returns stdout and stderr.
// env adds to (or, with "", removes from) the world's environment.
func (w *canaryWorld) run(wantCode int, env map[string]string, timeout time.Duration, args ...string) (string, string) {
	w.t.Helper()
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return w.env[k]
	}
	full := append([]string{"kamobot", "--log-level", "debug", "--log-format", w.format,
		"--config", w.cfgPath, "--state", w.state}, args...)
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(w.t.Context(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, full, &stdout, &stderr, getenv)
	out, errOut := stdout.String(), stderr.String()
	what := strings.Join(args, " ")
	if code != wantCode {
		w.t.Errorf("kamobot %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, code, wantCode, out, errOut)
	}
	w.assertClean("stdout of kamobot "+what, out)
	w.assertClean("stderr of kamobot "+what, errOut)
	for _, msg := range []string{"kamonohashi request", "slack post"} {
		if strings.Contains(errOut, msg) {
			w.debugSeen[msg] = true
		}
	}
	return out, errOut
}

// assertClean fails if text holds a canary, or if the Redactor had to mask
// something in it.
func (w *canaryWorld) assertClean(what, text string) {
	w.t.Helper()
	if loc := canary.FindStringIndex(text); loc != nil {
		w.t.Errorf("%s leaks a secret: …%s…", what, text[max(0, loc[0]-80):min(len(text), loc[1]+40)])
	}
	if i := strings.Index(text, "<redacted>"); i >= 0 {
		w.t.Errorf("%s: the redactor had to mask a secret: …%s…", what, text[max(0, i-80):min(len(text), i+40)])
	}
}

// assertFilesClean searches every file under the world's directory, but
// the secret files, for a canary.
func (w *canaryWorld) assertFilesClean() {
	w.t.Helper()
	n := 0
	err := filepath.WalkDir(w.dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || w.secretFiles[path] {
			return err
		}
		if de.Name() == "tokens.json" && filepath.Dir(path) == filepath.Dir(w.state) {
			// The token cache holds the KAMONOHASHI tokens by necessity:
			// it must be private, and nothing else may hold them.
			switch fi, err := os.Stat(path); {
			case err != nil:
				w.t.Error(err)
			case fi.Mode().Perm() != 0o600:
				w.t.Errorf("token cache %s: mode %v, want 0600", path, fi.Mode().Perm())
			}
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		w.assertClean(path, string(data))
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := os.Stat(w.state); err != nil {
		w.t.Errorf("no state file was written: %v", err)
	}
	w.t.Logf("searched %d files written by kamobot", n)
}

// assertDebugSeen checks that debug logging showed the KAMONOHASHI
// exchanges and the Slack posts, so that the search was meaningful.
func (w *canaryWorld) assertDebugSeen() {
	w.t.Helper()
	for _, msg := range []string{"kamonohashi request", "slack post"} {
		if !w.debugSeen[msg] {
			w.t.Errorf("no %q debug line in any output: the canary search proves little", msg)
		}
	}
	if len(w.slack.MessagesFor(w.hook)) == 0 {
		w.t.Error("the fake Slack got nothing at the canary webhook")
	}
}

// finish moves the job to status, so the next pass has an ending to post.
func (w *canaryWorld) finish(status, note string) {
	w.t.Helper()
	j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "job-" + strings.ToLower(status),
		CreatedBy: "bob", Status: "Running", GPU: 1})
	if err != nil {
		w.t.Fatal(err)
	}
	// Seen running first, then ended.
	w.run(0, nil, 0, "check")
	if err := w.kqi.SetStatus(api.KindTraining, j.ID, kqifake.StatusUpdate{Status: status, ConditionNote: note}); err != nil {
		w.t.Fatal(err)
	}
}

// TestSecretsNeverShown runs kamobot in process, one command at a time:
// urfave/cli's shared flags (help, completion) are not safe for apps run
// in parallel.
func TestSecretsNeverShown(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			w := newCanaryWorld(t, format)
			// Secrets from files named in the config.
			w.write(w.cfgPath, `[kamonohashi]
server = "`+w.kqi.URL()+`"
user = "kamobot"
password_file = "`+w.secret("password", canaryPassword)+`"

[slack]
webhook_file = "`+w.secret("webhook", w.hook)+`"
language = "en"

[watch]
stuck_pending_after = "off"
long_running_after = "off"
summary_after_silence = "off"
`, 0o600)
			everyCommand(w)
			failures(w)
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
			w := newCanaryWorld(t, "json")
			w.env["KAMOBOT_SERVER"] = w.kqi.URL()
			w.env["KAMOBOT_USER"] = "kamobot"
			src.set(w)
			w.write(w.cfgPath, "[watch]\nsummary_after_silence = \"off\"\n", 0o600)
			out, _ := w.run(0, nil, 0, "config", "check")
			if !strings.Contains(out, "kamonohashi: reached") {
				t.Errorf("config check did not reach the fake:\n%s", out)
			}
			w.run(0, nil, 0, "check")
			w.finish("Failed", "CUDA out of memory")
			w.run(0, nil, 0, "check")
			w.run(0, nil, 0, "test-slack")
			w.run(77, map[string]string{"KAMOBOT_PASSWORD": canaryWrongPW, "KAMOBOT_PASSWORD_FILE": "", "CREDENTIALS_DIRECTORY": ""}, 0, "jobs")
			w.assertDebugSeen()
			w.assertFilesClean()
		})
	}
}

// everyCommand runs each command once where it succeeds.
func everyCommand(w *canaryWorld) {
	t := w.t
	w.run(0, nil, 0, "version")
	starter := filepath.Join(w.dir, "init", "config.toml")
	w.run(0, map[string]string{}, 0, "--config", starter, "config", "init")
	out, _ := w.run(0, nil, 0, "config", "check")
	if !strings.Contains(out, "kamonohashi: reached") || !strings.Contains(out, "T0CANARY") && !strings.Contains(out, "slack:") {
		t.Errorf("config check:\n%s", out)
	}
	w.run(0, nil, 0, "config", "check", "--offline")
	w.run(0, nil, 0, "tenants")
	w.run(0, nil, 0, "tenants", "-o", "json")
	w.run(0, nil, 0, "jobs")
	w.run(0, nil, 0, "jobs", "-o", "json", "--all")

	w.run(0, nil, 0, "check") // the baseline
	w.finish("Completed", "")
	out, _ = w.run(0, nil, 0, "check", "--dry-run")
	if !strings.Contains(out, "job-completed") {
		t.Errorf("check --dry-run shows no message:\n%s", out)
	}
	w.run(0, nil, 0, "check")
	if n := len(w.slack.MessagesFor(w.hook)); n != 1 {
		t.Errorf("slack got %d messages after check, want 1", n)
	}
	w.run(0, nil, 0, "test-slack")
	w.run(0, nil, 0, "test-slack", "--webhook-file", filepath.Join(w.dir, "secrets", "webhook"))
	w.run(0, nil, 0, "state", "show")
	w.run(0, nil, 0, "state", "show", "-o", "json")

	// watch: one pass, which posts the job that failed meanwhile, then
	// a clean stop.
	w.finish("Failed", "OOMKilled")
	before := len(w.slack.MessagesFor(w.hook))
	w.run(0, nil, 3*time.Second, "watch", "--interval", "1h")
	if got := len(w.slack.MessagesFor(w.hook)); got != before+1 {
		t.Errorf("watch posted %d messages, want 1", got-before)
	}
	w.run(0, nil, 0, "demo", "--duration", "1500ms", "--interval", "500ms", "--lang", "en", "--seed", "7")

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
	out, _ = w.run(0, nil, 0, "config", "import-legacy", "--config", filepath.Join(legacy, "config.json"),
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
	w.run(0, nil, 0, "config", "import-legacy", "--config", filepath.Join(legacy, "config.json"), "--secure", secure)
}

// failures runs the failing variants, each with a message to send when
// it is about Slack.
func failures(w *canaryWorld) {
	t := w.t
	// A wrong password.
	wrong := map[string]string{"KAMOBOT_PASSWORD": canaryWrongPW}
	w.run(77, wrong, 0, "check")
	w.run(77, wrong, 0, "jobs")
	w.run(77, wrong, 0, "config", "check")

	// KAMONOHASHI down.
	down := map[string]string{"KAMOBOT_SERVER": "http://127.0.0.1:1"}
	w.run(69, down, 0, "check")
	w.run(69, down, 0, "jobs")
	w.run(69, down, 0, "tenants")
	w.run(69, down, 0, "config", "check")

	// KAMONOHASHI behind a certificate kamobot does not trust.
	ts := httptest.NewUnstartedServer(w.kqi.Handler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes kamobot refuses
	ts.StartTLS()
	t.Cleanup(ts.Close)
	untrusted := map[string]string{"KAMOBOT_SERVER": ts.URL}
	_, errOut := w.run(69, untrusted, 0, "check")
	if !strings.Contains(errOut, "kamonohashi.ca_file") {
		t.Errorf("the TLS error does not say how to trust the server:\n%s", errOut)
	}
	w.run(69, untrusted, 0, "jobs")
	_, errOut = w.run(0, untrusted, 0, "--insecure-skip-tls-verify", "jobs")
	if !strings.Contains(errOut, "TLS certificate verification is OFF") {
		t.Errorf("--insecure-skip-tls-verify without a warning:\n%s", errOut)
	}
	caFile := filepath.Join(w.dir, "ca.pem")
	w.write(caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})), 0o644)
	trusted := filepath.Join(w.dir, "trusted.toml")
	w.write(trusted, "[kamonohashi]\nca_file = \""+caFile+"\"\n", 0o600)
	w.run(0, map[string]string{"KAMOBOT_SERVER": ts.URL, "KAMOBOT_PASSWORD": canaryPassword, "KAMOBOT_USER": "kamobot",
		"KAMOBOT_SLACK_WEBHOOK": w.hook}, 0, "--config", trusted, "jobs")

	// Slack answers 500: the message stays in the outbox, exit 75.
	w.finish("Killed", "")
	w.slack.Script(slackfake.Fault{Status: 500, Count: 20})
	w.run(75, nil, 0, "check")
	w.run(69, nil, 0, "test-slack")
	w.slack.ClearFaults()

	// Slack says no_service: exit 69, and test-slack says so. (state retry
	// first: the message the 500 kept waits for its next attempt.)
	if err := w.slack.SetHookState(w.hook, slackfake.HookDisabled); err != nil {
		t.Fatal(err)
	}
	w.run(0, nil, 0, "state", "retry")
	w.run(69, nil, 0, "check")
	w.run(69, nil, 0, "test-slack")
	w.run(0, nil, 0, "state", "show")
	if err := w.slack.SetHookState(w.hook, slackfake.HookActive); err != nil {
		t.Fatal(err)
	}
	w.run(0, nil, 0, "state", "retry")
	w.run(0, nil, 0, "check")

	// Slack behind a certificate kamobot does not trust, and Slack down:
	// the webhook URL is in neither error.
	tlsSlack := slackfake.NewTest(t, slackfake.Options{TLS: true})
	tlsHook := map[string]string{"KAMOBOT_SLACK_WEBHOOK": tlsSlack.HookURL("T0CANARY", "B0CANARY", canaryWebhook)}
	w.run(69, tlsHook, 0, "test-slack")
	w.finish("UserCanceled", "")
	w.run(75, tlsHook, 0, "check")
	deadHook := map[string]string{"KAMOBOT_SLACK_WEBHOOK": "http://127.0.0.1:1/services/T0CANARY/B0CANARY/" + canaryWebhook}
	w.run(69, deadHook, 0, "test-slack")
	w.run(75, deadHook, 0, "check")
	w.run(0, nil, 0, "state", "retry")
	w.run(0, nil, 0, "check")
	w.run(0, nil, 0, "state", "reset", "--yes")
	w.run(0, nil, 0, "check") // a new baseline
}
