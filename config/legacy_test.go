package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestImportLegacyGolden translates a filled-in copy of the old bot's files
// and compares the result with testdata/legacy/want.toml (-update rewrites it).
func TestImportLegacyGolden(t *testing.T) {
	got, secrets, warns, err := ImportLegacy(readTestdata(t, "legacy/config.json"),
		readTestdata(t, "legacy/secure.json"), readTestdata(t, "legacy/message.json"))
	if err != nil {
		t.Fatalf("ImportLegacy: %v", err)
	}
	golden := filepath.Join("testdata", "legacy", "want.toml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "translated TOML", string(want), string(got))

	if secrets.Password.Reveal() != "watch_only_pass" || secrets.PasswordFile != "kamonohashi-password" {
		t.Errorf("password: got %q in %q", secrets.Password.Reveal(), secrets.PasswordFile)
	}
	if !strings.HasPrefix(secrets.Webhook.Reveal(), "https://hooks.slack.com/services/") || secrets.WebhookFile != "slack-webhook" {
		t.Errorf("webhook: got file %q", secrets.WebhookFile)
	}

	var gotWarns []string
	for _, w := range warns {
		gotWarns = append(gotWarns, w.String())
	}
	wantWarns := []string{
		"config.json:6: Watch.Default.Active: false: saturday and sunday, which have no entry of their own, are off (the old bot's code leaked the previous weekday's settings into them instead)",
		`config.json:45: Tenant.3.ByName[0]: "alice" is a Slack name: Slack stopped resolving @names in 2018, so it notifies no one; replace it with the person's user ID (like U01ABCDEF)`,
		"secure.json:4: KAMONOHASHI.Server: plain http: the password and tokens cross the network unencrypted; use https if the server offers it",
		"message.json:77: Message.System.Unknown: dropped: kamobot reports its own errors in its log, not in Slack",
	}
	diff(t, "warnings", wantWarns, gotWarns)
	assertNoSecret(t, nil, warns, "watch_only_pass", "XXXXXXXXXXXXXXXX")
}

// TestImportLegacyLoads checks that the translation loads, once the caller
// has written the secrets where the TOML says, and means what the old files
// meant.
func TestImportLegacyLoads(t *testing.T) {
	text, secrets, _, err := ImportLegacy(readTestdata(t, "legacy/config.json"),
		readTestdata(t, "legacy/secure.json"), readTestdata(t, "legacy/message.json"))
	if err != nil {
		t.Fatalf("ImportLegacy: %v", err)
	}
	dir := t.TempDir()
	writeFile(t, dir, secrets.PasswordFile, secrets.Password.Reveal()+"\n", 0o600)
	writeFile(t, dir, secrets.WebhookFile, secrets.Webhook.Reveal()+"\n", 0o600)
	path := writeFile(t, dir, "config.toml", string(text), 0o600)

	cfg, warns, err := Load(path, envMap(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	// Load warns about the @name again, and about plain http.
	if len(warns) != 2 {
		t.Errorf("want 2 warnings, got %q", warns)
	}
	if cfg.Kamonohashi.Server != "http://kamonohashi.example.com" || cfg.Kamonohashi.User != "watch_only_user" {
		t.Errorf("server %q, user %q", cfg.Kamonohashi.Server, cfg.Kamonohashi.User)
	}
	if cfg.Kamonohashi.Password.Reveal() != "watch_only_pass" || cfg.Slack.Webhook.Reveal() != secrets.Webhook.Reveal() {
		t.Error("secrets not read back")
	}
	if cfg.Watch.Interval != 10*time.Second {
		t.Errorf("interval %v", cfg.Watch.Interval)
	}
	diff(t, "tenants", []Tenant{{ID: 3, Mention: []Mention{"@alice", "U01ABCDEF"}, Line: 40}, {ID: 5, Line: 44}}, cfg.Tenants)
	if cfg.Watch.AllTenants {
		t.Error("all_tenants set, but the old files list tenants")
	}
	diff(t, "kinds", api.AllKinds(), cfg.Watch.Kinds)

	// Weekday hours as the old files meant them; the weekend is off.
	s := cfg.Schedule
	for _, tc := range []struct {
		day        Date
		start, end string
	}{
		{Date{2026, 6, 1}, "10:00", "21:00"}, // Monday
		{Date{2026, 6, 2}, "09:00", "21:00"},
		{Date{2026, 6, 4}, "09:00", "21:00"},
		{Date{2026, 6, 5}, "09:00", "18:00"}, // Friday
		{Date{2026, 6, 6}, "", ""},           // Saturday: off, not Friday's hours
		{Date{2026, 6, 7}, "", ""},
	} {
		start, end, ok := s.Window(tc.day)
		got := ""
		if ok {
			got = start.Format("15:04") + "-" + end.Format("15:04")
		}
		want := ""
		if tc.start != "" {
			want = tc.start + "-" + tc.end
		}
		if got != want {
			t.Errorf("%s (%s): got %q, want %q", tc.day, tc.day.Weekday(), got, want)
		}
	}
	if !s.Greetings() || s.OutsideHours("completed") != HoldDigest {
		t.Error("greetings or outside_hours not translated")
	}
	if got := cfg.Messages.Set(MsgLeaveQuiet); len(got) != 3 || got[0] != "今日は暇だったカモ" {
		t.Errorf("leave_quiet: %q", got)
	}
	if got := cfg.Messages.Set(MsgTrouble); len(got) == 0 {
		t.Error("trouble: the built-in set should remain")
	}
}

// TestImportLegacyTemplates checks that the placeholders of the old
// templates are reported, each with its line and column.
func TestImportLegacyTemplates(t *testing.T) {
	_, _, warns, err := ImportLegacy(readTestdata(t, "legacy/template-config.json"),
		readTestdata(t, "legacy/template-secure.json"), nil)
	if err == nil {
		t.Fatal("no error")
	}
	var got []string
	for _, e := range leafErrors(t, err) {
		got = append(got, e.Error())
		if !errors.Is(e, ErrInvalid) {
			t.Errorf("%v does not wrap ErrInvalid", e)
		}
	}
	want := []string{
		"config.json:7:26: the template placeholder (TenantIDs) must be filled in: write the ids of the tenants to watch, e.g. [1, 2], or [] for every tenant",
		`config.json:44:9: the template placeholder (TenantID) must be filled in: write a tenant id in double quotes, e.g. "3", or remove the entry`,
		`config.json:45:26: the template placeholder (SlackUserName) must be filled in: write names in double quotes, e.g. "alice" (better: Slack user IDs such as "U01ABCDEF"), or remove the entry`,
	}
	diff(t, "errors", want, got)
	// secure-template.json parses: its empty fields are warnings.
	if len(warns) != 4 {
		t.Errorf("want 4 warnings about secure.json's placeholders, got %q", warns)
	}
}

func TestImportLegacyCases(t *testing.T) {
	tests := []struct {
		name      string
		config    string
		secure    string
		messages  string
		wantErr   []string // substrings, one per expected error
		wantWarn  []string // substrings that some warning must contain
		wantTOML  []string // substrings of the output
		avoidTOML []string
	}{
		{
			name:     "no tenant list: every tenant, entries add mentions",
			config:   `{"Watch": {"Default": {"Active": true, "Tenant": [], "Enter": 9, "Leave": 17}}, "Tenant": {"7": {"ByName": ["U0AAAAAAA"]}}}`,
			wantTOML: []string{"all_tenants = true", "[[tenant]]\nid = 7\nmention = [\"U0AAAAAAA\"]", `hours = { default = "09:00-17:00" }`},
		},
		{
			name:     "mentions of an unlisted tenant are kept commented out",
			config:   `{"Watch": {"Default": {"Active": true, "Tenant": [1], "Enter": 9, "Leave": 17}}, "Tenant": {"2": {"ByName": ["bob"]}}}`,
			wantWarn: []string{"tenant 2 is not in Watch.Default.Tenant"},
			wantTOML: []string{"[[tenant]]\nid = 1\n", "# [[tenant]]\n# id = 2\n# mention = [\"@bob\"]"},
		},
		{
			name:     "days inherit Default when active",
			config:   `{"Watch": {"Default": {"Active": true, "Enter": 8, "Leave": 16}, "Saturday": {"Active": false}, "Monday": {"Leave": 20}}}`,
			wantTOML: []string{`hours = { default = "08:00-16:00", monday = "08:00-20:00", saturday = "off" }`},
		},
		{
			name:     "polling below the minimum is raised",
			config:   `{"Polling": 2}`,
			wantWarn: []string{"below kamobot's minimum"},
			wantTOML: []string{`interval = "5s"`},
		},
		{
			name:    "bad values are errors with their key",
			config:  "{\"Watch\": {\"Default\": {\"Active\": \"yes\", \"Enter\": 25, \"Leave\": 17},\n \"Friday\": {\"Active\": true, \"Enter\": 18, \"Leave\": 9}}, \"Polling\": -1}",
			wantErr: []string{"config.json:1:34: Watch.Default.Active: want true or false, got a string", "config.json:1:50: Watch.Default.Enter: 25 is not an hour", "config.json:2:12: Watch.Friday: Leave (9) is not after Enter (18)", "config.json:2:67: Polling: -1 is not a number of seconds"},
		},
		{
			name:    "unquoted tenant id",
			config:  "{\"Tenant\": {\n  3: {\"ByName\": []}}}",
			wantErr: []string{"config.json:2:3: JSON syntax error: invalid character '3' looking for beginning of object key string (JSON keys must be in double quotes"},
		},
		{
			name:    "bad webhook is not echoed",
			secure:  `{"SlackURI": "hooks.slack.com/services/T0/B0/SECRETTOKENXYZ"}`,
			wantErr: []string{"secure.json:1:14: SlackURI: the webhook is not an http(s) URL"},
		},
		{
			name:     "unknown fields are warnings",
			config:   `{"Extra": 1, "Watch": {"Holiday": {}}}`,
			messages: `{"Message": {"Strange": ["x"], "Completed": []}}`,
			wantWarn: []string{"Extra: unknown field", "Watch.Holiday: unknown field", "Message.Strange: unknown message set", "Message.Completed: no phrase"},
		},
		{
			name:     "server without placeholder is normalised; user kept",
			secure:   `{"KAMONOHASHI": {"Server": "https://kqi.example.org/kamonohashi/#/", "Application": {"Username": "bot", "Password": "pw"}}}`,
			wantTOML: []string{`server = "https://kqi.example.org/kamonohashi"`, `user = "bot"`, `password_file = "kamonohashi-password"`, `# webhook_file = "slack-webhook"`},
		},
		{
			name:      "password in a type error is not echoed",
			secure:    `{"KAMONOHASHI": {"Application": {"Password": ["hunter2-s3cret-pw"]}}}`,
			wantErr:   []string{"KAMONOHASHI.Application.Password: want a string, got an array"},
			avoidTOML: []string{"password_file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := func(s string) []byte {
				if s == "" {
					return nil
				}
				return []byte(s)
			}
			out, _, warns, err := ImportLegacy(in(tt.config), in(tt.secure), in(tt.messages))
			assertNoSecret(t, err, warns)
			errs := leafErrors(t, err)
			if len(errs) != len(tt.wantErr) {
				t.Fatalf("want %d errors, got %v", len(tt.wantErr), err)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tt.wantErr[i]) {
					t.Errorf("error %d: %q does not contain %q", i, e, tt.wantErr[i])
				}
			}
			for _, w := range tt.wantWarn {
				found := false
				for _, got := range warns {
					found = found || strings.Contains(got.String(), w)
				}
				if !found {
					t.Errorf("no warning contains %q; got %q", w, warns)
				}
			}
			for _, s := range tt.wantTOML {
				if !strings.Contains(string(out), s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.avoidTOML {
				if strings.Contains(string(out), s) && err == nil {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
			if err == nil {
				// Whatever was translated must load (the environment
				// supplies what the old files lacked).
				dir := configDir(t)
				path := writeFile(t, dir, "config.toml", string(out), 0o600)
				writeFile(t, dir, legacyPasswordFile, "pw\n", 0o600)
				writeFile(t, dir, legacyWebhookFile, testWebhook+"\n", 0o600)
				env := map[string]string{EnvServer: "https://k.example.com", EnvUser: "u", EnvPassword: "p"}
				if _, _, err := Load(path, envMap(env)); err != nil {
					t.Errorf("translated config does not load: %v\n%s", err, out)
				}
			}
		})
	}
}

func TestImportLegacyNothing(t *testing.T) {
	if _, _, _, err := ImportLegacy(nil, nil, nil); err == nil {
		t.Error("no error for three missing files")
	}
}

// ImportLegacy is ImportLegacyFiles with the files named as the old bot named them.
func ImportLegacy(configJSON, secureJSON, messageJSON []byte) (tomlText []byte, secrets LegacySecrets, warnings []Warning, err error) {
	return ImportLegacyFiles(LegacyFile{"config.json", configJSON}, LegacyFile{"secure.json", secureJSON},
		LegacyFile{"message.json", messageJSON})
}
