package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func defaultTeam() Team {
	return Team{Muted: MutedDigest, Remind: DefaultRemind(), FailingCount: 3, FailingWithin: 24 * time.Hour,
		FailingBy: FailingByName, SelfAlertAfter: 10 * time.Minute}
}

func TestTeamKeys(t *testing.T) {
	src := minimal + `
[watch]
muted = "drop"
remind = ["30m", "2h"]
failing_repeatedly = { count = 5, within = "12h", by = "series" }
self_alert_after = "off"
`
	cfg, _, err := loadString(t, configDir(t), src, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Team{Muted: MutedDrop, Remind: []time.Duration{30 * time.Minute, 2 * time.Hour}, FailingCount: 5,
		FailingWithin: 12 * time.Hour, FailingBy: FailingBySeries}
	diff(t, "team", want, cfg.Watch.Team)
	for n, at := range []time.Duration{30 * time.Minute, 2 * time.Hour, 4 * time.Hour, 6 * time.Hour} {
		if got, ok := cfg.Watch.Team.RemindAt(n); !ok || got != at {
			t.Errorf("RemindAt(%d) = %s, %v; want %s", n, got, ok, at)
		}
	}
	off, _, err := loadString(t, configDir(t), minimal+"\n[watch]\nremind = \"off\"\n", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if _, ok := off.Watch.Team.RemindAt(0); ok {
		t.Error("remind = \"off\" still reminds")
	}
}

func TestTeamKeysRefused(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`muted = "hold"`, `watch.muted`},
		{`remind = ["4h", "1h"]`, `each step must come after`},
		{`remind = ["1m"]`, `too short`},
		{`remind = "soon"`, `want an array of durations`},
		{`failing_repeatedly = { count = 1 }`, `want 2 to 100`},
		{`failing_repeatedly = { within = "10m" }`, `want 1h to 30 days`},
		{`failing_repeatedly = { by = "owner" }`, `watch.failing_repeatedly.by: "owner": want "name"`},
		{`self_alert_after = "10s"`, `too short`},
	} {
		_, _, err := loadString(t, configDir(t), minimal+"\n[watch]\n"+tc.src+"\n", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error saying %q", tc.src, err, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), ":") {
			t.Errorf("%s: error without a place: %v", tc.src, err)
		}
	}
}

// The team messages' phrase sets are [messages] keys like the others:
// replaced wholesale, checked with the file and line of a mistake.
func TestTeamMessages(t *testing.T) {
	src := minimal + `
[messages]
mute_set = ["Quiet, please."]
webhook_dead = ["That hook is gone."]
`
	cfg, _, err := loadString(t, configDir(t), src, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	diff(t, "mute_set", []string{"Quiet, please."}, cfg.Messages.Set(MsgMuteSet))
	diff(t, "webhook_dead", []string{"That hook is gone."}, cfg.Messages.Set(MsgHookDead))
	builtin, err := BuiltinMessages(cfg.Slack.Language)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{MsgMuteEnded, MsgReminder, MsgFailing, MsgSelfDown, MsgSelfUp} {
		if got := cfg.Messages.Set(k); len(got) < 3 || !slices.Equal(got, builtin.Set(k)) {
			t.Errorf("%s: %q, want the built-in set", k, got)
		}
	}

	dir := configDir(t)
	_, _, err = loadString(t, dir, minimal+"\n[messages]\nreminder = []\nself_up = [\"ok\", \"\"]\n", nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"config.toml:8:1: messages.reminder: no phrase listed", "config.toml:9:18: messages.self_up[1]: empty phrase"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
