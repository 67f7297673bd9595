package main

import (
	"os"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kamobot/kamobot/notify"
)

// TestSlackAppManifest: deploy/slack-app-manifest.yaml asks for exactly
// the bot scopes kamobot uses, turns Socket Mode on and declares
// /kamobot, so that an app made from it in one paste works.
func TestSlackAppManifest(t *testing.T) {
	b, err := os.ReadFile("deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			BotUser *struct {
				DisplayName string `json:"display_name"`
			} `json:"bot_user"`
			SlashCommands []struct {
				Command string `json:"command"`
				URL     string `json:"url"`
			} `json:"slash_commands"`
		} `json:"features"`
		OAuth struct {
			Scopes struct {
				Bot  []string `json:"bot"`
				User []string `json:"user"`
			} `json:"scopes"`
		} `json:"oauth_config"`
		Settings struct {
			SocketMode bool `json:"socket_mode_enabled"`
		} `json:"settings"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil { // the other keys are Slack's to judge
		t.Fatal(err)
	}
	want := append(slices.Clone(notify.AppScopes), notify.GroupScope, notify.PinScope)
	got := slices.Clone(m.OAuth.Scopes.Bot)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("bot scopes %v; kamobot uses exactly %v", got, want)
	}
	if len(m.OAuth.Scopes.User) > 0 {
		t.Errorf("user scopes %v: kamobot acts as its bot only", m.OAuth.Scopes.User)
	}
	if !m.Settings.SocketMode {
		t.Error("socket_mode_enabled is off: /kamobot would need an inbound URL")
	}
	if m.Features.BotUser == nil {
		t.Error("no bot user: there would be no xoxb- token")
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/kamobot" || m.Features.SlashCommands[0].URL != "" {
		t.Errorf("slash commands %+v; want /kamobot alone, with no URL (Socket Mode)", m.Features.SlashCommands)
	}
}
