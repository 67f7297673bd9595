package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adrg/xdg"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

const full = `
[kamonohashi]
server = "https://kamonohashi.example.com/#/"
user = "watch-only"
password_file = "password"
timezone = "UTC"

[slack]
webhook_file = "webhook"
language = "en"

[watch]
interval = "1m"
kinds = ["training", "notebook"]
notify = ["failed", "completed", "started"]
notify_from = ["Running"]
stuck_pending_after = "off"
long_running_after = "48h"
summary_after_silence = "0"

[schedule]
timezone = "Asia/Tokyo"
hours = { default = "09:00-17:00", monday = "10:00-21:00", saturday = "off", sunday = "off" }
holidays = ["2026-12-29", 2026-12-30]
outside_hours = "drop"
greetings = true
[schedule.outside_hours_by_event]
failed = "send"

[[tenant]]
name = "vision"
mention = ["U01ABCDEF", "<!subteam^S0GROUP1>", "here"]
webhook_file = "webhook"
notify = ["failed"]

[[tenant]]
id = 3

[owners]
alice = "U02GHIJKL"

[messages]
completed = ["Done!", "Finished."]
`

func TestLoadFull(t *testing.T) {
	dir := configDir(t)
	cfg, warns, err := loadString(t, dir, full, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(warns) != 0 {
		t.Errorf("unexpected warnings: %q", warns)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	want := &Config{
		File: filepath.Join(dir, "config.toml"),
		Kamonohashi: Kamonohashi{
			Server:         "https://kamonohashi.example.com",
			User:           "watch-only",
			Password:       testPassword,
			PasswordSource: "kamonohashi.password_file (" + filepath.Join(dir, "password") + ")",
			Location:       time.UTC,
			MaxInFlight:    8,
		},
		Slack: Slack{
			Webhook:       testWebhook,
			WebhookSource: "slack.webhook_file (" + filepath.Join(dir, "webhook") + ")",
			Language:      "en",
			App:           SlackApp{APIURL: DefaultSlackAPIURL, Broadcast: defaultBroadcast},
		},
		Watch: Watch{
			Interval:          time.Minute,
			Kinds:             []api.Kind{api.KindTraining, api.KindNotebook},
			Notify:            []job.EventType{job.EventStarted, job.EventCompleted, job.EventFailed},
			NotifyFrom:        []string{"Running"},
			LongRunningAfter:  48 * time.Hour,
			StuckPendingAfter: 0,
			Team:              defaultTeam(),
		},
		Tenants: []Tenant{
			{Name: "vision", Mention: []Mention{"U01ABCDEF", "S0GROUP1", "here"}, Webhook: testWebhook,
				WebhookSource: "tenant[0].webhook_file (" + filepath.Join(dir, "webhook") + ")",
				Notify:        []job.EventType{job.EventFailed}, Line: 30},
			{ID: 3, Line: 36},
		},
		Owners: map[string]Mention{"alice": "U02GHIJKL"},
		Report: Report{Day: time.Monday, AtStart: true, Retention: 35 * 24 * time.Hour},
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(Config{}, "Schedule", "Messages"),
		cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
	}
	diff(t, "config", want, cfg, opts)

	s := cfg.Schedule
	if !s.Enabled() || s.Location().String() != tokyo.String() || !s.Greetings() {
		t.Errorf("schedule: enabled %v, zone %v, greetings %v", s.Enabled(), s.Location(), s.Greetings())
	}
	if !s.Holiday(Date{2026, 12, 29}) || !s.Holiday(Date{2026, 12, 30}) {
		t.Error("holidays not read (string and TOML date)")
	}
	if s.OutsideHours(job.EventFailed) != HoldSend || s.OutsideHours(job.EventCompleted) != HoldDrop {
		t.Error("outside_hours not read")
	}
	diff(t, "completed messages", []string{"Done!", "Finished."}, cfg.Messages.Set(MsgCompleted))
	if cfg.Messages.Language() != "en" || len(cfg.Messages.Set(MsgFailed)) < 3 {
		t.Error("built-in English set not used for the other keys")
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, warns, err := loadString(t, configDir(t), minimal, nil)
	if err != nil || len(warns) != 0 {
		t.Fatalf("Load: %v, warnings %q", err, warns)
	}
	want := Watch{
		Interval:            30 * time.Second,
		Kinds:               api.AllKinds(),
		Notify:              defaultNotify(),
		NotifyFrom:          []string{"Running", "Pending"},
		StuckPendingAfter:   30 * time.Minute,
		LongRunningAfter:    24 * time.Hour,
		SummaryAfterSilence: 2 * time.Hour,
		Team:                defaultTeam(),
	}
	diff(t, "watch", want, cfg.Watch)
	if cfg.Watch.Notifies(job.EventStarted) || cfg.Watch.Notifies(job.EventDeleted) {
		t.Error("started and deleted must be off by default")
	}
	if cfg.Schedule.Enabled() || !cfg.Schedule.Open(time.Now()) {
		t.Error("no [schedule]: must be always open")
	}
	if cfg.Slack.Language != "ja" || cfg.Messages.Language() != "ja" {
		t.Error("language must default to ja")
	}
	if cfg.Kamonohashi.Location != time.UTC || cfg.Kamonohashi.MaxInFlight != 8 {
		t.Errorf("server zone %v, max in flight %d: want UTC and 8", cfg.Kamonohashi.Location, cfg.Kamonohashi.MaxInFlight)
	}
	if cfg.Slack.Webhook.Reveal() != "" {
		t.Error("no webhook configured, but one was found")
	}
	if err := cfg.RequireSlack(); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("RequireSlack: %v", err)
	}
}

// TestLoadErrors checks that each problem is reported with the file, line,
// column and key, and that every problem in a file is reported at once.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string // appended to minimal, which has 5 lines
		want []string
	}{
		{"syntax error", "[watch]\ninterval = \"30s\nkinds = []", []string{
			"config.toml:7:16: syntax error: basic strings cannot have new lines"}},
		{"unknown keys", "[kamonohashi2]\n[watch]\nintervall = \"30s\"\n[slack]\nWebhook_file = \"x\"", []string{
			`config.toml:6:1: kamonohashi2: unknown key "kamonohashi2" at the top level (did you mean "kamonohashi"?)`,
			`config.toml:8:1: watch.intervall: unknown key "intervall" in [watch] (did you mean "interval"?)`,
			`config.toml:10:1: slack.Webhook_file: unknown key "Webhook_file" in [slack] (did you mean "webhook_file"?)`}},
		{"intervals", "[watch]\ninterval = \"0s\"\nstuck_pending_after = \"-5m\"\nlong_running_after = \"24\"\nsummary_after_silence = \"2d\"", []string{
			`config.toml:7:1: watch.interval: "0s" must be more than zero`,
			`config.toml:8:1: watch.stuck_pending_after: "-5m" is negative`,
			`config.toml:9:1: watch.long_running_after: "24" is not a duration: write it like "30s", "15m" or "2h", or "off"`,
			`config.toml:10:1: watch.summary_after_silence: "2d" is not a duration: write it in hours, e.g. "48h" for two days, or "off"`}},
		// A value of the wrong type stops the decoding: it is the only error.
		{"duration without a unit", "[watch]\nlong_running_after = 24", []string{
			`config.toml:7:1: watch.long_running_after: want a duration string like "30s", "15m" or "2h", got an integer (write a unit: "24s" for seconds)`}},
		{"mention of the wrong type", "[[tenant]]\nid = 2\nmention = [\"U01 ABC\", 5]", []string{
			`config.toml:8:23: tenant[0].mention[1]: want a string, got an integer`}},
		{"message set of the wrong type", "[messages]\nfailed = \"oops\"", []string{
			`config.toml:7:1: messages.failed: want an array like ["a", "b"], got a string`}},
		{"boolean of the wrong type", "[watch]\nall_tenants = \"yes\"", []string{
			`config.toml:7:1: watch.all_tenants: want true or false, got a string`}},
		{"array of the wrong type", "[watch]\nkinds = \"training\"", []string{
			`config.toml:7:1: watch.kinds: want an array like ["a", "b"], got a string`}},
		{"table for an array", "[watch.kinds]\nx = 1", []string{
			`config.toml:6:1: watch.kinds: want an array like ["a", "b"], got a table`}},
		{"value for a table", "slack = 5", []string{
			`config.toml:6:1: kamonohashi.slack: unknown key "slack" in [kamonohashi]`}},
		{"interval too short", "[watch]\ninterval = \"2s\"", []string{
			"config.toml:7:1: watch.interval: 2s is too short: the minimum is 5s"}},
		{"kinds and events", "[watch]\nkinds = [\"training\", \"jobs\"]\nnotify = [\"completed\", \"complete\"]\n[schedule.outside_hours_by_event]\nfinished = \"send\"", []string{
			`config.toml:7:22: watch.kinds[1]: unknown job kind "jobs"`,
			`config.toml:8:24: watch.notify[1]: unknown event "complete" (did you mean "completed"?)`,
			`config.toml:10:1: schedule.outside_hours_by_event.finished: unknown event "finished"`}},
		{"hours", "[schedule]\nhours = { default = \"25:00-26:00\", friday = \"17:00-09:00\", sat = \"off\", monday = \"9-17\", tuesday = \"-09:00-17:00\" }", []string{
			`config.toml:7:11: schedule.hours.default: "25:00-26:00": start "25:00" is not a time of day (00:00 to 23:59)`,
			`config.toml:7:36: schedule.hours.friday: "17:00-09:00" ends before it starts: overnight windows are not supported; split it as "17:00-24:00" on this day and "00:00-09:00" on the next`,
			`config.toml:7:60: schedule.hours.sat: unknown key "sat" in [schedule.hours] (did you mean "saturday"?)`,
			`config.toml:7:73: schedule.hours.monday: "9-17": start "9" is not a time of day like "09:00"`,
			`config.toml:7:90: schedule.hours.tuesday: "-09:00-17:00": start "" is not a time of day like "09:00"`}},
		{"zone and holidays", "[kamonohashi2]\n[schedule]\ntimezone = \"Asia/Tokio\"\nholidays = [\"2026-02-30\", 2026-12-29T10:00:00, 5]", []string{
			`config.toml:6:1: kamonohashi2: unknown key`,
			`config.toml:8:1: schedule.timezone: unknown time zone "Asia/Tokio": use an IANA name such as "Asia/Tokyo" or "UTC"`,
			`config.toml:9:13: schedule.holidays[0]: "2026-02-30" is not a date: write it YYYY-MM-DD, e.g. "2026-12-29"`,
			`config.toml:9:27: schedule.holidays[1]: want a date without a time, like 2026-12-29, got a date-time`,
			`config.toml:9:48: schedule.holidays[2]: want a date like "2026-12-29", got an integer`}},
		{"tenants", "[[tenant]]\nname = \"a\"\nid = 1\n[[tenant]]\nmention = []\n[[tenant]]\nname = \"b\"\n[[tenant]]\nname = \"b\"\n[[tenant]]\nid = 0", []string{
			"config.toml:6:1: tenant[0]: both name and id are set: keep one",
			"config.toml:9:1: tenant[1]: neither name nor id is set",
			"config.toml:13:1: tenant[3]: tenant b is listed twice (first at line 11): merge the two entries",
			"config.toml:16:1: tenant[4].id: 0 is not a tenant id: ids start at 1"}},
		{"mentions", "[[tenant]]\nid = 2\nmention = [\"U01 ABC\", \"#general\", \"\"]", []string{
			`config.toml:8:12: tenant[0].mention[0]: "U01 ABC" is not a mention`,
			`config.toml:8:23: tenant[0].mention[1]: "#general" is a channel`,
			`config.toml:8:35: tenant[0].mention[2]: empty mention`}},
		{"messages", "[messages]\ncompleted = []\nfinished = [\"x\"]\nfailed = [\" \"]", []string{
			"config.toml:7:1: messages.completed: no phrase listed",
			`config.toml:8:1: messages.finished: unknown key "finished" in [messages]`,
			`config.toml:9:11: messages.failed[0]: empty phrase`}},
		{"types", "kamonohashi3 = 1\n[slack]\nlanguage = \"fr\"\n[watch]\nkinds = []", []string{
			`config.toml:6:1: kamonohashi.kamonohashi3: unknown key "kamonohashi3" in [kamonohashi] (known keys: server, user, password, password_file, ca_file, timezone, max_in_flight)`,
			`config.toml:8:1: slack.language: "fr" is not a built-in language: want "ja" or "en"`,
			`config.toml:10:1: watch.kinds: no kind listed`}},
		{"server", "[slack]\n[kamonohashi2]", []string{
			"config.toml:7:1: kamonohashi2: unknown key"}},
		{"array of tables as inline array", "[schedule]\n[\"tenant\"]\n", []string{
			`config.toml:7:1: tenant: want [[tenant]] tables, got a table`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := configDir(t)
			_, warns, err := loadString(t, dir, minimal+tt.src, nil)
			if err == nil {
				t.Fatal("no error")
			}
			assertNoSecret(t, err, warns)
			errs := leafErrors(t, err)
			var got []string
			for _, e := range errs {
				got = append(got, strings.TrimPrefix(e.Error(), dir+string(filepath.Separator)))
				if !errors.Is(e, ErrInvalid) {
					t.Errorf("%v does not wrap ErrInvalid", e)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("want %d errors, got %d:\n%s", len(tt.want), len(got), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d:\n got %s\nwant %s…", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestTenantsAsInlineArray checks that tenant = [{...}] works like
// [[tenant]], with positions.
func TestTenantsAsInlineArray(t *testing.T) {
	dir := configDir(t)
	_, _, err := loadString(t, dir, "tenant = [{name = \"a\"}, {name = \"a\", nme = 1}]\n"+minimal, nil)
	var got []string
	for _, e := range leafErrors(t, err) {
		got = append(got, strings.TrimPrefix(e.Error(), dir+string(filepath.Separator)))
	}
	diff(t, "errors", []string{
		`config.toml:1:25: tenant[1]: tenant a is listed twice (first at line 1): merge the two entries`,
		`config.toml:1:38: tenant[1].nme: unknown key "nme" in [tenant[1]] (did you mean "name"?)`,
	}, got)
}

func TestLoadWarnings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"names in mentions and owners", "[[tenant]]\nid = 2\nmention = [\"@alice\", \"bob\", \"U01ABCDEF\"]\n[owners]\ncarol = \"carol\"\ndave = \"S0GROUP12\"", []string{
			`config.toml:8:12: tenant[0].mention[0]: "@alice" is a name: Slack stopped resolving @names in 2018; use a user ID like U01ABCDEF`,
			`config.toml:8:22: tenant[0].mention[1]: "bob" is a name: Slack stopped resolving @names in 2018; use a user ID like U01ABCDEF`,
			`config.toml:10:1: owners.carol: "carol" is a name: Slack stopped resolving @names in 2018`,
			`config.toml:11:1: owners.dave: "S0GROUP12" is not a user ID (U… or W…)`}},
		{"hours without default", "[schedule]\nhours = { weekdays = \"09:00-17:00\", saturday = \"off\" }", []string{
			`config.toml:7:1: schedule.hours: no "default" entry, so sunday is open all day: add default = "off"`}},
		{"alerts switched off but listed", "[watch]\nnotify = [\"stuck_pending\"]\nstuck_pending_after = \"off\"", []string{
			`config.toml:8:1: watch.stuck_pending_after: stuck_pending_after is off, so the "stuck_pending" in notify has no effect`}},
		{"notify_from", "[watch]\nnotify_from = [\"Running\", \"Completed\"]", []string{
			`config.toml:7:27: watch.notify_from[1]: "Completed" is a final status`}},
		{"greetings without hours", "[schedule]\ngreetings = true", []string{
			"config.toml:7:1: schedule.greetings: greetings need office hours"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := configDir(t)
			_, warns, err := loadString(t, dir, minimal+tt.src, nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var got []string
			for _, w := range warns {
				got = append(got, strings.TrimPrefix(w.String(), dir+string(filepath.Separator)))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("want %d warnings, got:\n%s", len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("warning %d:\n got %s\nwant %s…", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestNormalizeServer(t *testing.T) {
	tests := []struct {
		in, want, warn, err string
	}{
		{in: "https://k.example.com", want: "https://k.example.com"},
		{in: "https://k.example.com/#/", want: "https://k.example.com"},
		{in: "https://k.example.com/#", want: "https://k.example.com"},
		{in: "https://k.example.com///", want: "https://k.example.com"},
		{in: " https://k.example.com/kamonohashi/#/ ", want: "https://k.example.com/kamonohashi"},
		{in: "http://10.0.0.5:8080/#/", want: "http://10.0.0.5:8080", warn: "plain http"},
		{in: "http://127.0.0.1:8080/#/", want: "http://127.0.0.1:8080"}, // loopback: no network crossed
		{in: "http://localhost", want: "http://localhost"},
		{in: "http://[::1]:80", want: "http://[::1]:80"},
		{in: "k.example.com", err: `"k.example.com" has no scheme: write it like "https://k.example.com"`},
		{in: "localhost:8080", err: "has no scheme"},
		{in: "ftp://k.example.com", err: "want an http or https URL"},
		{in: "https://k.example.com/#/training/3", err: "without \"?…\" or a page after \"#\""},
		{in: "https://bot:hunter2-s3cret-pw@k.example.com", err: "holds a user name or password"},
		{in: "https://", err: "has no host"},
	}
	for _, tt := range tests {
		got, warn, err := normalizeServer(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), testPassword) {
				t.Errorf("%q: password leaked: %v", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want || !strings.Contains(warn, tt.warn) || (tt.warn == "") != (warn == "") {
			t.Errorf("%q: got %q, %q, %v; want %q, %q", tt.in, got, warn, err, tt.want, tt.warn)
		}
	}
}

func TestLoadFromEnvironmentOnly(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		EnvServer:       "https://k.example.com/#/",
		EnvUser:         "ci",
		EnvPassword:     testPassword + "\n",
		EnvSlackWebhook: testWebhook,
	}
	cfg, warns, err := Load(filepath.Join(dir, "absent.toml"), envMap(env))
	if err != nil || len(warns) != 0 {
		t.Fatalf("Load: %v, %q", err, warns)
	}
	if cfg.File != "" || cfg.Kamonohashi.Server != "https://k.example.com" || cfg.Kamonohashi.User != "ci" ||
		cfg.Kamonohashi.Password.Reveal() != testPassword || cfg.Slack.Webhook.Reveal() != testWebhook {
		t.Errorf("got %+v", cfg)
	}
	if cfg.Kamonohashi.PasswordSource != EnvPassword || cfg.Slack.WebhookSource != EnvSlackWebhook {
		t.Errorf("sources: %q, %q", cfg.Kamonohashi.PasswordSource, cfg.Slack.WebhookSource)
	}
	if err := cfg.RequireSlack(); err != nil {
		t.Errorf("RequireSlack: %v", err)
	}
}

func TestLoadNotConfigured(t *testing.T) {
	dir := t.TempDir()
	absent := filepath.Join(dir, "kamobot", "config.toml")
	tests := []struct {
		name    string
		path    string
		src     string
		env     map[string]string
		want    []string
		notWant []string
	}{
		{
			name: "nothing at all",
			path: absent,
			want: []string{"kamobot is not configured: missing the KAMONOHASHI server (kamonohashi.server or KAMOBOT_SERVER), the user to log in as (kamonohashi.user or KAMOBOT_USER) and the password (kamonohashi.password_file, KAMOBOT_PASSWORD_FILE or KAMOBOT_PASSWORD)",
				"there is no config file at " + absent, "run `kamobot config init`"},
		},
		{
			name:    "environment without a password",
			path:    absent,
			env:     map[string]string{EnvServer: "https://k.example.com", EnvUser: "u"},
			want:    []string{"missing the password"},
			notWant: []string{"server", "user to log in"},
		},
		{
			name: "starter file not filled in",
			src:  string(StarterConfig()),
			want: []string{"config.toml: kamobot is not configured: missing the KAMONOHASHI server", "fill them in"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if tt.src != "" {
				path = writeFile(t, t.TempDir(), "config.toml", tt.src, 0o600)
			}
			cfg, _, err := Load(path, envMap(tt.env))
			if cfg != nil || !errors.Is(err, ErrNotConfigured) {
				t.Fatalf("want ErrNotConfigured, got %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("%q has %q", err, w)
				}
			}
		})
	}
}

// TestSecretPrecedence checks where the password comes from when several
// sources give one: systemd credential, *_FILE, variable, config file.
func TestSecretPrecedence(t *testing.T) {
	dir := t.TempDir()
	credDir := filepath.Join(dir, "creds")
	writeFile(t, credDir, CredentialPassword, "from-credential\n", 0o644) // mode not checked there
	writeFile(t, credDir, CredentialWebhook, "https://hooks.slack.com/services/C\n", 0o644)
	envFile := writeFile(t, dir, "env-password", "from-env-file\n", 0o600)
	writeFile(t, dir, "password", "from-config-file\n", 0o600)

	fileConfig := minimal
	inlineConfig := strings.Replace(minimal, `password_file = "password"`, `password = "from-config-inline"`, 1)
	tests := []struct {
		name       string
		config     string
		env        map[string]string
		want       string
		wantSource string
		wantWarn   string
	}{
		{"credential first", fileConfig, map[string]string{EnvCredentialsDirectory: credDir, EnvPasswordFile: envFile, EnvPassword: "x"},
			"from-credential", "$CREDENTIALS_DIRECTORY/kamonohashi-password", ""},
		{"env file next", fileConfig, map[string]string{EnvPasswordFile: envFile, EnvPassword: "from-env"},
			"from-env-file", "KAMOBOT_PASSWORD_FILE (" + envFile + ")", "KAMOBOT_PASSWORD: ignored: KAMOBOT_PASSWORD_FILE is set too"},
		{"env value", fileConfig, map[string]string{EnvPassword: "from-env"}, "from-env", "KAMOBOT_PASSWORD", ""},
		{"config file", fileConfig, nil, "from-config-file", "kamonohashi.password_file (" + filepath.Join(dir, "password") + ")", ""},
		{"config inline", inlineConfig, nil, "from-config-inline", "kamonohashi.password in " + filepath.Join(dir, "config.toml"),
			"kamonohashi.password: the password is written in the config file"},
		{"credentials directory without the file", fileConfig, map[string]string{EnvCredentialsDirectory: filepath.Join(dir, "empty")},
			"from-config-file", "kamonohashi.password_file (" + filepath.Join(dir, "password") + ")", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, warns, err := loadString(t, dir, tt.config, tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := cfg.Kamonohashi.Password.Reveal(); got != tt.want {
				t.Errorf("password from %q, want %q", got, tt.want)
			}
			if cfg.Kamonohashi.PasswordSource != tt.wantSource {
				t.Errorf("source %q, want %q", cfg.Kamonohashi.PasswordSource, tt.wantSource)
			}
			if (tt.wantWarn == "") != (len(warns) == 0) || len(warns) > 0 && !strings.Contains(warns[0].String(), tt.wantWarn) {
				t.Errorf("warnings %q, want %q", warns, tt.wantWarn)
			}
			for _, w := range warns {
				if strings.Contains(w.String(), tt.want) {
					t.Errorf("warning shows the password: %q", w)
				}
			}
		})
	}
	cfg, _, err := loadString(t, dir, minimal, map[string]string{EnvCredentialsDirectory: credDir})
	if err != nil || cfg.Slack.Webhook.Reveal() != "https://hooks.slack.com/services/C" {
		t.Errorf("webhook credential not read: %v", err)
	}
}

func TestSecretFilePermissions(t *testing.T) {
	dir := t.TempDir()
	credDir := filepath.Join(dir, "creds")
	tests := []struct {
		name     string
		mode     os.FileMode
		inCreds  bool
		wantErr  bool
		wantText string
	}{
		{"0600", 0o600, false, false, ""},
		{"0400", 0o400, false, false, ""},
		{"0640 group-readable", 0o640, false, true, "can be read or written by its group or by others (mode 0640)"},
		{"0604 world-readable", 0o604, false, true, "(mode 0604)"},
		{"0620 group-writable", 0o620, false, true, "(mode 0620)"},
		{"0644 under CREDENTIALS_DIRECTORY", 0o644, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := dir
			if tt.inCreds {
				base = credDir
			}
			pw := writeFile(t, base, "pw-"+strings.ReplaceAll(tt.name, " ", "-"), testPassword+"\n", tt.mode)
			env := map[string]string{EnvServer: "https://k.example.com", EnvUser: "u", EnvPasswordFile: pw, EnvCredentialsDirectory: credDir}
			cfg, warns, err := Load(filepath.Join(dir, "absent.toml"), envMap(env))
			assertNoSecret(t, err, warns)
			if !tt.wantErr {
				if err != nil || cfg.Kamonohashi.Password.Reveal() != testPassword {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInsecurePermissions) {
				t.Fatalf("want ErrInsecurePermissions, got %v", err)
			}
			for _, want := range []string{tt.wantText, "run: chmod 600 " + pw, EnvPasswordFile} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q lacks %q", err, want)
				}
			}
		})
	}
}

func TestSecretFileContent(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want, wantErr string
	}{
		{name: "trailing newline and spaces", content: testPassword + " \r\n\n", want: testPassword},
		{name: "leading space kept", content: " " + testPassword + "\n", want: " " + testPassword},
		{name: "empty", content: "\n", wantErr: "is empty"},
		{name: "two lines", content: testPassword + "\nsecond\n", wantErr: "has more than one line"},
		{name: "huge", content: strings.Repeat("x", maxSecretSize+1), wantErr: "larger than 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, dir, "secret", tt.content, 0o600)
			got, err := readSecretFile(path, true)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), testPassword) {
					t.Errorf("secret in error %q", err)
				}
				return
			}
			if err != nil || got.Reveal() != tt.want {
				t.Errorf("got %q, %v; want %q", got.Reveal(), err, tt.want)
			}
		})
	}
	path := writeFile(t, dir, "open", testPassword+"\n", 0o644)
	if _, err := ReadSecretFile(path); !errors.Is(err, ErrInsecurePermissions) || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Errorf("ReadSecretFile of a 0644 file: %v", err)
	}
	if _, err := readSecretFile(dir, true); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if _, err := readSecretFile(filepath.Join(dir, "absent"), true); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v", err)
	}
}

// TestConfigFileHoldingSecrets checks that a config file with an inline
// secret must be private, and that one without need not be.
func TestConfigFileHoldingSecrets(t *testing.T) {
	withPassword := strings.Replace(minimal, `password_file = "password"`, `password = "`+testPassword+`"`, 1)
	withTenantWebhook := minimal + "[[tenant]]\nid = 1\nwebhook = \"" + testWebhook + "\"\n"
	tests := []struct {
		name    string
		src     string
		mode    os.FileMode
		wantErr string
	}{
		{"no secret, 0644", minimal, 0o644, ""},
		{"password, 0600", withPassword, 0o600, ""},
		{"password, 0644", withPassword, 0o644, "config.toml:5:1: kamonohashi.password: the config file holds a secret, so it must be private: insecure file permissions: "},
		{"tenant webhook, 0640", withTenantWebhook, 0o640, "config.toml:8:1: tenant[0].webhook: the config file holds a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := configDir(t)
			path := writeFile(t, dir, "config.toml", tt.src, tt.mode)
			_, warns, err := Load(path, envMap(nil))
			assertNoSecret(t, err, warns)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInsecurePermissions) || !strings.Contains(err.Error(), tt.wantErr) ||
				!strings.Contains(err.Error(), "chmod 600 "+path) {
				t.Errorf("got %v, want %q and chmod 600 %s", err, tt.wantErr, path)
			}
		})
	}
}

// TestNoSecretInMessages provokes errors and warnings around every secret
// and checks that no secret value appears in them.
func TestNoSecretInMessages(t *testing.T) {
	dir := configDir(t)
	writeFile(t, dir, "bad-webhook", "hooks.slack.com/services/T0/B0/SECRETTOKENXYZ\n", 0o600)
	srcs := map[string]string{
		"syntax error on a password line": "[kamonohashi]\npassword = \"" + testPassword + "\nuser = \"u\"\n",
		"bare password":                   "[kamonohashi]\npassword = " + testPassword + "\n",
		"bad inline webhook":              minimal + "[slack]\nwebhook = \"SECRETTOKENXYZ\"\n",
		"bad webhook file":                minimal + "[slack]\nwebhook_file = \"bad-webhook\"\n",
		"password and password_file":      minimal + "password = \"" + testPassword + "\"\n",
		"password of the wrong type":      "[kamonohashi]\npassword = [\"" + testPassword + "\"]\n",
		"server with credentials":         "[kamonohashi]\nserver = \"https://u:" + testPassword + "@k.example.com\"\n",
	}
	for name, src := range srcs {
		t.Run(name, func(t *testing.T) {
			_, warns, err := loadString(t, dir, src, nil)
			if err == nil {
				t.Fatal("no error")
			}
			assertNoSecret(t, err, warns)
			for _, e := range leafErrors(t, err) {
				if e.Line == 0 && e.Key == "" && !strings.Contains(e.Msg, "kamonohashi.") {
					t.Errorf("error without line or key: %v", e)
				}
			}
		})
	}
	_, warns, err := Load(filepath.Join(dir, "absent.toml"), envMap(map[string]string{
		EnvServer: "https://k.example.com", EnvUser: "u", EnvPassword: "p", EnvSlackWebhook: "not a url SECRETTOKENXYZ"}))
	if err == nil || !strings.Contains(err.Error(), "KAMOBOT_SLACK_WEBHOOK: the webhook is not an http(s) URL") {
		t.Errorf("bad env webhook: %v", err)
	}
	assertNoSecret(t, err, warns)
}

func TestRelativeAndCredentialPaths(t *testing.T) {
	dir := configDir(t)
	credDir := filepath.Join(dir, "creds")
	writeFile(t, credDir, "vision", "https://hooks.slack.com/services/V\n", 0o444)
	src := minimal + "[[tenant]]\nname = \"vision\"\nwebhook_file = \"$CREDENTIALS_DIRECTORY/vision\"\n" +
		"[[tenant]]\nname = \"nlp\"\nwebhook_file = \"${CREDENTIALS_DIRECTORY}/vision\"\n"
	cfg, _, err := loadString(t, dir, src, map[string]string{EnvCredentialsDirectory: credDir})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := cfg.Tenants[1].Webhook.Reveal(); got != "https://hooks.slack.com/services/V" {
		t.Errorf("tenant webhook %q", got)
	}
	_, _, err = loadString(t, dir, src, nil)
	if err == nil || !strings.Contains(err.Error(), "tenant[0].webhook_file: CREDENTIALS_DIRECTORY is not set") {
		t.Errorf("without CREDENTIALS_DIRECTORY: %v", err)
	}
}

func TestCAFile(t *testing.T) {
	dir := configDir(t)
	writeFile(t, dir, "ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", 0o644)
	writeFile(t, dir, "junk.pem", "not a certificate\n", 0o644)
	cfg, _, err := loadString(t, dir, minimal+"ca_file = \"ca.pem\"\n", nil)
	if err != nil || cfg.Kamonohashi.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("ca.pem: %v", err)
	}
	for file, want := range map[string]string{"junk.pem": "holds no PEM certificate", "absent.pem": "no such file"} {
		_, _, err := loadString(t, dir, minimal+"ca_file = \""+file+"\"\n", nil)
		if err == nil || !strings.Contains(err.Error(), "config.toml:6:1: kamonohashi.ca_file: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", file, err)
		}
	}
}

func TestRoute(t *testing.T) {
	dir := configDir(t)
	writeFile(t, dir, "vision-webhook", "https://hooks.slack.com/services/VISION\n", 0o600)
	src := minimal + "[slack]\nwebhook_file = \"webhook\"\n[[tenant]]\nname = \"vision\"\nmention = [\"U01ABCDEF\"]\nwebhook_file = \"vision-webhook\"\nkinds = [\"notebook\"]\n[[tenant]]\nid = 7\nnotify = []\n"
	cfg, _, err := loadString(t, dir, src, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	vision := cfg.Route(1, "vision")
	if !vision.Watched || vision.Webhook.Reveal() != "https://hooks.slack.com/services/VISION" ||
		len(vision.Kinds) != 1 || vision.Kinds[0] != api.KindNotebook || len(vision.Notify) != len(defaultNotify()) ||
		len(vision.Mention) != 1 {
		t.Errorf("vision: %+v", vision)
	}
	seven := cfg.Route(7, "other-name")
	if !seven.Watched || seven.Webhook.Reveal() != testWebhook || seven.Notify == nil || len(seven.Notify) != 0 {
		t.Errorf("id 7: %+v", seven)
	}
	if cfg.Route(8, "nlp").Watched {
		t.Error("unlisted tenant watched")
	}
	cfg.Watch.AllTenants = true
	if r := cfg.Route(8, "nlp"); !r.Watched || r.Tenant != nil {
		t.Errorf("all_tenants: %+v", r)
	}

	var got []string
	for _, w := range cfg.Webhooks() {
		got = append(got, w.Describe())
	}
	want := []string{
		"default: https://hooks.slack.com/<secret> (from slack.webhook_file (" + filepath.Join(dir, "webhook") + "))",
		"tenant vision: https://hooks.slack.com/<secret> (from tenant[0].webhook_file (" + filepath.Join(dir, "vision-webhook") + "))",
	}
	diff(t, "webhooks", want, got)
}

func TestRequireSlack(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"default webhook", Config{Slack: Slack{Webhook: "https://h/x"}}, ""},
		{"nothing", Config{}, "no Slack webhook for the default webhook"},
		{"every listed tenant has one", Config{Tenants: []Tenant{{ID: 1, Webhook: "https://h/1"}}}, ""},
		{"one listed tenant lacks one", Config{Tenants: []Tenant{{ID: 1, Webhook: "https://h/1"}, {Name: "b"}}}, "no Slack webhook for tenant b"},
		{"all tenants watched", Config{Watch: Watch{AllTenants: true}, Tenants: []Tenant{{ID: 1, Webhook: "https://h/1"}}}, "the default webhook"},
	}
	for _, tt := range tests {
		err := tt.cfg.RequireSlack()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (!errors.Is(err, ErrNotConfigured) || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

// TestDefaultPath changes XDG_CONFIG_HOME, which adrg/xdg reads once: it
// must not run in parallel.
func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	xdg.Reload()
	t.Cleanup(xdg.Reload)
	if got, want := DefaultPath(), filepath.Join(dir, "kamobot", "config.toml"); got != want {
		t.Errorf("DefaultPath() = %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "kamobot")); !os.IsNotExist(err) {
		t.Errorf("DefaultPath created a directory: %v", err)
	}
	// Load("") reads the default path.
	_, _, err := Load("", envMap(nil))
	if !errors.Is(err, ErrNotConfigured) || !strings.Contains(err.Error(), DefaultPath()) {
		t.Errorf("Load(\"\"): %v", err)
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Load(dir, envMap(nil)); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	path := writeFile(t, dir, "config.toml", "a = \"\xff\"\n", 0o600)
	if _, _, err := Load(path, envMap(nil)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not UTF-8") {
		t.Errorf("bad UTF-8: %v", err)
	}
}

func TestServerZone(t *testing.T) {
	dir := configDir(t)
	tests := []struct {
		name, src, want string
	}{
		{"default: UTC, as the KAMONOHASHI image", minimal, "UTC"},
		{"not the schedule's zone", minimal + "[schedule]\ntimezone = \"Asia/Tokyo\"\n", "UTC"},
		{"its own zone", minimal + "timezone = \"Asia/Tokyo\"\n[schedule]\ntimezone = \"Europe/Berlin\"\n", "Asia/Tokyo"},
	}
	for _, tt := range tests {
		cfg, _, err := loadString(t, dir, tt.src, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := cfg.Kamonohashi.Location.String(); got != tt.want {
			t.Errorf("%s: zone %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	dir := configDir(t)
	cfg, warns, err := loadString(t, dir, minimal, map[string]string{EnvServer: "http://10.0.0.5/#/", EnvUser: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kamonohashi.Server != "http://10.0.0.5" || cfg.Kamonohashi.User != "other" {
		t.Errorf("env did not win: %q, %q", cfg.Kamonohashi.Server, cfg.Kamonohashi.User)
	}
	if len(warns) != 1 || !strings.HasPrefix(warns[0].String(), "KAMOBOT_SERVER: plain http") {
		t.Errorf("warnings %q", warns)
	}
	_, _, err = loadString(t, dir, minimal, map[string]string{EnvServer: "10.0.0.5"})
	if err == nil || !strings.Contains(err.Error(), "KAMOBOT_SERVER: \"10.0.0.5\" has no scheme") {
		t.Errorf("bad KAMOBOT_SERVER: %v", err)
	}
}
