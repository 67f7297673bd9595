package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReportKeys: [report] defaults, values, and file:line errors.
func TestReportKeys(t *testing.T) {
	cfg, _, err := loadString(t, configDir(t), minimal, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Report; r.Off || r.Day != time.Monday || !r.AtStart || r.Retention != 35*24*time.Hour {
		t.Fatalf("defaults: %+v", r)
	}
	cfg, _, err = loadString(t, configDir(t), minimal+"[report]\nday = \"Friday\"\ntime = \"16:30\"\nretention = \"60d\"\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Report; r.Off || r.Day != time.Friday || r.AtStart || r.Minutes != 16*60+30 || r.Retention != 60*24*time.Hour {
		t.Fatalf("values: %+v", r)
	}
	cfg, _, err = loadString(t, configDir(t), minimal+"[report]\ntime = \"off\"\n", nil)
	if err != nil || !cfg.Report.Off {
		t.Fatalf("off: %v %+v", err, cfg)
	}

	dir := configDir(t)
	_, _, err = loadString(t, dir, minimal+"[report]\nday = \"mondai\"\ntime = \"25:00\"\nretention = \"7d\"\nweekly = true\n", nil)
	var got []string
	for _, e := range leafErrors(t, err) {
		got = append(got, strings.TrimPrefix(e.Error(), dir+string(filepath.Separator)))
	}
	want := []string{
		`config.toml:7:1: report.day: "mondai" is not a weekday: write "monday" ... "sunday", or "off"`,
		`config.toml:8:1: report.time: "25:00" is not a time: write "start" (when office hours start), "HH:MM", or "off"`,
		`config.toml:9:1: report.retention: 7d is too short: the minimum is 14d (the report compares a week with the one before)`,
		`config.toml:10:1: report.weekly: unknown key "weekly" in [report] (known keys: day, time, retention)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestReportDue: the report of a week is due on its report day, when
// office hours start, or at the time given; a holiday moves it to the next
// opening.
func TestReportDue(t *testing.T) {
	dir := configDir(t)
	cfg, _, err := loadString(t, dir, minimal+`[schedule]
timezone = "Asia/Tokyo"
hours = { default = "09:00-18:00", saturday = "off", sunday = "off" }
holidays = ["2026-11-23"]
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	loc := cfg.Schedule.Location()
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tt := range []struct {
		now, due, week string
	}{
		{"2026-11-30 08:00", "2026-11-30 09:00", "2026-11-30"},
		{"2026-12-06 23:00", "2026-11-30 09:00", "2026-11-30"}, // Sunday belongs to the week of Monday 30
		{"2026-11-25 12:00", "2026-11-24 09:00", "2026-11-23"}, // Monday 23 is a holiday: Tuesday at opening
	} {
		due, week, ok := cfg.Report.Due(cfg.Schedule, at(tt.now))
		if !ok || !due.Equal(at(tt.due)) || week != tt.week {
			t.Errorf("at %s: due %s week %s (%v), want %s week %s", tt.now, due.In(loc), week, ok, tt.due, tt.week)
		}
	}
	// A report day without office hours whose next opening is in the week
	// after: that report is due then, not skipped.
	sunday, _, err := loadString(t, dir, minimal+`[schedule]
timezone = "Asia/Tokyo"
hours = { default = "09:00-18:00", saturday = "off", sunday = "off" }
[report]
day = "sunday"
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ now, due, week string }{
		{"2026-11-29 12:00", "2026-11-23 09:00", "2026-11-22"}, // Sunday 22's report was due on Monday 23
		{"2026-11-30 09:30", "2026-11-30 09:00", "2026-11-29"}, // Sunday 29's, due Monday 30 at opening: in the next week, still due
		{"2026-12-05 12:00", "2026-11-30 09:00", "2026-11-29"},
	} {
		due, week, ok := sunday.Report.Due(sunday.Schedule, at(tt.now))
		if !ok || !due.Equal(at(tt.due)) || week != tt.week {
			t.Errorf("sunday report, at %s: due %s week %s (%v), want %s week %s", tt.now, due.In(loc), week, ok, tt.due, tt.week)
		}
	}
	cfg.Report.AtStart, cfg.Report.Minutes = false, 7*60
	if due, _, _ := cfg.Report.Due(cfg.Schedule, at("2026-11-30 10:00")); !due.Equal(at("2026-11-30 07:00")) {
		t.Errorf("time 07:00: due %s", due.In(loc))
	}
}
