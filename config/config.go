// Package config loads kamobot's configuration: the TOML file, environment
// overrides and secrets (with their file-mode checks), the office-hours
// schedule, per-tenant routing, the message sets, the commented starter
// file, and the translation of the old Python bot's JSON files.
//
// Load is the entry point. It returns every problem it finds at once, each
// with the file, line and key, and never puts a secret in a message.
package config

import (
	_ "embed"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/adrg/xdg"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// Config is kamobot's configuration, loaded from the TOML file and the
// environment, checked, with defaults applied and secrets read.
type Config struct {
	// File is the config file Load read, or "" when there was none and the
	// environment alone configured kamobot.
	File string

	Kamonohashi Kamonohashi
	Slack       Slack
	Watch       Watch
	// Schedule is never nil; without hours or holidays it is always open.
	Schedule *Schedule
	// Tenants are the [[tenant]] entries in file order. None: every tenant
	// the account can see is watched with the defaults.
	Tenants []Tenant
	// Owners maps a KAMONOHASHI user name to the Slack user to mention
	// when that user's job is reported.
	Owners map[string]Mention
	// Messages are the phrase sets: the built-in set for Slack.Language,
	// with the sets given in [messages] replacing built-in ones.
	Messages Messages
	// Report is [report]: the weekly report (report.go).
	Report Report
}

// Kamonohashi is where the jobs are watched, and as whom.
type Kamonohashi struct {
	// Server is the base URL of the web UI and API, normalised: no trailing
	// "/", no "/#/" (e.g. "https://kamonohashi.example.com").
	Server string
	// User is the account kamobot logs in as; a watch-only account is best.
	User string
	// Password is the account's password.
	Password Secret
	// PasswordSource says where Password came from, for display
	// ("KAMOBOT_PASSWORD", "kamonohashi.password_file (/etc/kamobot/password)").
	PasswordSource string
	// CAFile is a PEM file of extra CA certificates to trust, or "".
	CAFile string
	// Location is the zone of the server's timestamps, which carry no
	// offset: kamonohashi.timezone, else UTC (the KAMONOHASHI image sets no
	// TZ).
	Location *time.Location
	// MaxInFlight is the most requests kamobot sends to KAMONOHASHI at
	// once: kamonohashi.max_in_flight, 1 to 64, default 8.
	MaxInFlight int
}

// Slack is where notifications go by default.
type Slack struct {
	// Webhook is the default incoming-webhook URL; it may be empty when
	// every watched tenant has its own (see RequireSlack).
	Webhook Secret
	// WebhookSource says where Webhook came from, for display.
	WebhookSource string
	// Language of the built-in message set: "ja" (default) or "en".
	Language string
	// App is the Slack app (bot token, channel, Socket Mode); its
	// BotToken is empty when kamobot posts through webhooks only.
	App SlackApp
}

// Watch is what is watched, how often, and what is worth a message.
type Watch struct {
	// Interval between passes of `kamobot watch` (at least 5s).
	Interval time.Duration
	// Kinds of job watched, in the order of api.AllKinds.
	Kinds []api.Kind
	// Notify lists the event types posted, in the order of job.AllEventTypes.
	Notify []job.EventType
	// NotifyFrom lists the statuses a job must have been seen in for its
	// ending to be posted (the old bot's rule: Running or Pending). Nil
	// means any status.
	NotifyFrom []string
	// AllTenants watches every tenant the account can see even when
	// [[tenant]] entries exist; the entries then only add settings.
	AllTenants bool
	// StuckPendingAfter is how long a job may wait in the queue before a
	// stuck_pending alert; 0 disables the alert.
	StuckPendingAfter time.Duration
	// LongRunningAfter is how long a job may run before a long_running
	// alert; 0 disables the alert.
	LongRunningAfter time.Duration
	// SummaryAfterSilence is how long the channel may stay quiet, in office
	// hours, before a summary of what is running; 0 disables summaries.
	SummaryAfterSilence time.Duration
	// Team holds mutes, reminders, repeated failures and self-alerts
	// (team.go).
	Team Team
}

// Notifies reports whether events of type ev are posted.
func (w Watch) Notifies(ev job.EventType) bool { return slices.Contains(w.Notify, ev) }

// NotifiesFrom reports whether the ending of a job last seen with status
// from is posted.
func (w Watch) NotifiesFrom(from string) bool {
	return w.NotifyFrom == nil || slices.Contains(w.NotifyFrom, from)
}

// Tenant is one [[tenant]] entry: a tenant to watch, chosen by ID or by
// name, with its own settings.
type Tenant struct {
	// ID is the tenant's ID, or 0 when the entry names the tenant.
	ID int64
	// Name is the tenant's name (not its display name), or "" when the
	// entry gives an ID.
	Name string
	// Mention lists who to mention in this tenant's messages.
	Mention []Mention
	// Escalate lists who to mention when a job keeps failing.
	Escalate []Mention
	// Webhook is the tenant's own channel; empty means the default one.
	Webhook Secret
	// WebhookSource says where Webhook came from, for display.
	WebhookSource string
	// Channel is the tenant's own channel ID for the Slack app; empty
	// means the default one (or the webhook).
	Channel string
	// Kinds overrides Watch.Kinds for this tenant; nil means no override.
	Kinds []api.Kind
	// Notify overrides Watch.Notify for this tenant; nil means no override.
	Notify []job.EventType
	// Line is the line of the entry in the config file, or 0.
	Line int
}

// Label names the entry for messages: its name, or "id 3".
func (t Tenant) Label() string {
	if t.Name != "" {
		return t.Name
	}
	return "id " + strconv.FormatInt(t.ID, 10)
}

// Matches reports whether the entry is about the tenant with this ID and name.
func (t Tenant) Matches(id int64, name string) bool {
	if t.Name != "" {
		return t.Name == name
	}
	return t.ID == id
}

// CheckTenantEntries finds the [[tenant]] entries that are about the same
// tenant, one by name and another by id: a config alone cannot tell, only
// the server's list of tenants can. For the first such tenant in visible it
// returns an *Error (wrapping ErrInvalid) naming the second entry's line
// and key, and the first entry's line; nil when there is none.
func (c *Config) CheckTenantEntries(visible []api.Tenant) error {
	for _, v := range visible {
		first := -1
		for i, t := range c.Tenants {
			if !t.Matches(v.ID, v.Name) {
				continue
			}
			if first < 0 {
				first = i
				continue
			}
			return &Error{File: c.File, Line: t.Line, Key: fmt.Sprintf("tenant[%d]", i), Err: ErrInvalid,
				Msg: fmt.Sprintf("%s and %s (tenant[%d], line %d) are the same tenant (%s, id %d): merge the two entries",
					describeEntry(t), describeEntry(c.Tenants[first]), first, c.Tenants[first].Line, v.Name, v.ID)}
		}
	}
	return nil
}

// describeEntry says how an entry names its tenant: `name = "vision"` or
// `id = 3`.
func describeEntry(t Tenant) string {
	if t.Name != "" {
		return fmt.Sprintf("name = %q", t.Name)
	}
	return "id = " + strconv.FormatInt(t.ID, 10)
}

// Route is everything kamobot needs to decide about one tenant's jobs.
type Route struct {
	// Watched reports whether the tenant is watched at all.
	Watched bool
	// Tenant is the matching [[tenant]] entry, or nil.
	Tenant *Tenant
	// Webhook is where the tenant's messages go (the tenant's own, else the
	// default); it may be empty if neither is configured.
	Webhook Secret
	// Mention lists who to mention in the tenant's messages.
	Mention []Mention
	// Escalate lists who to mention when a job keeps failing.
	Escalate []Mention
	// Kinds and Notify are the tenant's overrides, else the [watch] values.
	Kinds  []api.Kind
	Notify []job.EventType
}

// Route returns how jobs of the tenant with this ID and name are handled.
// With no [[tenant]] entries (or watch.all_tenants), every tenant is watched.
func (c *Config) Route(id int64, name string) Route {
	r := Route{
		Watched: len(c.Tenants) == 0 || c.Watch.AllTenants,
		Webhook: c.Slack.Webhook,
		Kinds:   c.Watch.Kinds,
		Notify:  c.Watch.Notify,
	}
	if i := slices.IndexFunc(c.Tenants, func(t Tenant) bool { return t.Matches(id, name) }); i >= 0 {
		t := &c.Tenants[i]
		r.Watched = true
		r.Tenant = t
		r.Mention = t.Mention
		r.Escalate = t.Escalate
		if !t.Webhook.IsZero() {
			r.Webhook = t.Webhook
		}
		if t.Kinds != nil {
			r.Kinds = t.Kinds
		}
		if t.Notify != nil {
			r.Notify = t.Notify
		}
	}
	return r
}

// Webhook is one configured Slack webhook, for `test-slack` and
// `config check`.
type Webhook struct {
	// Tenant is the label of the tenant entry it belongs to, or "" for the
	// default webhook of [slack].
	Tenant string
	// URL is the webhook URL.
	URL Secret
	// Source says where it came from.
	Source string
}

// Describe returns a line safe to print: whose webhook it is, its host and
// where it came from, e.g. "default: https://hooks.slack.com/<secret>
// (from KAMOBOT_SLACK_WEBHOOK)". No part of the URL's path is shown, not
// even a fingerprint.
func (w Webhook) Describe() string {
	who := "default"
	if w.Tenant != "" {
		who = "tenant " + w.Tenant
	}
	return fmt.Sprintf("%s: %s (from %s)", who, w.URL.RedactedURL(), w.Source)
}

// Webhooks returns the default webhook (if any) and then each tenant's own.
func (c *Config) Webhooks() []Webhook {
	var hooks []Webhook
	if !c.Slack.Webhook.IsZero() {
		hooks = append(hooks, Webhook{URL: c.Slack.Webhook, Source: c.Slack.WebhookSource})
	}
	for _, t := range c.Tenants {
		if !t.Webhook.IsZero() {
			hooks = append(hooks, Webhook{Tenant: t.Label(), URL: t.Webhook, Source: t.WebhookSource})
		}
	}
	return hooks
}

// RequireSlack returns an error wrapping ErrNotConfigured unless every
// watched tenant has somewhere to post: a default webhook, or (with only
// listed tenants watched) a webhook on every [[tenant]] entry. Commands that
// post call it; `jobs` and `tenants` do not need Slack.
func (c *Config) RequireSlack() error {
	app := c.Slack.App.Enabled()
	if !c.Slack.Webhook.IsZero() || (app && c.Slack.App.Channel != "") {
		return nil
	}
	var missing []string
	if len(c.Tenants) == 0 || c.Watch.AllTenants {
		missing = append(missing, "the default webhook")
	}
	for _, t := range c.Tenants {
		if t.Webhook.IsZero() && (!app || t.Channel == "") {
			missing = append(missing, "tenant "+t.Label())
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &Error{File: c.File, Key: "slack.webhook_file", Err: ErrNotConfigured, Msg: fmt.Sprintf(
		"%v: no Slack webhook for %s: set slack.webhook_file in the config (run `kamobot config init` for a starter file) or KAMOBOT_SLACK_WEBHOOK_FILE or KAMOBOT_SLACK_WEBHOOK",
		ErrNotConfigured, joinAnd(missing))}
}

// DefaultPath returns where the config file is by default:
// $XDG_CONFIG_HOME/kamobot/config.toml (~/.config/kamobot/config.toml on
// Linux). Unlike xdg.ConfigFile it creates no directory. adrg/xdg reads the
// environment once; tests that change XDG_CONFIG_HOME must call xdg.Reload.
func DefaultPath() string {
	return filepath.Join(xdg.ConfigHome, "kamobot", "config.toml")
}

// joinAnd joins items as "a, b and c".
func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// starterTOML is the commented starter config.
//
//go:embed starter.toml
var starterTOML string

// StarterConfig returns a fully commented config file, in English, for
// `kamobot config init` to write: every key is explained, optional ones are
// shown commented out with an example value. Load accepts it once the
// server, the user and the password file are filled in.
func StarterConfig() []byte { return []byte(starterTOML) }
