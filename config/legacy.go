package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// LegacySecrets are the secrets found in the old bot's secure.json. The
// TOML that ImportLegacyFiles writes refers to them by file name, relative
// to the config file: the caller writes each non-empty secret to that name
// in the config file's directory, with mode 0600.
type LegacySecrets struct {
	Password     Secret // KAMONOHASHI.Application.Password
	PasswordFile string // the password_file the TOML names
	Webhook      Secret // SlackURI
	WebhookFile  string // the webhook_file the TOML names
}

// The file names ImportLegacyFiles's TOML gives the secrets.
const (
	legacyPasswordFile = "kamonohashi-password"
	legacyWebhookFile  = "slack-webhook"
)

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
	im := &importer{out: legacyConfig{Hours: map[string]string{}}}
	for _, in := range []struct {
		file  LegacyFile
		read  func(root *jnode)
		known []string // the fields of the file's top object
	}{
		{configJSON, im.readConfig, []string{"Watch", "Tenant", "Polling"}},
		{secureJSON, im.readSecure, []string{"KAMONOHASHI", "SlackURI"}},
		{messageJSON, im.readMessages, []string{"Message"}},
	} {
		if in.file.Data == nil {
			continue
		}
		im.f = jsonFile{name: in.file.Name, src: in.file.Data}
		root, err := im.f.parse()
		if err != nil {
			im.errs = append(im.errs, err)
		} else if im.object(root, "", in.known...) {
			in.read(root)
		}
	}
	if err := errors.Join(im.errs...); err != nil {
		return nil, LegacySecrets{}, im.warns, err
	}
	text := im.out.toml()
	var check map[string]any
	if err := toml.Unmarshal(text, &check); err != nil {
		return nil, LegacySecrets{}, im.warns, fmt.Errorf("the translated config is not valid TOML (a bug in kamobot): %w", err)
	}
	return text, im.out.Secrets, im.warns, nil
}

// importer collects the translation and its problems.
type importer struct {
	f     jsonFile // the file being read
	out   legacyConfig
	errs  []error
	warns []Warning
}

// legacyConfig is the translated configuration, ready to be written by
// legacy.toml.tmpl (hence the exported fields).
type legacyConfig struct {
	Server, User       string
	Secrets            LegacySecrets
	Polling            int64             // seconds, or 0
	Interval           string            // from Polling
	Hours              map[string]string // "default" and weekday names
	ScheduleConfigured bool
	Tenants            []legacyTenant
	AllTenants         bool
	Messages           map[string]legacyMessages // by kamobot's key
}

type legacyTenant struct {
	ID       int64
	Mention  []Mention
	Comments []string
	Listed   bool // in Watch.Default.Tenant
}

type legacyMessages struct {
	Key     string // kamobot's
	Source  string // the key in message.json
	Phrases []string
}

// fail reports a problem with key, at node n.
func (im *importer) fail(n *jnode, key, format string, args ...any) {
	p := positionAt(im.f.src, n.off)
	im.errs = append(im.errs, &Error{File: im.f.name, Line: p.Line, Col: p.Col, Key: key, Msg: fmt.Sprintf(format, args...), Err: ErrInvalid})
}

func (im *importer) warn(n *jnode, key, format string, args ...any) {
	im.warns = append(im.warns, Warning{File: im.f.name, Line: positionAt(im.f.src, n.off).Line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// as returns the value of n as a T, or reports that n is not what want
// says. The message never quotes the value, which may be a secret. A
// field left out (n is nil) is no T, and no problem.
func as[T any](im *importer, n *jnode, key, want string) (T, bool) {
	if n == nil {
		var zero T
		return zero, false
	}
	v, ok := n.val.(T)
	if !ok {
		im.fail(n, key, "want %s, got %s", want, n.kind())
	}
	return v, ok
}

// object checks that n, if present, is an object, and warns about fields
// not in known.
func (im *importer) object(n *jnode, key string, known ...string) bool {
	if n == nil {
		return false
	}
	fields, ok := as[[]jfield](im, n, key, "an object")
	for _, f := range fields {
		if !slices.Contains(known, f.key) {
			im.warn(f.val, strings.TrimPrefix(key+"."+f.key, "."), "unknown field, not translated")
		}
	}
	return ok
}

func (im *importer) integer(n *jnode, key string) (int64, bool) {
	num, ok := as[json.Number](im, n, key, "a whole number")
	if !ok {
		return 0, false
	}
	v, err := num.Int64()
	if err != nil {
		im.fail(n, key, "want a whole number, got %s", num)
	}
	return v, err == nil
}
