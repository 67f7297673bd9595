package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
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
	// ErrMenuDenied: a 403 for a missing menu permission (an empty body
	// and an X-Permit-MenuCode header, Filters/PermissionFilterAttribute.cs
	// in the server). Only the kinds behind that menu are out of reach;
	// the tenant's others still answer. HTTPError.Menus says which.
	ErrMenuDenied = errors.New("menu permission missing")
	// ErrTenantLost: the account no longer holds a role in the tenant the
	// request is for. The server answers a token of that tenant with 401
	// "You have lost a role for the access." (Infrastructure/Infos/UserInfo.cs,
	// Filters/JsonExceptionHandlerAttribute.cs) and a request for a new
	// token with 400 (Logic/LoginLogic.cs). It matches ErrForbidden too, and
	// never ErrUnauthorized: the credentials are fine, renewing the token
	// changes nothing.
	ErrTenantLost = errors.New("the account lost its role in the tenant")
)

// ErrorList is the "errors" member of an error body. The server writes an
// array (KAMONOHASHI's JsonErrorResponse) or an object of field names to
// messages (ASP.NET's ValidationProblemDetails); both decode, an object as
// "field: message" entries in field order. Anything else decodes as empty.
type ErrorList []string

// UnmarshalJSON accepts an array of strings (or of any JSON values, kept
// as their text), an object {field: [messages]} or {field: message}, or null.
func (l *ErrorList) UnmarshalJSON(b []byte) error {
	*l = nil
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, new([]json.RawMessage)) == nil {
		obj = map[string]json.RawMessage{"": b} // an array: messages of no field
	} else if json.Unmarshal(b, &obj) != nil {
		return nil // an error body that is odd is still an error: never fail on it
	}
	for _, f := range slices.Sorted(maps.Keys(obj)) {
		var msgs []json.RawMessage
		if json.Unmarshal(obj[f], &msgs) != nil {
			msgs = []json.RawMessage{obj[f]}
		}
		for _, m := range msgs {
			var text string
			if json.Unmarshal(m, &text) != nil {
				text = string(m) // not a string: its JSON text
			}
			if f != "" {
				text = f + ": " + text
			}
			*l = append(*l, text)
		}
	}
	return nil
}

// firstLine is s up to its first line break: a 500's detail is the
// server's stack trace (Filters/JsonExceptionHandlerAttribute.cs writes
// Exception.StackTrace there), and nothing beyond its first line is ever
// shown.
func firstLine(s string) string {
	s = strings.TrimLeft(s, "\r\n")
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// MenusDenied returns the menu codes a menu-permission 403 in err's chain
// names, and whether there is one.
func MenusDenied(err error) ([]string, bool) {
	if he, ok := errors.AsType[*HTTPError](err); ok && len(he.Menus) > 0 {
		return he.Menus, true
	}
	return nil, false
}

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
	// Menus, on a 403 for a menu permission the account lacks in the
	// tenant, are the menu codes of its X-Permit-MenuCode header
	// ("Training", "Notebook", "Preprocess", ...), any of which would grant
	// access; the server answers such a 403 with an empty body.
	Menus []string

	// lostRole: a 401 "You have lost a role for the access.", or a 400
	// refusing a token for a tenant the account is no longer in.
	lostRole bool
	// badLogin: a login refused for its credentials (400, 401 or 403).
	badLogin bool
}

// Error reads like "GET /api/v2/training: 500 Internal Server Error: boom".
func (e *HTTPError) Error() string {
	if len(e.Menus) > 0 {
		return fmt.Sprintf("%s %s: 403 Forbidden: the account lacks the %s menu permission in this tenant",
			e.Method, e.Path, strings.Join(e.Menus, " or "))
	}
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

// Is matches the sentinel for the status code: ErrUnauthorized for 401
// (and a refused login), ErrForbidden for 403, ErrNotFound for 404, and
// ErrMenuDenied for a 403 that names menus.
//
// A lost role in the tenant matches ErrTenantLost and ErrForbidden, not
// ErrUnauthorized.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrTenantLost:
		return e.lostRole
	case ErrUnauthorized:
		return (e.StatusCode == http.StatusUnauthorized && !e.lostRole) || e.badLogin
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden || e.lostRole
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrMenuDenied:
		return len(e.Menus) > 0
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
	midway      bool // the answer had begun
	tls         bool // the TLS handshake failed: the only kind not temporary
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
func (e *TransportError) Temporary() bool { return !e.tls }

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
		te.unreachable = true
	case errors.Is(err, errCutShort):
		te.Reason = sanitize(te.Err.Error(), 120)
		te.midway = true
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
		te.unreachable = true
	case errors.Is(err, syscall.ECONNREFUSED):
		te.Reason = "connection refused"
		te.unreachable = true
	case errors.Is(err, syscall.ECONNRESET):
		te.Reason = "connection reset"
		te.unreachable = true
	case errors.As(err, &netErr) && netErr.Timeout():
		te.Reason = fmt.Sprintf("timed out (%s)", sanitize(netErr.Error(), 80))
		te.unreachable = true
	case errors.As(err, &record) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		te.Reason = "TLS handshake failed (does the server speak plain HTTP?)"
		te.tls = true
	case errors.As(err, &opErr) && opErr.Op == "dial":
		te.Reason = sanitize(opErr.Err.Error(), 120)
		te.unreachable = true
	default:
		te.Reason = sanitize(te.Err.Error(), 120)
	}
	return te
}

// errCutShort marks a body read that failed midway.
var errCutShort = errors.New("answer cut short")

// unwrapURLError drops the *url.Error layer, whose text holds the full URL.
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
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
