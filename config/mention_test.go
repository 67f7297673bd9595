package config

import (
	"strings"
	"testing"
)

func TestParseMention(t *testing.T) {
	tests := []struct {
		in        string
		want      Mention
		slack     string
		warn, err string
	}{
		{in: "U01ABCDEF", want: "U01ABCDEF", slack: "<@U01ABCDEF>"},
		{in: "W0123456789", want: "W0123456789", slack: "<@W0123456789>"},
		{in: " <@U01ABCDEF> ", want: "U01ABCDEF", slack: "<@U01ABCDEF>"},
		{in: "<@U01ABCDEF|alice>", want: "U01ABCDEF", slack: "<@U01ABCDEF>"},
		{in: "@U01ABCDEF", want: "U01ABCDEF", slack: "<@U01ABCDEF>"},
		{in: "S0GROUP1", want: "S0GROUP1", slack: "<!subteam^S0GROUP1>"},
		{in: "<!subteam^S0GROUP1>", want: "S0GROUP1", slack: "<!subteam^S0GROUP1>"},
		{in: "here", want: "here", slack: "<!here>"},
		{in: "@Channel", want: "channel", slack: "<!channel>"},
		{in: "<!everyone>", want: "everyone", slack: "<!everyone>"},
		{in: "alice", want: "@alice", slack: "@alice", warn: "Slack stopped resolving @names in 2018; use a user ID like U01ABCDEF"},
		{in: "@alice", want: "@alice", slack: "@alice", warn: "is a name"},
		{in: "山田", want: "@山田", slack: "@山田", warn: "is a name"},
		{in: "u01abcdef", want: "@u01abcdef", slack: "@u01abcdef", warn: "is a name"},
		{in: "", err: "empty mention"},
		{in: "@", err: "empty mention"},
		{in: "alice smith", err: "is not a mention"},
		{in: "<@alice>", want: "@alice", slack: "@alice", warn: "is a name"},
		{in: "<#C0123|general>", err: "is not a mention Slack understands"},
		{in: "#general", err: "is a channel"},
		{in: "a&b", err: "is not a mention"},
	}
	for _, tt := range tests {
		got, warn, err := ParseMention(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || got.Slack() != tt.slack {
			t.Errorf("%q: got %q (%s), %v; want %q (%s)", tt.in, got, got.Slack(), err, tt.want, tt.slack)
		}
		if tt.warn == "" && warn != "" || !strings.Contains(warn, tt.warn) {
			t.Errorf("%q: warning %q, want %q", tt.in, warn, tt.warn)
		}
		if got.IsName() != (tt.warn != "") {
			t.Errorf("%q: IsName = %v", tt.in, got.IsName())
		}
	}
}

// Slack returns the mention in Slack's mrkdwn syntax: "<@U01ABCDEF>",
// "<!subteam^S0GROUP1>", "<!here>". A legacy @name is returned as it is
// (after escaping for mrkdwn), since Slack would not resolve it anyway.
func (m Mention) Slack() string {
	s := string(m)
	switch {
	case m.IsName():
		r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
		return r.Replace(s)
	case isSpecial(s):
		return "<!" + s + ">"
	case isGroupID(s):
		return "<!subteam^" + s + ">"
	}
	return "<@" + s + ">"
}
