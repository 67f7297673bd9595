package notify

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInspect(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want View
	}{
		{name: "plain", in: "hello *world*", want: View{Text: "hello *world*"}},
		{name: "entities", in: "a &amp; b &lt;c&gt; &amp;lt;", want: View{Text: "a & b <c> &lt;"}},
		{name: "link with label", in: "<https://k.example/#/training/3|run &amp; go #3>",
			want: View{Text: "run & go #3 (https://k.example/#/training/3)",
				Links: []Link{{URL: "https://k.example/#/training/3", Label: "run & go #3"}}}},
		{name: "bare link", in: "<https://a.example/x?a=1&amp;b=2>",
			want: View{Text: "https://a.example/x?a=1&b=2", Links: []Link{{URL: "https://a.example/x?a=1&b=2"}}}},
		{name: "user", in: "hi <@U1>", want: View{Text: "hi @U1", Users: []string{"U1"}}},
		{name: "user with label", in: "<@W2|bob>", want: View{Text: "@bob", Users: []string{"W2"}}},
		{name: "subteam", in: "<!subteam^S1>", want: View{Text: "@S1", Subteams: []string{"S1"}}},
		{name: "here", in: "<!here> x", want: View{Text: "@here x", Specials: []string{"here"}}},
		{name: "channel mention", in: "<!channel>", want: View{Text: "@channel", Specials: []string{"channel"}}},
		{name: "channel link", in: "<#C9>", want: View{Text: "#C9", Channels: []string{"C9"}}},
		{name: "date", in: "<!date^1392734382^{date_short}|Feb 18>", want: View{Text: "Feb 18"}},
		{name: "unescaped lt", in: "a <b> c", want: View{Text: "a <b> c",
			Unescaped: []Flaw{{2, "<"}, {4, ">"}}}},
		{name: "unescaped amp", in: "R&D &quot;", want: View{Text: "R&D &quot;",
			Unescaped: []Flaw{{1, "&"}, {4, "&"}}}},
		{name: "lone lt", in: "x < y", want: View{Text: "x < y", Unescaped: []Flaw{{2, "<"}}}},
		{name: "lt before control", in: "<<@U1>", want: View{Text: "<@U1", Users: []string{"U1"},
			Unescaped: []Flaw{{0, "<"}}}},
		{name: "bad user id", in: "<@alice>", want: View{Text: "<@alice>",
			Unescaped: []Flaw{{0, "<"}, {7, ">"}}}},
		{name: "amp in link", in: "<https://a.example/?a&b|x>", want: View{Text: "x (https://a.example/?a&b)",
			Links: []Link{{URL: "https://a.example/?a&b", Label: "x"}}, Unescaped: []Flaw{{21, "&"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Inspect(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Inspect(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if r := Readable(tt.in); r != tt.want.Text {
				t.Errorf("Readable(%q) = %q, want %q", tt.in, r, tt.want.Text)
			}
		})
	}
}
