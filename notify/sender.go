package notify

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of a Sender.
const (
	DefaultTimeout       = 10 * time.Second
	DefaultUserAgent     = "kamobot"
	DefaultMaxRetryAfter = 15 * time.Minute // the cap on Slack's Retry-After
	DefaultInterval      = time.Second      // at most one message per second per webhook
)

// maxRead is how much of a response body the sender reads to classify it.
const maxRead = 4 << 10

// SenderOptions configure a Sender. Every field has a default.
type SenderOptions struct {
	// Client posts the messages; default NewHTTPClient(DefaultTimeout).
	Client *http.Client
	// UserAgent is sent with every request; default "kamobot".
	UserAgent string
	// Logger gets one debug line per send and a warning per retry; it never
	// sees the URL. Default: discard.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done; default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Random returns a number in [0, 1) for the backoff jitter; default
	// math/rand/v2.Float64.
	Random func() float64
	// Retry is DeliverGated's in-process retry policy.
	Retry RetryPolicy
	// Pacer paces DeliverGated per webhook; default one message per second
	// with the same clock. Share one Pacer between Senders that post to the
	// same webhooks.
	Pacer *Pacer
}

// RetryPolicy bounds DeliverGated's in-process retries. Longer waits
// belong to the outbox, which survives restarts.
type RetryPolicy struct {
	// Attempts is the most sends of one message per DeliverGated; default 3.
	Attempts int
	// Base and Cap shape the backoff: full jitter over
	// min(Cap, Base·2^(attempt-1)). Defaults 1s and 30s.
	Base, Cap time.Duration
	// MaxWait is the longest single wait DeliverGated does itself; a longer
	// Retry-After ends it with the RateLimited result. Default 30s.
	MaxWait time.Duration
}

func (p RetryPolicy) normal() RetryPolicy {
	p.Attempts = positive(p.Attempts, 3)
	p.Base = positive(p.Base, time.Second)
	p.Cap = positive(p.Cap, 30*time.Second)
	p.MaxWait = positive(p.MaxWait, 30*time.Second)
	return p
}

// positive is v, or def when v is not positive.
func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Backoff is the wait before send number attempt+1 after attempt failed
// sends (attempt ≥ 1): full jitter, random·min(Cap, Base·2^(attempt-1)).
func (p RetryPolicy) Backoff(attempt int, random func() float64) time.Duration {
	p = p.normal()
	ceil := p.Base
	for i := 1; i < attempt && ceil < p.Cap; i++ {
		ceil *= 2 // stops at the cap: never overflows
	}
	return time.Duration(random() * float64(min(ceil, p.Cap)))
}

// Sender posts messages to Slack incoming webhooks. It is safe for
// concurrent use.
type Sender struct {
	o SenderOptions // with the defaults filled in
}

// NewSender returns a Sender with the defaults filled in.
func NewSender(o SenderOptions) *Sender {
	if o.Client == nil {
		o.Client = NewHTTPClient(DefaultTimeout)
	}
	o.UserAgent = cmp.Or(o.UserAgent, DefaultUserAgent)
	o.Logger = cmp.Or(o.Logger, discard)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepContext
	}
	if o.Random == nil {
		o.Random = rand.Float64
	}
	o.Retry = o.Retry.normal()
	if o.Pacer == nil {
		o.Pacer = NewPacer(DefaultInterval, o.Now, o.Sleep)
	}
	return &Sender{o: o}
}

// discard is the logger of those not given one.
var discard = slog.New(slog.DiscardHandler)

// NewHTTPClient returns the client a Sender uses by default: a whole-request
// timeout, short dial and TLS timeouts, proxies from the environment, and no
// redirects (a redirect is answered as it came, and counts as a dead webhook).
func NewHTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 5 * time.Second
	tr.ResponseHeaderTimeout = timeout
	tr.MaxIdleConnsPerHost = 4
	return &http.Client{
		Timeout:   timeout,
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Send posts one JSON payload to a webhook, once, and classifies the answer.
// It does not pace or retry: see DeliverGated.
func (s *Sender) Send(ctx context.Context, webhookURL string, payload []byte) Result {
	start := s.o.Now()
	r := s.send(ctx, webhookURL, payload)
	s.o.Logger.LogAttrs(ctx, slog.LevelDebug, "slack post",
		slog.String("webhook", Redact(webhookURL)),
		slog.String("fingerprint", Fingerprint(webhookURL)),
		slog.Any("result", r),
		slog.Duration("took", s.o.Now().Sub(start)))
	if r.Class == RateLimited && r.RetryAfter == DefaultMaxRetryAfter {
		s.o.Logger.LogAttrs(ctx, slog.LevelWarn, "slack Retry-After capped",
			slog.String("webhook", Redact(webhookURL)), slog.Duration("retry_after", r.RetryAfter))
	}
	return r
}

func (s *Sender) send(ctx context.Context, webhookURL string, payload []byte) Result {
	h := host(webhookURL)
	u, err := url.Parse(strings.TrimSpace(webhookURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// url.Parse errors quote the URL: never wrap them.
		err := &Error{Class: DeadWebhook, Host: h, Err: errors.New("invalid webhook url")}
		return Result{Class: DeadWebhook, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		err := &Error{Class: DeadWebhook, Host: h, Err: errors.New("cannot build the request")}
		return Result{Class: DeadWebhook, Err: err}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", s.o.UserAgent)
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return transportFailure(h, redactError(err, webhookURL))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRead))
	if err != nil {
		return transportFailure(h, redactError(err, webhookURL))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	return classify(resp.StatusCode, resp.Header, body, webhookURL, s.o.Now())
}

// transportFailure is the Result of a send that got no (whole) answer:
// Slack may or may not have posted the message.
func transportFailure(host string, err error) Result {
	return Result{Class: Temporary, Err: &Error{Class: Temporary, Host: host, Err: err}}
}

// sleepContext waits d, or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
