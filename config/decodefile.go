package config

import (
	"strings"
	"time"
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

// decodeKamonohashi reads [kamonohashi]. Secrets are only located here;
// they are read once the environment has had its say.
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

// decodeSlack reads [slack].
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
