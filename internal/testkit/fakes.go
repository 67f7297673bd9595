package testkit

import (
	"fmt"
	"time"

	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// Now is the fixed time of the end-to-end tests: Wednesday 2026-11-25
// 10:00 in Tokyo, inside office hours, with the demo jobs of the fake
// KAMONOHASHI running, ended and pending around it.
var Now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))

// Fakes is a fake KAMONOHASHI with the demo data (account demo, password
// demo) and a fake Slack with one webhook, on loopback ports.
type Fakes struct {
	KQI   *kqifake.Server
	Slack *slackfake.Server
	// Hook is the webhook URL made on Slack.
	Hook string
}

// StartDemoFakes starts the fakes; the fake KAMONOHASHI's clock says now
// (nil: the real time). Close stops them.
func StartDemoFakes(now func() time.Time) (*Fakes, error) {
	kqi := kqifake.Demo(kqifake.Options{Now: now})
	if err := kqi.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start the fake KAMONOHASHI: %w", err)
	}
	slack, err := slackfake.New(slackfake.Options{})
	if err != nil {
		_ = kqi.Close()
		return nil, fmt.Errorf("start the fake Slack: %w", err)
	}
	return &Fakes{KQI: kqi, Slack: slack, Hook: slack.NewHook()}, nil
}

// Close stops the fakes.
func (f *Fakes) Close() {
	_ = f.KQI.Close()
	f.Slack.Close()
}

// Env is the environment that points kamobot at the fakes, with the
// clock at Now: KAMOBOT_SERVER, _USER, _PASSWORD, _SLACK_WEBHOOK and
// KAMOBOT_NOW.
func (f *Fakes) Env() map[string]string {
	return map[string]string{
		"KAMOBOT_SERVER":        f.KQI.URL(),
		"KAMOBOT_USER":          "demo",
		"KAMOBOT_PASSWORD":      "demo",
		"KAMOBOT_SLACK_WEBHOOK": f.Hook,
		"KAMOBOT_NOW":           Now.Format(time.RFC3339),
	}
}
