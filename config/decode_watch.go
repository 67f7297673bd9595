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
	if lo, _ := parseDuration(minInterval, false); w.Interval > 0 && w.Interval < lo {
		d.errorf(p.key("interval"), "%s is too short: the minimum is %s, to spare the KAMONOHASHI server", w.Interval, minInterval)
	}
	w.StuckPendingAfter = dur("stuck_pending_after", defaultStuckPendingAfter, true)
	w.LongRunningAfter = dur("long_running_after", defaultLongRunningAfter, true)
	w.SummaryAfterSilence = dur("summary_after_silence", defaultSummaryAfterSilence, true)

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
		if _, set := m[alert.key]; set && alert.after == 0 && w.Notifies(alert.ev) {
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
