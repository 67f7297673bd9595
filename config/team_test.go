package config

import (
	"strings"
	"testing"
	"time"
)

func defaultTeam() Team {
	return Team{Muted: MutedDigest, Remind: DefaultRemind(), FailingCount: 3, FailingWithin: 24 * time.Hour,
		SelfAlertAfter: 10 * time.Minute}
}

func TestTeamKeys(t *testing.T) {
	src := minimal + `
[watch]
muted = "drop"
remind = ["30m", "2h"]
failing_repeatedly = { count = 5, within = "12h" }
self_alert_after = "off"
`
	cfg, _, err := loadString(t, configDir(t), src, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Team{Muted: MutedDrop, Remind: []time.Duration{30 * time.Minute, 2 * time.Hour}, FailingCount: 5,
		FailingWithin: 12 * time.Hour}
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
