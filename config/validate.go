package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/state"
)

// checker checks a decoded config file and turns it into a Config,
// collecting every problem, with its line, instead of stopping at the first.
type checker struct {
	file  string
	pl    places
	errs  []*Error
	warns []Warning
}

// sub returns the path of key k inside the table at p.
func sub(p, k string) string {
	if !isBareKey(k) {
		k = quoteTOML(k)
	}
	if p == "" {
		return k
	}
	return p + "." + k
}

// elem returns the path of element i of the array at p.
func elem(p string, i int) string { return p + index(i) }

// where returns the position of p, or of its closest ancestor that has one.
func (c *checker) where(p string) position {
	for p != "" {
		if v, ok := c.pl[p]; ok {
			return v.pos
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return position{}
}

func (c *checker) errorf(p, format string, args ...any) {
	c.fail(p, ErrInvalid, fmt.Sprintf(format, args...))
}

func (c *checker) fail(p string, err error, msg string) {
	pos := c.where(p)
	c.errs = append(c.errs, &Error{File: c.file, Line: pos.Line, Col: pos.Col, Key: p, Msg: msg, Err: err})
}

func (c *checker) warnf(p, format string, args ...any) {
	pos := c.where(p)
	c.warns = append(c.warns, Warning{File: c.file, Line: pos.Line, Col: pos.Col, Key: p, Msg: fmt.Sprintf(format, args...)})
}

// result returns the problems found, in the order of the file.
func (c *checker) result() ([]Warning, error) {
	slices.SortStableFunc(c.warns, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	errs := make([]error, len(c.errs))
	for i, e := range c.errs {
		errs[i] = e
	}
	return c.warns, errors.Join(sortErrors(errs)...)
}

// sortErrors orders *Error values by line and column.
func sortErrors(errs []error) []error {
	pos := func(err error) (int, int) {
		var e *Error
		if errors.As(err, &e) {
			return e.Line, e.Col
		}
		return 0, 0
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		al, ac := pos(a)
		bl, bc := pos(b)
		return cmp.Or(cmp.Compare(al, bl), cmp.Compare(ac, bc))
	})
	return errs
}

// secretRef is how the config file gives one secret: a file to read, or
// (discouraged) the value itself.
type secretRef struct {
	file     string // *_file, resolved; "" if not given
	fileKey  string // where *_file is
	value    Secret // the inline value; "" if not given
	valueKey string // where the inline value is
}

// fileConfig is what the config file says, before the environment and the
// secret files are applied.
type fileConfig struct {
	cfg      Config
	password secretRef
	webhook  secretRef
	tenants  []secretRef // per tenant, same order as cfg.Tenants
}

// Defaults of [kamonohashi].
const (
	defaultTimezone    = "UTC" // the KAMONOHASHI image sets no TZ
	defaultMaxInFlight = 8
	maxMaxInFlight     = 64
)

// check validates doc and builds the configuration it describes. base is
// the directory relative file names are resolved against.
func (c *checker) check(doc *fileDoc, base, credDir string) *fileConfig {
	fc := &fileConfig{}
	c.kamonohashi(&doc.Kamonohashi, base, credDir, fc)
	c.slack(&doc.Slack, base, credDir, fc)
	c.watch(&doc.Watch, &fc.cfg.Watch)
	fc.cfg.Schedule = c.schedule(&doc.Schedule)
	c.tenants(doc.Tenant, base, credDir, fc)
	fc.cfg.Owners = c.owners(doc.Owners)
	fc.cfg.Messages = c.messages(doc.Messages, fc.cfg.Slack.Language)
	return fc
}

// kamonohashi checks [kamonohashi]. Secrets are only located here; they are
// read once the environment has had its say.
func (c *checker) kamonohashi(f *kamonohashiFile, base, credDir string, fc *fileConfig) {
	k := &fc.cfg.Kamonohashi
	if strings.TrimSpace(f.Server) != "" {
		server, warn, err := normalizeServer(f.Server)
		if err != nil {
			c.errorf("kamonohashi.server", "%v", err)
		} else if warn != "" {
			c.warnf("kamonohashi.server", "%s", warn)
		}
		k.Server = server
	}
	k.User = strings.TrimSpace(f.User)
	fc.password = c.secretRef("kamonohashi", "password", f.Password, f.PasswordFile, base, credDir)
	if f.CAFile != "" {
		path, err := resolvePath(f.CAFile, base, credDir)
		if err == nil {
			err = checkCAFile(path)
		}
		if err != nil {
			c.errorf("kamonohashi.ca_file", "%v", err)
		}
		k.CAFile = path
	}
	zone := defaultTimezone
	if f.Timezone != nil {
		zone = *f.Timezone
	}
	if loc, err := loadLocation(zone); err != nil {
		c.errorf("kamonohashi.timezone", "%v", err)
	} else {
		k.Location = loc
	}
	k.MaxInFlight = defaultMaxInFlight
	if f.MaxInFlight != nil {
		if n := *f.MaxInFlight; n < 1 || n > maxMaxInFlight {
			c.errorf("kamonohashi.max_in_flight", "%d is out of range: want 1 to %d requests at once", n, maxMaxInFlight)
		} else {
			k.MaxInFlight = int(n)
		}
	}
}

// secretRef checks "<name>" and "<name>_file" of the table at p.
func (c *checker) secretRef(p, name, value, file, base, credDir string) secretRef {
	ref := secretRef{fileKey: sub(p, name+"_file"), valueKey: sub(p, name)}
	if file != "" {
		path, err := resolvePath(file, base, credDir)
		if err != nil {
			c.errorf(ref.fileKey, "%v", err)
		}
		ref.file = path
	}
	if value != "" {
		ref.value = Secret(value)
		if ref.file != "" {
			c.errorf(ref.valueKey, "both %s and %s_file are set: keep %s_file and remove %s", name, name, name, name)
		} else {
			c.warnf(ref.valueKey, "the %s is written in the config file: move it to a file of its own (mode 0600) named by %s_file", name, name)
		}
	}
	return ref
}

// slack checks [slack].
func (c *checker) slack(f *slackFile, base, credDir string, fc *fileConfig) {
	fc.webhook = c.secretRef("slack", "webhook", f.Webhook, f.WebhookFile, base, credDir)
	if !fc.webhook.value.IsZero() {
		if err := checkWebhookURL(fc.webhook.value); err != nil {
			c.errorf(fc.webhook.valueKey, "%v", err)
		}
	}
	fc.cfg.Slack.Language = "ja"
	if f.Language != nil {
		switch s := *f.Language; s {
		case "ja", "en":
			fc.cfg.Slack.Language = s
		default:
			c.errorf("slack.language", "%q is not a built-in language: want \"ja\" or \"en\"", s)
		}
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

// watch checks [watch], applying the defaults for missing keys.
func (c *checker) watch(f *watchFile, w *Watch) {
	interval := cmp.Or(f.Interval, ptr(defaultInterval))
	if d, err := parseDuration(*interval, false); err != nil {
		c.errorf("watch.interval", "%v", err)
	} else {
		w.Interval = d
	}
	switch {
	case w.Interval > 0 && w.Interval < minInterval:
		c.errorf("watch.interval", "%s is too short: the minimum is %s, to spare the KAMONOHASHI server", w.Interval, minInterval)
	case w.Interval > maxInterval:
		c.errorf("watch.interval", "%s is too long: the maximum is %s (a job that ends would be told a day late or more)",
			fmtDuration(w.Interval), fmtDuration(maxInterval))
	}
	w.StuckPendingAfter = c.alertAfter("stuck_pending_after", f.StuckPendingAfter, defaultStuckPendingAfter)
	w.LongRunningAfter = c.alertAfter("long_running_after", f.LongRunningAfter, defaultLongRunningAfter)
	w.SummaryAfterSilence = c.alertAfter("summary_after_silence", f.SummaryAfterSilence, defaultSummaryAfterSilence)

	w.Kinds = api.AllKinds()
	if f.Kinds != nil {
		w.Kinds = c.kinds("watch.kinds", *f.Kinds)
	}
	w.Notify = defaultNotify()
	if f.Notify != nil {
		w.Notify = c.events("watch.notify", *f.Notify)
	}
	for _, alert := range []struct {
		ev    state.EventType
		after time.Duration
		key   string
		set   *string
	}{
		{state.EventStuckPending, w.StuckPendingAfter, "stuck_pending_after", f.StuckPendingAfter},
		{state.EventLongRunning, w.LongRunningAfter, "long_running_after", f.LongRunningAfter},
	} {
		if alert.set != nil && alert.after == 0 && isOff(*alert.set) && w.Notifies(alert.ev) {
			c.warnf("watch."+alert.key, "%s is off, so the %q in notify has no effect", alert.key, alert.ev)
		}
	}
	w.NotifyFrom = defaultNotifyFrom()
	if f.NotifyFrom != nil {
		w.NotifyFrom = c.notifyFrom("watch.notify_from", *f.NotifyFrom)
	}
	w.AllTenants = f.AllTenants
}

func ptr[T any](v T) *T { return &v }

// alertAfter checks one of the optional alert durations of [watch]: "0" and
// "off" switch the alert off; anything else must lie between minAlertAfter
// and maxAlertAfter.
func (c *checker) alertAfter(key string, v *string, def string) time.Duration {
	p := "watch." + key
	got, err := parseDuration(*cmp.Or(v, &def), true)
	switch {
	case err != nil:
		c.errorf(p, "%v", err)
		return 0
	case got == 0:
	case got < minAlertAfter:
		c.errorf(p, "%s is too short: the minimum is %s (or \"off\" to switch the alert off)", got, fmtDuration(minAlertAfter))
		return 0
	case got > maxAlertAfter:
		c.errorf(p, "%s is too long: the maximum is %s, a year (or \"off\" to switch the alert off)",
			fmtDuration(got), fmtDuration(maxAlertAfter))
		return 0
	}
	return got
}

// kinds checks an array of job kinds.
func (c *checker) kinds(p string, names []string) []api.Kind {
	if len(names) == 0 {
		c.errorf(p, "no kind listed: list some of training, inference, notebook, preprocessing (or remove the key for all four)")
		return nil
	}
	return parseEach(c, p, names, api.ParseKind, api.AllKinds())
}

// events checks an array of event types; an empty array is allowed and
// posts nothing about jobs (summaries and greetings still go).
func (c *checker) events(p string, names []string) []state.EventType {
	return parseEach(c, p, names, parseEvent, state.AllEventTypes())
}

// parseEach parses each element of the array at p, reporting the ones
// parse refuses, and returns the others in the order of all, without
// duplicates.
func parseEach[T comparable](c *checker, p string, names []string, parse func(string) (T, error), all []T) []T {
	var got []T
	for i, s := range names {
		v, err := parse(s)
		if err != nil {
			c.errorf(elem(p, i), "%v", err)
			continue
		}
		got = append(got, v)
	}
	out := []T{}
	for _, v := range all {
		if slices.Contains(got, v) {
			out = append(out, v)
		}
	}
	return out
}

// notifyFrom checks watch.notify_from; "any" gives nil (any status).
func (c *checker) notifyFrom(p string, names []string) []string {
	if len(names) == 0 {
		c.errorf(p, "no status listed, so no ending would ever be posted: list statuses such as \"Running\" and \"Pending\", or \"any\"")
		return defaultNotifyFrom()
	}
	if slices.Contains(names, "any") {
		if len(names) > 1 {
			c.warnf(p, "\"any\" includes every status: the others listed are redundant")
		}
		return nil
	}
	var out []string
	for i, s := range names {
		switch {
		case strings.TrimSpace(s) == "":
			c.errorf(elem(p, i), "empty status")
			continue
		case api.StatusPhase(s) == api.PhaseClosed:
			c.warnf(elem(p, i), "%q is a final status: a job seen as %s has already ended, so this entry has no effect", s, s)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// schedule checks [schedule]. Without hours or holidays the schedule is not
// enabled: always open.
func (c *checker) schedule(f *scheduleFile) *Schedule {
	loc, err := loadLocation(f.Timezone)
	if err != nil {
		c.errorf("schedule.timezone", "%v", err)
		loc = time.Local
	}
	hours := make(map[string]window)
	for _, k := range sortedKeys(f.Hours) {
		p := sub("schedule.hours", k)
		if !slices.Contains(hoursKeys(), k) {
			c.errorf(p, "%s", unknownKeyMsg([]string{"schedule", "hours"}, k, hoursKeys()))
			continue
		}
		w, err := parseWindow(f.Hours[k])
		if err != nil {
			c.errorf(p, "%v", err)
			continue
		}
		hours[k] = w
	}
	if f.Hours != nil {
		c.warnOpenAllDay(f.Hours)
	}
	s := &Schedule{enabled: f.Hours != nil || f.Holidays != nil, loc: loc, days: resolveDays(hours),
		holidays: make(map[Date]bool), outside: HoldDigest, byEvent: make(map[state.EventType]Hold), greetings: f.Greetings}
	for i, el := range f.Holidays {
		if d, err := holiday(el); err != nil {
			c.errorf(elem("schedule.holidays", i), "%v", err)
		} else {
			s.holidays[d] = true
		}
	}
	if f.OutsideHours != nil {
		if s.outside, err = ParseHold(*f.OutsideHours); err != nil {
			c.errorf("schedule.outside_hours", "%v", err)
		}
	}
	for _, k := range sortedKeys(f.OutsideHoursByEvent) {
		p := sub("schedule.outside_hours_by_event", k)
		ev, err := parseEvent(k)
		if err != nil {
			c.errorf(p, "%v", err)
			continue
		}
		h, err := ParseHold(f.OutsideHoursByEvent[k])
		if err != nil {
			c.errorf(p, "%v", err)
			continue
		}
		s.byEvent[ev] = h
	}
	if f.Greetings && !s.enabled {
		c.warnf("schedule.greetings", "greetings need office hours: set schedule.hours")
	}
	return s
}

// holiday reads a date written "2026-12-29" or as a TOML date.
func holiday(v any) (Date, error) {
	switch v := v.(type) {
	case string:
		return ParseDate(strings.TrimSpace(v))
	case toml.LocalDate:
		return Date{v.Year, time.Month(v.Month), v.Day}, nil
	case toml.LocalDateTime, time.Time:
		return Date{}, errors.New("want a date without a time, like 2026-12-29, got a date-time")
	case toml.LocalTime:
		return Date{}, errors.New("want a date without a time, like 2026-12-29, got a time")
	}
	return Date{}, fmt.Errorf("want a date like \"2026-12-29\", got %s", typeName(v))
}

// typeName names the TOML type of a value decoded into an any.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

// warnOpenAllDay warns when schedule.hours has no "default" and leaves some
// days out: they are open all day, which may surprise.
func (c *checker) warnOpenAllDay(hours map[string]string) {
	if _, ok := hours["default"]; ok {
		return
	}
	var open []string
	for wd := time.Monday; ; wd = (wd + 1) % 7 {
		day := strings.ToLower(wd.String())
		group := "weekdays"
		if wd == time.Saturday || wd == time.Sunday {
			group = "weekend"
		}
		_, own := hours[day]
		_, grp := hours[group]
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
		c.warnf("schedule.hours", "no \"default\" entry, so %s %s open all day: add default = \"off\" to close days without an entry",
			joinAnd(open), verb)
	}
}

// tenants checks the [[tenant]] entries (or tenant = [{...}, ...]), each
// naming one tenant by name or by id, never both.
func (c *checker) tenants(entries []tenantFile, base, credDir string, fc *fileConfig) {
	seen := make(map[string]string)
	for i, f := range entries {
		tp := elem("tenant", i)
		t := Tenant{Line: c.where(tp).Line}
		switch {
		case f.Name != nil && f.ID != nil:
			c.errorf(tp, "both name and id are set: keep one (the id is shown by `kamobot tenants`)")
		case f.Name == nil && f.ID == nil:
			c.errorf(tp, "neither name nor id is set: say which tenant this entry is about")
		case f.Name != nil:
			t.Name = strings.TrimSpace(*f.Name)
			if t.Name == "" {
				c.errorf(tp+".name", "empty tenant name")
			}
		default:
			if t.ID = *f.ID; t.ID <= 0 {
				c.errorf(tp+".id", "%d is not a tenant id: ids start at 1", t.ID)
			}
		}
		if id := t.Label(); t.Name != "" || t.ID > 0 {
			if prev, dup := seen[id]; dup {
				c.errorf(tp, "tenant %s is listed twice (first at line %d): merge the two entries", id, c.where(prev).Line)
			} else {
				seen[id] = tp
			}
		}
		t.Mention = c.mentions(tp+".mention", f.Mention)
		ref := c.secretRef(tp, "webhook", f.Webhook, f.WebhookFile, base, credDir)
		if !ref.value.IsZero() {
			if err := checkWebhookURL(ref.value); err != nil {
				c.errorf(ref.valueKey, "%v", err)
			}
		}
		if f.Kinds != nil {
			t.Kinds = c.kinds(tp+".kinds", *f.Kinds)
		}
		if f.Notify != nil {
			t.Notify = c.events(tp+".notify", *f.Notify)
		}
		fc.cfg.Tenants = append(fc.cfg.Tenants, t)
		fc.tenants = append(fc.tenants, ref)
	}
}

// mentions checks an array of mentions, warning about @names.
func (c *checker) mentions(p string, names []string) []Mention {
	var out []Mention
	for i, s := range names {
		m, warn, err := ParseMention(s)
		if err != nil {
			c.errorf(elem(p, i), "%v", err)
			continue
		}
		if warn != "" {
			c.warnf(elem(p, i), "%s", warn)
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// owners checks [owners]: KAMONOHASHI user names to Slack user IDs.
func (c *checker) owners(m map[string]string) map[string]Mention {
	owners := make(map[string]Mention, len(m))
	for _, user := range sortedKeys(m) {
		p := sub("owners", user)
		s := m[user]
		mention, warn, err := ParseMention(s)
		switch {
		case err != nil:
			c.errorf(p, "%v", err)
			continue
		case warn != "":
			c.warnf(p, "%s", warn)
		case !isUserID(string(mention)):
			c.warnf(p, "%q is not a user ID (U… or W…): the job's owner should be one person", s)
		}
		owners[user] = mention
	}
	return owners
}

// messages checks [messages]: each set replaces the built-in one.
func (c *checker) messages(m map[string][]string, lang string) Messages {
	msgs, err := BuiltinMessages(lang)
	if err != nil {
		// Only an unknown language, already reported under slack.language.
		msgs, _ = BuiltinMessages("ja")
	}
	user := make(map[string][]string)
	for _, k := range sortedKeys(m) {
		p := sub("messages", k)
		phrases := m[k]
		switch {
		case !slices.Contains(MessageKeys(), k):
			c.errorf(p, "%s", unknownKeyMsg([]string{"messages"}, k, MessageKeys()))
			continue
		case len(phrases) == 0:
			c.errorf(p, "no phrase listed: give at least one, or remove the key to use the built-in set")
			continue
		}
		ok := true
		for i, s := range phrases {
			if strings.TrimSpace(s) == "" {
				c.errorf(elem(p, i), "empty phrase")
				ok = false
			}
		}
		if ok {
			user[k] = phrases
		}
	}
	return msgs.With(user)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// isOff reports whether s is a duration written to switch an alert off
// ("off", "0", "0s"), not one refused.
func isOff(s string) bool {
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

// parseDuration reads a Go duration; with off true, "0" and "off" mean 0.
func parseDuration(s string, off bool) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if off && (t == "off" || t == "0") {
		return 0, nil
	}
	dur, err := time.ParseDuration(t)
	if err != nil {
		hint := `like "30s", "15m" or "2h"`
		if strings.HasSuffix(t, "d") {
			hint = `in hours, e.g. "48h" for two days`
		}
		if off {
			hint += `, or "off"`
		}
		return 0, fmt.Errorf("%q is not a duration: write it %s", s, hint)
	}
	if dur < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	if dur == 0 && !off {
		return 0, fmt.Errorf("%q must be more than zero", s)
	}
	return dur, nil
}
