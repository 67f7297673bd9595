package engine_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

// TestPassOnOldStateFiles runs a pass on a state file written by schema 1
// (state/testdata/state-v1.json), and on the same file as schema 3 wrote it
// before the code was slimmed (state-v3.json, commit 455db6b), against a
// KAMONOHASHI where nothing changed since: the two messages left in its
// outbox are sent as they were rendered, byte for byte (the refused default
// webhook has a new URL, so it is tried at once), nothing is reported
// again, and the open jobs, the dead letter and the sequence numbers are
// kept.
func TestPassOnOldStateFiles(t *testing.T) {
	for _, file := range []string{"state-v1.json", "state-v3.json"} {
		t.Run(file, func(t *testing.T) { passOnOldState(t, "../state/testdata/"+file) })
	}
}

func passOnOldState(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	old, err := state.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 11, 0, 0, 0, time.FixedZone("JST", 9*3600)) // an hour after the file
	kqi := kqifake.NewTest(t, kqifake.Options{Now: func() time.Time { return now }})
	vision, nlp := kqi.AddTenant("vision", ""), kqi.AddTenant("nlp", "")
	kqi.AddAccount("kamobot", "pw", vision, nlp)
	// The jobs as the file knows them: 1, 2 and 4 ended, 3 and 5 running.
	for _, j := range []struct{ tenant, name, status string }{
		{"vision", "poison-job", "Failed"}, {"vision", "pending-job", "Completed"}, {"vision", "still-running", "Running"},
		{"nlp", "nlp-pending", "Killed"}, {"nlp", "nlp-running", "Running"},
	} {
		if _, err := kqi.AddJob(kqifake.NewJob{Tenant: j.tenant, Kind: api.KindTraining, Name: j.name, CreatedBy: "alice",
			Status: j.status}); err != nil {
			t.Fatal(err)
		}
	}
	slack := slackfake.NewTest(t)
	hook, nlpHook := slack.NewHook(), slack.NewHook()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "state.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	p := newTestPass(t, passSetup{kqi: kqi, dir: dir, config: `[watch]
stuck_pending_after = "off"
long_running_after = "off"
summary_after_silence = "off"

[[tenant]]
name = "vision"

[[tenant]]
name = "nlp"
webhook = "` + nlpHook + `"
`,
		env: map[string]string{"KAMOBOT_SLACK_WEBHOOK": hook}, now: func() time.Time { return now },
		log: slog.New(slog.NewTextHandler(&logs, nil))})
	store := p.Store

	rep, err := p.Run(context.Background(), engine.Options{})
	if err != nil {
		t.Fatalf("pass on %s: %v\nlogs:\n%s", file, err, logs.String())
	}
	if rep.Sent != 2 || rep.Queued != 0 || rep.Events != 0 || rep.Baselined != 0 {
		t.Errorf("pass: %d sent, %d queued, %d events, %d baselined; want the 2 pending sent and nothing new",
			rep.Sent, rep.Queued, rep.Events, rep.Baselined)
	}
	got := slack.Messages()
	if len(got) != 2 {
		t.Fatalf("slack got %d messages, want 2", len(got))
	}
	// Two webhooks: their order of arrival is not set, each one's payload is.
	for _, m := range old.Outbox {
		if !slices.ContainsFunc(got, func(g slackfake.Message) bool { return g.Raw == string(m.Payload) }) {
			t.Errorf("message %d was not sent as the outbox held it\n%s\ngot %v", m.Seq, m.Payload, got)
		}
	}
	if len(slack.MessagesFor(nlpHook)) != 1 {
		t.Error("the message queued for the nlp tenant's webhook did not go there")
	}
	st, _, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != state.Version || len(st.Outbox) != 0 || len(st.DeadHooks) != 0 || st.NextSeq != old.NextSeq ||
		len(st.DeadLetters) != 1 || st.OpenJobs() != old.OpenJobs() || st.OpenJobs() != 2 {
		t.Errorf("after the pass: version %d, outbox %d, dead hooks %d, next_seq %d, dead letters %d, open jobs %d",
			st.Version, len(st.Outbox), len(st.DeadHooks), st.NextSeq, len(st.DeadLetters), st.OpenJobs())
	}
}
