package notify

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Class says what a webhook answer means for the message and the webhook.
type Class int

// The classes of answers. The zero Class means "not sent".
const (
	// Delivered: 2xx with the body exactly "ok". Mark the message sent.
	Delivered Class = iota + 1
	// RateLimited: 429. Keep the message; retry after Result.RetryAfter
	// (or an own backoff when Slack gave none).
	RateLimited
	// Temporary: 5xx, timeouts, connection errors, or a 2xx with another
	// body. Keep the message and retry later; Slack may have posted it.
	Temporary
	// PermanentMessage: Slack refused this message (invalid_payload,
	// invalid_blocks, no_text, ...). Retrying it cannot help: dead-letter it
	// and go on with the next one.
	PermanentMessage
	// DeadWebhook: the webhook itself is gone or refused (no_service,
	// invalid_token, channel_is_archived, any other 4xx). Stop sending to
	// it, keep its messages, and tell the operator.
	DeadWebhook
)

func (c Class) String() string {
	names := [...]string{"not_sent", "delivered", "rate_limited", "temporary", "permanent_message", "dead_webhook"}
	if c < 0 || int(c) >= len(names) {
		return names[0]
	}
	return names[c]
}

// Retryable reports whether sending the same message again may succeed.
func (c Class) Retryable() bool { return c == RateLimited || c == Temporary }

// Result is the outcome of one send.
type Result struct {
	Class Class
	// Status is the HTTP status, or 0 when no answer came.
	Status int
	// Code is Slack's error string ("no_service", "rate_limited", ...) or,
	// for another body, the body capped to 200 bytes and sanitised. It is
	// empty when delivered.
	Code string
	// RetryAfter is Slack's Retry-After for a 429, capped; zero when Slack
	// gave none (use an own backoff).
	RetryAfter time.Duration
	// Err is nil when delivered, else an *Error. It never holds the URL.
	Err error
}

// OK reports whether the message was delivered.
func (r Result) OK() bool { return r.Class == Delivered }

// LogValue makes a Result log as its class, status, code and error.
func (r Result) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("class", r.Class.String())}
	if r.Status != 0 {
		attrs = append(attrs, slog.Int("status", r.Status))
	}
	if r.Code != "" {
		attrs = append(attrs, slog.String("code", r.Code))
	}
	if r.RetryAfter > 0 {
		attrs = append(attrs, slog.Duration("retry_after", r.RetryAfter))
	}
	if r.Err != nil {
		attrs = append(attrs, slog.String("error", r.Err.Error()))
	}
	return slog.GroupValue(attrs...)
}

// Error is a failed send. It names the webhook by its host only.
type Error struct {
	Class  Class
	Host   string
	Status int    // 0 when no answer came
	Code   string // as in Result
	Err    error  // the transport error, URL redacted; nil for an HTTP answer
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("slack webhook %s: %v", e.Host, e.Err)
	case e.Code == "":
		return fmt.Sprintf("slack webhook %s: %d %s (empty body)", e.Host, e.Status, http.StatusText(e.Status))
	default:
		return fmt.Sprintf("slack webhook %s: %d %s: %s", e.Host, e.Status, http.StatusText(e.Status), e.Code)
	}
}

// Unwrap returns the transport error.
func (e *Error) Unwrap() error { return e.Err }

// Slack's error strings, by what they mean (shared/notes/slack-webhook.md §2).
var (
	messageCodes = []string{"invalid_payload", "no_text", "missing_text_or_fallback_or_attachments",
		"too_many_attachments", "user_not_found", "msg_too_long", "msg_blocks_too_long", "invalid_attachments"}
	webhookCodes = []string{"no_service", "no_service_id", "no_active_hooks", "invalid_token", "channel_not_found",
		"channel_is_archived", "action_prohibited", "posting_to_general_channel_denied", "no_team", "team_disabled"}
)

// classify turns an HTTP answer into a Result. body is at most a few KiB.
func classify(status int, header http.Header, body []byte, webhookURL string, now time.Time) Result {
	r := Result{Status: status}
	if status/100 == 2 && string(body) == "ok" {
		r.Class = Delivered
		return r
	}
	r.Code = slackCode(body, webhookURL)
	switch {
	case status/100 == 2:
		r.Class = Temporary // a proxy or look-alike said something else: keep the message
	case status == http.StatusTooManyRequests:
		r.Class = RateLimited
		r.RetryAfter = parseRetryAfter(header.Get("Retry-After"), now)
	case status == http.StatusRequestTimeout:
		r.Class = Temporary
	case status == http.StatusNotImplemented:
		r.Class = DeadWebhook // the endpoint does not take a POST: wrong URL
	case slices.Contains(webhookCodes, r.Code):
		// Whatever the status: invalid_token has been 403 and 400, and
		// action_prohibited has come as a 500, which retrying never cures.
		r.Class = DeadWebhook
	case slices.Contains(messageCodes, r.Code) || strings.HasPrefix(r.Code, "invalid_blocks"):
		r.Class = PermanentMessage // also from a 5xx: the same message is refused again
	case status >= 500:
		r.Class = Temporary
	case status == http.StatusRequestEntityTooLarge:
		r.Class = PermanentMessage
	default:
		// Known webhook codes, any other 4xx, redirects, 1xx: the webhook is
		// wrong or gone. Stopping keeps every message for when it is fixed.
		r.Class = DeadWebhook
	}
	r.Err = &Error{Class: r.Class, Host: host(webhookURL), Status: status, Code: r.Code}
	return r
}

// slackCode extracts Slack's error string from a body: the bare string, or
// the "error" field of a JSON body (as in the 429 body), sanitised.
func slackCode(body []byte, webhookURL string) string {
	var js struct {
		Error string `json:"error"`
	}
	if len(body) > 0 && body[0] == '{' && json.Unmarshal(body, &js) == nil && js.Error != "" {
		return sanitizeBody([]byte(js.Error), webhookURL)
	}
	return sanitizeBody(body, webhookURL)
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date, capped at DefaultMaxRetryAfter. It returns 0 when the header is
// missing, invalid or already past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || secs != secs {
			return 0
		}
		if secs > DefaultMaxRetryAfter.Seconds() {
			return DefaultMaxRetryAfter
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), DefaultMaxRetryAfter)
}
