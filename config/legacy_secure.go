package config

import (
	"fmt"
	"strings"
)

// isPlaceholderURL reports whether s is what the old template left in a
// URL field: empty, or a scheme alone.
func isPlaceholderURL(s string) bool {
	switch strings.TrimSpace(s) {
	case "", "http://", "https://", "http:", "https:":
		return true
	}
	return false
}

// readSecure translates secure.json.
func (im *importer) readSecure(f jsonFile) {
	root, err := f.parse()
	if err != nil {
		im.errs = append(im.errs, err)
		return
	}
	if !im.object(f, root, "", "KAMONOHASHI", "SlackURI") {
		return
	}
	if k := root.field("KAMONOHASHI"); im.object(f, k, "KAMONOHASHI", "Server", "Application") {
		if n := k.field("Server"); n != nil {
			if s, ok := im.str(f, n, "KAMONOHASHI.Server"); ok {
				if isPlaceholderURL(s) {
					im.warn(f, n, "KAMONOHASHI.Server", "still the template's placeholder: fill in kamonohashi.server")
				} else if server, warn, err := normalizeServer(s); err != nil {
					im.fail(f.errorAt(n, "KAMONOHASHI.Server", "%v", err))
				} else {
					im.out.server = server
					if warn != "" {
						im.warn(f, n, "KAMONOHASHI.Server", "%s", warn)
					}
				}
			}
		}
		if a := k.field("Application"); im.object(f, a, "KAMONOHASHI.Application", "Username", "Password") {
			if n := a.field("Username"); n != nil {
				if s, ok := im.str(f, n, "KAMONOHASHI.Application.Username"); ok {
					if strings.TrimSpace(s) == "" {
						im.warn(f, n, "KAMONOHASHI.Application.Username", "empty: fill in kamonohashi.user")
					}
					im.out.user = strings.TrimSpace(s)
				}
			}
			if n := a.field("Password"); n != nil {
				if s, ok := im.str(f, n, "KAMONOHASHI.Application.Password"); ok {
					if s == "" {
						im.warn(f, n, "KAMONOHASHI.Application.Password", "empty: write the password to the file named by kamonohashi.password_file")
					}
					im.secrets.Password = Secret(s)
					im.out.password = s != ""
				}
			}
		}
	}
	if n := root.field("SlackURI"); n != nil {
		s, ok := im.str(f, n, "SlackURI")
		switch {
		case !ok:
		case isPlaceholderURL(s):
			im.warn(f, n, "SlackURI", "still the template's placeholder: write the webhook URL to the file named by slack.webhook_file")
		default:
			if err := checkWebhookURL(Secret(s)); err != nil {
				im.fail(f.errorAt(n, "SlackURI", "%v", err))
				return
			}
			im.secrets.Webhook = Secret(strings.TrimSpace(s))
			im.out.webhook = true
		}
	}
}

// readMessages translates message.json.
func (im *importer) readMessages(f jsonFile) {
	root, err := f.parse()
	if err != nil {
		im.errs = append(im.errs, err)
		return
	}
	if !im.object(f, root, "", "Message") {
		return
	}
	msgs := root.field("Message")
	if msgs == nil {
		return
	}
	if !msgs.object {
		im.fail(f.errorAt(msgs, "Message", "want an object, got %s", msgs.kind()))
		return
	}
	im.out.messages = make(map[string][]string)
	im.out.messageSources = make(map[string]string)
	mapping := legacyMessageKeys()
	for _, fld := range msgs.obj {
		key := "Message." + fld.key
		to, known := mapping[fld.key]
		switch {
		case !known:
			im.warn(f, fld.val, key, "unknown message set, not translated")
			continue
		case to == "":
			im.warn(f, fld.val, key, "dropped: kamobot reports its own errors in its log, not in Slack")
			continue
		}
		if !fld.val.array {
			im.fail(f.errorAt(fld.val, key, "want a list of phrases, got %s", fld.val.kind()))
			continue
		}
		var phrases []string
		for i, el := range fld.val.arr {
			s, ok := im.str(f, el, fmt.Sprintf("%s[%d]", key, i))
			if ok && strings.TrimSpace(s) != "" {
				phrases = append(phrases, s)
			}
		}
		if len(phrases) == 0 {
			im.warn(f, fld.val, key, "no phrase: kamobot's built-in set is used")
			continue
		}
		im.out.messages[to] = phrases
		im.out.messageSources[to] = fld.key
	}
}
