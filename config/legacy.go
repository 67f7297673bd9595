package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pelletier/go-toml/v2"
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

// LegacyFile is one of the old bot's files: the name it was given by (used
// in warnings and errors) and its content, nil when absent.
type LegacyFile struct {
	Name string
	Data []byte
}

// ImportLegacyFiles translates the old Python bot's config.json, secure.json
// and message.json (any of them may have nil Data, when absent) into a
// kamobot config file; warnings and errors name the files as given
// ("old/conf.json:45: ..."). Every field is translated, or reported in a
// warning saying why not:
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
func ImportLegacyFiles(configJSON, secureJSON, messageJSON LegacyFile) (tomlText []byte, secrets LegacySecrets, warnings []Warning, err error) {
	if configJSON.Data == nil && secureJSON.Data == nil && messageJSON.Data == nil {
		return nil, LegacySecrets{}, nil, fmt.Errorf("nothing to import: give --config, --secure or --message")
	}
	im := &importer{out: legacyConfig{hours: map[string]string{}}}
	if configJSON.Data != nil {
		im.readConfig(jsonFile{name: configJSON.Name, src: configJSON.Data})
	}
	if secureJSON.Data != nil {
		im.readSecure(jsonFile{name: secureJSON.Name, src: secureJSON.Data})
	}
	if messageJSON.Data != nil {
		im.readMessages(jsonFile{name: messageJSON.Name, src: messageJSON.Data})
	}
	if err := errors.Join(im.errs...); err != nil {
		return nil, LegacySecrets{}, im.warns, err
	}
	text := im.out.toml()
	var check map[string]any
	if err := toml.Unmarshal(text, &check); err != nil {
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
	if !ok {
		im.fail(f.errorAt(n, key, "want true or false, got %s", n.kind()))
	}
	return b, ok
}

func (im *importer) integer(f jsonFile, n *jnode, key string) (int64, bool) {
	num, ok := n.val.(json.Number)
	if !ok {
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

// str reads a string; a type error never quotes the value, which may be a
// secret.
func (im *importer) str(f jsonFile, n *jnode, key string) (string, bool) {
	s, ok := n.val.(string)
	if !ok {
		im.fail(f.errorAt(n, key, "want a string, got %s", n.kind()))
	}
	return s, ok
}
