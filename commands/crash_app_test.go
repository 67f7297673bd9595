//go:build unix

package commands

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/notify/slackfake"
)

const canaryBotToken = "xoxb-1-CANARYbotTOKEN8Zr3"

// newAppProcEnv is newProcEnv in Slack app mode: every tenant posts in one
// channel through the fake Web API, starts included.
func newAppProcEnv(t *testing.T, bin string) *procEnv {
	t.Helper()
	return setUpProcEnv(t, bin, func(e *procEnv) string {
		e.slack.AddToken(slackfake.Token{Token: canaryBotToken})
		e.slack.AddChannel(slackfake.Channel{ID: "C0CRASHAPP", Name: "crash"})
		return faultConfig + `notify = ["started", "completed", "failed", "killed", "canceled", "trouble"]

[slack]
channel = "C0CRASHAPP"
api_url = "` + e.slack.URL() + `/api/"
`
	}, "KAMOBOT_SLACK_BOT_TOKEN="+canaryBotToken)
}

// TestAppCrashAfterPost kills kamobot -9 between Slack's ok for a post and
// the save of its ts, once for a thread parent and once for a reply: each
// crash leaves at most one extra message, and every later event of the
// job goes in the thread of the parent whose ts was saved.
func TestAppCrashAfterPost(t *testing.T) {
	t.Parallel()
	bin := hooksBin.Path(t)
	e := newAppProcEnv(t, bin)
	if o := e.run(nil, "check"); o.code != 0 || o.killed {
		t.Fatalf("baseline: exit %d, killed %v\n%s", o.code, o.killed, o.out)
	}
	var jobs []int64
	for i, tenant := range crashTenants {
		j, err := e.kqi.AddJob(kqifake.NewJob{Tenant: tenant, Kind: api.KindTraining, Name: fmt.Sprintf("crash-app-%d", i),
			CreatedBy: "alice", Status: "Running"})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j.ID)
	}
	// The second parent is posted, then kamobot dies before saving its ts.
	if o := e.run([]string{"KAMOBOT_TEST_CRASH_AT=after_post_before_mark:2"}, "check"); !o.killed {
		t.Fatalf("the crash hook did not fire: exit %d\n%s", o.code, o.out)
	}
	if o := e.run(nil, "check"); o.code != 0 || o.killed {
		t.Fatalf("after the crash: exit %d\n%s", o.code, o.out)
	}
	parents := e.appCalls(func(m slackfake.Message) bool { return m.Method == "chat.postMessage" && m.ThreadTS == "" })
	if len(parents) < len(jobs) || len(parents) > len(jobs)+1 {
		t.Fatalf("%d parents for %d jobs and one crash; want %d or %d", len(parents), len(jobs), len(jobs), len(jobs)+1)
	}
	// Every job ends; kamobot dies after the first reply's ok.
	for _, id := range jobs {
		if err := e.kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
			t.Fatal(err)
		}
	}
	if o := e.run([]string{"KAMOBOT_TEST_CRASH_AT=after_post_before_mark:1"}, "check"); !o.killed {
		t.Fatalf("the crash hook did not fire: exit %d\n%s", o.code, o.out)
	}
	if o := e.run(nil, "check"); o.code != 0 || o.killed {
		t.Fatalf("after the second crash: exit %d\n%s", o.code, o.out)
	}
	if o := e.run(nil, "check"); o.code != 0 || o.killed {
		t.Fatalf("a check with nothing new: exit %d\n%s", o.code, o.out)
	}

	all := e.appCalls(func(slackfake.Message) bool { return true })
	parentTS := map[string]string{}  // ts → job name
	replies := map[string][]string{} // job name → the parents its replies went under
	updates := 0
	for _, m := range all {
		name := jobNameIn(m.Text, jobs)
		switch {
		case m.Method == "chat.postMessage" && m.ThreadTS == "":
			parentTS[m.TS] = name
		case m.Method == "chat.postMessage":
			if parentTS[m.ThreadTS] != name || name == "" {
				t.Errorf("reply about %q went under the parent of %q", name, parentTS[m.ThreadTS])
			}
			replies[name] = append(replies[name], m.ThreadTS)
		case m.Method == "chat.update":
			updates++
			if parentTS[m.TS] == "" {
				t.Errorf("update of %s, not a parent", m.TS)
			}
		}
	}
	if len(parentTS) > len(jobs)+1 {
		t.Errorf("%d parents for %d jobs and two crashes", len(parentTS), len(jobs))
	}
	total := 0
	for i := range jobs {
		name := fmt.Sprintf("crash-app-%d", i)
		if len(replies[name]) == 0 {
			t.Errorf("the ending of %s was not posted in its thread", name)
		}
		total += len(replies[name])
	}
	if total > len(jobs)+1 {
		t.Errorf("%d replies for %d endings and one crash after a reply", total, len(jobs))
	}
	if updates < len(jobs) {
		t.Errorf("%d parent updates for %d endings", updates, len(jobs))
	}
	t.Logf("%d parents, %d replies, %d updates for %d jobs and two crashes", len(parentTS), total, updates, len(jobs))
}

// appCalls are the Web API calls the fake accepted that keep.
func (e *procEnv) appCalls(keep func(slackfake.Message) bool) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range e.slack.Messages() {
		if m.Method != "" && keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// jobNameIn is the crash-app job a message text is about, or "".
func jobNameIn(text string, jobs []int64) string {
	for i := range jobs {
		if name := fmt.Sprintf("crash-app-%d", i); containsWord(text, name) {
			return name
		}
	}
	return ""
}

func containsWord(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i:i+len(w)] == w && (i+len(w) == len(s) || s[i+len(w)] < '0' || s[i+len(w)] > '9') {
			return true
		}
	}
	return false
}

// TestAppSocketDrops drops the Socket Mode connection 10 times while watch
// runs passes that post and thread job events: /kamobot is answered after
// every drop (the connection came back by itself), and every job gets
// exactly one parent, one reply and one update: nothing lost or doubled.
func TestAppSocketDrops(t *testing.T) {
	t.Parallel()
	bin := hooksBin.Path(t)
	e := newAppProcEnv(t, bin)
	const appToken = "xapp-1-A0CRASH-CANARYappTOKEN"
	e.slack.AddToken(slackfake.Token{Token: appToken})
	e.env = append(e.env, "KAMOBOT_SLACK_APP_TOKEN="+appToken)
	if o := e.run(nil, "check"); o.code != 0 || o.killed {
		t.Fatalf("baseline: exit %d\n%s", o.code, o.out)
	}
	var jobs []int64
	for i, tenant := range crashTenants {
		j, err := e.kqi.AddJob(kqifake.NewJob{Tenant: tenant, Kind: api.KindTraining, Name: fmt.Sprintf("crash-app-%d", i),
			CreatedBy: "alice", Status: "Running"})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j.ID)
	}
	p := e.start(nil, "watch", "--interval", "5s")
	passDone := func(what string) {
		t.Helper()
		select {
		case <-p.passes:
		case <-p.done:
			t.Fatalf("watch ended before %s:\n%s", what, p.out.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("no pass ended for %s", what)
		}
	}
	drops := 0
	dropAndAsk := func(n int) {
		t.Helper()
		for range n {
			ack, err := e.slack.Slash(t.Context(), slackfake.SlashCommand{Text: "tenants", UserID: "U0ALICE01"}, 20*time.Second)
			if err != nil {
				t.Fatalf("after %d drops: %v", drops, err)
			}
			if !strings.Contains(ack.Text, "vision") || ack.ResponseType != "ephemeral" {
				t.Fatalf("after %d drops: answer %+v", drops, ack)
			}
			if e.slack.DropSockets() > 0 {
				drops++
			}
		}
	}
	passDone("the starts")
	dropAndAsk(5)
	for _, id := range jobs {
		if err := e.kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
			t.Fatal(err)
		}
	}
	passDone("the endings")
	dropAndAsk(5)
	passDone("a pass with nothing new")
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if o := e.wait(p); o.code != 0 || o.killed {
		t.Fatalf("watch: exit %d\n%s", o.code, o.out)
	}
	if drops != 10 {
		t.Fatalf("%d drops, want 10", drops)
	}
	parents, replies, updates := 0, 0, 0
	for _, m := range e.appCalls(func(slackfake.Message) bool { return true }) {
		switch {
		case m.Method == "chat.postMessage" && m.ThreadTS == "":
			parents++
		case m.Method == "chat.postMessage":
			replies++
		case m.Method == "chat.update":
			updates++
		}
	}
	if parents != len(jobs) || replies != len(jobs) || updates != len(jobs) {
		t.Errorf("%d parents, %d replies, %d updates for %d jobs; want one each", parents, replies, updates, len(jobs))
	}
	if opened := e.slack.SocketsOpened(); opened < drops+1 {
		t.Errorf("%d Socket Mode connections opened for %d drops", opened, drops)
	}
	if out := e.outputs.String(); strings.Contains(out, appToken) || strings.Contains(out, canaryBotToken) {
		t.Errorf("a token in kamobot's output:\n%s", out)
	}
	t.Logf("%d drops, %d connections, %d parents, %d replies, %d updates", drops, e.slack.SocketsOpened(), parents, replies, updates)
}
