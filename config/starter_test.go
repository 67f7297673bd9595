package config

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fillStarter fills in the three required values of the starter config.
func fillStarter(t *testing.T) string {
	t.Helper()
	src := string(StarterConfig())
	for old, repl := range map[string]string{
		`server = ""`:        `server = "https://kamonohashi.example.com/#/"`,
		`user = ""`:          `user = "watch-only"`,
		`password_file = ""`: `password_file = "password"`,
		`webhook_file = ""`:  `webhook_file = "webhook"`,
	} {
		if strings.Count(src, old) != 1 {
			t.Fatalf("starter config: %q appears %d times", old, strings.Count(src, old))
		}
		src = strings.Replace(src, old, repl, 1)
	}
	return src
}

func TestStarterConfigLoads(t *testing.T) {
	dir := configDir(t)
	cfg, warns, err := loadString(t, dir, fillStarter(t), nil)
	if err != nil || len(warns) != 0 {
		t.Fatalf("Load: %v, warnings %q", err, warns)
	}
	if cfg.Kamonohashi.Server != "https://kamonohashi.example.com" || cfg.Slack.Webhook.Reveal() != testWebhook {
		t.Errorf("got %+v", cfg)
	}
	if cfg.Schedule.Enabled() || len(cfg.Tenants) != 0 {
		t.Error("the starter config's optional parts are on")
	}
}

// exampleLine matches a commented-out setting: "# key = value" or "# [table]".
var exampleLine = regexp.MustCompile(`(?m)^# ((?:[a-z_]+ = .*)|(?:\[\[?[a-z_.]+\]\]?))$`)

// TestStarterConfigExamplesLoad enables every optional setting shown in
// the starter config: together they must load too.
func TestStarterConfigExamplesLoad(t *testing.T) {
	dir := configDir(t)
	writeFile(t, dir, "vision-webhook", "https://hooks.slack.com/services/V\n", 0o600)
	writeFile(t, dir, "slack-bot", "xoxb-1-2-bot\n", 0o600)
	writeFile(t, dir, "slack-app", "xapp-1-A1-app\n", 0o600)
	writeFile(t, dir, "etc/kamobot/private-ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", 0o644)
	src := exampleLine.ReplaceAllString(fillStarter(t), "$1")
	src = strings.Replace(src, `ca_file = "/etc/kamobot/private-ca.pem"`, `ca_file = "etc/kamobot/private-ca.pem"`, 1)
	cfg, warns, err := loadString(t, dir, src, nil)
	if err != nil || len(warns) != 0 {
		t.Fatalf("Load: %v, warnings %q\n%s", err, warns, src)
	}
	if !cfg.Schedule.Enabled() || len(cfg.Tenants) != 1 || len(cfg.Owners) != 1 || cfg.Messages.Set(MsgCompleted)[0] != "Done! 🦆" {
		t.Errorf("examples not all enabled:\n%s", src)
	}
}

// TestStarterConfigDocumentsEveryKey checks that the starter config names
// every key kamobot knows.
func TestStarterConfigDocumentsEveryKey(t *testing.T) {
	src := string(StarterConfig())
	has := func(key string) bool {
		return regexp.MustCompile(`(?m)^(# )?` + regexp.QuoteMeta(key) + ` = `).MatchString(src)
	}
	for _, table := range knownKeys(nil) {
		header := "[" + table + "]"
		if table == "tenant" {
			header = "[[tenant]]"
		}
		if !strings.Contains(src, header) {
			t.Errorf("table %s is not shown", header)
		}
		for _, k := range knownKeys([]string{table}) {
			// Inline secrets are mentioned in prose, as discouraged.
			if slices.Contains([]string{"password", "webhook"}, k) {
				if !strings.Contains(src, "`"+k+` = "..."`+"`") {
					t.Errorf("%s.%s is not explained", table, k)
				}
				continue
			}
			if k == "id" {
				if !strings.Contains(src, "by name or by id") {
					t.Error("tenant.id is not explained")
				}
				continue
			}
			if !has(k) && !strings.Contains(src, "["+table+"."+k+"]") {
				t.Errorf("%s.%s is not shown", table, k)
			}
		}
	}
	for _, k := range append(hoursKeys(), MessageKeys()...) {
		if !strings.Contains(src, k) {
			t.Errorf("%q is not explained", k)
		}
	}
	for _, env := range []string{EnvServer, EnvUser, EnvPassword, EnvPasswordFile, EnvSlackWebhook, EnvSlackWebhookFile,
		"$CREDENTIALS_DIRECTORY/" + CredentialPassword, "$CREDENTIALS_DIRECTORY/" + CredentialWebhook} {
		if !strings.Contains(src, env) {
			t.Errorf("%s is not explained", env)
		}
	}
}
