package config

import (
	"cmp"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/internal/testkit"
	"github.com/kamobot/kamobot/job"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// scheduleSpec is a [schedule] table for tests; toml writes it out.
type scheduleSpec struct {
	Timezone            string
	Hours               map[string]string
	Holidays            []string
	OutsideHours        string
	OutsideHoursByEvent map[string]string
}

func (spec scheduleSpec) toml() string {
	var b strings.Builder
	b.WriteString("[schedule]\n")
	if spec.Timezone != "" {
		fmt.Fprintf(&b, "timezone = %q\n", spec.Timezone)
	}
	if spec.Hours != nil {
		b.WriteString("hours = {")
		for i, k := range sortedKeys(spec.Hours) {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s = %q", k, spec.Hours[k])
		}
		b.WriteString(" }\n")
	}
	if spec.Holidays != nil {
		fmt.Fprintf(&b, "holidays = [%s]\n", strings.Join(quoteAll(spec.Holidays), ", "))
	}
	if spec.OutsideHours != "" {
		fmt.Fprintf(&b, "outside_hours = %q\n", spec.OutsideHours)
	}
	if spec.OutsideHoursByEvent != nil {
		b.WriteString("[schedule.outside_hours_by_event]\n")
		for _, k := range sortedKeys(spec.OutsideHoursByEvent) {
			fmt.Fprintf(&b, "%s = %q\n", k, spec.OutsideHoursByEvent[k])
		}
	}
	return b.String()
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// loadSchedule loads spec through the config file decoder, as kamobot does.
func loadSchedule(t *testing.T, spec scheduleSpec) (*Schedule, error) {
	t.Helper()
	cfg, _, err := load("config.toml", []byte(minimal+spec.toml()), true, 0o600, envMap(map[string]string{EnvPassword: "p"}))
	if err != nil {
		return nil, err
	}
	return cfg.Schedule, nil
}

func mustSchedule(t *testing.T, spec scheduleSpec) *Schedule {
	t.Helper()
	s, err := loadSchedule(t, spec)
	if err != nil {
		t.Fatalf("load [schedule]: %v\n%s", err, spec.toml())
	}
	return s
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "09:00-17:00", want: "09:00-17:00"},
		{in: " 9:30 - 17:45 ", want: "09:30-17:45"},
		{in: "00:00-24:00", want: "00:00-24:00"},
		{in: "OFF", want: "off"},
		{in: "22:00-24:00", want: "22:00-24:00"},
		{in: "17:00-09:00", err: "ends before it starts: overnight windows are not supported"},
		{in: "09:00-09:00", err: "ends before it starts"},
		{in: "25:00-26:00", err: `start "25:00" is not a time of day (00:00 to 23:59)`},
		{in: "24:00-24:00", err: `start "24:00" is not a time of day`},
		{in: "09:00-24:30", err: `end "24:30" is not a time of day (00:00 to 24:00)`},
		{in: "09:60-10:00", err: "is not a time of day"},
		{in: "-1:00-10:00", err: `start "" is not a time of day`},
		{in: "+9:00-10:00", err: `start "+9:00" is not a time of day`},
		{in: "0900-1700", err: "is not a time of day"},
		{in: "9-17", err: "is not a time of day"},
		{in: "09:00", err: `write "HH:MM-HH:MM"`},
		{in: "", err: `write "HH:MM-HH:MM"`},
		{in: "always", err: `write "HH:MM-HH:MM"`},
	}
	for _, tt := range tests {
		w, err := parseWindow(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || w.String() != tt.want {
			t.Errorf("%q: got %v, %v; want %q", tt.in, w, err, tt.want)
		}
	}
}

// TestNoOverrideLeaks is the old bot's bug: its weekday overrides were
// written into the shared Default entry, so a day without an entry got the
// previous day's hours. Each day must get its own entry, its group's, or
// the default, whatever order the entries are read in.
func TestNoOverrideLeaks(t *testing.T) {
	tests := []struct {
		name  string
		hours map[string]string
		want  [7]string // Sunday first, as time.Weekday
	}{
		{"old bot's config", map[string]string{"default": "off", "monday": "10:00-21:00", "tuesday": "09:00-21:00",
			"wednesday": "09:00-21:00", "thursday": "09:00-21:00", "friday": "09:00-18:00"},
			[7]string{"off", "10:00-21:00", "09:00-21:00", "09:00-21:00", "09:00-21:00", "09:00-18:00", "off"}},
		{"design sketch", map[string]string{"default": "09:00-17:00", "monday": "10:00-21:00", "friday": "09:00-18:00",
			"saturday": "off", "sunday": "off"},
			[7]string{"off", "10:00-21:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-18:00", "off"}},
		{"groups, then days", map[string]string{"weekdays": "08:00-16:00", "weekend": "off", "default": "12:00-13:00",
			"saturday": "10:00-12:00"},
			[7]string{"off", "08:00-16:00", "08:00-16:00", "08:00-16:00", "08:00-16:00", "08:00-16:00", "10:00-12:00"}},
		{"no default: open all day", map[string]string{"monday": "off"},
			[7]string{"00:00-24:00", "off", "00:00-24:00", "00:00-24:00", "00:00-24:00", "00:00-24:00", "00:00-24:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Go randomises map order: resolve many times.
			for range 50 {
				s := mustSchedule(t, scheduleSpec{Timezone: "UTC", Hours: tt.hours})
				var got [7]string
				for wd := range 7 {
					got[wd] = s.days[wd].String()
				}
				diff(t, "days", tt.want, got)
			}
		})
	}
}

// refSchedule is an independent, naive model of a schedule: wall-clock
// windows per weekday and a set of holidays, used to check Schedule over
// whole years.
type refSchedule struct {
	days     [7][2]int // start, end in minutes; start < 0 means off
	holidays map[Date]bool
}

func (r refSchedule) window(d Date) (start, end int, ok bool) {
	w := r.days[d.Weekday()]
	if r.holidays[d] || w[0] < 0 {
		return 0, 0, false
	}
	return w[0], w[1], true
}

// open reports whether wall-clock time t (in its own location) is within
// hours.
func (r refSchedule) open(t time.Time) bool {
	start, end, ok := r.window(DateOf(t))
	m := t.Hour()*60 + t.Minute()
	return ok && m >= start && m < end
}

// yearCases are the schedules checked over a whole year. Holidays make
// chains of days off: Golden Week (Sat 2026-05-02 to Wed 05-06), a Monday
// holiday after a weekend (2026-11-23), the year end (2026-12-29 to
// 2027-01-03), and a lone Wednesday (2026-07-15).
func yearCases() []struct {
	name string
	spec scheduleSpec
	ref  refSchedule
} {
	holidays := []string{"2026-05-04", "2026-05-05", "2026-05-06", "2026-07-15", "2026-11-23",
		"2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"}
	hset := map[Date]bool{}
	for _, h := range holidays {
		d, _ := ParseDate(h)
		hset[d] = true
	}
	off := [2]int{-1, -1}
	return []struct {
		name string
		spec scheduleSpec
		ref  refSchedule
	}{
		{
			name: "office",
			spec: scheduleSpec{Hours: map[string]string{"default": "09:00-17:00", "monday": "10:00-21:00",
				"friday": "09:00-18:00", "saturday": "off", "sunday": "off"}, Holidays: holidays},
			ref: refSchedule{days: [7][2]int{off, {600, 1260}, {540, 1020}, {540, 1020}, {540, 1020}, {540, 1080}, off}, holidays: hset},
		},
		{
			// Windows that touch the DST hours: all day on Sunday (the
			// transition day in New York and Berlin), and a night window
			// on Saturday.
			name: "clock",
			spec: scheduleSpec{Hours: map[string]string{"default": "00:00-24:00", "saturday": "00:30-04:00", "wednesday": "off"}},
			ref:  refSchedule{days: [7][2]int{{0, 1440}, {0, 1440}, {0, 1440}, off, {0, 1440}, {0, 1440}, {30, 240}}},
		},
	}
}

// TestScheduleYear checks Window, Open, NextOpen, NextClose and
// IsLastWorkingDay against the naive model, for every day (and every 20
// minutes) in Tokyo (no DST), New York and Berlin (DST). With
// KAMOBOT_LONG=1 it walks the whole of 2026; by default only the weeks
// that matter: Golden Week, the lone holiday, the Monday holiday, the year
// end, and the days around each DST change in New York and Berlin.
func TestScheduleYear(t *testing.T) {
	if testing.Short() {
		t.Skip("schedule walk")
	}
	type span struct{ from, to Date } // to excluded
	spans := []span{{Date{2026, 1, 1}, Date{2027, 1, 1}}}
	if !testkit.Long() {
		spans = []span{
			{Date{2026, 3, 6}, Date{2026, 3, 10}},    // New York springs forward on Sun 03-08
			{Date{2026, 3, 27}, Date{2026, 3, 31}},   // Berlin, Sun 03-29
			{Date{2026, 4, 30}, Date{2026, 5, 9}},    // Golden Week
			{Date{2026, 7, 13}, Date{2026, 7, 18}},   // a lone Wednesday
			{Date{2026, 10, 23}, Date{2026, 10, 27}}, // Berlin falls back on Sun 10-25
			{Date{2026, 10, 30}, Date{2026, 11, 3}},  // New York, Sun 11-01
			{Date{2026, 11, 20}, Date{2026, 11, 25}}, // a Monday holiday after a weekend
			{Date{2026, 12, 24}, Date{2027, 1, 1}},   // the year end
		}
	}
	for _, zone := range []string{"Asia/Tokyo", "America/New_York", "Europe/Berlin"} {
		loc := mustLoc(t, zone)
		for _, yc := range yearCases() {
			t.Run(zone+"/"+yc.name, func(t *testing.T) {
				spec := yc.spec
				spec.Timezone = zone
				s := mustSchedule(t, spec)
				ref := yc.ref
				for _, sp := range spans {
					for d := sp.from; d.Compare(sp.to) < 0; d = d.AddDays(1) {
						checkDay(t, s, ref, loc, d)
					}
					last := sp.to.In(loc)
					for now := sp.from.In(loc); now.Before(last); now = now.Add(20 * time.Minute) {
						checkInstant(t, s, ref, now)
					}
				}
			})
		}
	}
}

func checkDay(t *testing.T, s *Schedule, ref refSchedule, loc *time.Location, d Date) {
	t.Helper()
	start, end, ok := s.Window(d)
	rs, re, rok := ref.window(d)
	if ok != rok {
		t.Fatalf("%s %s: Window ok=%v, want %v", d, d.Weekday(), ok, rok)
	}
	if !ok {
		return
	}
	// Wall-clock start and end, unless DST skipped that hour.
	wall := func(t time.Time) int { return t.Hour()*60 + t.Minute() }
	_, offStart := start.Zone()
	_, offEnd := end.Zone()
	if wall(start) != rs && offStart == offEnd {
		t.Errorf("%s: start %s, want %02d:%02d", d, start, rs/60, rs%60)
	}
	if want := re % 1440; wall(end) != want && offStart == offEnd {
		t.Errorf("%s: end %s, want %02d:%02d", d, end, want/60, want%60)
	}
	// Elapsed time is the wall-clock length, corrected by the DST shift.
	want := time.Duration(re-rs)*time.Minute - time.Duration(offEnd-offStart)*time.Second
	if got := end.Sub(start); got != want {
		t.Errorf("%s %s: window lasts %v, want %v", d, loc, got, want)
	}
	// The day before a day off is the last working day.
	_, _, nextOK := ref.window(d.AddDays(1))
	if got := s.IsLastWorkingDay(start); got != !nextOK {
		t.Errorf("%s: IsLastWorkingDay = %v, want %v", d, got, !nextOK)
	}
}

func checkInstant(t *testing.T, s *Schedule, ref refSchedule, now time.Time) {
	t.Helper()
	open := s.Open(now)
	if want := ref.open(now); open != want {
		t.Fatalf("%s: Open = %v, want %v", now, open, want)
	}
	next := s.NextOpen(now)
	switch {
	case open && !next.Equal(now):
		t.Fatalf("%s: open, but NextOpen = %s", now, next)
	case !open && (!next.After(now) || !s.Open(next) || s.Open(next.Add(-time.Minute))):
		t.Fatalf("%s: NextOpen = %s is not the start of a window", now, next)
	case !open && next.Sub(now) > 8*24*time.Hour:
		t.Fatalf("%s: NextOpen = %s is too far", now, next)
	}
	closeAt := s.NextClose(now)
	switch {
	case !open && !closeAt.Equal(now):
		t.Fatalf("%s: closed, but NextClose = %s", now, closeAt)
	case open && (!closeAt.After(now) || s.Open(closeAt) || !s.Open(closeAt.Add(-time.Minute))):
		t.Fatalf("%s: NextClose = %s is not the end of the open period", now, closeAt)
	}
}

// TestDSTDays pins what happens on the days the clocks change.
func TestDSTDays(t *testing.T) {
	allDay := map[string]string{"default": "00:00-24:00"}
	tests := []struct {
		zone  string
		hours map[string]string
		day   Date
		want  string // "start/end" in RFC 3339, or "off"
		dur   time.Duration
	}{
		{"America/New_York", allDay, Date{2026, 3, 8}, "2026-03-08T00:00:00-05:00/2026-03-09T00:00:00-04:00", 23 * time.Hour},
		{"America/New_York", allDay, Date{2026, 11, 1}, "2026-11-01T00:00:00-04:00/2026-11-02T00:00:00-05:00", 25 * time.Hour},
		{"Europe/Berlin", allDay, Date{2026, 3, 29}, "2026-03-29T00:00:00+01:00/2026-03-30T00:00:00+02:00", 23 * time.Hour},
		{"Europe/Berlin", allDay, Date{2026, 10, 25}, "2026-10-25T00:00:00+02:00/2026-10-26T00:00:00+01:00", 25 * time.Hour},
		{"Asia/Tokyo", allDay, Date{2026, 3, 8}, "2026-03-08T00:00:00+09:00/2026-03-09T00:00:00+09:00", 24 * time.Hour},
		// Office hours keep their wall-clock times and length.
		{"America/New_York", map[string]string{"default": "09:00-17:00"}, Date{2026, 3, 8}, "2026-03-08T09:00:00-04:00/2026-03-08T17:00:00-04:00", 8 * time.Hour},
		// A start in the skipped hour moves forward with the clock.
		{"America/New_York", map[string]string{"default": "02:30-04:00"}, Date{2026, 3, 8}, "2026-03-08T03:30:00-04:00/2026-03-08T04:00:00-04:00", 30 * time.Minute},
		// A window that the skipped hour swallows does not exist that day.
		{"America/New_York", map[string]string{"default": "02:00-03:00"}, Date{2026, 3, 8}, "off", 0},
		{"Europe/Berlin", map[string]string{"default": "02:00-02:30"}, Date{2026, 3, 29}, "2026-03-29T03:00:00+02:00/2026-03-29T03:30:00+02:00", 30 * time.Minute},
		// An ambiguous time is its first occurrence.
		{"America/New_York", map[string]string{"default": "01:30-02:30"}, Date{2026, 11, 1}, "2026-11-01T01:30:00-04:00/2026-11-01T02:30:00-05:00", 2 * time.Hour},
		{"Europe/Berlin", map[string]string{"default": "02:30-03:30"}, Date{2026, 10, 25}, "2026-10-25T02:30:00+02:00/2026-10-25T03:30:00+01:00", 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %v", tt.zone, tt.day, tt.hours), func(t *testing.T) {
			s := mustSchedule(t, scheduleSpec{Timezone: tt.zone, Hours: tt.hours})
			start, end, ok := s.Window(tt.day)
			got := "off"
			if ok {
				got = start.Format(time.RFC3339) + "/" + end.Format(time.RFC3339)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if ok && end.Sub(start) != tt.dur {
				t.Errorf("lasts %v, want %v", end.Sub(start), tt.dur)
			}
		})
	}
}

func TestNextOpenClose(t *testing.T) {
	tokyo := mustLoc(t, "Asia/Tokyo")
	at := func(s string) time.Time {
		t.Helper()
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, tokyo)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	office := mustSchedule(t, scheduleSpec{Timezone: "Asia/Tokyo",
		Hours:    map[string]string{"default": "09:00-17:00", "monday": "10:00-21:00", "weekend": "off"},
		Holidays: []string{"2026-11-23", "2026-12-30"}})
	night := mustSchedule(t, scheduleSpec{Timezone: "Asia/Tokyo",
		Hours: map[string]string{"default": "off", "friday": "22:00-24:00", "saturday": "00:00-06:00", "sunday": "00:00-24:00"}})
	never := mustSchedule(t, scheduleSpec{Hours: map[string]string{"default": "off"}})
	always := mustSchedule(t, scheduleSpec{Hours: map[string]string{"default": "00:00-24:00"}})
	tests := []struct {
		name      string
		s         *Schedule
		now       time.Time
		nextOpen  time.Time
		nextClose time.Time
	}{
		{"in hours", office, at("2026-11-18 10:00"), at("2026-11-18 10:00"), at("2026-11-18 17:00")},
		{"closing instant is closed", office, at("2026-11-18 17:00"), at("2026-11-19 09:00"), at("2026-11-18 17:00")},
		{"opening instant is open", office, at("2026-11-19 09:00"), at("2026-11-19 09:00"), at("2026-11-19 17:00")},
		{"Friday evening: Monday, or Tuesday after a holiday", office, at("2026-11-20 18:00"), at("2026-11-24 09:00"), at("2026-11-20 18:00")},
		{"Monday hours", office, at("2026-11-30 09:30"), at("2026-11-30 10:00"), at("2026-11-30 09:30")},
		{"night shift runs through midnight", night, at("2026-11-20 23:00"), at("2026-11-20 23:00"), at("2026-11-21 06:00")},
		{"weekend around the clock joins", night, at("2026-11-21 05:00"), at("2026-11-21 05:00"), at("2026-11-21 06:00")},
		{"Sunday runs to Monday midnight", night, at("2026-11-22 12:00"), at("2026-11-22 12:00"), at("2026-11-23 00:00")},
		{"never opens", never, at("2026-11-20 12:00"), time.Time{}, at("2026-11-20 12:00")},
		{"never closes", always, at("2026-11-20 12:00"), at("2026-11-20 12:00"), time.Time{}},
		{"not enabled", &Schedule{}, at("2026-11-20 12:00"), at("2026-11-20 12:00"), time.Time{}},
		{"nil", nil, at("2026-11-20 12:00"), at("2026-11-20 12:00"), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.NextOpen(tt.now); !got.Equal(tt.nextOpen) {
				t.Errorf("NextOpen = %s, want %s", got, tt.nextOpen)
			}
			if got := tt.s.NextClose(tt.now); !got.Equal(tt.nextClose) {
				t.Errorf("NextClose = %s, want %s", got, tt.nextClose)
			}
		})
	}
}

func TestIsLastWorkingDay(t *testing.T) {
	s := mustSchedule(t, scheduleSpec{Timezone: "Asia/Tokyo",
		Hours:    map[string]string{"default": "09:00-17:00", "weekend": "off"},
		Holidays: []string{"2026-07-15", "2026-11-23"}})
	tokyo := mustLoc(t, "Asia/Tokyo")
	tests := []struct {
		day  Date
		want bool
	}{
		{Date{2026, 7, 13}, false}, // Monday
		{Date{2026, 7, 14}, true},  // Tuesday before the Wednesday holiday
		{Date{2026, 7, 15}, false}, // the holiday itself
		{Date{2026, 7, 16}, false}, // Thursday
		{Date{2026, 7, 17}, true},  // Friday
		{Date{2026, 7, 18}, false}, // Saturday
		{Date{2026, 11, 20}, true}, // Friday before a long weekend
		{Date{2026, 11, 24}, false},
	}
	for _, tt := range tests {
		// Any time of the day counts, in the schedule's zone.
		for _, h := range []int{0, 12, 23} {
			now := time.Date(tt.day.Year, tt.day.Month, tt.day.Day, h, 0, 0, 0, tokyo)
			if got := s.IsLastWorkingDay(now.UTC()); got != tt.want {
				t.Errorf("%s %02d:00: got %v, want %v", tt.day, h, got, tt.want)
			}
		}
	}
	if (&Schedule{}).IsLastWorkingDay(time.Now()) {
		t.Error("a disabled schedule has no last working day")
	}
}

func TestWeek(t *testing.T) {
	s := mustSchedule(t, scheduleSpec{Timezone: "Asia/Tokyo",
		Hours:    map[string]string{"default": "09:00-17:00", "friday": "09:00-24:00", "weekend": "off"},
		Holidays: []string{"2026-12-29"}})
	var got []string
	for _, d := range s.Week(time.Date(2026, 12, 24, 20, 0, 0, 0, time.UTC)) { // already the 25th in Tokyo
		got = append(got, d.String())
	}
	want := []string{
		"Fri 2026-12-25 09:00-24:00",
		"Sat 2026-12-26 off",
		"Sun 2026-12-27 off",
		"Mon 2026-12-28 09:00-17:00",
		"Tue 2026-12-29 off (holiday)",
		"Wed 2026-12-30 09:00-17:00",
		"Thu 2026-12-31 09:00-17:00",
	}
	diff(t, "week", want, got)
}

func TestScheduleErrors(t *testing.T) {
	_, err := loadSchedule(t, scheduleSpec{
		Timezone:            "Mars/Olympus",
		Hours:               map[string]string{"funday": "09:00-17:00", "monday": "9"},
		Holidays:            []string{"2026-13-01"},
		OutsideHours:        "later",
		OutsideHoursByEvent: map[string]string{"failed": "now", "exploded": "send"},
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`config.toml:7:1: schedule.timezone: unknown time zone "Mars/Olympus"`,
		`config.toml:8:11: schedule.hours.funday: unknown key "funday" in [schedule.hours] (did you mean "sunday"?)`,
		`config.toml:8:35: schedule.hours.monday: "9" is not office hours`,
		`config.toml:9:13: schedule.holidays[0]: "2026-13-01" is not a date`,
		`config.toml:10:1: schedule.outside_hours: "later" is not one of`,
		`config.toml:12:1: schedule.outside_hours_by_event.exploded: unknown event "exploded"`,
		`config.toml:13:1: schedule.outside_hours_by_event.failed: "now" is not one of`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestScheduleDisabled(t *testing.T) {
	for name, s := range map[string]*Schedule{
		"nil":           nil,
		"zero":          {},
		"timezone only": mustSchedule(t, scheduleSpec{Timezone: "Asia/Tokyo"}),
	} {
		now := time.Date(2026, 5, 3, 3, 0, 0, 0, time.UTC)
		if s.Enabled() || !s.Open(now) || s.Greetings() || s.IsLastWorkingDay(now) {
			t.Errorf("%s: not always open", name)
		}
		if _, _, ok := s.Window(DateOf(now)); !ok {
			t.Errorf("%s: Window closed", name)
		}
		if s.OutsideHours(job.EventFailed) != HoldDigest {
			t.Errorf("%s: OutsideHours default", name)
		}
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2026-12-31")
	if err != nil || d != (Date{2026, 12, 31}) || d.String() != "2026-12-31" {
		t.Fatalf("ParseDate: %v %v", d, err)
	}
	if got := d.AddDays(1); got != (Date{2027, 1, 1}) {
		t.Errorf("AddDays(1) = %v", got)
	}
	if got := (Date{2026, 3, 1}).AddDays(-1); got != (Date{2026, 2, 28}) {
		t.Errorf("AddDays(-1) = %v", got)
	}
	if d.Weekday() != time.Thursday || d.Compare(Date{2027, 1, 1}) != -1 || d.Compare(d) != 0 {
		t.Error("Weekday or Compare")
	}
	for _, bad := range []string{"2026-2-3", "2026/02/03", "26-02-03", "2026-02-29", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func (w window) String() string {
	if w.off {
		return "off"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.start/60, w.start%60, w.end/60, w.end%60)
}

// NextClose returns when the office hours open at t close, following into
// the next day when its window starts the instant this one ends ("…-24:00"
// then "00:00-…"). It returns t itself if office hours are closed at t, and
// the zero time if they never close (not enabled, or open around the clock
// every day).
func (s *Schedule) NextClose(t time.Time) time.Time {
	if !s.Enabled() {
		return time.Time{}
	}
	if !s.Open(t) {
		return t
	}
	d := DateOf(t.In(s.Location()))
	_, end, _ := s.Window(d)
	for i := 1; i <= s.searchDays(); i++ {
		start, next, ok := s.Window(d.AddDays(i))
		if !ok || !start.Equal(end) {
			return end
		}
		end = next
	}
	return time.Time{}
}

// In returns the first instant of d in loc: midnight, or the end of the
// gap where a DST change skips midnight.
func (d Date) In(loc *time.Location) time.Time { return wallTime(d, 0, loc) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return cmp.Or(cmp.Compare(d.Year, e.Year), cmp.Compare(d.Month, e.Month), cmp.Compare(d.Day, e.Day))
}
