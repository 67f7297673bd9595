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
		want Pos
	}{
		{keyPath{"top"}, Pos{2, 1}},
		{keyPath{"quoted key"}, Pos{3, 1}},
		{keyPath{"dotted"}, Pos{4, 1}},
		{keyPath{"dotted", "inner"}, Pos{4, 1}},
		{keyPath{"kamonohashi"}, Pos{7, 1}},
		{keyPath{"kamonohashi", "server"}, Pos{8, 1}},
		{keyPath{"kamonohashi", "user"}, Pos{9, 3}},
		{keyPath{"schedule", "hours"}, Pos{12, 1}},
		{keyPath{"schedule", "hours", "default"}, Pos{12, 11}},
		{keyPath{"schedule", "hours", "monday"}, Pos{12, 36}},
		{keyPath{"schedule", "holidays", "[0]"}, Pos{14, 3}},
		{keyPath{"schedule", "holidays", "[1]"}, Pos{15, 3}},
		{keyPath{"schedule", "arr", "[1]"}, Pos{17, 16}},
		{keyPath{"schedule", "arr", "[0]", "[1]"}, Pos{17, 12}},
		{keyPath{"tenant"}, Pos{19, 1}},
		{keyPath{"tenant", "[0]"}, Pos{19, 1}},
		{keyPath{"tenant", "[0]", "mention", "[1]"}, Pos{21, 18}},
		{keyPath{"tenant", "[1]"}, Pos{23, 1}},
		{keyPath{"tenant", "[1]", "id"}, Pos{24, 1}},
		{keyPath{"tenant", "[1]", "sub", "x"}, Pos{26, 1}},
		{keyPath{"tenant", "[1]", "deep", "[1]", "y"}, Pos{30, 1}},
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
