package config

import (
	"testing"
)

func TestKeyPositions(t *testing.T) {
	src := `# comment with key = "value" and [table]
top = 1
"quoted key" = 'lit'
dotted.inner = """
multi = "line" [not a table]
"""
[kamonohashi]   # trailing comment
server = "https://x" # x = 1
  user = 'a#b'

[schedule]
hours = { default = "09:00-17:00", "monday" = "off" }
holidays = [
  "2026-12-29",   # first
  2026-12-30,
]
arr = [[1, 2], [3]]

[[tenant]]
name = "a"
mention = ["U1", "U2"]

[[tenant]]
id = 2
[tenant.sub]
x = 1
[[tenant.deep]]
y = 1
[[tenant.deep]]
y = 2
`
	pos := keyPositions([]byte(src))
	tests := []struct {
		path keyPath
		want position
	}{
		{keyPath{"top"}, position{2, 1}},
		{keyPath{"quoted key"}, position{3, 1}},
		{keyPath{"dotted"}, position{4, 1}},
		{keyPath{"dotted", "inner"}, position{4, 1}},
		{keyPath{"kamonohashi"}, position{7, 1}},
		{keyPath{"kamonohashi", "server"}, position{8, 1}},
		{keyPath{"kamonohashi", "user"}, position{9, 3}},
		{keyPath{"schedule", "hours"}, position{12, 1}},
		{keyPath{"schedule", "hours", "default"}, position{12, 11}},
		{keyPath{"schedule", "hours", "monday"}, position{12, 36}},
		{keyPath{"schedule", "holidays", "[0]"}, position{14, 3}},
		{keyPath{"schedule", "holidays", "[1]"}, position{15, 3}},
		{keyPath{"schedule", "arr", "[1]"}, position{17, 16}},
		{keyPath{"schedule", "arr", "[0]", "[1]"}, position{17, 12}},
		{keyPath{"tenant"}, position{19, 1}},
		{keyPath{"tenant", "[0]"}, position{19, 1}},
		{keyPath{"tenant", "[0]", "mention", "[1]"}, position{21, 18}},
		{keyPath{"tenant", "[1]"}, position{23, 1}},
		{keyPath{"tenant", "[1]", "id"}, position{24, 1}},
		{keyPath{"tenant", "[1]", "sub", "x"}, position{26, 1}},
		{keyPath{"tenant", "[1]", "deep", "[1]", "y"}, position{30, 1}},
	}
	for _, tt := range tests {
		if got, ok := pos[tt.path.id()]; !ok || got != tt.want {
			t.Errorf("%s: got %v (found %v), want %v", tt.path, got, ok, tt.want)
		}
	}
	for _, absent := range []keyPath{{"multi"}, {"x"}, {"table"}, {"not a table"}} {
		if _, ok := pos[absent.id()]; ok {
			t.Errorf("%s found inside a string or comment", absent)
		}
	}
}

func TestKeyPathString(t *testing.T) {
	for _, tt := range []struct {
		p    keyPath
		want string
	}{
		{keyPath{"watch", "interval"}, "watch.interval"},
		{keyPath{"tenant", "[1]", "mention", "[0]"}, "tenant[1].mention[0]"},
		{keyPath{"owners", "yamada.taro"}, `owners."yamada.taro"`},
		{keyPath{"owners", "山田"}, `owners."山田"`},
		{keyPath{"messages", "[x]"}, `messages."[x]"`},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}
