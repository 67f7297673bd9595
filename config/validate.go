package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// checker checks a decoded config file and turns it into a Config,
// collecting every problem, with its line, instead of stopping at the first.
type checker struct {
	file    string
	base    string // the directory relative file names are resolved against
	credDir string // $CREDENTIALS_DIRECTORY
	env     func(string) string
	pl      places
	errs    []*Error
	warns   []Warning

	cfg Config
	// The secrets as the config file gives them; they are read once the
	// environment has had its say.
	password, webhook, botToken, appToken secretRef
	tenantHooks                           []secretRef // same order as cfg.Tenants
}

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
	return c.warns, errors.Join(sortErrors(c.errs)...)
}

// sortErrors orders errs by line and column.
func sortErrors(errs []*Error) []error {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}

// secretRef is how the config file gives one secret: a file to read, or
// (discouraged) the value itself.
type secretRef struct {
	file     string             // *_file, resolved; "" if not given
	fileKey  string             // where *_file is
	value    Secret             // the inline value; "" if not given
	valueKey string             // where the inline value is
	check    func(Secret) error // checks the value, wherever it is read from; nil: any
}

// Defaults of [kamonohashi].
const (
	defaultTimezone    = "UTC" // the KAMONOHASHI image sets no TZ
	defaultMaxInFlight = 8
	maxMaxInFlight     = 64
)

// check validates doc and builds the configuration it describes in c.cfg.
func (c *checker) check(doc *fileDoc) {
	c.kamonohashi(&doc.Kamonohashi)
	c.slack(&doc.Slack)
	c.watch(&doc.Watch)
	c.cfg.Schedule = c.schedule(&doc.Schedule)
	c.cfg.Report = c.report(&doc.Report)
	c.tenants(doc.Tenant)
	c.cfg.Owners = c.owners(doc.Owners)
	c.cfg.Messages = c.messages(doc.Messages, c.cfg.Slack.Language)
}

// kamonohashi checks [kamonohashi]. Secrets are only located here; they are
// read once the environment has had its say.
func (c *checker) kamonohashi(f *kamonohashiFile) {
	k := &c.cfg.Kamonohashi
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
	c.password = c.secretRef("kamonohashi", "password", f.Password, f.PasswordFile, nil)
	if f.CAFile != "" {
		path, err := resolvePath(f.CAFile, c.base, c.credDir)
		if err == nil {
			err = checkCAFile(path)
		}
		if err != nil {
			c.errorf("kamonohashi.ca_file", "%v", err)
		}
		k.CAFile = path
	}
	if loc, err := loadLocation(*cmp.Or(f.Timezone, ptr(defaultTimezone))); err != nil {
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

// secretRef checks "<name>" and "<name>_file" of the table at p, and an
// inline value with check.
func (c *checker) secretRef(p, name, value, file string, check func(Secret) error) secretRef {
	ref := secretRef{fileKey: sub(p, name+"_file"), valueKey: sub(p, name), check: check}
	if file != "" {
		path, err := resolvePath(file, c.base, c.credDir)
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
		if check != nil {
			if err := check(ref.value); err != nil {
				c.errorf(ref.valueKey, "%v", err)
			}
		}
	}
	return ref
}

// slack checks [slack].
func (c *checker) slack(f *slackFile) {
	c.webhook = c.secretRef("slack", "webhook", f.Webhook, f.WebhookFile, checkWebhookURL)
	c.slackApp(f)
	c.cfg.Slack.Language = c.oneOf("slack.language", f.Language, "ja", "%q is not a built-in language: want \"ja\" or \"en\"", Languages()...)
}

// oneOf returns *v, or def when v is nil; a value not in allowed is
// reported with msg, which formats it, and gives def.
func (c *checker) oneOf(p string, v *string, def, msg string, allowed ...string) string {
	if v == nil || slices.Contains(allowed, *v) {
		return *cmp.Or(v, &def)
	}
	c.errorf(p, msg, *v)
	return def
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
func (c *checker) watch(f *watchFile) {
	w := &c.cfg.Watch
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
	w.Kinds = c.kinds("watch.kinds", f.Kinds, api.AllKinds())
	w.Notify = c.events("watch.notify", f.Notify, defaultNotify())
	w.StuckPendingAfter = c.alertAfter("stuck_pending_after", f.StuckPendingAfter, defaultStuckPendingAfter, job.EventStuckPending)
	w.LongRunningAfter = c.alertAfter("long_running_after", f.LongRunningAfter, defaultLongRunningAfter, job.EventLongRunning)
	w.SummaryAfterSilence = c.alertAfter("summary_after_silence", f.SummaryAfterSilence, defaultSummaryAfterSilence, "")
	w.NotifyFrom = c.notifyFrom("watch.notify_from", f.NotifyFrom)
	w.AllTenants = f.AllTenants
	c.team(f, &w.Team)
}

func ptr[T any](v T) *T { return &v }

// alertAfter checks one of the optional alert durations of [watch]: "0" and
// "off" switch the alert off, and then its event ev (if any) in
// watch.notify, already read, is warned about; anything else must lie
// between minAlertAfter and maxAlertAfter.
func (c *checker) alertAfter(key string, v *string, def string, ev job.EventType) time.Duration {
	p := "watch." + key
	got, err := parseDuration(*cmp.Or(v, &def), true)
	switch {
	case err != nil:
		c.errorf(p, "%v", err)
		return 0
	case got == 0:
		if c.cfg.Watch.Notifies(ev) {
			c.warnf(p, "%s is off, so the %q in notify has no effect", key, ev)
		}
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

// kinds checks the array of job kinds at p; def when it is not given.
func (c *checker) kinds(p string, names *[]string, def []api.Kind) []api.Kind {
	if names == nil {
		return def
	}
	if len(*names) == 0 {
		c.errorf(p, "no kind listed: list some of training, inference, notebook, preprocessing (or remove the key for all four)")
		return nil
	}
	return parseEach(c, p, *names, api.ParseKind, api.AllKinds())
}

// events checks the array of event types at p; def when it is not given.
// An empty array is allowed and posts nothing about jobs (summaries and
// greetings still go).
func (c *checker) events(p string, names *[]string, def []job.EventType) []job.EventType {
	if names == nil {
		return def
	}
	return parseEach(c, p, *names, parseEvent, job.AllEventTypes())
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
	return slices.DeleteFunc(slices.Clone(all), func(v T) bool { return !slices.Contains(got, v) })
}

// notifyFrom checks watch.notify_from, if given; "any" gives nil (any
// status).
func (c *checker) notifyFrom(p string, given *[]string) []string {
	if given == nil {
		return defaultNotifyFrom()
	}
	names := *given
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
