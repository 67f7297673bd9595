package config

import (
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/state"
)

// decodeSchedule reads [schedule]. Without hours or holidays the schedule
// is not enabled: always open.
func (d *decoder) decodeSchedule(p keyPath, m map[string]any) *Schedule {
	d.checkKeys(p, m, tableKeys("schedule")...)
	loc := time.Local
	if v, ok := m["timezone"]; ok {
		if s, ok := d.str(p.key("timezone"), v); ok {
			if l, err := loadLocation(s); err != nil {
				d.errorf(p.key("timezone"), "%v", err)
			} else {
				loc = l
			}
		}
	}
	hours := make(map[string]window)
	if v, ok := m["hours"]; ok {
		hp := p.key("hours")
		if hm, ok := d.table(hp, v); ok {
			d.checkKeys(hp, hm, hoursKeys()...)
			for _, k := range sortedKeys(hm) {
				if !slices.Contains(hoursKeys(), k) {
					continue
				}
				s, ok := d.str(hp.key(k), hm[k])
				if !ok {
					continue
				}
				w, err := parseWindow(s)
				if err != nil {
					d.errorf(hp.key(k), "%v", err)
					continue
				}
				hours[k] = w
			}
			d.warnOpenAllDay(hp, hm)
		}
	}
	var holidays []Date
	if v, ok := m["holidays"]; ok {
		holidays = d.holidays(p.key("holidays"), v)
	}
	outside := HoldDigest
	if v, ok := m["outside_hours"]; ok {
		if s, ok := d.str(p.key("outside_hours"), v); ok {
			h, err := ParseHold(s)
			if err != nil {
				d.errorf(p.key("outside_hours"), "%v", err)
			} else {
				outside = h
			}
		}
	}
	byEvent := make(map[state.EventType]Hold)
	if v, ok := m["outside_hours_by_event"]; ok {
		bp := p.key("outside_hours_by_event")
		if bm, ok := d.table(bp, v); ok {
			for _, k := range sortedKeys(bm) {
				ev, err := parseEvent(k)
				if err != nil {
					d.errorf(bp.key(k), "%v", err)
					continue
				}
				s, ok := d.str(bp.key(k), bm[k])
				if !ok {
					continue
				}
				h, err := ParseHold(s)
				if err != nil {
					d.errorf(bp.key(k), "%v", err)
					continue
				}
				byEvent[ev] = h
			}
		}
	}
	var greetings bool
	if v, ok := m["greetings"]; ok {
		greetings, _ = d.boolean(p.key("greetings"), v)
	}
	_, hasHours := m["hours"]
	_, hasHolidays := m["holidays"]
	enabled := hasHours || hasHolidays
	if greetings && !enabled {
		d.warnf(p.key("greetings"), "greetings need office hours: set schedule.hours")
	}
	return newSchedule(enabled, loc, hours, holidays, outside, byEvent, greetings)
}

// warnOpenAllDay warns when schedule.hours has no "default" and leaves some
// days out: they are open all day, which may surprise.
func (d *decoder) warnOpenAllDay(p keyPath, hm map[string]any) {
	if _, ok := hm["default"]; ok {
		return
	}
	var open []string
	for wd := time.Monday; ; wd = (wd + 1) % 7 {
		day := strings.ToLower(wd.String())
		group := "weekdays"
		if wd == time.Saturday || wd == time.Sunday {
			group = "weekend"
		}
		_, own := hm[day]
		_, grp := hm[group]
		if !own && !grp {
			open = append(open, day)
		}
		if wd == time.Sunday {
			break
		}
	}
	verb := "are"
	if len(open) == 1 {
		verb = "is"
	}
	if len(open) > 0 {
		d.warnf(p, "no \"default\" entry, so %s %s open all day: add default = \"off\" to close days without an entry",
			joinAnd(open), verb)
	}
}

// holidays reads an array of dates, written "2026-12-29" or as TOML dates.
func (d *decoder) holidays(p keyPath, v any) []Date {
	a, ok := d.array(p, v)
	if !ok {
		return nil
	}
	var out []Date
	for i, el := range a {
		switch el := el.(type) {
		case string:
			day, err := ParseDate(strings.TrimSpace(el))
			if err != nil {
				d.errorf(p.index(i), "%v", err)
				continue
			}
			out = append(out, day)
		case time.Time:
			if el.Location().String() != "date-local" {
				d.errorf(p.index(i), "want a date without a time, like 2026-12-29, got %s", typeName(el))
				continue
			}
			out = append(out, DateOf(el))
		default:
			d.errorf(p.index(i), "want a date like \"2026-12-29\", got %s", typeName(el))
		}
	}
	return out
}
