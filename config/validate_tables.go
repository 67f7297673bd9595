package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/job"
	"github.com/pelletier/go-toml/v2"
)

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
		// A window refused still covers its days: the config does not
		// load, and the days are not also reported open all day.
		w, err := parseWindow(f.Hours[k])
		if err != nil {
			c.errorf(p, "%v", err)
		}
		hours[k] = w
	}
	days, open := resolveDays(hours)
	if f.Hours != nil && len(open) > 0 {
		verb := "are"
		if len(open) == 1 {
			verb = "is"
		}
		c.warnf("schedule.hours", "no \"default\" entry, so %s %s open all day: add default = \"off\" to close days without an entry",
			joinAnd(open), verb)
	}
	s := &Schedule{enabled: f.Hours != nil || f.Holidays != nil, loc: loc, days: days,
		holidays: make(map[Date]bool), outside: HoldDigest, byEvent: make(map[job.EventType]Hold), greetings: f.Greetings}
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
	got := map[string]string{"int64": "an integer", "float64": "a float", "bool": "a boolean",
		"[]interface {}": "an array", "map[string]interface {}": "a table"}[fmt.Sprintf("%T", v)]
	return Date{}, fmt.Errorf("want a date like \"2026-12-29\", got %s", cmp.Or(got, fmt.Sprintf("a %T", v)))
}

// tenants checks the [[tenant]] entries (or tenant = [{...}, ...]), each
// naming one tenant by name or by id, never both.
func (c *checker) tenants(entries []tenantFile) {
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
		t.Escalate = c.mentions(tp+".escalate", f.Escalate)
		ref := c.secretRef(tp, "webhook", f.Webhook, f.WebhookFile, checkWebhookURL)
		if f.Channel != "" {
			t.Channel = c.channelID(tp+".channel", f.Channel)
			if f.Webhook != "" || f.WebhookFile != "" {
				c.errorf(tp+".channel", "both a webhook and a channel are set: a tenant posts through one of them; remove one")
			}
		}
		t.Kinds = c.kinds(tp+".kinds", f.Kinds, nil)
		t.Notify = c.events(tp+".notify", f.Notify, nil)
		c.cfg.Tenants = append(c.cfg.Tenants, t)
		c.tenantHooks = append(c.tenantHooks, ref)
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
	for _, k := range sortedKeys(m) {
		p := sub("messages", k)
		if !slices.Contains(MessageKeys(), k) {
			c.errorf(p, "%s", unknownKeyMsg([]string{"messages"}, k, MessageKeys()))
			continue
		}
		if len(m[k]) == 0 {
			c.errorf(p, "no phrase listed: give at least one, or remove the key to use the built-in set")
		}
		for i, s := range m[k] {
			if strings.TrimSpace(s) == "" {
				c.errorf(elem(p, i), "empty phrase")
			}
		}
	}
	// With a problem, the config does not load: m is used only without.
	msgs, _ := BuiltinMessages(lang) // "ja" or "en", checked under slack.language
	return msgs.With(m)
}
