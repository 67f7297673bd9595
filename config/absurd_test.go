package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
)

// TestAbsurdValues checks that values no one means (a slip of a unit, a
// zero too many, an hour past midnight) are refused, each with the file,
// the line and the key, rather than obeyed.
func TestAbsurdValues(t *testing.T) {
	tests := []struct {
		name string
		src  string // appended to minimal (5 lines), so the first line is 6
		want string // file:line, key and the start of the message
	}{
		{"interval zero", "[watch]\ninterval = \"0\"", `config.toml:7:1: watch.interval: "0" must be more than zero`},
		{"interval 0s", "[watch]\ninterval = \"0s\"", `config.toml:7:1: watch.interval: "0s" must be more than zero`},
		{"interval off", "[watch]\ninterval = \"off\"", `config.toml:7:1: watch.interval: "off" is not a duration`},
		{"interval below minimum", "[watch]\ninterval = \"4s\"", `config.toml:7:1: watch.interval: 4s is too short: the minimum is 5s`},
		{"interval in milliseconds", "[watch]\ninterval = \"500ms\"", `config.toml:7:1: watch.interval: 500ms is too short`},
		{"interval negative", "[watch]\ninterval = \"-30s\"", `config.toml:7:1: watch.interval: "-30s" is negative`},
		{"interval over a day", "[watch]\ninterval = \"25h\"", `config.toml:7:1: watch.interval: 25h is too long: the maximum is 24h`},
		{"interval huge", "[watch]\ninterval = \"9000h\"", `config.toml:7:1: watch.interval: 9000h is too long`},
		{"interval overflow", "[watch]\ninterval = \"9999999999h\"", `config.toml:7:1: watch.interval: "9999999999h" is not a duration`},
		{"interval without unit", "[watch]\ninterval = 30", `config.toml:7:1: watch.interval: want a duration string like "30s"`},
		{"stuck negative", "[watch]\nstuck_pending_after = \"-1m\"", `config.toml:7:1: watch.stuck_pending_after: "-1m" is negative`},
		{"stuck a nanosecond", "[watch]\nstuck_pending_after = \"1ns\"", `config.toml:7:1: watch.stuck_pending_after: 1ns is too short: the minimum is 1m (or "off"`},
		{"long running seconds", "[watch]\nlong_running_after = \"30s\"", `config.toml:7:1: watch.long_running_after: 30s is too short`},
		{"long running over a year", "[watch]\nlong_running_after = \"9000h\"", `config.toml:7:1: watch.long_running_after: 9000h is too long: the maximum is 8760h`},
		{"summary over a year", "[watch]\nsummary_after_silence = \"100000h\"", `config.toml:7:1: watch.summary_after_silence: 100000h is too long`},
		{"summary in days", "[watch]\nsummary_after_silence = \"2d\"", `config.toml:7:1: watch.summary_after_silence: "2d" is not a duration: write it in hours`},
		{"hours end before start", "[schedule]\nhours = { default = \"18:00-09:00\" }", `config.toml:7:11: schedule.hours.default: "18:00-09:00" ends before it starts`},
		{"hours equal", "[schedule]\nhours = { default = \"09:00-09:00\" }", `config.toml:7:11: schedule.hours.default: "09:00-09:00" ends before it starts`},
		{"hour 25", "[schedule]\nhours = { default = \"09:00-25:00\" }", `config.toml:7:11: schedule.hours.default: "09:00-25:00": end "25:00" is not a time of day (00:00 to 24:00)`},
		{"minute 60", "[schedule]\nhours = { default = \"09:60-17:00\" }", `config.toml:7:11: schedule.hours.default: "09:60-17:00": start "09:60" is not a time of day`},
		{"24:00 as a start", "[schedule]\nhours = { default = \"24:00-24:00\" }", `config.toml:7:11: schedule.hours.default: "24:00-24:00": start "24:00" is not a time of day (00:00 to 23:59)`},
		{"unknown weekday", "[schedule]\nhours = { funday = \"09:00-17:00\" }", `config.toml:7:11: schedule.hours.funday: unknown key "funday" in [schedule.hours] (did you mean "sunday"?)`},
		{"weekday abbreviated", "[schedule.hours]\nmon = \"09:00-17:00\"", `config.toml:7:1: schedule.hours.mon: unknown key "mon" in [schedule.hours] (did you mean "monday"?)`},
		{"unknown time zone", "[schedule]\ntimezone = \"Mars/Olympus\"", `config.toml:7:1: schedule.timezone: unknown time zone "Mars/Olympus"`},
		{"zone abbreviation", "[schedule]\ntimezone = \"JST\"", `config.toml:7:1: schedule.timezone: unknown time zone "JST": use an IANA name`},
		{"tenant id twice", "[[tenant]]\nid = 3\n[[tenant]]\nid = 3", `config.toml:8:1: tenant[1]: tenant id 3 is listed twice (first at line 6)`},
		{"tenant name twice", "[[tenant]]\nname = \"vision\"\n[[tenant]]\nname = \" vision \"", `config.toml:8:1: tenant[1]: tenant vision is listed twice (first at line 6)`},
		{"tenant by name and id at once", "[[tenant]]\nname = \"vision\"\nid = 1", `config.toml:6:1: tenant[0]: both name and id are set`},
		{"tenant id zero", "[[tenant]]\nid = 0", `config.toml:7:1: tenant[0].id: 0 is not a tenant id`},
		{"tenant id negative", "[[tenant]]\nid = -4", `config.toml:7:1: tenant[0].id: -4 is not a tenant id`},
		{"webhook scheme", "[slack]\nwebhook_file = \"hook\"\n[[tenant]]\nid = 1\nwebhook = \"ftp://hooks.slack.com/services/T/B/x\"",
			`config.toml:10:1: tenant[0].webhook: the webhook is not an http(s) URL`},
		{"webhook without scheme", "[[tenant]]\nid = 1\nwebhook = \"hooks.slack.com/services/T/B/x\"", `config.toml:8:1: tenant[0].webhook: the webhook is not an http(s) URL`},
		{"webhook blank", "[[tenant]]\nid = 1\nwebhook = \"   \"", `config.toml:8:1: tenant[0].webhook: the webhook is not an http(s) URL`},
		{"mention channel", "[[tenant]]\nid = 1\nmention = [\"#general\"]", `config.toml:8:12: tenant[0].mention[0]: "#general" is a channel`},
		{"mention with space", "[[tenant]]\nid = 1\nmention = [\"U01 ABC\"]", `config.toml:8:12: tenant[0].mention[0]: "U01 ABC" is not a mention`},
		{"mention empty", "[[tenant]]\nid = 1\nmention = [\"\"]", `config.toml:8:12: tenant[0].mention[0]: empty mention`},
		{"mention stray syntax", "[[tenant]]\nid = 1\nmention = [\"<#C0123>\"]", `config.toml:8:12: tenant[0].mention[0]: "<#C0123>" is not a mention Slack understands`},
		{"server zone unknown", "timezone = \"Asia/Tokio\"", `config.toml:6:1: kamonohashi.timezone: unknown time zone "Asia/Tokio"`},
		{"no request in flight", "max_in_flight = 0", `config.toml:6:1: kamonohashi.max_in_flight: 0 is out of range: want 1 to 64`},
		{"too many requests in flight", "max_in_flight = 256", `config.toml:6:1: kamonohashi.max_in_flight: 256 is out of range: want 1 to 64`},
		{"requests in flight as a string", "max_in_flight = \"8\"", `config.toml:6:1: kamonohashi.max_in_flight: want an integer, got a string`},
		{"owner channel", "[owners]\nalice = \"#ml\"", `config.toml:7:1: owners.alice: "#ml" is a channel`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := configDir(t)
			writeFile(t, dir, "hook", testWebhook, 0o600)
			_, warns, err := loadString(t, dir, minimal+tt.src, nil)
			if err == nil {
				t.Fatalf("loaded; want an error %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			found := false
			for _, e := range leafErrors(t, err) {
				found = found || strings.HasSuffix(e.File, "config.toml") && strings.Contains(e.Error(), strings.TrimPrefix(tt.want, "config.toml"))
			}
			if !found {
				t.Errorf("error:\n%v\nwant one containing:\n%s", err, tt.want)
			}
			for _, w := range warns {
				if w.Key == strings.SplitN(strings.SplitN(tt.want, ": ", 3)[1], ":", 2)[0] && strings.Contains(w.Msg, "is off") {
					t.Errorf("a refused value is also warned about as off: %s", w)
				}
			}
			assertNoSecret(t, err, warns)
		})
	}
}

// TestSensibleValuesStillLoad guards the other side of TestAbsurdValues:
// the bounds themselves, and "0"/"off" for the optional alerts, load.
func TestSensibleValuesStillLoad(t *testing.T) {
	for _, src := range []string{
		"[watch]\ninterval = \"5s\"",
		"[watch]\ninterval = \"24h\"",
		"[watch]\nstuck_pending_after = \"off\"\nlong_running_after = \"0\"\nsummary_after_silence = \"0s\"",
		"[watch]\nstuck_pending_after = \"1m\"\nlong_running_after = \"8760h\"\nsummary_after_silence = \" off \"",
		"[schedule]\nhours = { default = \"00:00-24:00\", friday = \"09:00-17:30\" }",
	} {
		cfg, _, err := loadString(t, configDir(t), minimal+src, nil)
		if err != nil {
			t.Errorf("%q: %v", src, err)
		}
		if err == nil && strings.Contains(src, "\"off\"") && cfg.Watch.StuckPendingAfter != 0 {
			t.Errorf("%q: stuck_pending_after = %v, want off", src, cfg.Watch.StuckPendingAfter)
		}
	}
	cfg, _, err := loadString(t, configDir(t), minimal+"[watch]\ninterval = \"24h\"\nlong_running_after = \"8760h\"", nil)
	if err != nil || cfg.Watch.Interval != 24*time.Hour || cfg.Watch.LongRunningAfter != 8760*time.Hour {
		t.Errorf("bounds: %v, %+v", err, cfg)
	}
}

// TestTenantGivenByNameAndByID: two entries about one tenant, one by name,
// the other by id, are only known to be the same once the server lists
// its tenants; the error then names the second entry's line and key.
func TestTenantGivenByNameAndByID(t *testing.T) {
	cfg, _, err := loadString(t, configDir(t), minimal+"[[tenant]]\nname = \"vision\"\n\n[[tenant]]\nname = \"nlp\"\n\n[[tenant]]\nid = 1\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	visible := []api.Tenant{{ID: 1, Name: "vision"}, {ID: 2, Name: "nlp"}}
	err = cfg.CheckTenantEntries(visible)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("CheckTenantEntries = %v, want an *Error wrapping ErrInvalid", err)
	}
	want := `config.toml:12: tenant[2]: id = 1 and name = "vision" (tenant[0], line 6) are the same tenant (vision, id 1): merge the two entries`
	if !strings.HasSuffix(e.Error(), want) {
		t.Errorf("error:\n%v\nwant it to end with:\n%s", e, want)
	}
	if err := cfg.CheckTenantEntries([]api.Tenant{{ID: 2, Name: "nlp"}, {ID: 3, Name: "speech"}}); err != nil {
		t.Errorf("no tenant matched twice, yet: %v", err)
	}
}
