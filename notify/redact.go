package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

var serviceID = regexp.MustCompile(`^B[A-Z0-9]+$`)

// Redact returns a form of a webhook URL that is safe to log: the host and,
// for a Slack hook, the "B…" service id, as in "hooks.slack.com/…/B0123/****".
// The secret, the query and any user info are never part of it.
func Redact(webhookURL string) string {
	u, err := url.Parse(strings.TrimSpace(webhookURL))
	if err != nil || u.Host == "" {
		return "<invalid webhook url>"
	}
	parts := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	if len(parts) == 4 && parts[0] == "services" && serviceID.MatchString(parts[2]) && parts[3] != "" {
		return u.Host + "/…/" + parts[2] + "/****"
	}
	return u.Host + "/****"
}

// Fingerprint returns the first 8 hex digits of the SHA-256 of a webhook
// URL, so that operators can tell two URLs apart without seeing either.
func Fingerprint(webhookURL string) string {
	return hashURL(webhookURL)[:8]
}

// hashURL is the full SHA-256 of a webhook URL, used as a map key.
func hashURL(webhookURL string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(webhookURL)))
	return hex.EncodeToString(sum[:])
}

// host returns the host of a webhook URL, or "" when it does not parse.
func host(webhookURL string) string {
	u, err := url.Parse(strings.TrimSpace(webhookURL))
	if err != nil {
		return ""
	}
	return u.Host
}

// secrets lists the parts of a webhook URL that must never be shown: the
// URL itself, its path, its query, its last path segment (the Slack secret)
// and its user info.
func secrets(webhookURL string) []string {
	raw := strings.TrimSpace(webhookURL)
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	if p := u.EscapedPath(); len(p) > 1 {
		out = append(out, p)
		if p != u.Path {
			out = append(out, u.Path)
		}
		seg := p[strings.LastIndex(strings.TrimSuffix(p, "/"), "/")+1:]
		seg = strings.TrimSuffix(seg, "/")
		if len(seg) >= 6 {
			out = append(out, seg)
		}
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
	}
	if u.User != nil {
		out = append(out, u.User.String())
	}
	return out
}

// scrub replaces every secret part of webhookURL in s.
func scrub(s, webhookURL string) string {
	for _, sec := range secrets(webhookURL) {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	return s
}

// redactError hides the webhook URL in err. A *url.Error (which prints the
// full URL, secret included) gets its URL replaced; if the text still holds
// a secret part, the error is replaced by a scrubbed copy that keeps
// errors.Is working but no longer unwraps to the original.
func redactError(err error, webhookURL string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = Redact(webhookURL)
		if u, perr := url.Parse(strings.TrimSpace(webhookURL)); perr == nil && u.Host != "" {
			ue.URL = u.Scheme + "://" + ue.URL
		}
	}
	msg := err.Error()
	if clean := scrub(msg, webhookURL); clean != msg {
		return &scrubbedError{msg: clean, orig: err}
	}
	return err
}

// scrubbedError is an error whose text had a secret removed. It answers
// errors.Is for the original chain but does not expose it through Unwrap.
type scrubbedError struct {
	msg  string
	orig error
}

func (e *scrubbedError) Error() string        { return e.msg }
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.orig, target) }

// maxCode is how much of a response body is kept, in bytes.
const maxCode = 200

// sanitizeBody turns a response body into a short, single-line, printable
// string safe to log: at most 200 bytes, valid UTF-8, no control
// characters, and no part of the webhook URL.
func sanitizeBody(body []byte, webhookURL string) string {
	s := strings.Map(spaceControl, strings.ToValidUTF8(string(body), "?"))
	s = strings.TrimSpace(scrub(s, webhookURL))
	if len(s) > maxCode {
		cut := maxCode
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
