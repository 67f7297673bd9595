package config

import (
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/state"
)

// decodeWatch reads [watch], applying the defaults for missing keys.
func (d *decoder) decodeWatch(p keyPath, m map[string]any, w *Watch) {
	d.checkKeys(p, m, tableKeys("watch")...)
	dur := func(key, def string, off bool) time.Duration {
		v, ok := m[key]
		if !ok {
			v = def
		}
		got, _ := d.duration(p.key(key), v, off)
		return got
	}
	w.Interval = dur("interval", defaultInterval, false)
	switch {
	case w.Interval > 0 && w.Interval < minInterval:
		d.errorf(p.key("interval"), "%s is too short: the minimum is %s, to spare the KAMONOHASHI server", w.Interval, minInterval)
	case w.Interval > maxInterval:
		d.errorf(p.key("interval"), "%s is too long: the maximum is %s (a job that ends would be told a day late or more)",
			fmtDuration(w.Interval), fmtDuration(maxInterval))
	}
	w.StuckPendingAfter = d.alertAfter(p, m, "stuck_pending_after", defaultStuckPendingAfter)
	w.LongRunningAfter = d.alertAfter(p, m, "long_running_after", defaultLongRunningAfter)
	w.SummaryAfterSilence = d.alertAfter(p, m, "summary_after_silence", defaultSummaryAfterSilence)

	w.Kinds = api.AllKinds()
	if v, ok := m["kinds"]; ok {
		w.Kinds = d.kinds(p.key("kinds"), v)
	}
	w.Notify = defaultNotify()
	if v, ok := m["notify"]; ok {
		w.Notify = d.events(p.key("notify"), v)
	}
	for _, alert := range []struct {
		ev    state.EventType
		after time.Duration
		key   string
	}{{state.EventStuckPending, w.StuckPendingAfter, "stuck_pending_after"}, {state.EventLongRunning, w.LongRunningAfter, "long_running_after"}} {
		if v, set := m[alert.key]; set && alert.after == 0 && isOff(v) && w.Notifies(alert.ev) {
			d.warnf(p.key(alert.key), "%s is off, so the %q in notify has no effect", alert.key, alert.ev)
		}
	}
	w.NotifyFrom = defaultNotifyFrom()
	if v, ok := m["notify_from"]; ok {
		w.NotifyFrom = d.notifyFrom(p.key("notify_from"), v)
	}
	if v, ok := m["all_tenants"]; ok {
		w.AllTenants, _ = d.boolean(p.key("all_tenants"), v)
	}
}

// Bounds of the [watch] durations. Outside them a value is surely a slip
// (a unit forgotten or mistyped, a zero too many), so it is refused rather
// than obeyed: an interval of a month would look like a dead bot, an alert
// after a millisecond would fire for every job.
const (
	minInterval   = 5 * time.Second
	maxInterval   = 24 * time.Hour
	minAlertAfter = time.Minute
	maxAlertAfter = 365 * 24 * time.Hour
)

// alertAfter reads one of the optional alert durations of [watch]: "0" and
// "off" switch the alert off; anything else must lie between minAlertAfter
// and maxAlertAfter.
func (d *decoder) alertAfter(p keyPath, m map[string]any, key, def string) time.Duration {
	v, ok := m[key]
	if !ok {
		v = def
	}
	got, ok := d.duration(p.key(key), v, true)
	switch {
	case !ok || got == 0:
	case got < minAlertAfter:
		d.errorf(p.key(key), "%s is too short: the minimum is %s (or \"off\" to switch the alert off)", got, fmtDuration(minAlertAfter))
		return 0
	case got > maxAlertAfter:
		d.errorf(p.key(key), "%s is too long: the maximum is %s, a year (or \"off\" to switch the alert off)",
			fmtDuration(got), fmtDuration(maxAlertAfter))
		return 0
	}
	return got
}

// isOff reports whether v is a duration written to switch an alert off
// ("off", "0", "0s"), not one refused.
func isOff(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	d, err := parseDuration(s, true)
	return err == nil && d == 0
}

// fmtDuration writes d as a config would: "24h", "8760h", "1m", "90s",
// without Go's trailing "0m0s".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// kinds reads an array of job kinds; it returns nil after an error.
func (d *decoder) kinds(p keyPath, v any) []api.Kind {
	names, ok := d.strings(p, v)
	if !ok {
		return nil
	}
	if len(names) == 0 {
		d.errorf(p, "no kind listed: list some of training, inference, notebook, preprocessing (or remove the key for all four)")
		return nil
	}
	var kinds []api.Kind
	for i, s := range names {
		k, err := api.ParseKind(s)
		if err != nil {
			d.errorf(p.index(i), "%v", err)
			continue
		}
		kinds = append(kinds, k)
	}
	return sortKinds(kinds)
}

// events reads an array of event types; an empty array is allowed and
// posts nothing about jobs (summaries and greetings still go).
func (d *decoder) events(p keyPath, v any) []state.EventType {
	names, ok := d.strings(p, v)
	if !ok {
		return nil
	}
	var evs []state.EventType
	for i, s := range names {
		ev, err := parseEvent(s)
		if err != nil {
			d.errorf(p.index(i), "%v", err)
			continue
		}
		evs = append(evs, ev)
	}
	return sortEvents(evs)
}

// notifyFrom reads watch.notify_from; "any" gives nil (any status).
func (d *decoder) notifyFrom(p keyPath, v any) []string {
	names, ok := d.strings(p, v)
	if !ok {
		return defaultNotifyFrom()
	}
	if len(names) == 0 {
		d.errorf(p, "no status listed, so no ending would ever be posted: list statuses such as \"Running\" and \"Pending\", or \"any\"")
		return defaultNotifyFrom()
	}
	if slices.Contains(names, "any") {
		if len(names) > 1 {
			d.warnf(p, "\"any\" includes every status: the others listed are redundant")
		}
		return nil
	}
	var out []string
	for i, s := range names {
		switch {
		case strings.TrimSpace(s) == "":
			d.errorf(p.index(i), "empty status")
			continue
		case api.StatusPhase(s) == api.PhaseClosed:
			d.warnf(p.index(i), "%q is a final status: a job seen as %s has already ended, so this entry has no effect", s, s)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
