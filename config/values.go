package config

import (
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/kamobot/kamobot/job"
)

// Defaults for keys a config file leaves out.
const (
	defaultInterval            = "30s"
	defaultStuckPendingAfter   = "30m"
	defaultLongRunningAfter    = "24h"
	defaultSummaryAfterSilence = "2h"
)

// defaultNotify lists the events posted by default: endings and alerts.
// "started" would flood a busy channel and "deleted" is rarely news, so both
// are opt-in.
func defaultNotify() []job.EventType {
	return []job.EventType{job.EventCompleted, job.EventCanceled, job.EventKilled, job.EventFailed,
		job.EventTrouble, job.EventStuckPending, job.EventLongRunning, job.EventStateUnknown}
}

// defaultNotifyFrom is the old bot's rule: an ending is news only for a job
// that was seen queued or running.
func defaultNotifyFrom() []string { return []string{"Running", "Pending"} }

// parseEvent reads an event type name such as "completed".
func parseEvent(s string) (job.EventType, error) {
	var names []string
	for _, ev := range job.AllEventTypes() {
		if string(ev) == s {
			return ev, nil
		}
		names = append(names, string(ev))
	}
	msg := fmt.Sprintf("unknown event %q", s)
	if sg := suggest(s, names); sg != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sg)
	}
	return "", fmt.Errorf("%s: want one of %s", msg, strings.Join(names, ", "))
}

// normalizeServer checks the KAMONOHASHI URL and strips what a URL copied
// from the browser carries: "/#/", "/#" and trailing slashes. It returns a
// warning for plain http. Messages never show a URL with a user or password
// in it.
func normalizeServer(s string) (server, warning string, err error) {
	t := strings.TrimSpace(s)
	for {
		n := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(t, "/"), "/#"), "/#/")
		if n == t {
			break
		}
		t = n
	}
	u, perr := url.Parse(t)
	switch {
	case t == "":
		return "", "", fmt.Errorf("empty URL")
	case perr != nil:
		// url.Error repeats the URL, which may hold a password: not shown.
		return "", "", fmt.Errorf("not a URL: write it like \"https://kamonohashi.example.com\"")
	case u.User != nil:
		return "", "", fmt.Errorf("the URL holds a user name or password: remove it, and use kamonohashi.user and password_file")
	case u.Scheme == "" || u.Host == "" && u.Opaque != "":
		return "", "", fmt.Errorf("%q has no scheme: write it like \"https://%s\"", s, strings.TrimPrefix(t, "//"))
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "", fmt.Errorf("%q: want an http or https URL", s)
	case u.Host == "":
		return "", "", fmt.Errorf("%q has no host", s)
	case u.RawQuery != "" || u.Fragment != "" || strings.Contains(t, "#"):
		return "", "", fmt.Errorf("%q: want the server's base URL, without \"?…\" or a page after \"#\"", s)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		warning = "plain http: the password and tokens cross the network unencrypted; use https if the server offers it"
	}
	return t, warning, nil
}

// checkWebhookURL checks that a webhook is an absolute http(s) URL. Its
// messages never show the URL.
func checkWebhookURL(s Secret) error {
	u, err := url.Parse(s.Reveal())
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("the webhook is not an http(s) URL (expected https://hooks.slack.com/services/…)")
	}
	return nil
}

// maxCAFileSize bounds what is read from a CA file.
const maxCAFileSize = 4 << 20

// checkCAFile checks that path is a regular file that holds at least one
// PEM certificate.
func checkCAFile(path string) error {
	data, _, err := readFile(path, maxCAFileSize, "a CA file")
	if err != nil {
		return err
	}
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return fmt.Errorf("%s holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")", path)
		}
		if block.Type == "CERTIFICATE" {
			return nil
		}
	}
}

// resolvePath makes a file name from the config usable: a leading
// "$CREDENTIALS_DIRECTORY/" (or "${CREDENTIALS_DIRECTORY}/") is replaced by
// that directory, "~/" by the home directory, and a relative path is taken
// relative to the config file's directory (base).
func resolvePath(p, base, credDir string) (string, error) {
	for _, prefix := range []string{"$" + EnvCredentialsDirectory + "/", "${" + EnvCredentialsDirectory + "}/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			if credDir == "" {
				return "", fmt.Errorf("%s is not set: systemd sets it for a unit with LoadCredential=", EnvCredentialsDirectory)
			}
			return filepath.Join(credDir, rest), nil
		}
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot expand ~: %w", err)
		}
		return filepath.Join(home, rest), nil
	}
	if filepath.IsAbs(p) || base == "" {
		return p, nil
	}
	return filepath.Join(base, p), nil
}

// isLoopback reports whether host is this machine, where plain http
// crosses no network.
func isLoopback(host string) bool {
	return host == "localhost" || net.ParseIP(host).IsLoopback()
}
