package config

import (
	"slices"
	"strings"
)

// decodeTenants reads the [[tenant]] entries (or tenant = [{...}, ...]),
// each naming one tenant by name or by id, never both.
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
		t := Tenant{Line: d.where(tp).Line}
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

// decodeOwners reads [owners]: KAMONOHASHI user names to Slack user IDs.
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

// decodeMessages reads [messages]: each set replaces the built-in one.
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
