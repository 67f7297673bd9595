package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
			case m.IsName() && looksLikeShortID(s):
				im.warn(f, el, nk, "%q looks like a Slack user ID but is too short for one (they are like U01ABCDEF, 9 or more characters): "+
					"check it in the person's Slack profile; as it is, it is kept as a name, which notifies no one", s)
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
	lo := minInterval
	d := time.Duration(secs) * time.Second
	if secs > int64(maxInterval/time.Second) {
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

// looksLikeShortID tells a mistyped or shortened Slack ID ("U02BOB": U or
// W, then capitals and digits, with a digit) from a person's name.
func looksLikeShortID(s string) bool {
	if len(s) < 3 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	digit := false
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'A' && r <= 'Z':
		default:
			return false
		}
	}
	return digit
}
