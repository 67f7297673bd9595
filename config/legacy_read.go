package config

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// legacyMessageKeys maps the old message.json keys to kamobot's. An empty
// value means the set is dropped.
var legacyMessageKeys = map[string]string{
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

// readConfig translates config.json.
func (im *importer) readConfig(root *jnode) {
	im.readWatch(root.field("Watch"))
	im.readTenants(root.field("Tenant"))
	im.readPolling(root.field("Polling"))
}

// legacyDay is one entry of Watch: Default or a weekday.
type legacyDay struct {
	node         *jnode
	active       *bool
	enter, leave *int64
}

func (im *importer) readDay(n *jnode, key string, isDefault bool) (legacyDay, bool) {
	d := legacyDay{node: n}
	if !im.object(n, key, "Active", "Enter", "Leave", "Tenant") {
		return d, false
	}
	errs := len(im.errs)
	if b, ok := as[bool](im, n.field("Active"), key+".Active", "true or false"); ok {
		d.active = &b
	}
	hour := func(name string) *int64 {
		v := n.field(name)
		h, ok := im.integer(v, key+"."+name)
		switch {
		case !ok:
			return nil
		case h < 0 || h > 24:
			im.fail(v, key+"."+name, "%d is not an hour (0 to 24)", h)
			return nil
		}
		return &h
	}
	d.enter, d.leave = hour("Enter"), hour("Leave")
	if v := n.field("Tenant"); v != nil && !isDefault {
		im.warn(v, key+".Tenant", "not translated: the old bot never used per-day tenant lists; the tenants come from Watch.Default.Tenant")
	}
	return d, len(im.errs) == errs
}

// window formats a day's hours, taking what it lacks from def. When def
// is known to be wrong (defBad), a day that needs it is skipped quietly:
// the problem has been reported once already.
func (im *importer) window(d, def legacyDay, key string, defBad bool) (string, bool) {
	if defBad && (d.active == nil || *d.active && (d.enter == nil || d.leave == nil)) {
		return "", false
	}
	if !*cmp.Or(d.active, def.active, ptr(true)) {
		return "off", true
	}
	enter, leave := cmp.Or(d.enter, def.enter), cmp.Or(d.leave, def.leave)
	if enter == nil || leave == nil {
		im.fail(d.node, key, "active, but Enter or Leave is missing (here and in Watch.Default)")
		return "", false
	}
	if *leave <= *enter {
		im.fail(d.node, key, "Leave (%d) is not after Enter (%d): kamobot's office hours cannot run overnight", *leave, *enter)
		return "", false
	}
	return fmt.Sprintf("%02d:00-%02d:00", *enter, *leave), true
}

func (im *importer) readWatch(n *jnode) {
	known := []string{"Default", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	if !im.object(n, "Watch", known...) {
		return
	}
	im.out.ScheduleConfigured = true
	defNode := n.field("Default")
	var def legacyDay
	defBad := false // Default has an error already reported
	if defNode != nil {
		var ok bool
		def, ok = im.readDay(defNode, "Watch.Default", true)
		if !ok {
			defBad = true
		} else if w, ok := im.window(def, legacyDay{}, "Watch.Default", false); ok {
			im.out.Hours["default"] = w
		}
		im.readTenantList(defNode.field("Tenant"))
	}
	var missing []string
	for _, name := range known[1:] {
		day := strings.ToLower(name)
		dn := n.field(name)
		if dn == nil {
			missing = append(missing, day)
			continue
		}
		key := "Watch." + name
		if d, ok := im.readDay(dn, key, false); ok {
			if w, ok := im.window(d, def, key, defBad); ok {
				im.out.Hours[day] = w
			}
		}
	}
	switch {
	case len(missing) == 0:
	case defNode == nil:
		im.warn(n, "Watch", "no Default entry: %s, which have no entry, are open all day", joinAnd(missing))
	case def.active != nil && !*def.active:
		im.warn(defNode.field("Active"), "Watch.Default.Active", "false: %s, which have no entry of their own, are off (the old bot's code leaked the previous weekday's settings into them instead)", joinAnd(missing))
	}
}

// readTenantList reads Watch.Default.Tenant, if given: the ids of the
// tenants to watch.
func (im *importer) readTenantList(n *jnode) {
	elems, _ := as[[]*jnode](im, n, "Watch.Default.Tenant", "a list of tenant ids like [1, 2]")
	for i, el := range elems {
		key := fmt.Sprintf("Watch.Default.Tenant[%d]", i)
		id, ok := im.integer(el, key)
		switch {
		case !ok:
		case id <= 0:
			im.fail(el, key, "%d is not a tenant id", id)
		case im.tenant(id) == nil:
			im.out.Tenants = append(im.out.Tenants, legacyTenant{ID: id, Listed: true})
		}
	}
}

func (im *importer) tenant(id int64) *legacyTenant {
	if i := slices.IndexFunc(im.out.Tenants, func(t legacyTenant) bool { return t.ID == id }); i >= 0 {
		return &im.out.Tenants[i]
	}
	return nil
}

// readTenants reads Tenant, if given: the per-tenant mention lists.
func (im *importer) readTenants(n *jnode) {
	fields, _ := as[[]jfield](im, n, "Tenant", "an object of tenant ids")
	anyListed := len(im.out.Tenants) > 0
	for _, fld := range fields {
		key := "Tenant." + fld.key
		id, err := strconv.ParseInt(strings.TrimSpace(fld.key), 10, 64)
		if err != nil || id <= 0 {
			if msg, ok := placeholderMsg([]byte(fld.key)); ok {
				im.fail(fld.val, key, "%s", msg)
			} else {
				im.fail(fld.val, key, "%q is not a tenant id", fld.key)
			}
			continue
		}
		if !im.object(fld.val, key, "ByName") {
			continue
		}
		t := im.tenant(id)
		if t == nil {
			im.out.Tenants = append(im.out.Tenants, legacyTenant{ID: id, Listed: !anyListed})
			t = &im.out.Tenants[len(im.out.Tenants)-1]
			if anyListed {
				im.warn(fld.val, key, "tenant %d is not in Watch.Default.Tenant, so it is not watched; its entry is written commented out", id)
			}
		}
		elems, _ := as[[]*jnode](im, fld.val.field("ByName"), key+".ByName", "a list of names")
		for i, el := range elems {
			nk := fmt.Sprintf("%s.ByName[%d]", key, i)
			s, ok := as[string](im, el, nk, "a string")
			if !ok {
				continue
			}
			m, _, err := ParseMention(s)
			switch {
			case err != nil:
				im.warn(el, nk, "not translated: %v", err)
				t.Comments = append(t.Comments, fmt.Sprintf("%s was not translated: %v", quoteTOML(s), err))
				continue
			case m.IsName() && len(s) >= 3 && shortIDRE.MatchString(s):
				im.warn(el, nk, "%q looks like a Slack user ID but is too short for one (they are like U01ABCDEF, 9 or more characters): "+
					"check it in the person's Slack profile; as it is, it is kept as a name, which notifies no one", s)
			case m.IsName():
				im.warn(el, nk, "%q is a Slack name: Slack stopped resolving @names in 2018, so it notifies no one; replace it with the person's user ID (like U01ABCDEF)", s)
			}
			if !slices.Contains(t.Mention, m) {
				t.Mention = append(t.Mention, m)
			}
		}
	}
	if !anyListed && len(im.out.Tenants) > 0 {
		// No tenant list: the old bot watched every tenant. The entries
		// only carry mentions.
		im.out.AllTenants = true
	}
}

// shortIDRE matches a mistyped or shortened Slack ID ("U02BOB": U or W,
// then capitals and digits, with a digit), to tell it from a person's name.
var shortIDRE = regexp.MustCompile(`^[UW][A-Z0-9]*[0-9][A-Z0-9]*$`)

// readPolling reads Polling, if given: seconds between passes.
func (im *importer) readPolling(n *jnode) {
	secs, ok := im.integer(n, "Polling")
	switch {
	case !ok:
		return
	case secs <= 0:
		im.fail(n, "Polling", "%d is not a number of seconds", secs)
		return
	case secs > int64(maxInterval/time.Second):
		im.fail(n, "Polling", "%d seconds is more than a day", secs)
		return
	case time.Duration(secs)*time.Second < minInterval:
		im.warn(n, "Polling", "%d seconds is below kamobot's minimum: the interval is raised to %s", secs, minInterval)
	}
	im.out.Polling = secs
	im.out.Interval = max(time.Duration(secs)*time.Second, minInterval).String()
}

// isPlaceholderURL reports whether s is what the old template left in a
// URL field: empty, or a scheme alone.
func isPlaceholderURL(s string) bool {
	return slices.Contains([]string{"", "http://", "https://", "http:", "https:"}, strings.TrimSpace(s))
}

// str reads the string field of parent that key ends with; ok is false
// when it is absent or not a string (reported).
func (im *importer) str(parent *jnode, key string) (s string, n *jnode, ok bool) {
	n = parent.field(key[strings.LastIndexByte(key, '.')+1:])
	s, ok = as[string](im, n, key, "a string")
	return s, n, ok
}

// readSecure translates secure.json.
func (im *importer) readSecure(root *jnode) {
	if k := root.field("KAMONOHASHI"); im.object(k, "KAMONOHASHI", "Server", "Application") {
		if s, n, ok := im.str(k, "KAMONOHASHI.Server"); ok {
			if isPlaceholderURL(s) {
				im.warn(n, "KAMONOHASHI.Server", "still the template's placeholder: fill in kamonohashi.server")
			} else if server, warn, err := normalizeServer(s); err != nil {
				im.fail(n, "KAMONOHASHI.Server", "%v", err)
			} else {
				im.out.Server = server
				if warn != "" {
					im.warn(n, "KAMONOHASHI.Server", "%s", warn)
				}
			}
		}
		if a := k.field("Application"); im.object(a, "KAMONOHASHI.Application", "Username", "Password") {
			if s, n, ok := im.str(a, "KAMONOHASHI.Application.Username"); ok {
				if strings.TrimSpace(s) == "" {
					im.warn(n, "KAMONOHASHI.Application.Username", "empty: fill in kamonohashi.user")
				}
				im.out.User = strings.TrimSpace(s)
			}
			if s, n, ok := im.str(a, "KAMONOHASHI.Application.Password"); ok {
				if s == "" {
					im.warn(n, "KAMONOHASHI.Application.Password", "empty: write the password to the file named by kamonohashi.password_file")
				} else {
					im.out.Secrets.Password, im.out.Secrets.PasswordFile = Secret(s), legacyPasswordFile
				}
			}
		}
	}
	if s, n, ok := im.str(root, "SlackURI"); ok {
		if isPlaceholderURL(s) {
			im.warn(n, "SlackURI", "still the template's placeholder: write the webhook URL to the file named by slack.webhook_file")
		} else if err := checkWebhookURL(Secret(s)); err != nil {
			im.fail(n, "SlackURI", "%v", err)
		} else {
			im.out.Secrets.Webhook, im.out.Secrets.WebhookFile = Secret(strings.TrimSpace(s)), legacyWebhookFile
		}
	}
}

// readMessages translates message.json's Message, if given.
func (im *importer) readMessages(root *jnode) {
	sets, _ := as[[]jfield](im, root.field("Message"), "Message", "an object")
	im.out.Messages = make(map[string]legacyMessages)
	for _, fld := range sets {
		key := "Message." + fld.key
		to, known := legacyMessageKeys[fld.key]
		switch {
		case !known:
			im.warn(fld.val, key, "unknown message set, not translated")
			continue
		case to == "":
			im.warn(fld.val, key, "dropped: kamobot reports its own errors in its log, not in Slack")
			continue
		}
		elems, ok := as[[]*jnode](im, fld.val, key, "a list of phrases")
		if !ok {
			continue
		}
		var phrases []string
		for i, el := range elems {
			s, ok := as[string](im, el, fmt.Sprintf("%s[%d]", key, i), "a string")
			if ok && strings.TrimSpace(s) != "" {
				phrases = append(phrases, s)
			}
		}
		if len(phrases) == 0 {
			im.warn(fld.val, key, "no phrase: kamobot's built-in set is used")
			continue
		}
		im.out.Messages[to] = legacyMessages{Key: to, Source: fld.key, Phrases: phrases}
	}
}
