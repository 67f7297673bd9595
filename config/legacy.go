package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// LegacySecrets are the secrets found in the old bot's secure.json. The
// TOML that ImportLegacy writes refers to them by file name, relative to
// the config file: the caller writes each non-empty secret to that name in
// the config file's directory, with mode 0600.
type LegacySecrets struct {
	Password     Secret // KAMONOHASHI.Application.Password
	PasswordFile string // the password_file the TOML names
	Webhook      Secret // SlackURI
	WebhookFile  string // the webhook_file the TOML names
}

// The file names ImportLegacy's TOML gives the secrets.
const (
	legacyPasswordFile = "kamonohashi-password"
	legacyWebhookFile  = "slack-webhook"
)

// legacyMessageKeys maps the old message.json keys to kamobot's. An empty
// value means the set is dropped.
func legacyMessageKeys() map[string]string {
	return map[string]string{
		"Completed":           MsgCompleted,
		"Killed":              MsgKilled,
		"UserCanceled":        MsgCanceled,
		"Unknown":             MsgUnknown,
		"System.Enter":        MsgEnter,
		"System.Leave":        MsgLeave,
		"System.Leave.Friday": MsgLeaveFriday,
		"System.Leave.Silent": MsgLeaveQuiet,
		"System.Unknown":      "",
	}
}

// legacyDays are the weekday keys of the old config.json, Monday first.
func legacyDays() []time.Weekday {
	return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
}

// ImportLegacy translates the old Python bot's config.json, secure.json and
// message.json (any of them may be nil, when absent) into a kamobot config
// file. Every field is translated, or reported in a warning saying why not:
//
//   - Watch.Default and the weekday entries become schedule.hours. A day
//     without an entry takes Default (the old bot's code instead leaked the
//     previous weekday's entry into it); when Default.Active is false those
//     days are "off", with a warning.
//   - Watch.Default.Tenant becomes [[tenant]] entries by id; Tenant.<id>.ByName
//     becomes their mention lists, with a warning per name, since Slack only
//     mentions user IDs now.
//   - Polling becomes watch.interval (raised to 5s if lower, with a warning).
//   - KAMONOHASHI.Server (its "/#/" stripped) and Application.Username become
//     kamonohashi.server and user; the password and SlackURI are returned in
//     secrets, and the TOML names the files to write them to.
//   - Message sets become [messages] (System.Unknown is dropped: kamobot
//     reports its own errors in its log).
//
// A placeholder of the old templates left in a file, such as (TenantIDs),
// is an error with its line and column. All errors are returned joined, as
// *Error values; on error tomlText is nil.
func ImportLegacy(configJSON, secureJSON, messageJSON []byte) (tomlText []byte, secrets LegacySecrets, warnings []Warning, err error) {
	if configJSON == nil && secureJSON == nil && messageJSON == nil {
		return nil, LegacySecrets{}, nil, fmt.Errorf("nothing to import: config.json, secure.json and message.json are all missing")
	}
	im := &importer{out: legacyConfig{hours: map[string]string{}}}
	if configJSON != nil {
		im.readConfig(jsonFile{name: "config.json", src: configJSON})
	}
	if secureJSON != nil {
		im.readSecure(jsonFile{name: "secure.json", src: secureJSON})
	}
	if messageJSON != nil {
		im.readMessages(jsonFile{name: "message.json", src: messageJSON})
	}
	if err := errors.Join(im.errs...); err != nil {
		return nil, LegacySecrets{}, im.warns, err
	}
	text := im.out.toml()
	var check map[string]any
	if _, err := toml.Decode(string(text), &check); err != nil {
		return nil, LegacySecrets{}, im.warns, fmt.Errorf("the translated config is not valid TOML (a bug in kamobot): %w", err)
	}
	secrets = im.secrets
	if !secrets.Password.IsZero() {
		secrets.PasswordFile = legacyPasswordFile
	}
	if !secrets.Webhook.IsZero() {
		secrets.WebhookFile = legacyWebhookFile
	}
	return text, secrets, im.warns, nil
}

// importer collects the translation and its problems.
type importer struct {
	out     legacyConfig
	secrets LegacySecrets
	errs    []error
	warns   []Warning
}

// legacyConfig is the translated configuration, ready to be written.
type legacyConfig struct {
	server, user       string
	password, webhook  bool
	interval           string
	pollingNote        string
	hours              map[string]string // "default" and weekday names
	hoursNote          []string
	tenants            []legacyTenant
	allTenants         bool
	messages           map[string][]string
	messageSources     map[string]string
	scheduleConfigured bool
}

type legacyTenant struct {
	id       int64
	mention  []Mention
	comments []string
	listed   bool // in Watch.Default.Tenant
}

func (im *importer) fail(e *Error) { im.errs = append(im.errs, e) }

func (im *importer) warn(f jsonFile, n *jnode, key, format string, args ...any) {
	w := Warning{File: f.name, Key: key, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		w.Line = f.pos(n.off).Line
	}
	im.warns = append(im.warns, w)
}

// object checks that n is an object and warns about fields not in known.
func (im *importer) object(f jsonFile, n *jnode, key string, known ...string) bool {
	if n == nil {
		return false
	}
	if !n.object {
		im.fail(f.errorAt(n, key, "want an object, got %s", n.kind()))
		return false
	}
	for _, fld := range n.obj {
		if !slices.Contains(known, fld.key) {
			im.warn(f, fld.val, joinKey(key, fld.key), "unknown field, not translated")
		}
	}
	return true
}

func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (im *importer) boolean(f jsonFile, n *jnode, key string) (bool, bool) {
	b, ok := n.val.(bool)
	if !ok || n.object || n.array {
		im.fail(f.errorAt(n, key, "want true or false, got %s", n.kind()))
	}
	return b, ok
}

func (im *importer) integer(f jsonFile, n *jnode, key string) (int64, bool) {
	num, ok := n.val.(json.Number)
	if !ok || n.object || n.array {
		im.fail(f.errorAt(n, key, "want a whole number, got %s", n.kind()))
		return 0, false
	}
	v, err := num.Int64()
	if err != nil {
		im.fail(f.errorAt(n, key, "want a whole number, got %s", num))
		return 0, false
	}
	return v, true
}

func (im *importer) str(f jsonFile, n *jnode, key string) (string, bool) {
	s, ok := n.val.(string)
	if !ok || n.object || n.array {
		im.fail(f.errorAt(n, key, "want a string, got %s", n.kind()))
	}
	return s, ok
}

// readConfig translates config.json.
func (im *importer) readConfig(f jsonFile) {
	root, err := f.parse()
	if err != nil {
		im.errs = append(im.errs, err)
		return
	}
	if !im.object(f, root, "", "Watch", "Tenant", "Polling") {
		return
	}
	im.readWatch(f, root.field("Watch"))
	im.readTenants(f, root.field("Tenant"))
	if n := root.field("Polling"); n != nil {
		im.readPolling(f, n)
	}
}

// legacyDay is one entry of Watch: Default or a weekday.
type legacyDay struct {
	node         *jnode
	active       *bool
	enter, leave *int64
}

func (im *importer) readDay(f jsonFile, n *jnode, key string, isDefault bool) (legacyDay, bool) {
	d := legacyDay{node: n}
	known := []string{"Active", "Enter", "Leave", "Tenant"}
	if !im.object(f, n, key, known...) {
		return d, false
	}
	errs := len(im.errs)
	if v := n.field("Active"); v != nil {
		if b, ok := im.boolean(f, v, key+".Active"); ok {
			d.active = &b
		}
	}
	for _, hk := range []struct {
		name string
		dst  **int64
	}{{"Enter", &d.enter}, {"Leave", &d.leave}} {
		v := n.field(hk.name)
		if v == nil {
			continue
		}
		if h, ok := im.integer(f, v, key+"."+hk.name); ok {
			if h < 0 || h > 24 {
				im.fail(f.errorAt(v, key+"."+hk.name, "%d is not an hour (0 to 24)", h))
				continue
			}
			*hk.dst = &h
		}
	}
	if v := n.field("Tenant"); v != nil && !isDefault {
		im.warn(f, v, key+".Tenant", "not translated: the old bot never used per-day tenant lists; the tenants come from Watch.Default.Tenant")
	}
	return d, len(im.errs) == errs
}

// window formats a day's hours, taking what it lacks from def. When def
// is known to be wrong (defBad), a day that needs it is skipped quietly:
// the problem has been reported once already.
func (im *importer) window(f jsonFile, d, def legacyDay, key string, defBad bool) (string, bool) {
	if defBad && (d.active == nil || *d.active && (d.enter == nil || d.leave == nil)) {
		return "", false
	}
	active := true
	if d.active != nil {
		active = *d.active
	} else if def.active != nil {
		active = *def.active
	}
	if !active {
		return "off", true
	}
	enter, leave := d.enter, d.leave
	if enter == nil {
		enter = def.enter
	}
	if leave == nil {
		leave = def.leave
	}
	if enter == nil || leave == nil {
		im.fail(f.errorAt(d.node, key, "active, but Enter or Leave is missing (here and in Watch.Default)"))
		return "", false
	}
	if *leave <= *enter {
		im.fail(f.errorAt(d.node, key, "Leave (%d) is not after Enter (%d): kamobot's office hours cannot run overnight", *leave, *enter))
		return "", false
	}
	return fmt.Sprintf("%02d:00-%02d:00", *enter, *leave), true
}

func (im *importer) readWatch(f jsonFile, n *jnode) {
	if n == nil {
		return
	}
	known := []string{"Default"}
	for _, wd := range legacyDays() {
		known = append(known, wd.String())
	}
	if !im.object(f, n, "Watch", known...) {
		return
	}
	im.out.scheduleConfigured = true
	defNode := n.field("Default")
	var def legacyDay
	defBad := false // Default has an error already reported
	if defNode != nil {
		var ok bool
		def, ok = im.readDay(f, defNode, "Watch.Default", true)
		if !ok {
			defBad = true
		} else if w, ok := im.window(f, def, legacyDay{}, "Watch.Default", false); ok {
			im.out.hours["default"] = w
		}
		if t := defNode.field("Tenant"); t != nil {
			im.readTenantList(f, t)
		}
	}
	var missing []string
	for _, wd := range legacyDays() {
		key := "Watch." + wd.String()
		dn := n.field(wd.String())
		if dn == nil {
			missing = append(missing, strings.ToLower(wd.String()))
			continue
		}
		d, ok := im.readDay(f, dn, key, false)
		if !ok {
			continue
		}
		if w, ok := im.window(f, d, def, key, defBad); ok {
			im.out.hours[strings.ToLower(wd.String())] = w
		}
	}
	im.out.hoursNote = append(im.out.hoursNote,
		"Translated from Watch in config.json. The old bot's code copied each weekday's",
		"entry into its shared Default entry, so a day without an entry of its own",
		"inherited whatever day came before it. kamobot gives such days the Default",
		"entry, and nothing else.")
	switch {
	case len(missing) == 0:
	case defNode == nil:
		im.warn(f, n, "Watch", "no Default entry: %s, which have no entry, are open all day", joinAnd(missing))
	case def.active != nil && !*def.active:
		im.warn(f, defNode.field("Active"), "Watch.Default.Active", "false: %s, which have no entry of their own, are off (the old bot's code leaked the previous weekday's settings into them instead)", joinAnd(missing))
	}
}

// readTenantList reads Watch.Default.Tenant, the ids of the tenants to watch.
func (im *importer) readTenantList(f jsonFile, n *jnode) {
	if !n.array {
		im.fail(f.errorAt(n, "Watch.Default.Tenant", "want a list of tenant ids like [1, 2], got %s", n.kind()))
		return
	}
	for i, el := range n.arr {
		key := fmt.Sprintf("Watch.Default.Tenant[%d]", i)
		id, ok := im.integer(f, el, key)
		if !ok {
			continue
		}
		if id <= 0 {
			im.fail(f.errorAt(el, key, "%d is not a tenant id", id))
			continue
		}
		if im.tenant(id) != nil {
			continue
		}
		im.out.tenants = append(im.out.tenants, legacyTenant{id: id, listed: true})
	}
}

func (im *importer) tenant(id int64) *legacyTenant {
	for i := range im.out.tenants {
		if im.out.tenants[i].id == id {
			return &im.out.tenants[i]
		}
	}
	return nil
}

// readTenants reads Tenant, the per-tenant mention lists.
func (im *importer) readTenants(f jsonFile, n *jnode) {
	if n == nil {
		return
	}
	if !n.object {
		im.fail(f.errorAt(n, "Tenant", "want an object of tenant ids, got %s", n.kind()))
		return
	}
	anyListed := len(im.out.tenants) > 0
	for _, fld := range n.obj {
		key := "Tenant." + fld.key
		id, err := strconv.ParseInt(strings.TrimSpace(fld.key), 10, 64)
		if err != nil || id <= 0 {
			if ph, name, ok := placeholderAt([]byte(fld.key)); ok {
				im.fail(f.errorAt(fld.val, key, "the template placeholder %s must be filled in: %s", ph, placeholderHint(name)))
			} else {
				im.fail(f.errorAt(fld.val, key, "%q is not a tenant id", fld.key))
			}
			continue
		}
		if !im.object(f, fld.val, key, "ByName") {
			continue
		}
		t := im.tenant(id)
		if t == nil {
			im.out.tenants = append(im.out.tenants, legacyTenant{id: id, listed: !anyListed})
			t = &im.out.tenants[len(im.out.tenants)-1]
			if anyListed {
				im.warn(f, fld.val, key, "tenant %d is not in Watch.Default.Tenant, so it is not watched; its entry is written commented out", id)
			}
		}
		names := fld.val.field("ByName")
		if names == nil {
			continue
		}
		if !names.array {
			im.fail(f.errorAt(names, key+".ByName", "want a list of names, got %s", names.kind()))
			continue
		}
		for i, el := range names.arr {
			nk := fmt.Sprintf("%s.ByName[%d]", key, i)
			s, ok := im.str(f, el, nk)
			if !ok {
				continue
			}
			m, _, err := ParseMention(s)
			switch {
			case err != nil:
				im.warn(f, el, nk, "not translated: %v", err)
				t.comments = append(t.comments, fmt.Sprintf("%s was not translated: %v", quoteTOML(s), err))
				continue
			case m.IsName():
				im.warn(f, el, nk, "%q is a Slack name: Slack stopped resolving @names in 2018, so it notifies no one; replace it with the person's user ID (like U01ABCDEF)", s)
			}
			if !slices.Contains(t.mention, m) {
				t.mention = append(t.mention, m)
			}
		}
	}
	if !anyListed && len(im.out.tenants) > 0 {
		// No tenant list: the old bot watched every tenant. The entries
		// only carry mentions.
		im.out.allTenants = true
	}
}

func (im *importer) readPolling(f jsonFile, n *jnode) {
	secs, ok := im.integer(f, n, "Polling")
	if !ok {
		return
	}
	if secs <= 0 {
		im.fail(f.errorAt(n, "Polling", "%d is not a number of seconds", secs))
		return
	}
	lo, _ := parseDuration(minInterval, false)
	d := time.Duration(secs) * time.Second
	if secs > int64(24*time.Hour/time.Second) {
		im.fail(f.errorAt(n, "Polling", "%d seconds is more than a day", secs))
		return
	}
	if d < lo {
		im.warn(f, n, "Polling", "%d seconds is below kamobot's minimum: the interval is raised to %s", secs, minInterval)
		d = lo
	}
	im.out.interval = d.String()
	im.out.pollingNote = fmt.Sprintf("Polling: %d (seconds) in config.json.", secs)
}

// isPlaceholderURL reports whether s is what the old template left in a
// URL field: empty, or a scheme alone.
func isPlaceholderURL(s string) bool {
	switch strings.TrimSpace(s) {
	case "", "http://", "https://", "http:", "https:":
		return true
	}
	return false
}

// readSecure translates secure.json.
func (im *importer) readSecure(f jsonFile) {
	root, err := f.parse()
	if err != nil {
		im.errs = append(im.errs, err)
		return
	}
	if !im.object(f, root, "", "KAMONOHASHI", "SlackURI") {
		return
	}
	if k := root.field("KAMONOHASHI"); im.object(f, k, "KAMONOHASHI", "Server", "Application") {
		if n := k.field("Server"); n != nil {
			if s, ok := im.str(f, n, "KAMONOHASHI.Server"); ok {
				if isPlaceholderURL(s) {
					im.warn(f, n, "KAMONOHASHI.Server", "still the template's placeholder: fill in kamonohashi.server")
				} else if server, warn, err := normalizeServer(s); err != nil {
					im.fail(f.errorAt(n, "KAMONOHASHI.Server", "%v", err))
				} else {
					im.out.server = server
					if warn != "" {
						im.warn(f, n, "KAMONOHASHI.Server", "%s", warn)
					}
				}
			}
		}
		if a := k.field("Application"); im.object(f, a, "KAMONOHASHI.Application", "Username", "Password") {
			if n := a.field("Username"); n != nil {
				if s, ok := im.str(f, n, "KAMONOHASHI.Application.Username"); ok {
					if strings.TrimSpace(s) == "" {
						im.warn(f, n, "KAMONOHASHI.Application.Username", "empty: fill in kamonohashi.user")
					}
					im.out.user = strings.TrimSpace(s)
				}
			}
			if n := a.field("Password"); n != nil {
				// Never quote the value, even in a type error.
				if s, ok := n.val.(string); ok && !n.object && !n.array {
					if s == "" {
						im.warn(f, n, "KAMONOHASHI.Application.Password", "empty: write the password to the file named by kamonohashi.password_file")
					}
					im.secrets.Password = Secret(s)
					im.out.password = s != ""
				} else {
					im.fail(f.errorAt(n, "KAMONOHASHI.Application.Password", "want a string, got %s", n.kind()))
				}
			}
		}
	}
	if n := root.field("SlackURI"); n != nil {
		s, ok := n.val.(string)
		switch {
		case !ok || n.object || n.array:
			im.fail(f.errorAt(n, "SlackURI", "want a string, got %s", n.kind()))
		case isPlaceholderURL(s):
			im.warn(f, n, "SlackURI", "still the template's placeholder: write the webhook URL to the file named by slack.webhook_file")
		default:
			if err := checkWebhookURL(Secret(s)); err != nil {
				im.fail(f.errorAt(n, "SlackURI", "%v", err))
				return
			}
			im.secrets.Webhook = Secret(strings.TrimSpace(s))
			im.out.webhook = true
		}
	}
}

// readMessages translates message.json.
func (im *importer) readMessages(f jsonFile) {
	root, err := f.parse()
	if err != nil {
		im.errs = append(im.errs, err)
		return
	}
	if !im.object(f, root, "", "Message") {
		return
	}
	msgs := root.field("Message")
	if msgs == nil {
		return
	}
	if !msgs.object {
		im.fail(f.errorAt(msgs, "Message", "want an object, got %s", msgs.kind()))
		return
	}
	im.out.messages = make(map[string][]string)
	im.out.messageSources = make(map[string]string)
	mapping := legacyMessageKeys()
	for _, fld := range msgs.obj {
		key := "Message." + fld.key
		to, known := mapping[fld.key]
		switch {
		case !known:
			im.warn(f, fld.val, key, "unknown message set, not translated")
			continue
		case to == "":
			im.warn(f, fld.val, key, "dropped: kamobot reports its own errors in its log, not in Slack")
			continue
		}
		if !fld.val.array {
			im.fail(f.errorAt(fld.val, key, "want a list of phrases, got %s", fld.val.kind()))
			continue
		}
		var phrases []string
		for i, el := range fld.val.arr {
			s, ok := im.str(f, el, fmt.Sprintf("%s[%d]", key, i))
			if ok && strings.TrimSpace(s) != "" {
				phrases = append(phrases, s)
			}
		}
		if len(phrases) == 0 {
			im.warn(f, fld.val, key, "no phrase: kamobot's built-in set is used")
			continue
		}
		im.out.messages[to] = phrases
		im.out.messageSources[to] = fld.key
	}
}
