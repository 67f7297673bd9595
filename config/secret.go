package config

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// redacted is what a Secret prints as, whatever the verb or encoder.
const redacted = "<secret>"

// Secret is a password or a Slack webhook URL. Every way of printing or
// encoding it (fmt verbs, JSON, text, slog) shows "<secret>"; only Reveal
// returns the value, so that a secret cannot reach a log or an error message
// by accident.
type Secret string

// Reveal returns the secret's value. Call it only where the value is used:
// in a login request, or to post to the webhook.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty (not configured).
func (s Secret) IsZero() bool { return s == "" }

// String returns "<secret>".
func (s Secret) String() string { return redacted }

// GoString returns "<secret>", for %#v.
func (s Secret) GoString() string { return redacted }

// Format writes "<secret>" for every verb (quoted for %q).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		io.WriteString(f, strconv.Quote(redacted))
		return
	}
	io.WriteString(f, redacted)
}

// MarshalJSON returns the JSON string "<secret>".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "<secret>", for YAML and other text encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalTOML returns the TOML string "<secret>". go-toml/v2 writes a value
// of a string type as it is, MarshalText or not; it calls this method
// instead only with Encoder.EnableMarshalerInterface.
func (s Secret) MarshalTOML() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// LogValue returns "<secret>" for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// RedactedURL describes a URL secret for display without revealing it:
// scheme and host only, e.g. "https://hooks.slack.com/<secret>". It returns
// "<secret>" for a value that is not a URL and "(none)" for an empty one.
func (s Secret) RedactedURL() string {
	if s == "" {
		return "(none)"
	}
	u, err := url.Parse(string(s))
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil {
		return redacted
	}
	return u.Scheme + "://" + u.Host + "/" + redacted
}

// maxSecretSize bounds what is read from a secret file: a password or a URL
// is short, and a larger file is surely the wrong one.
const maxSecretSize = 64 << 10

// ReadSecretFile reads a secret from a file the way Load reads *_file keys:
// one line, trailing newline trimmed, refused when group or others may read
// or write it (the error then wraps ErrInsecurePermissions).
func ReadSecretFile(path string) (Secret, error) { return readSecretFile(path, true) }

// readSecretFile reads a secret from path: the whole file, trailing spaces
// and line ends trimmed. With checkPerms, a file that its group or others
// may read or write is refused with an error wrapping ErrInsecurePermissions.
// Errors name the file, never its content.
func readSecretFile(path string, checkPerms bool) (Secret, error) {
	data, mode, err := readFile(path, maxSecretSize, "a secret file")
	if err != nil {
		return "", err
	}
	if checkPerms {
		if err := checkMode(path, mode); err != nil {
			return "", err
		}
	}
	v := strings.TrimRight(string(data), " \t\r\n")
	switch {
	case v == "":
		return "", fmt.Errorf("%s is empty", path)
	case strings.ContainsAny(v, "\r\n"):
		return "", fmt.Errorf("%s has more than one line: it must hold the secret alone", path)
	}
	return Secret(v), nil
}

// checkMode refuses a file that group or others may read or write. Windows
// has no such mode bits, so nothing is checked there.
func checkMode(path string, mode fs.FileMode) error {
	if perm := mode.Perm(); perm&0o066 != 0 && runtime.GOOS != "windows" {
		return fmt.Errorf("%w: %s can be read or written by its group or by others (mode %04o); run: chmod 600 %s",
			ErrInsecurePermissions, path, perm, path)
	}
	return nil
}

// under reports whether path is inside dir (both made absolute and clean).
func under(path, dir string) bool {
	if dir == "" {
		return false
	}
	ap, err1 := filepath.Abs(path)
	ad, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(ad, ap)
	return err == nil && filepath.IsLocal(rel)
}
