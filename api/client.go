package api

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// PerPageMax is the largest page the server returns: it caps perPage at
// 1000, and an unset perPage means 1000.
const PerPageMax = 1000

// Defaults for Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBodyBytes = 32 << 20
)

// Config configures a Client. BaseURL, User and Password are required for
// everything but Version.
type Config struct {
	// BaseURL is the server, e.g. "https://kamonohashi.example.com". A UI
	// address pasted with a trailing "/", "/#/" or "/#" is accepted.
	BaseURL string
	// User and Password are the account's credentials. The caller loads
	// them (from a file, the environment, ...); the Client never shows them.
	User     string
	Password string

	// HTTPClient is used as it is when set; CAFile and InsecureSkipVerify
	// must then be empty. When nil, the Client builds its own, with
	// sensible dial, TLS and idle timeouts and the proxy from the
	// environment.
	HTTPClient *http.Client
	// CAFile is a PEM file of CA certificates trusted in addition to the
	// system pool (for an on-premises server with a private CA).
	CAFile string
	// InsecureSkipVerify turns off certificate verification. It exists only
	// behind a loud flag; New logs a warning when it is set.
	InsecureSkipVerify bool

	// Timeout bounds each request, body included (default 30s).
	Timeout time.Duration
	// UserAgent is sent with every request, e.g. "kamobot/1.2.0".
	UserAgent string
	// MaxBodyBytes bounds every answer body (default 32 MiB); a longer one
	// fails with ErrTooLarge.
	MaxBodyBytes int64
	// ServerLocation is the zone the server writes its times in: they are
	// DateTime.Now strings without an offset (Util.cs ToFormatedString in
	// the server). Default UTC, as the server's container image sets no TZ.
	ServerLocation *time.Location

	// Observe, when set, is called after every HTTP exchange with the
	// method, the route template (e.g. "/api/v2/training/{id}", so metric
	// labels stay few), the status (0 when no answer came) and the time
	// taken. It must be quick and safe for concurrent use.
	Observe func(method, path string, status int, d time.Duration)
	// Logger receives debug lines about logins and token renewals (never a
	// secret). Nil discards them.
	Logger *slog.Logger

	// MaxInFlight bounds the requests in flight to the server at once,
	// whoever sends them (logins, tokens, account, lists, details): each
	// list costs the real server a load of the tenant's whole table.
	// Default MaxConns; the Client keeps as many idle connections.
	MaxInFlight int
	// TokenFile, when set, keeps the login token, the tenant tokens and the
	// tenant list across processes (a `check` from cron), in a file of mode
	// 0600: see tokencache.go. Empty keeps them in memory only.
	TokenFile string
}

// Client talks to one KAMONOHASHI server as one account. It is safe for
// concurrent use; tokens are cached per tenant and renewed on demand.
type Client struct {
	base     *url.URL
	host     string
	user     string
	password string
	hc       *http.Client
	timeout  time.Duration
	ua       string
	maxBody  int64
	loc      *time.Location
	observe  func(method, path string, status int, d time.Duration)
	log      *slog.Logger

	// slots bounds the requests in flight (Config.MaxInFlight).
	slots chan struct{}

	mu      sync.Mutex
	tokens  map[int64]token    // by scope: a tenant id, or loginScope
	flights singleflight.Group // token fetches, by scopeName
	seen    []string           // every token handed out, for redaction
	cache   tokenCache
}

// New checks cfg and returns a Client. It does not contact the server.
func New(cfg Config) (*Client, error) {
	base, err := NormalizeServer(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(base) // NormalizeServer has parsed it already
	// A timeout, size or count not above zero takes its default.
	n := cmp.Or(max(cfg.MaxInFlight, 0), MaxConns)
	c := &Client{
		base:     u,
		host:     u.Host,
		user:     cfg.User,
		password: cfg.Password,
		timeout:  cmp.Or(max(cfg.Timeout, 0), DefaultTimeout),
		ua:       cmp.Or(cfg.UserAgent, "kamobot"),
		maxBody:  cmp.Or(max(cfg.MaxBodyBytes, 0), DefaultMaxBodyBytes),
		loc:      cmp.Or(cfg.ServerLocation, time.UTC),
		observe:  cfg.Observe,
		log:      cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		tokens:   map[int64]token{},
		slots:    make(chan struct{}, n),
		cache:    tokenCache{path: cfg.TokenFile},
	}
	switch {
	case cfg.HTTPClient != nil && (cfg.CAFile != "" || cfg.InsecureSkipVerify):
		return nil, errors.New("kamonohashi client: a CA file or skipping TLS verification cannot be combined with a custom HTTP client")
	case cfg.HTTPClient != nil:
		c.hc = cfg.HTTPClient
	default:
		tr, err := newTransport(cfg.CAFile, cfg.InsecureSkipVerify, n)
		if err != nil {
			return nil, err
		}
		c.hc = &http.Client{Transport: tr}
	}
	if cfg.InsecureSkipVerify {
		c.log.Warn("TLS certificate verification is OFF for the KAMONOHASHI server (insecure-skip-tls-verify): "+
			"anyone on the network path can pose as the server and read the password and tokens; "+
			"trust its CA with kamonohashi.ca_file or SSL_CERT_FILE instead", "host", c.host)
	}
	return c, nil
}

// Server is the normalised base URL the Client talks to.
func (c *Client) Server() string { return c.base.String() }

// Version asks the server its version (GET /api/v2/version). It needs no
// login, so it is a cheap health probe.
func (c *Client) Version(ctx context.Context) (string, error) {
	var out VersionOutput
	if _, err := c.get(ctx, "/api/v2/version", "/api/v2/version", noAuth, nil, &out); err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	return out.Version, nil
}

// NormalizeServer checks a server address and returns it as
// "scheme://host[:port][/path]" with no trailing slash. It accepts an
// address pasted from the web UI: a trailing "/", "/#/" or "/#", or any
// other "#/..." fragment, is dropped. Credentials or a query in the address
// are refused, since they would end up in logs.
func NormalizeServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("kamonohashi server address is empty")
	}
	s, _, _ = strings.Cut(s, "#") // the web UI routes by fragment: "/#/training/12"
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("kamonohashi server address %q is not a URL", sanitize(s, 80))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("kamonohashi server address %q must start with https:// or http://", sanitize(s, 80))
	case u.User != nil:
		return "", errors.New("kamonohashi server address must not hold credentials: use the user and password settings")
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("kamonohashi server address %q has no host", sanitize(s, 80))
	case u.RawQuery != "" || u.ForceQuery:
		return "", fmt.Errorf("kamonohashi server address %q must not have a query", u.Scheme+"://"+u.Host+u.Path)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// MaxConns is how many requests a Client has in flight to the server by
// default (Config.MaxInFlight), and so how many idle connections it keeps
// to it: a pass every interval then reuses them rather than dialling, and
// over TLS handshaking, anew each time.
const MaxConns = 8

// newTransport builds the transport for a Client of its own, following the
// project's HTTP hygiene: bounded dial and TLS handshakes, idle connections
// for the requests of a pass, the proxy from the environment.
func newTransport(caFile string, insecure bool, conns int) (*http.Transport, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // only behind a loud flag
	if caFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
		}
		tlsConf.RootCAs = pool
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		TLSClientConfig:       tlsConf,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		MaxConnsPerHost:       conns,
		ForceAttemptHTTP2:     true,
		ExpectContinueTimeout: time.Second,
	}, nil
}

// drain reads what is left of a body (a little) and closes it, so the
// connection can be reused.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
