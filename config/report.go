package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Report is [report]: when the weekly report is posted, and how long the
// ended runs it reads are kept.
type Report struct {
	// Off: no weekly report is posted (the runs are still kept for
	// `kamobot report`).
	Off bool
	// Day is the weekday it is posted on (default Monday).
	Day time.Weekday
	// AtStart posts it when office hours start that day (the default);
	// otherwise at Minutes past midnight in the schedule's zone.
	AtStart bool
	Minutes int
	// Retention is how long ended runs are kept (default 35 days, at
	// least 14: the report compares two weeks).
	Retention time.Duration
}

type reportFile struct {
	Day       *string `toml:"day"`
	Time      *string `toml:"time"`
	Retention *string `toml:"retention"`
}

// Defaults of [report].
const (
	defaultReportRetention = 35 * 24 * time.Hour
	minReportRetention     = 14 * 24 * time.Hour
	maxReportRetention     = 400 * 24 * time.Hour
	reportPeriod           = 7 * 24 * time.Hour
)

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// report checks [report], applying the defaults for missing keys.
func (c *checker) report(f *reportFile) Report {
	r := Report{Day: time.Monday, AtStart: true, Retention: defaultReportRetention}
	if f.Day != nil {
		d := strings.ToLower(strings.TrimSpace(*f.Day))
		if wd, ok := weekdays[d]; ok {
			r.Day = wd
		} else if d == "off" {
			r.Off = true
		} else {
			c.errorf("report.day", "%q is not a weekday: write \"monday\" ... \"sunday\", or \"off\"", *f.Day)
		}
	}
	if f.Time != nil {
		t := strings.ToLower(strings.TrimSpace(*f.Time))
		switch t {
		case "start":
		case "off":
			r.Off = true
		default:
			m, err := parseClock(t, false)
			if err != nil || m >= 24*60 {
				c.errorf("report.time", "%q is not a time: write \"start\" (when office hours start), \"HH:MM\", or \"off\"", *f.Time)
				break
			}
			r.AtStart, r.Minutes = false, m
		}
	}
	if f.Retention != nil {
		d, err := parseRetention(*f.Retention)
		switch {
		case err != nil:
			c.errorf("report.retention", "%v", err)
		case d < minReportRetention:
			c.errorf("report.retention", "%s is too short: the minimum is 14d (the report compares a week with the one before)", *f.Retention)
		case d > maxReportRetention:
			c.errorf("report.retention", "%s is too long: the maximum is 400d (the runs live in the state file)", *f.Retention)
		default:
			r.Retention = d
		}
	}
	return r
}

// parseRetention reads "35d" or a Go duration ("840h").
func parseRetention(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(t, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && strconv.Itoa(days) == n && days > 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration: write it in days, e.g. \"35d\"", s)
	}
	return d, nil
}

// Due returns when the report of the week holding now is posted, and that
// week's name (the date of its report day, YYYY-MM-DD), or last week's
// while that one, pushed into this week, is due and this week's is not yet.
// ok is false when reports are off. Weeks start on Monday, in the
// schedule's zone; with time = "start", a report day without office hours
// (a holiday) posts when they next open, which may be in the week after:
// that report is still due then.
func (r Report) Due(s *Schedule, now time.Time) (due time.Time, week string, ok bool) {
	if r.Off {
		return time.Time{}, "", false
	}
	due, week = r.dueOfWeek(s, now)
	if now.Before(due) {
		// Last week's report, pushed into this week by a closed report
		// day, is the one due now.
		local := now.In(s.Location())
		monday := time.Date(local.Year(), local.Month(), local.Day()-(int(local.Weekday())+6)%7, 0, 0, 0, 0, s.Location())
		if prev, pweek := r.dueOfWeek(s, now.AddDate(0, 0, -7)); !prev.Before(monday) && !now.Before(prev) {
			return prev, pweek, true
		}
	}
	return due, week, true
}

// dueOfWeek is when the report of the week holding t is posted, and the
// week's name.
func (r Report) dueOfWeek(s *Schedule, t time.Time) (time.Time, string) {
	loc := s.Location()
	local := t.In(loc)
	back := (int(local.Weekday()) + 6) % 7 // days since Monday
	monday := time.Date(local.Year(), local.Month(), local.Day()-back, 12, 0, 0, 0, loc)
	day := DateOf(monday.AddDate(0, 0, (int(r.Day)+6)%7))
	if !r.AtStart {
		return wallTime(day, r.Minutes, loc), day.String()
	}
	if start, _, open := s.Window(day); open {
		return start, day.String()
	}
	return s.NextOpen(wallTime(day, 0, loc)), day.String()
}

// DuePeriod is the period the report posted at due covers: the Period
// before due.
func (r Report) DuePeriod(due time.Time) (from, to time.Time) {
	return due.Add(-reportPeriod), due
}
