package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSlackAppConfig(t *testing.T) {
	const bot = "xoxb-1111-2222-SECRETbotTOKEN"
	const app = "xapp-1-A111-SECRETappTOKEN"
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	botFile := write("bot", bot+"\n", 0o600)
	appFile := write("app", app+"\n", 0o600)
	base := "[kamonohashi]\nserver = \"https://kqi.example\"\nuser = \"u\"\npassword_file = " + `"` + write("pw", "pw", 0o600) + `"` + "\n"
	env := func(string) string { return "" }
	load1 := func(t *testing.T, src string) (*Config, error) {
		t.Helper()
		p := write("config.toml", src, 0o600)
		cfg, _, err := Load(p, env)
		if err != nil {
			for _, s := range []string{bot, app} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("a token is shown in the error: %v", err)
				}
			}
		}
		return cfg, err
	}

	t.Run("mixed destinations", func(t *testing.T) {
		cfg, err := load1(t, base+`[slack]
bot_token_file = "`+botFile+`"
app_token_file = "`+appFile+`"
channel = "C0DEFAULT1"
mute_allowed = ["U0ALICE01", "S0LEADS01"]
board = true

[[tenant]]
name = "vision"
channel = "C0VISION1"

[[tenant]]
name = "speech"
webhook = "https://hooks.slack.com/services/T0/B0/x"

[[tenant]]
name = "nlp"
`)
		if err != nil {
			t.Fatal(err)
		}
		a := cfg.Slack.App
		if a.BotToken.Reveal() != bot || a.AppToken.Reveal() != app || a.APIURL != DefaultSlackAPIURL || !a.Board {
			t.Fatalf("app = %+v", a)
		}
		for name, want := range map[string]string{"vision": "C0VISION1", "speech": "", "nlp": "C0DEFAULT1"} {
			if got := cfg.Route(0, name).Channel(cfg); got != want {
				t.Errorf("%s: channel %q, want %q", name, got, want)
			}
		}
		if !a.MayMute("U0BOB0001", []string{"S0LEADS01"}) || a.MayMute("U0BOB0001", nil) {
			t.Error("MayMute does not follow mute_allowed")
		}
		if !a.Broadcasts("failed") || a.Broadcasts("completed") {
			t.Errorf("broadcast = %v", a.Broadcast)
		}
		if err := cfg.RequireSlack(); err != nil {
			t.Error(err)
		}
	})
	t.Run("token file readable by others", func(t *testing.T) {
		loose := write("loose", bot, 0o644)
		_, err := load1(t, base+"[slack]\nbot_token_file = \""+loose+"\"\nchannel = \"C0DEFAULT1\"\n")
		if !errors.Is(err, ErrInsecurePermissions) || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("err = %v, want insecure permissions", err)
		}
	})
	t.Run("wrong kind of token", func(t *testing.T) {
		_, err := load1(t, base+"[slack]\nbot_token_file = \""+appFile+"\"\nchannel = \"C0DEFAULT1\"\n")
		if err == nil || !strings.Contains(err.Error(), "not a Slack xoxb-") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("channel name, not ID", func(t *testing.T) {
		_, err := load1(t, base+"[slack]\nbot_token_file = \""+botFile+"\"\nchannel = \"#ml-jobs\"\n")
		if err == nil || !strings.Contains(err.Error(), "not a channel ID") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("channel without token", func(t *testing.T) {
		_, err := load1(t, base+"[slack]\nchannel = \"C0DEFAULT1\"\n")
		if err == nil || !strings.Contains(err.Error(), "no bot token") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("environment and credential", func(t *testing.T) {
		cred := t.TempDir()
		if err := os.WriteFile(filepath.Join(cred, CredentialBotToken), []byte(bot), 0o644); err != nil {
			t.Fatal(err)
		}
		p := write("config.toml", base+"[slack]\nchannel = \"C0DEFAULT1\"\n", 0o600)
		cfg, _, err := Load(p, func(k string) string {
			return map[string]string{EnvCredentialsDirectory: cred, EnvSlackAppToken: app}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Slack.App.BotToken.Reveal() != bot || cfg.Slack.App.AppTokenSource != EnvSlackAppToken {
			t.Fatalf("sources: %q %q", cfg.Slack.App.BotTokenSource, cfg.Slack.App.AppTokenSource)
		}
	})
}

// Channel returns the channel ID the tenant's messages go to through the
// app, or "" when they go to a webhook.
func (r Route) Channel(c *Config) string {
	if !c.Slack.App.Enabled() {
		return ""
	}
	if r.Tenant != nil {
		if r.Tenant.Channel != "" {
			return r.Tenant.Channel
		}
		if !r.Tenant.Webhook.IsZero() {
			return "" // the tenant's own webhook wins over the default channel
		}
	}
	return c.Slack.App.Channel
}
