package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kamobot/kamobot/notify/slackfake"
)

// cmdSlackApp drives and checks the fake Slack Web API (app mode):
//
//	slackapp token TOKEN [ERROR]      register a token (answering ERROR to every call)
//	slackapp channel ID               register a channel
//	slackapp scopes TOKEN [SCOPE,...] give a registered token these scopes only (none when omitted)
//	slackapp calls                    print each Web API message: method channel ts thread_ts [broadcast]
//	slackapp count METHOD N           exactly N accepted calls of METHOD (N replies: METHOD "reply")
//	slackapp fault METHOD ERROR [N]   the next N calls of METHOD answer ERROR
//	slackapp threads                  every update and reply targets a parent post
//	slackapp slash USER TEXT...       type /kamobot TEXT as USER over Socket Mode; print the answer's
//	                                  response_type, then its text
//	slackapp last                     print the text of the last chat.* call, then as it reads
//	slackapp config                   put the fake's Web API URL for @SLACK_API@ in config.toml
func cmdSlackApp(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: slackapp token|scopes|channel|calls|count|fault ...")
	}
	f := fakesOf(ts)
	switch args[0] {
	case "token":
		t := slackfake.Token{Token: args[1]}
		if len(args) > 2 {
			t.Error = args[2]
		}
		f.Slack.AddToken(t)
	case "scopes":
		if len(args) < 2 {
			ts.Fatalf("usage: slackapp scopes TOKEN [SCOPE,...]")
		}
		scopes := []string{}
		if len(args) > 2 && args[2] != "" {
			scopes = strings.Split(args[2], ",")
		}
		if !f.Slack.SetScopes(args[1], scopes) {
			ts.Fatalf("slackapp scopes: token not registered")
		}
	case "channel":
		f.Slack.AddChannel(slackfake.Channel{ID: args[1], Name: strings.ToLower(args[1])})
	case "calls":
		var b strings.Builder
		for _, m := range apiMessages(f) {
			fmt.Fprintf(&b, "%s %s %s %s", m.Method, m.Channel, m.TS, cmp.Or(m.ThreadTS, "-"))
			if m.ReplyBroadcast {
				b.WriteString(" broadcast")
			}
			b.WriteString("\n")
		}
		_, _ = ts.Stdout().Write([]byte(b.String()))
	case "count":
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		got := 0
		for _, m := range apiMessages(f) {
			switch {
			case args[1] == "reply" && m.Method == "chat.postMessage" && m.ThreadTS != "":
				got++
			case args[1] == "parent" && m.Method == "chat.postMessage" && m.ThreadTS == "":
				got++
			case args[1] == m.Method:
				got++
			}
		}
		if (got == want) == neg {
			ts.Fatalf("%s calls: got %d, want %s%d", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
		}
	case "fault":
		n := 1
		if len(args) > 3 {
			var err error
			n, err = strconv.Atoi(args[3])
			ts.Check(err)
		}
		f.Slack.ScriptAPI(slackfake.APIFault{Method: args[1], Error: args[2], Count: n})
	case "threads":
		parents := map[string]bool{}
		for _, m := range apiMessages(f) {
			switch {
			case m.Method == "chat.postMessage" && m.ThreadTS == "":
				parents[m.Channel+"/"+m.TS] = true
			case m.Method == "chat.postMessage" && !parents[m.Channel+"/"+m.ThreadTS]:
				ts.Fatalf("reply %s is in thread %s, not a parent post", m.TS, m.ThreadTS)
			case m.Method == "chat.update" && !parents[m.Channel+"/"+m.TS]:
				ts.Fatalf("update of %s, not a parent post", m.TS)
			}
		}
	case "last": // the text of the last chat.postMessage or chat.update, as a person reads it
		msgs := slices.DeleteFunc(apiMessages(f), func(m slackfake.Message) bool { return !strings.HasPrefix(m.Method, "chat.") })
		if len(msgs) == 0 {
			ts.Fatalf("no chat.* call")
		}
		fmt.Fprintf(ts.Stdout(), "%s\n---\n%s\n", msgs[len(msgs)-1].Text, msgs[len(msgs)-1].Readable)
	case "slash":
		if len(args) < 3 {
			ts.Fatalf("usage: slackapp slash USER TEXT...")
		}
		ack, err := f.Slack.Slash(context.Background(), slackfake.SlashCommand{UserID: args[1], ChannelID: "C0KAMOBOT1",
			Text: strings.Join(args[2:], " ")}, 20*time.Second)
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "response_type=%s\n%s\n", cmp.Or(ack.ResponseType, "ephemeral"), ack.Text)
	case "config":
		p := ts.MkAbs("config.toml")
		b, err := os.ReadFile(p)
		ts.Check(err)
		ts.Check(os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "@SLACK_API@", f.Slack.URL()+"/api/")), 0o600))
	default:
		ts.Fatalf("unknown slackapp command %q", args[0])
	}
}

// apiMessages are the Web API calls the fake accepted, in order.
func apiMessages(f *fakes) []slackfake.Message {
	return slices.DeleteFunc(f.Slack.Messages(), func(m slackfake.Message) bool { return m.Method == "" })
}
