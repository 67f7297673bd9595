package config

import (
	"fmt"
	"strings"
)

// toml writes the translated configuration as a commented config file.
func (c legacyConfig) toml() []byte {
	w := &tomlWriter{}
	w.comment("kamobot configuration, translated from the old kamonohashi-slackbot files",
		"by `kamobot config import-legacy`. Check it with `kamobot config check`;",
		"`kamobot config init` writes a starter file that explains every key.")
	w.blank()

	w.table("kamonohashi")
	if c.server != "" {
		w.kv("server", quoteTOML(c.server))
	} else {
		w.comment("Fill in the KAMONOHASHI address (secure.json had none).", `server = "https://kamonohashi.example.com"`)
	}
	if c.user != "" {
		w.kv("user", quoteTOML(c.user))
	} else {
		w.comment("Fill in the user name (secure.json had none).", `user = "watch-only"`)
	}
	if c.password {
		w.comment("The password from secure.json, in a file of its own (chmod 600).")
		w.kv("password_file", quoteTOML(legacyPasswordFile))
	} else {
		w.comment("A file holding the password (secure.json had none).", `password_file = "kamonohashi-password"`)
	}
	w.blank()

	w.table("slack")
	if c.webhook {
		w.comment("The SlackURI from secure.json, in a file of its own (chmod 600).")
		w.kv("webhook_file", quoteTOML(legacyWebhookFile))
	} else {
		w.comment("A file holding the incoming-webhook URL (secure.json had none).", `webhook_file = "slack-webhook"`)
	}
	w.kv("language", `"ja"`)
	w.blank()

	w.table("watch")
	if c.interval != "" {
		w.comment(c.pollingNote)
		w.kv("interval", quoteTOML(c.interval))
	}
	w.comment("The old bot posted endings (Completed, Killed, UserCanceled) of training",
		"jobs last seen Running or Pending. kamobot watches all four kinds of job and",
		"also posts failures, jobs in trouble, stuck in the queue or running long;",
		"restrict with kinds = [...] and notify = [...] if that is too much.",
		`notify_from = ["Running", "Pending"] is kamobot's default too.`)
	if c.allTenants {
		w.comment("The old bot watched every tenant; the [[tenant]] entries below only add mentions.")
		w.kv("all_tenants", "true")
	}
	w.blank()

	if c.scheduleConfigured {
		w.table("schedule")
		w.comment("The old bot used this machine's clock; name its zone if it is not the server's.",
			`timezone = "Asia/Tokyo"`)
		w.comment(c.hoursNote...)
		w.kv("hours", c.hoursTable())
		w.comment("The old bot dropped every event outside these hours. kamobot keeps them for a",
			`digest when office hours open again; "drop" restores the old behaviour.`)
		w.kv("outside_hours", `"digest"`)
		w.comment("The old bot greeted the channel when its hours opened and closed.")
		w.kv("greetings", "true")
		w.blank()
	}

	for _, t := range c.tenants {
		if !t.listed {
			w.comment("Not in Watch.Default.Tenant, so not watched by the old bot either:")
		}
		lines := []string{"[[tenant]]", fmt.Sprintf("id = %d", t.id)}
		if len(t.mention) > 0 {
			var ms []string
			for _, m := range t.mention {
				ms = append(ms, quoteTOML(string(m)))
			}
			lines = append(lines, "mention = ["+strings.Join(ms, ", ")+"]")
		}
		if !t.listed {
			w.comment(lines...)
		} else {
			if len(t.mention) > 0 && hasName(t.mention) {
				w.comment("Slack no longer resolves @names: replace them with user IDs (U01ABCDEF).")
			}
			for _, l := range lines {
				w.line(l)
			}
		}
		w.comment(t.comments...)
		w.blank()
	}

	if len(c.messages) > 0 {
		w.table("messages")
		w.comment("From message.json. Each set replaces kamobot's built-in one.")
		for _, k := range MessageKeys() {
			phrases, ok := c.messages[k]
			if !ok {
				continue
			}
			w.comment("Message." + c.messageSources[k])
			w.line(k + " = [")
			for _, p := range phrases {
				w.line("  " + quoteTOML(p) + ",")
			}
			w.line("]")
		}
	}
	return []byte(strings.TrimRight(w.b.String(), "\n") + "\n")
}

func hasName(ms []Mention) bool {
	for _, m := range ms {
		if m.IsName() {
			return true
		}
	}
	return false
}

// hoursTable writes schedule.hours as an inline table, default first.
func (c legacyConfig) hoursTable() string {
	var parts []string
	for _, k := range hoursKeys() {
		if h, ok := c.hours[k]; ok {
			parts = append(parts, k+" = "+quoteTOML(h))
		}
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// tomlWriter writes a TOML file line by line.
type tomlWriter struct{ b strings.Builder }

func (w *tomlWriter) line(s string) { w.b.WriteString(s + "\n") }
func (w *tomlWriter) blank()        { w.b.WriteString("\n") }
func (w *tomlWriter) table(name string) {
	w.line("[" + name + "]")
}
func (w *tomlWriter) kv(key, value string) { w.line(key + " = " + value) }

// comment writes each line as a comment; a line break inside one (from a
// user's text) cannot end the comment.
func (w *tomlWriter) comment(lines ...string) {
	for _, l := range lines {
		for _, part := range strings.Split(l, "\n") {
			w.line(strings.TrimRight("# "+strings.ReplaceAll(part, "\r", ""), " "))
		}
	}
}
