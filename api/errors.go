package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. Test for them with errors.Is; the errors the Client
// returns carry more context (operation, endpoint, host).
var (
	// ErrUnauthorized: the server refused the credentials (a failed login),
	// or still answered 401 after the token was renewed once.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: 403, the account has no right to the tenant or menu.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: 404, an unknown id (or one of another tenant).
	ErrNotFound = errors.New("not found")
	// ErrUnreachable: the server could not be reached at all, or not
	// safely: DNS failure, connection refused or reset, a timeout, or a
	// TLS handshake that failed (ErrTLS).
	ErrUnreachable = errors.New("server unreachable")
	// ErrTLS: the TLS handshake failed, mostly because the server's
	// certificate could not be verified (unknown authority, wrong host
	// name, expired), or the server does not speak TLS. It is not
	// temporary: trying again changes nothing until the config or the
	// server is fixed.
	ErrTLS = errors.New("TLS handshake failed")
	// ErrMalformed: a 2xx answer whose body is not the JSON expected.
	ErrMalformed = errors.New("malformed response")
	// ErrTooLarge: an answer body longer than Config.MaxBodyBytes.
	ErrTooLarge = errors.New("response too large")
)

// HTTPError is a non-2xx answer. Path is the request path only: never the
// query, never the host.
type HTTPError struct {
	Method     string
	Path       string
	StatusCode int
	// Title and Detail come from the problem-details body, when there is
	// one; they are sanitised and shortened.
	Title  string
	Detail string
}

// Error reads like "GET /api/v2/training: 500 Internal Server Error: boom".
func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Title != "" && e.Title != http.StatusText(e.StatusCode) {
		b.WriteString(": " + e.Title)
	}
	if e.Detail != "" && e.Detail != e.Title {
		b.WriteString(" (" + e.Detail + ")")
	}
	return b.String()
}

// Is matches the sentinel for the status code: ErrUnauthorized for 401,
// ErrForbidden for 403, ErrNotFound for 404.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

// Temporary reports whether trying again later may succeed: 429 and 5xx
// except 501.
func (e *HTTPError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests ||
		(e.StatusCode >= 500 && e.StatusCode != http.StatusNotImplemented)
}

// TransportError is a failure below HTTP: the request could not be sent or
// its answer could not be read. It names the host, never the URL.
type TransportError struct {
	Host   string
	Reason string // short and readable: "connection refused", "timed out after 30s"
	Err    error  // the cause, for errors.Is and errors.As

	unreachable bool
	temporary   bool
	midway      bool // the answer had begun
	tls         bool // the TLS handshake failed
}

func (e *TransportError) Error() string {
	if e.midway {
		return fmt.Sprintf("connection to %s lost: %s", e.Host, e.Reason)
	}
	return fmt.Sprintf("cannot reach %s: %s", e.Host, e.Reason)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnreachable) true for dial failures, timeouts
// and failed TLS handshakes, and errors.Is(err, ErrTLS) true for the last.
func (e *TransportError) Is(target error) bool {
	switch target {
	case ErrUnreachable:
		return e.unreachable || e.tls
	case ErrTLS:
		return e.tls
	}
	return false
}

// Temporary reports whether trying again later may succeed: connection
// errors, timeouts and answers cut short are; TLS failures are not.
func (e *TransportError) Temporary() bool { return e.temporary }

// MalformedError is a 2xx answer that could not be decoded.
type MalformedError struct {
	Method  string
	Path    string
	Snippet string // the start of the body, at most 120 bytes, sanitised
	Err     error
}

// Error names the endpoint, the decoding error and the start of the body.
// The decoding error is cut to 200 bytes: encoding/json quotes a number as
// long as the body makes it, and a field error quotes the field's value.
func (e *MalformedError) Error() string {
	cause := "<nil>"
	if e.Err != nil {
		cause = sanitize(e.Err.Error(), 200)
	}
	if e.Snippet == "" {
		return fmt.Sprintf("%s %s: malformed answer: %s", e.Method, e.Path, cause)
	}
	return fmt.Sprintf("%s %s: malformed answer: %s; body starts %q", e.Method, e.Path, cause, e.Snippet)
}

// Unwrap returns the decoding error.
func (e *MalformedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrMalformed) true.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// loginError is a login the server refused because of the credentials.
type loginError struct {
	user string
	host string
	err  *HTTPError
}

func (e *loginError) Error() string {
	return fmt.Sprintf("log in as %q on %s: user name or password rejected: %v", e.user, e.host, e.err)
}

// Unwrap lets errors.Is(err, ErrUnauthorized) and errors.As(err, **HTTPError)
// both work.
func (e *loginError) Unwrap() []error { return []error{ErrUnauthorized, e.err} }

// IsTemporary reports whether err is worth retrying later: a 5xx or 429
// answer, a timeout, a connection error or an answer cut short. A canceled
// context is not temporary; an expired deadline of the caller's context is
// (context.DeadlineExceeded says so itself).
func IsTemporary(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		return t.Temporary()
	}
	return false
}

// errRequestTimeout is the cause of a per-request timeout, told apart from
// the caller's own deadline.
var errRequestTimeout = errors.New("request timeout")

// transportError classifies err (from http.Client.Do or a body read) into a
// TransportError, or returns the caller's context error as it is.
func (c *Client) transportError(ctx, reqCtx context.Context, err error) error {
	if ctx.Err() != nil {
		// The caller gave up (cancel or its own deadline): not the server's fault.
		return context.Cause(ctx)
	}
	te := &TransportError{Host: c.host, Err: unwrapURLError(err)}
	var (
		dnsErr  *net.DNSError
		unknown x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invalid x509.CertificateInvalidError
		netErr  net.Error
		opErr   *net.OpError
		record  tls.RecordHeaderError
		verify  *tls.CertificateVerificationError
		alert   tls.AlertError
	)
	switch {
	case context.Cause(reqCtx) == errRequestTimeout || errors.Is(err, context.DeadlineExceeded):
		te.Reason = fmt.Sprintf("timed out after %s", c.timeout)
		te.Err = errors.Join(context.DeadlineExceeded, te.Err)
		te.unreachable, te.temporary = true, true
	case errors.Is(err, errCutShort):
		te.Reason = sanitize(te.Err.Error(), 120)
		te.temporary, te.midway = true, true
	case errors.As(err, &unknown):
		te.Reason = "TLS certificate signed by unknown authority: for a private CA, set kamonohashi.ca_file " +
			"to the CA certificate (PEM), or SSL_CERT_FILE"
		te.tls = true
	case errors.As(err, &hostErr):
		te.Reason = "TLS certificate is not valid for this host name (" + sanitize(hostErr.Error(), 120) + ")"
		te.tls = true
	case errors.As(err, &invalid):
		te.Reason = "TLS certificate is invalid (" + sanitize(invalid.Error(), 120) + ")"
		te.tls = true
	case errors.As(err, &verify):
		te.Reason = "TLS certificate could not be verified (" + sanitize(verify.Err.Error(), 120) + ")"
		te.tls = true
	case errors.As(err, &alert):
		te.Reason = "TLS handshake refused by the server (" + sanitize(alert.Error(), 80) + ")"
		te.tls = true
	case errors.As(err, &dnsErr):
		te.Reason = "no such host"
		if dnsErr.IsTemporary || dnsErr.IsTimeout {
			te.Reason = "name lookup failed"
		}
		te.unreachable, te.temporary = true, true
	case errors.Is(err, syscall.ECONNREFUSED):
		te.Reason = "connection refused"
		te.unreachable, te.temporary = true, true
	case errors.Is(err, syscall.ECONNRESET):
		te.Reason = "connection reset"
		te.unreachable, te.temporary = true, true
	case errors.As(err, &netErr) && netErr.Timeout():
		te.Reason = fmt.Sprintf("timed out (%s)", sanitize(netErr.Error(), 80))
		te.unreachable, te.temporary = true, true
	case errors.As(err, &record) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		te.Reason = "TLS handshake failed (does the server speak plain HTTP?)"
		te.tls = true
	case errors.As(err, &opErr) && opErr.Op == "dial":
		te.Reason = sanitize(opErr.Err.Error(), 120)
		te.unreachable, te.temporary = true, true
	default:
		te.Reason = sanitize(te.Err.Error(), 120)
		te.temporary = true
	}
	return te
}

// errCutShort marks a body read that failed midway.
var errCutShort = errors.New("answer cut short")

// unwrapURLError drops the *url.Error layer, whose text holds the full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// sanitize makes s safe to show: control characters become spaces, runs of
// space collapse, and the result is cut to at most max bytes on a rune
// boundary, with "…" when cut.
func sanitize(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	out := strings.TrimSpace(b.String())
	if len(out) <= max {
		return out
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + "…"
}
