package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// TestThreadDeletedStartsANewOne: someone deletes a job's parent message
// in Slack. The reply to it (thread_not_found) is posted at once as the
// job's new parent, and the update of the deleted parent is done with:
// nothing goes to the dead letters, the ending reaches the channel.
func TestThreadDeletedStartsANewOne(t *testing.T) {
	w := newBoardWorld(t)
	if err := os.WriteFile(filepath.Join(w.dir, "config.toml"), []byte(`[watch]
stuck_pending_after = "off"
long_running_after = "off"
summary_after_silence = "off"
notify = ["failed", "trouble"]

[slack]
language = "en"
channel = "`+boardChannel+`"
api_url = "`+w.slack.URL()+`/api/"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "xoxb-1-thread"
	w.slack.AddToken(slackfake.Token{Token: token})
	j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "resnet-thread",
		CreatedBy: "alice", Status: "Running"})
	if err != nil {
		t.Fatal(err)
	}
	w.pass("baseline", token)
	step := func(status, what string) {
		t.Helper()
		if status != "" {
			if err := w.kqi.SetStatus(api.KindTraining, j.ID, kqifake.StatusUpdate{Status: status}); err != nil {
				t.Fatal(err)
			}
		}
		w.now = w.now.Add(5 * time.Minute)
		w.pass(what, token)
	}
	parents := func() []slackfake.Message {
		var out []slackfake.Message
		for _, m := range w.slack.Messages() {
			if m.Method == "chat.postMessage" && m.ThreadTS == "" && strings.Contains(m.Text, "resnet-thread") {
				out = append(out, m)
			}
		}
		return out
	}
	step("OOMKilled", "trouble: the parent")
	first := parents()
	if len(first) != 1 {
		t.Fatalf("%d parents after the trouble, want 1", len(first))
	}
	if !w.slack.DeleteMessage(boardChannel, first[0].TS) {
		t.Fatalf("the fake has no message %s to delete", first[0].TS)
	}
	step("Failed", "the ending: its reply finds no thread")
	step("", "the ending, confirmed by a second read: posted as a new parent")
	st := w.state()
	if len(st.DeadLetters) != 0 || len(st.Outbox) != 0 {
		t.Fatalf("%d dead letters, %d in the outbox; want none", len(st.DeadLetters), len(st.Outbox))
	}
	got := parents()
	if len(got) != 2 || !strings.Contains(got[1].Text, "Failed") {
		t.Fatalf("parents: %+v; want the failure posted as a new parent", got)
	}
}
