package engine_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// TestAppBurstIsOneBatch: in app mode, a pass with more jobs than get a
// message each in their thread posts one batch message instead, whose
// lines link the threads that exist (the address built from auth.test's
// workspace URL), and still updates those threads' parents in place.
func TestAppBurstIsOneBatch(t *testing.T) {
	now := time.Date(2026, 11, 25, 11, 0, 0, 0, time.FixedZone("JST", 9*3600))
	kqi := kqifake.NewTest(t, kqifake.Options{Now: func() time.Time { return now }})
	vision := kqi.AddTenant("vision", "")
	kqi.AddAccount("kamobot", "pw", vision)
	slack := slackfake.NewTest(t)
	const token, channel = "xoxb-1-engine-test", "C0ENGINE01"
	slack.AddToken(slackfake.Token{Token: token})
	slack.AddChannel(slackfake.Channel{ID: channel, Name: "jobs"})

	var logs strings.Builder
	p := newTestPass(t, passSetup{kqi: kqi, dir: t.TempDir(), config: `[watch]
stuck_pending_after = "off"
long_running_after = "off"
summary_after_silence = "off"
notify = ["started", "completed", "failed", "killed", "canceled", "trouble"]

[slack]
language = "en"
channel = "` + channel + `"
api_url = "` + slack.URL() + `/api/"
`,
		env: map[string]string{"KAMOBOT_SLACK_BOT_TOKEN": token}, now: func() time.Time { return now },
		log: slog.New(slog.NewTextHandler(&logs, nil))})
	pass := func(what string) engine.Report {
		t.Helper()
		rep, err := p.Run(context.Background(), engine.Options{})
		if err != nil {
			t.Fatalf("%s: %v\nlogs:\n%s", what, err, logs.String())
		}
		return rep
	}
	pass("baseline")
	var ids []int64
	for i := range 7 {
		status := "Pending"
		if i < 2 {
			status = "Running" // two start now: a thread each
		}
		j, err := kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: fmt.Sprintf("burst-%d", i),
			CreatedBy: "alice", Status: status})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	pass("two starts")
	starts := slack.Messages()
	if len(starts) != 2 || starts[0].ThreadTS != "" || starts[1].ThreadTS != "" {
		t.Fatalf("two starts gave %d messages, want two parents: %+v", len(starts), starts)
	}
	now = now.Add(10 * time.Minute)
	for _, id := range ids {
		if err := kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
			t.Fatal(err)
		}
	}
	pass("seven endings")
	msgs := slack.Messages()[2:]
	var batches, updates, replies int
	for _, m := range msgs {
		switch {
		case m.Method == "chat.update":
			updates++
		case m.ThreadTS != "":
			replies++
		default:
			batches++
			for i, s := range starts {
				link := "https://fake.slack.com/archives/" + channel + "/p" + strings.ReplaceAll(s.TS, ".", "")
				if !strings.Contains(string(m.Payload), link+"|") {
					t.Errorf("the batch does not link the thread of burst-%d (%s):\n%s", i, link, m.Text)
				}
			}
		}
	}
	if batches != 1 || updates != 2 || replies != 0 {
		t.Errorf("seven endings: %d batch posts, %d updates, %d replies; want 1, 2, 0", batches, updates, replies)
	}
}
