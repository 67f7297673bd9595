package config

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kamobot/kamobot/job"
)

// Hold says what becomes of an event that happens outside office hours.
type Hold string

// What to do with events outside office hours.
const (
	HoldDigest Hold = "digest" // keep it for the digest posted when hours open again
	HoldSend   Hold = "send"   // post it at once anyway
	HoldDrop   Hold = "drop"   // forget it
)

// ParseHold reads "digest", "send" or "drop".
func ParseHold(s string) (Hold, error) {
	switch h := Hold(strings.TrimSpace(s)); h {
	case HoldDigest, HoldSend, HoldDrop:
		return h, nil
	}
	return "", fmt.Errorf("%q is not one of \"digest\", \"send\" or \"drop\"", s)
}

// Date is a day in the calendar, with no time and no zone: a holiday, or the
// day a schedule window belongs to.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads a date written "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date: write it YYYY-MM-DD, e.g. \"2026-12-29\"", s)
	}
	return DateOf(t), nil
}

// String returns the date as "2006-01-02".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// AddDays returns the date n days after d (before it if n is negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Schedule is when kamobot posts: office hours per day of the week in one
// time zone, and holidays, which are off all day. Outside office hours,
// events are held (see Hold). A nil or zero Schedule, or one from a config
// without hours or holidays, is always open.
//
// Office hours never cross midnight: a window ends at "24:00" at the latest,
// and the next day's window may start at "00:00". Overnight windows such as
// "22:00-06:00" are refused rather than guessed at: an end before the start
// is far more often a typo than a night shift, and a window that belongs to
// two days makes holidays ambiguous.
//
// Times are computed with time.Date in the schedule's zone, so a window
// keeps its wall-clock hours across DST changes: "09:00-17:00" lasts eight
// hours on every day, and "00:00-24:00" lasts 23 or 25 hours on the days the
// clocks change. A start or end inside a skipped hour moves forward with it.
type Schedule struct {
	enabled   bool
	loc       *time.Location
	days      [7]window // by time.Weekday
	holidays  map[Date]bool
	outside   Hold
	byEvent   map[job.EventType]Hold
	greetings bool
}

// hoursKeys are the keys of schedule.hours, in the order they are explained.
func hoursKeys() []string {
	return []string{"default", "weekdays", "weekend",
		"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
}

// window is one day's office hours in minutes after midnight.
type window struct {
	off        bool
	start, end int // 0 <= start < end <= 24*60
}

// parseWindow reads "HH:MM-HH:MM" or "off".
func parseWindow(s string) (window, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "off") {
		return window{off: true}, nil
	}
	a, b, ok := strings.Cut(t, "-")
	if !ok {
		return window{}, fmt.Errorf("%q is not office hours: write \"HH:MM-HH:MM\" (e.g. \"09:00-17:00\") or \"off\"", s)
	}
	start, err := parseClock(a, false)
	if err != nil {
		return window{}, fmt.Errorf("%q: start %w", s, err)
	}
	end, err := parseClock(b, true)
	if err != nil {
		return window{}, fmt.Errorf("%q: end %w", s, err)
	}
	if end <= start {
		return window{}, fmt.Errorf("%q ends before it starts: overnight windows are not supported; split it as \"%s-24:00\" on this day and \"00:00-%s\" on the next",
			s, strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return window{start: start, end: end}, nil
}

// parseClock reads "HH:MM" (or "H:MM") as minutes after midnight. "24:00"
// is allowed only as an end.
func parseClock(s string, end bool) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	switch {
	case !ok || err1 != nil || err2 != nil || len(h) < 1 || len(h) > 2 || len(m) != 2 || h[0] == '+' || h[0] == '-':
		return 0, fmt.Errorf("%q is not a time of day like \"09:00\"", s)
	case hh == 24 && mm == 0 && end:
		return 24 * 60, nil
	case hh > 23 || mm > 59:
		limit := "23:59"
		if end {
			limit = "24:00"
		}
		return 0, fmt.Errorf("%q is not a time of day (00:00 to %s)", s, limit)
	}
	return hh*60 + mm, nil
}

// resolveDays applies the precedence of schedule.hours: a day's own entry,
// then its group, then "default", then open all day. Each day is resolved
// from the table alone, so no day's entry can leak into another day (the
// old bot wrote weekday overrides into its shared Default entry). open
// names the days no entry covers, Monday first.
func resolveDays(hours map[string]window) (days [7]window, open []string) {
	for i := range 7 {
		wd := time.Weekday((i + 1) % 7)
		day, group := strings.ToLower(wd.String()), "weekdays"
		if wd == time.Saturday || wd == time.Sunday {
			group = "weekend"
		}
		w, ok := hours[day]
		if !ok {
			w, ok = hours[group]
		}
		if !ok {
			w, ok = hours["default"]
		}
		if !ok {
			w = window{start: 0, end: 24 * 60}
			open = append(open, day)
		}
		days[wd] = w
	}
	return days, open
}

// loadLocation resolves a zone name; "" and "Local" are the local zone.
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as \"Asia/Tokyo\" or \"UTC\"", name)
	}
	return loc, nil
}

// wallTime returns the instant at which clocks in loc show minutes after
// midnight of day d (24*60 is the next midnight). time.Date leaves the
// choice unspecified when DST makes that time ambiguous or skips it, so
// this decides: an ambiguous time is its first occurrence, and a skipped
// time moves forward by the length of the gap (02:30 becomes 03:30 when the
// clocks go from 02:00 to 03:00).
func wallTime(d Date, minutes int, loc *time.Location) time.Time {
	u := time.Date(d.Year, d.Month, d.Day, 0, minutes, 0, 0, time.UTC) // the wall clock, as if in UTC
	guess := time.Date(d.Year, d.Month, d.Day, 0, minutes, 0, 0, loc)
	var best time.Time
	minOffset := 0
	for i, probe := range []time.Time{guess.Add(-12 * time.Hour), guess, guess.Add(12 * time.Hour)} {
		_, off := probe.Zone()
		if i == 0 || off < minOffset {
			minOffset = off
		}
		cand := u.Add(-time.Duration(off) * time.Second)
		if sameWall(cand.In(loc), u) && (best.IsZero() || cand.Before(best)) {
			best = cand
		}
	}
	if !best.IsZero() {
		return best.In(loc)
	}
	// In a gap, the offset increased: read the time with the offset in
	// force before the gap, which lands after it.
	return u.Add(-time.Duration(minOffset) * time.Second).In(loc)
}

// sameWall reports whether a and b show the same date and time of day.
func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}

// Enabled reports whether the schedule restricts posting at all: false when
// the config has neither hours nor holidays, and then Open is always true.
func (s *Schedule) Enabled() bool { return s != nil && s.enabled }

// Location returns the schedule's time zone (Local when none was set).
func (s *Schedule) Location() *time.Location {
	if s == nil || s.loc == nil {
		return time.Local
	}
	return s.loc
}

// Greetings reports whether kamobot posts a greeting when office hours open
// and close.
func (s *Schedule) Greetings() bool { return s.Enabled() && s.greetings }

// OutsideHours returns what to do with an event of type ev that happens
// outside office hours.
func (s *Schedule) OutsideHours(ev job.EventType) Hold {
	if s == nil {
		return HoldDigest
	}
	if h, ok := s.byEvent[ev]; ok {
		return h
	}
	return cmp.Or(s.outside, HoldDigest)
}

// Holiday reports whether d is one of the configured holidays.
func (s *Schedule) Holiday(d Date) bool { return s != nil && s.holidays[d] }

// Window returns the office hours of day d in the schedule's zone, and false
// if d is off (its weekday is "off", or it is a holiday). A schedule that is
// not enabled is open all day, every day.
func (s *Schedule) Window(d Date) (start, end time.Time, ok bool) {
	loc := s.Location()
	if !s.Enabled() {
		return wallTime(d, 0, loc), wallTime(d, 24*60, loc), true
	}
	w := s.days[d.Weekday()]
	if s.holidays[d] || w.off {
		return time.Time{}, time.Time{}, false
	}
	start = wallTime(d, w.start, loc)
	end = wallTime(d, w.end, loc) // 24:00 is the next midnight
	if !end.After(start) {
		return time.Time{}, time.Time{}, false // a window swallowed by a DST change
	}
	return start, end, true
}

// Open reports whether t is within office hours.
func (s *Schedule) Open(t time.Time) bool {
	if !s.Enabled() {
		return true
	}
	start, end, ok := s.Window(DateOf(t.In(s.Location())))
	return ok && !t.Before(start) && t.Before(end)
}

// searchDays bounds the search for the next window: a week, plus one day
// for each holiday, which can only push it further.
func (s *Schedule) searchDays() int { return 8 + len(s.holidays) }

// NextOpen returns t if office hours are open at t, else the start of the
// next window. It returns the zero time if the schedule never opens (every
// day "off").
func (s *Schedule) NextOpen(t time.Time) time.Time {
	if s.Open(t) {
		return t
	}
	d := DateOf(t.In(s.Location()))
	for i := 0; i <= s.searchDays(); i++ {
		if start, end, ok := s.Window(d.AddDays(i)); ok && end.After(t) {
			return start
		}
	}
	return time.Time{}
}

// IsLastWorkingDay reports whether the day of t (in the schedule's zone) has
// office hours and the next day has none: a Friday before a weekend, or the
// day before a holiday. kamobot says "have a good weekend" rather than "see
// you tomorrow" then. It is false when the schedule is not enabled.
func (s *Schedule) IsLastWorkingDay(t time.Time) bool {
	if !s.Enabled() {
		return false
	}
	d := DateOf(t.In(s.Location()))
	_, _, today := s.Window(d)
	_, _, tomorrow := s.Window(d.AddDays(1))
	return today && !tomorrow
}

// DaySchedule is one day of a schedule, for display.
type DaySchedule struct {
	Date    Date
	Open    bool      // the day has office hours
	Start   time.Time // zero when !Open
	End     time.Time // zero when !Open
	Holiday bool      // off because it is a holiday
}

// String returns e.g. "Mon 2026-12-28 09:00-17:00", "Tue 2026-12-29 off
// (holiday)" or "Sat 2026-01-03 off".
func (d DaySchedule) String() string {
	prefix := d.Date.Weekday().String()[:3] + " " + d.Date.String() + " "
	switch {
	case d.Holiday:
		return prefix + "off (holiday)"
	case !d.Open:
		return prefix + "off"
	}
	end := d.End.Format("15:04")
	if DateOf(d.End) != d.Date {
		end = "24:00"
	}
	return prefix + d.Start.Format("15:04") + "-" + end
}

// Week returns the seven days starting with the day of from, in the
// schedule's zone, for `kamobot config check` to show.
func (s *Schedule) Week(from time.Time) []DaySchedule {
	d := DateOf(from.In(s.Location()))
	week := make([]DaySchedule, 7)
	for i := range week {
		day := d.AddDays(i)
		start, end, ok := s.Window(day)
		week[i] = DaySchedule{Date: day, Open: ok, Start: start, End: end, Holiday: s.Holiday(day)}
	}
	return week
}
