package config

import (
	"fmt"
	"slices"
	"strings"
)

// toml writes the translated configuration as a commented config file.
func (c legacyConfig) toml() []byte {
	w := &tomlWriter{}
	w.comment("kamobot configuration, translated from the old kamonohashi-slackbot files",
		"by `kamobot config import-legacy`. Check it with `kamobot config check`;",
		"`kamobot config init` writes a starter file that explains every key.")
	w.line("")

	w.line("[kamonohashi]")
	if c.server != "" {
		w.line("server = " + quoteTOML(c.server))
	} else {
		w.comment("Fill in the KAMONOHASHI address (secure.json had none).", `server = "https://kamonohashi.example.com"`)
	}
	if c.user != "" {
		w.line("user = " + quoteTOML(c.user))
	} else {
		w.comment("Fill in the user name (secure.json had none).", `user = "watch-only"`)
	}
	if c.password {
		w.comment("The password from secure.json, in a file of its own (chmod 600).")
		w.line("password_file = " + quoteTOML(legacyPasswordFile))
	} else {
		w.comment("A file holding the password (secure.json had none).", `password_file = "kamonohashi-password"`)
	}
	w.line("")

	w.line("[slack]")
	if c.webhook {
		w.comment("The SlackURI from secure.json, in a file of its own (chmod 600).")
		w.line("webhook_file = " + quoteTOML(legacyWebhookFile))
	} else {
		w.comment("A file holding the incoming-webhook URL (secure.json had none).", `webhook_file = "slack-webhook"`)
	}
	w.line(`language = "ja"`)
	w.line("")

	w.line("[watch]")
	if c.interval != "" {
		w.comment(fmt.Sprintf("Polling: %d (seconds) in config.json.", c.polling))
		w.line("interval = " + quoteTOML(c.interval))
	}
	w.comment("The old bot posted endings (Completed, Killed, UserCanceled) of training",
		"jobs last seen Running or Pending. kamobot watches all four kinds of job and",
		"also posts failures, jobs in trouble, stuck in the queue or running long;",
		"restrict with kinds = [...] and notify = [...] if that is too much.",
		`notify_from = ["Running", "Pending"] is kamobot's default too.`)
	if c.allTenants {
		w.comment("The old bot watched every tenant; the [[tenant]] entries below only add mentions.")
		w.line("all_tenants = true")
	}
	w.line("")

	if c.scheduleConfigured {
		w.line("[schedule]")
		w.comment("The old bot used this machine's clock; name its zone if it is not the server's.",
			`timezone = "Asia/Tokyo"`)
		w.comment("Translated from Watch in config.json. The old bot's code copied each weekday's",
			"entry into its shared Default entry, so a day without an entry of its own",
			"inherited whatever day came before it. kamobot gives such days the Default",
			"entry, and nothing else.")
		var hours []string
		for _, k := range hoursKeys() {
			if h, ok := c.hours[k]; ok {
				hours = append(hours, k+" = "+quoteTOML(h))
			}
		}
		w.line("hours = { " + strings.Join(hours, ", ") + " }")
		w.comment("The old bot dropped every event outside these hours. kamobot keeps them for a",
			`digest when office hours open again; "drop" restores the old behaviour.`)
		w.line(`outside_hours = "digest"`)
		w.comment("The old bot greeted the channel when its hours opened and closed.")
		w.line("greetings = true")
		w.line("")
	}

	for _, t := range c.tenants {
		lines := []string{"[[tenant]]", fmt.Sprintf("id = %d", t.id)}
		if len(t.mention) > 0 {
			var ms []string
			for _, m := range t.mention {
				ms = append(ms, quoteTOML(string(m)))
			}
			lines = append(lines, "mention = ["+strings.Join(ms, ", ")+"]")
		}
		if !t.listed {
			w.comment("Not in Watch.Default.Tenant, so not watched by the old bot either:")
			w.comment(lines...)
		} else {
			if slices.ContainsFunc(t.mention, Mention.IsName) {
				w.comment("Slack no longer resolves @names: replace them with user IDs (U01ABCDEF).")
			}
			w.line(lines...)
		}
		w.comment(t.comments...)
		w.line("")
	}

	if len(c.messages) > 0 {
		w.line("[messages]")
		w.comment("From message.json. Each set replaces kamobot's built-in one.")
		for _, k := range MessageKeys() {
			set, ok := c.messages[k]
			if !ok {
				continue
			}
			w.comment("Message." + set.source)
			w.line(k + " = [")
			for _, p := range set.phrases {
				w.line("  " + quoteTOML(p) + ",")
			}
			w.line("]")
		}
	}
	return []byte(strings.TrimRight(w.b.String(), "\n") + "\n")
}

// tomlWriter writes a TOML file line by line.
type tomlWriter struct{ b strings.Builder }

func (w *tomlWriter) line(lines ...string) {
	for _, l := range lines {
		w.b.WriteString(l + "\n")
	}
}

// comment writes each line as a comment; a line break inside one (from a
// user's text) cannot end the comment.
func (w *tomlWriter) comment(lines ...string) {
	for _, l := range lines {
		for _, part := range strings.Split(l, "\n") {
			w.line(strings.TrimRight("# "+strings.ReplaceAll(part, "\r", ""), " "))
		}
	}
}
