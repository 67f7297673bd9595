package commands

import (
	"bytes"
	"io"
	"regexp"
	"sync"
)

// Redactor masks secrets in everything kamobot prints: logs, errors and
// command output all go through it. It is the last line of defence; the
// code never formats a secret on purpose.
type Redactor struct {
	mu      sync.RWMutex
	secrets [][]byte
}

// slackHook matches Slack webhook URLs whatever their host.
var slackHook = regexp.MustCompile(`(/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/)[A-Za-z0-9_\-]+`)

// bearer matches an Authorization header value.
var bearer = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._\-]+`)

// Add registers secret values to mask (empty and very short ones are
// ignored: masking "a" would mangle every line).
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) >= 4 {
			r.secrets = append(r.secrets, []byte(s))
		}
	}
}

// Mask returns b with every secret replaced by "<redacted>".
func (r *Redactor) Mask(b []byte) []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range r.secrets {
		b = bytes.ReplaceAll(b, s, []byte("<redacted>"))
	}
	b = slackHook.ReplaceAll(b, []byte("${1}<redacted>"))
	return bearer.ReplaceAll(b, []byte("${1}<redacted>"))
}

// Writer wraps w so that everything written through it is masked.
func (r *Redactor) Writer(w io.Writer) io.Writer { return &redactingWriter{r: r, w: w} }

type redactingWriter struct {
	r *Redactor
	w io.Writer
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	if _, err := rw.w.Write(rw.r.Mask(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
