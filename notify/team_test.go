package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
)

// teamCases are the team messages, by golden name (golden_test.go).
func teamCases(o notify.RenderOptions) map[string]any {
	stuck := job.Event{Type: job.EventStuckPending, Tenant: vision, From: "Pending", To: "Pending", At: fixedAt,
		Job: api.Job{Kind: api.KindTraining, ID: 130, Name: "llm-pretrain <8 nodes>", Status: "Pending", CreatedBy: "alice",
			CreatedAt: at(10, 0), GPU: 8}}
	var runs []notify.FailedRun
	for i, h := range []int{1, 6, 11, 14} {
		owner := "bob"
		if i == 2 {
			owner = "alice"
		}
		runs = append(runs, notify.FailedRun{At: at(h, 30), Job: api.Job{Kind: api.KindTraining, ID: int64(140 + i),
			Name: "nightly-train", CreatedBy: owner}})
	}
	cases := map[string]any{
		"mute_set": notify.RenderMute(notify.MuteNotice{Tenant: vision, Kind: api.KindTraining, Since: at(15, 0),
			Until: at(17, 0), Reason: "GPU node <maintenance> & driver upgrade", By: "alice"}, o),
		"mute_ended": notify.RenderMute(notify.MuteNotice{Tenant: nlp, Since: at(13, 0), Until: at(15, 0),
			Ended: true, Held: 4}, o),
		"reminder": notify.RenderReminder(stuck, at(10, 0), 2, o),
		"failing_repeatedly": notify.RenderFailing(vision, "nightly-train", runs, 24*time.Hour,
			[]string{"S0ONCALL", "U0LEAD"}, o),
		"self_down": notify.RenderSelf(notify.SelfNotice{What: "KAMONOHASHI unreachable", Since: at(14, 50),
			Error: "reach KAMONOHASHI: dial tcp 10.0.0.5:443: connect: connection refused"}, o),
		"self_up": notify.RenderSelf(notify.SelfNotice{Up: true, Since: at(14, 50), CaughtUp: 6,
			Error: "reach KAMONOHASHI: dial tcp 10.0.0.5:443: connect: connection refused"}, o),
		"webhook_dead": notify.RenderDeadHook("4 (nlp)", at(12, 0), "Slack refused the webhook: 404 no_service", o),
	}
	return cases
}

// The headline of a team message is a phrase of its key, picked through
// RenderOptions.Phrase; without one it is a fixed title.
func TestTeamHeadlines(t *testing.T) {
	keys := map[string]string{
		"mute_set": notify.KeyMuteSet, "mute_ended": notify.KeyMuteEnded, "reminder": notify.KeyReminder,
		"failing_repeatedly": notify.KeyFailing, "self_down": notify.KeySelfDown, "self_up": notify.KeySelfUp,
		"webhook_dead": notify.KeyHookDead,
	}
	o := options("en")
	var asked []string
	o.Phrase = func(key string) string {
		asked = append(asked, key)
		return "phrase of " + key + " <&>"
	}
	for name, c := range teamCases(o) {
		p := c.(notify.Payload)
		if want := "phrase of " + keys[name] + " &lt;&amp;&gt;"; !strings.Contains(strings.Join(texts(p)[1:], "\n"), want) || !strings.Contains(p.Text, want) {
			t.Errorf("%s: headline is not %q:\n%s", name, want, p.Text)
		}
	}
	for _, k := range keys {
		if !strings.Contains(strings.Join(asked, " "), k) {
			t.Errorf("key %s never asked for", k)
		}
	}

	titles := map[string]map[string]string{
		"en": {"mute_set": "Muted", "mute_ended": "Mute ended", "reminder": "Reminder", "failing_repeatedly": "Failing repeatedly",
			"self_down": "KAMONOHASHI unreadable", "self_up": "KAMONOHASHI readable again", "webhook_dead": "Webhook refused"},
		"ja": {"mute_set": "ミュート", "mute_ended": "ミュート終了", "reminder": "リマインド", "failing_repeatedly": "失敗の繰り返し",
			"self_down": "KAMONOHASHI 読み取り不可", "self_up": "KAMONOHASHI 読み取り再開", "webhook_dead": "Webhook 拒否"},
	}
	for lang, want := range titles {
		o := options(lang)
		o.Phrase = nil
		for name, c := range teamCases(o) {
			p := c.(notify.Payload)
			first := p.Blocks[0].Text.Text
			if !strings.HasSuffix(first, " "+want[name]) {
				t.Errorf("%s %s without a phrase: headline %q, want the title %q", lang, name, first, want[name])
			}
		}
	}
}
