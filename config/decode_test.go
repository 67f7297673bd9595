package config

import (
	"strings"
	"testing"
)

// TestKeyPlaces checks where keys, tables and array elements are found,
// through every form of TOML a config may use.
func TestKeyPlaces(t *testing.T) {
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
	pl, err := keyPlaces([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want position
	}{
		{"top", position{2, 1}},
		{`"quoted key"`, position{3, 1}},
		{"dotted", position{4, 1}},
		{"dotted.inner", position{4, 1}},
		{"kamonohashi", position{7, 1}},
		{"kamonohashi.server", position{8, 1}},
		{"kamonohashi.user", position{9, 3}},
		{"schedule.hours", position{12, 1}},
		{"schedule.hours.default", position{12, 11}},
		{"schedule.hours.monday", position{12, 36}},
		{"schedule.holidays[0]", position{14, 3}},
		{"schedule.holidays[1]", position{15, 3}},
		{"schedule.arr[0][1]", position{17, 12}},
		{"tenant", position{19, 1}},
		{"tenant[0]", position{19, 1}},
		{"tenant[0].mention[1]", position{21, 18}},
		{"tenant[1]", position{23, 1}},
		{"tenant[1].id", position{24, 1}},
		{"tenant[1].sub.x", position{26, 1}},
		{"tenant[1].deep[1].y", position{30, 1}},
	}
	for _, tt := range tests {
		if got, ok := pl[tt.path]; !ok || got.pos != tt.want {
			t.Errorf("%s: got %v (found %v), want %v", tt.path, got.pos, ok, tt.want)
		}
	}
	for _, absent := range []string{"multi", "x", "table", `"not a table"`} {
		if _, ok := pl[absent]; ok {
			t.Errorf("%s found inside a string or comment", absent)
		}
	}
}

func TestPathString(t *testing.T) {
	for _, tt := range []struct {
		p    []string
		want string
	}{
		{[]string{"watch", "interval"}, "watch.interval"},
		{[]string{"tenant", "[1]", "mention", "[0]"}, "tenant[1].mention[0]"},
		{[]string{"owners", "yamada.taro"}, `owners."yamada.taro"`},
		{[]string{"owners", "山田"}, `owners."山田"`},
		{[]string{"messages", "[x]"}, `messages."[x]"`},
	} {
		if got := pathString(tt.p); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}

// TestErrorMessages checks the messages of each kind of problem the
// decoder reports: where, which key, and what to do.
func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown key in an array of tables", "[[tenant]]\nid = 1\nwebhok_file = \"x\"",
			`config.toml:8:1: tenant[0].webhok_file: unknown key "webhok_file" in [tenant[0]] (did you mean "webhook_file"?)`},
		{"unknown table", "[shedule]\ntimezone = \"UTC\"",
			`config.toml:6:1: shedule: unknown key "shedule" at the top level (did you mean "schedule"?)`},
		{"key in the wrong case", "[watch]\nInterval = \"1m\"",
			`config.toml:7:1: watch.Interval: unknown key "Interval" in [watch] (did you mean "interval"?)`},
		{"dotted key in the wrong case", "Server = \"https://k\"",
			`config.toml:6:1: kamonohashi.Server: unknown key "Server" in [kamonohashi] (did you mean "server"?)`},
		{"wrong type in an inline array of tables", "[watch]\n[[tenant]]\nid = \"3\"",
			`config.toml:8:1: tenant[0].id: want an integer, got a string`},
		{"wrong type hides the secret", "password = [\"" + testPassword + "\"]",
			`config.toml:6:1: kamonohashi.password: want a string, got an array`},
		{"key given twice", "password_file = \"other\"",
			`config.toml:6:1: kamonohashi.password_file: `},
		{"syntax error on a secret's line", "password = \"" + testPassword,
			`config.toml:6:`},
		{"owner with a dotted name", "[owners]\n\"yamada.taro\" = \"#ml\"",
			`config.toml:7:1: owners."yamada.taro": "#ml" is a channel`},
		{"holiday of the wrong kind", "[schedule]\nholidays = [07:00:00]",
			`config.toml:7:13: schedule.holidays[0]: want a date without a time, like 2026-12-29, got a time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warns, err := loadString(t, configDir(t), minimal+tt.src, nil)
			if err == nil {
				t.Fatalf("loaded; want %s", tt.want)
			}
			assertNoSecret(t, err, warns)
			found := false
			for _, e := range leafErrors(t, err) {
				found = found || strings.HasSuffix(e.File, "config.toml") && strings.HasPrefix(e.Error()[strings.LastIndex(e.File, "/")+1:], tt.want)
			}
			if !found {
				t.Errorf("error:\n%v\nwant one starting with:\n%s", err, tt.want)
			}
		})
	}
}

// TestSyntaxErrorInAMultiLineSecret: a syntax error inside a multi-line
// string under a secret's key shows its position only, not what the
// parser saw there (an escape names the character it found).
func TestSyntaxErrorInAMultiLineSecret(t *testing.T) {
	dir := configDir(t)
	for _, src := range []string{
		"[kamonohashi]\npassword = \"\"\"\nSECRETpw\\qx\"\"\"\n",
		"[slack]\nbot_token = '''\nxoxb-1\u0001SECRET'''\n",
	} {
		_, _, err := loadString(t, dir, src, nil)
		if err == nil {
			t.Fatalf("%q: no error", src)
		}
		if msg := err.Error(); strings.Contains(msg, "SECRET") || strings.Contains(msg, "'q'") || !strings.Contains(msg, "details hidden") {
			t.Errorf("%q: %v; want the position only", src, err)
		}
	}
}
