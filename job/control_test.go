package job

import (
	"slices"
	"testing"

	"github.com/kamobot/kamobot/api"
)

func TestControlOf(t *testing.T) {
	for _, tc := range []struct {
		memo  string
		tags  []string
		quiet bool
		loud  bool
		ments []string
		bad   []string
	}{
		{memo: "plain memo"},
		{memo: "sweep kamobot:quiet", quiet: true},
		{memo: "急ぎ、kamobot:loud", loud: true},
		{tags: []string{"resnet", "kamobot:quiet"}, quiet: true},
		{memo: "kamobot:mention=U01ABCDEF,kamobot:mention=S0GROUP1 kamobot:mention=U01ABCDEF", ments: []string{"U01ABCDEF", "S0GROUP1"}},
		{memo: "kamobot:mention=@bob kamobot:shout", bad: []string{"kamobot:mention=@bob", "kamobot:shout"}},
	} {
		c := ControlOf(api.Job{Memo: tc.memo, Tags: tc.tags})
		if c.Quiet != tc.quiet || c.Loud != tc.loud || !slices.Equal(c.Mentions, tc.ments) || !slices.Equal(c.Invalid, tc.bad) {
			t.Errorf("%q %q: got %+v", tc.memo, tc.tags, c)
		}
	}
	if MentionMarkup("S0GROUP1") != "<!subteam^S0GROUP1>" || MentionMarkup("U1AB") != "<@U1AB>" {
		t.Error("MentionMarkup")
	}
}
