package config

import (
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/state"
)

// secretRef is how the config file gives one secret: a file to read, or
// (discouraged) the value itself.
type secretRef struct {
	file     string  // *_file, resolved; "" if not given
	fileKey  keyPath // where *_file is
	value    Secret  // the inline value; "" if not given
	valueKey keyPath // where the inline value is
}

// fileConfig is what the config file says, before the environment and the
// secret files are applied.
type fileConfig struct {
	cfg      Config
	password secretRef
	webhook  secretRef
	tenants  []secretRef    // per tenant, same order as cfg.Tenants
	location *time.Location // kamonohashi.timezone, or nil
}

// fileKeys are the top-level keys of a config file.
func fileKeys() []string {
	return []string{"kamonohashi", "slack", "watch", "schedule", "tenant", "owners", "messages"}
}

// tableKeys lists the keys of each table whose keys are fixed ([owners]
// takes any user name, [messages] the message keys).
func tableKeys(table string) []string {
	switch table {
	case "kamonohashi":
		return []string{"server", "user", "password", "password_file", "ca_file", "timezone"}
	case "slack":
		return []string{"webhook", "webhook_file", "language"}
	case "watch":
		return []string{"interval", "kinds", "notify", "notify_from", "all_tenants",
			"stuck_pending_after", "long_running_after", "summary_after_silence"}
	case "schedule":
		return []string{"timezone", "hours", "holidays", "outside_hours", "outside_hours_by_event", "greetings"}
	case "tenant":
		return []string{"name", "id", "mention", "webhook", "webhook_file", "kinds", "notify"}
	}
	return nil
}

// decodeFile reads the decoded TOML tree of a config file into fc. base is
// the directory relative file names are resolved against.
func (d *decoder) decodeFile(root map[string]any, base, credDir string) *fileConfig {
	fc := &fileConfig{}
	c := &fc.cfg
	d.checkKeys(nil, root, fileKeys()...)

	get := func(name string) (keyPath, map[string]any) {
		p := keyPath{name}
		v, ok := root[name]
		if !ok {
			return p, nil
		}
		m, _ := d.table(p, v)
		return p, m
	}

	p, m := get("kamonohashi")
	d.decodeKamonohashi(p, m, base, credDir, fc)
	p, m = get("slack")
	d.decodeSlack(p, m, base, credDir, fc)
	p, m = get("watch")
	d.decodeWatch(p, m, &c.Watch)
	p, m = get("schedule")
	c.Schedule = d.decodeSchedule(p, m)
	d.decodeTenants(keyPath{"tenant"}, root["tenant"], base, credDir, fc)
	p, m = get("owners")
	c.Owners = d.decodeOwners(p, m)
	p, m = get("messages")
	c.Messages = d.decodeMessages(p, m, c.Slack.Language)
	return fc
}

func (d *decoder) decodeKamonohashi(p keyPath, m map[string]any, base, credDir string, fc *fileConfig) {
	d.checkKeys(p, m, tableKeys("kamonohashi")...)
	k := &fc.cfg.Kamonohashi
	if v, ok := m["server"]; ok {
		if s, ok := d.str(p.key("server"), v); ok && strings.TrimSpace(s) != "" {
			server, warn, err := normalizeServer(s)
			if err != nil {
				d.errorf(p.key("server"), "%v", err)
			} else if warn != "" {
				d.warnf(p.key("server"), "%s", warn)
			}
			k.Server = server
		}
	}
	if v, ok := m["user"]; ok {
		if s, ok := d.str(p.key("user"), v); ok {
			k.User = strings.TrimSpace(s)
		}
	}
	fc.password = d.decodeSecretRef(p, m, "password", base, credDir)
	if v, ok := m["ca_file"]; ok {
		if s, ok := d.str(p.key("ca_file"), v); ok && s != "" {
			path, err := resolvePath(s, base, credDir)
			if err == nil {
				err = checkCAFile(path)
			}
			if err != nil {
				d.errorf(p.key("ca_file"), "%v", err)
			}
			k.CAFile = path
		}
	}
	if v, ok := m["timezone"]; ok {
		if s, ok := d.str(p.key("timezone"), v); ok {
			if loc, err := loadLocation(s); err != nil {
				d.errorf(p.key("timezone"), "%v", err)
			} else {
				fc.location = loc
			}
		}
	}
}

// decodeSecretRef reads "<name>" and "<name>_file" from table m at p.
func (d *decoder) decodeSecretRef(p keyPath, m map[string]any, name, base, credDir string) secretRef {
	ref := secretRef{fileKey: p.key(name + "_file"), valueKey: p.key(name)}
	if v, ok := m[name+"_file"]; ok {
		if s, ok := d.str(ref.fileKey, v); ok && s != "" {
			path, err := resolvePath(s, base, credDir)
			if err != nil {
				d.errorf(ref.fileKey, "%v", err)
			}
			ref.file = path
		}
	}
	if v, ok := m[name]; ok {
		if s, ok := d.str(ref.valueKey, v); ok && s != "" {
			ref.value = Secret(s)
			if ref.file != "" {
				d.errorf(ref.valueKey, "both %s and %s_file are set: keep %s_file and remove %s", name, name, name, name)
			} else {
				d.warnf(ref.valueKey, "the %s is written in the config file: move it to a file of its own (mode 0600) named by %s_file", name, name)
			}
		}
	}
	return ref
}

func (d *decoder) decodeSlack(p keyPath, m map[string]any, base, credDir string, fc *fileConfig) {
	d.checkKeys(p, m, tableKeys("slack")...)
	fc.webhook = d.decodeSecretRef(p, m, "webhook", base, credDir)
	if !fc.webhook.value.IsZero() {
		if err := checkWebhookURL(fc.webhook.value); err != nil {
			d.errorf(fc.webhook.valueKey, "%v", err)
		}
	}
	fc.cfg.Slack.Language = "ja"
	if v, ok := m["language"]; ok {
		if s, ok := d.str(p.key("language"), v); ok {
			switch s {
			case "ja", "en":
				fc.cfg.Slack.Language = s
			default:
				d.errorf(p.key("language"), "%q is not a built-in language: want \"ja\" or \"en\"", s)
			}
		}
	}
}

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

func (d *decoder) decodeTenants(p keyPath, v any, base, credDir string, fc *fileConfig) {
	if v == nil {
		return
	}
	var entries []map[string]any
	switch v := v.(type) {
	case []map[string]any:
		entries = v
	case []any: // tenant = [{...}, {...}]
		for i, el := range v {
			m, ok := d.table(p.index(i), el)
			if !ok {
				m = map[string]any{}
			}
			entries = append(entries, m)
		}
	default:
		d.errorf(p, "want [[tenant]] tables, got %s", typeName(v))
		return
	}
	seen := make(map[string]keyPath)
	for i, m := range entries {
		tp := p.index(i)
		d.checkKeys(tp, m, tableKeys("tenant")...)
		var t Tenant
		nameV, hasName := m["name"]
		idV, hasID := m["id"]
		switch {
		case hasName && hasID:
			d.errorf(tp, "both name and id are set: keep one (the id is shown by `kamobot tenants`)")
		case !hasName && !hasID:
			d.errorf(tp, "neither name nor id is set: say which tenant this entry is about")
		case hasName:
			if s, ok := d.str(tp.key("name"), nameV); ok {
				if strings.TrimSpace(s) == "" {
					d.errorf(tp.key("name"), "empty tenant name")
				}
				t.Name = strings.TrimSpace(s)
			}
		default:
			if n, ok := d.integer(tp.key("id"), idV); ok {
				if n <= 0 {
					d.errorf(tp.key("id"), "%d is not a tenant id: ids start at 1", n)
				}
				t.ID = n
			}
		}
		if id := t.Label(); t.Name != "" || t.ID > 0 {
			if prev, dup := seen[id]; dup {
				d.errorf(tp, "tenant %s is listed twice (first at line %d): merge the two entries", id, d.where(prev).Line)
			} else {
				seen[id] = tp
			}
		}
		if mv, ok := m["mention"]; ok {
			t.Mention = d.mentions(tp.key("mention"), mv)
		}
		ref := d.decodeSecretRef(tp, m, "webhook", base, credDir)
		if !ref.value.IsZero() {
			if err := checkWebhookURL(ref.value); err != nil {
				d.errorf(ref.valueKey, "%v", err)
			}
		}
		if kv, ok := m["kinds"]; ok {
			t.Kinds = d.kinds(tp.key("kinds"), kv)
		}
		if nv, ok := m["notify"]; ok {
			t.Notify = d.events(tp.key("notify"), nv)
		}
		fc.cfg.Tenants = append(fc.cfg.Tenants, t)
		fc.tenants = append(fc.tenants, ref)
	}
}

// mentions reads an array of mentions, warning about @names.
func (d *decoder) mentions(p keyPath, v any) []Mention {
	names, ok := d.strings(p, v)
	if !ok {
		return nil
	}
	var out []Mention
	for i, s := range names {
		m, warn, err := ParseMention(s)
		if err != nil {
			d.errorf(p.index(i), "%v", err)
			continue
		}
		if warn != "" {
			d.warnf(p.index(i), "%s", warn)
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func (d *decoder) decodeOwners(p keyPath, m map[string]any) map[string]Mention {
	owners := make(map[string]Mention, len(m))
	for _, user := range sortedKeys(m) {
		op := p.key(user)
		s, ok := d.str(op, m[user])
		if !ok {
			continue
		}
		mention, warn, err := ParseMention(s)
		switch {
		case err != nil:
			d.errorf(op, "%v", err)
			continue
		case warn != "":
			d.warnf(op, "%s", warn)
		case !isUserID(string(mention)):
			d.warnf(op, "%q is not a user ID (U… or W…): the job's owner should be one person", s)
		}
		owners[user] = mention
	}
	return owners
}

func (d *decoder) decodeMessages(p keyPath, m map[string]any, lang string) Messages {
	msgs, err := BuiltinMessages(lang)
	if err != nil {
		// Only an unknown language, already reported under slack.language.
		msgs, _ = BuiltinMessages("ja")
	}
	user := make(map[string][]string)
	d.checkKeys(p, m, MessageKeys()...)
	for _, k := range sortedKeys(m) {
		if !slices.Contains(MessageKeys(), k) {
			continue
		}
		kp := p.key(k)
		phrases, ok := d.strings(kp, m[k])
		if !ok {
			continue
		}
		if len(phrases) == 0 {
			d.errorf(kp, "no phrase listed: give at least one, or remove the key to use the built-in set")
			continue
		}
		for i, s := range phrases {
			if strings.TrimSpace(s) == "" {
				d.errorf(kp.index(i), "empty phrase")
				ok = false
			}
		}
		if ok {
			user[k] = phrases
		}
	}
	return msgs.With(user)
}
