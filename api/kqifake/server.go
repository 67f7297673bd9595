// Package kqifake is an in-memory fake KAMONOHASHI server for tests, the
// demo and shell scripts. It answers the part of the API kamobot uses with
// the api package's wire types, and behaves as the real server
// (KAMONOHASHI/kamonohashi, web-api/platypus/platypus/) does, each
// behaviour citing the server's file: statuses, order, filters, paging,
// times, JSON, tokens and error shapes. Races and faults of the real
// server (the None window, a Kubernetes error stored as Failed) happen
// only when asked.
//
// It can inject latency and faults, counts requests, bytes and what they
// would cost the real server (rows loaded, Kubernetes calls, requests in
// flight), and has a control API under /_fake/ (no auth) that mirrors its
// Go methods, one endpoint each, with the same names in JSON (control.go
// lists them).
//
// Everything is safe for concurrent use.
package kqifake

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kamobot/kamobot/api"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Location is the zone the server writes its times in: its
	// DateTime.Now, written without an offset (DataAccess/CommonDbContext.cs
	// line 402, Infrastructure/Util.cs ToFormatedString line 40). Default
	// UTC: the server's container image sets no TZ. SetLocation and
	// POST /_fake/timezone change it.
	Location *time.Location
	// Seed seeds the random numbers of faults (default 1), so runs repeat.
	Seed uint64
	// TokenLifetime is how long a token lives unless the login asks
	// otherwise (default DefaultTokenLifetime).
	TokenLifetime time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives a line per control action. Nil discards.
	Logger *slog.Logger
	// TokenCanary, when set, starts the signature part of every token the
	// server issues, so that a test can search everything kamobot wrote for
	// it and prove no token leaked. Tokens keep their JWT shape
	// (header.claims.signature): TokenCanary must use the base64url
	// alphabet only (A-Z, a-z, 0-9, "-", "_"); New panics otherwise.
	TokenCanary string
}

// Server is a fake KAMONOHASHI server.
type Server struct {
	loc      *time.Location
	now      func() time.Time
	lifetime time.Duration
	canary   string
	log      *slog.Logger
	mux      *http.ServeMux

	mu        sync.Mutex
	rng       *rand.Rand
	tenants   map[int64]*tenant
	accounts  map[string]*account
	tokens    map[string]*tokenInfo
	jobs      map[api.Kind]map[int64]*job // by id (history id for preprocessing)
	lists     map[listKey][]*job          // training, inference, notebook, ascending id
	defs      map[int64]*preprocessDef    // preprocessing definitions by id
	defList   map[int64][]*preprocessDef  // by tenant, ascending id
	nextID    map[string]int64            // id counters: kinds, "tenant", "user", "def"
	display   map[listKey]int64           // last display id per tenant and kind
	faults    *Faults
	faultHits int // the faults' Status, Malformed or Truncate given so far
	races     Races
	denied    map[int64][]string // menu codes denied per tenant
	stats     Stats
	inFlight  int64
	http      *http.Server
	url       string // of the started server
}

type listKey struct {
	tenant int64
	kind   api.Kind
}

// DefaultTokenLifetime is the real server's default token life:
// ApiJwtExpirationSec 864000 s, 10 days (web-api appsettings.json line 23).
const DefaultTokenLifetime = 864000 * time.Second

// New returns a Server with no data. Serve it with Start, NewTest or
// Handler.
func New(opts Options) *Server {
	s := &Server{
		loc:      cmp.Or(opts.Location, time.UTC),
		now:      opts.Now,
		lifetime: cmp.Or(max(opts.TokenLifetime, 0), DefaultTokenLifetime),
		canary:   opts.TokenCanary,
		log:      cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		tenants:  map[int64]*tenant{},
		accounts: map[string]*account{},
		tokens:   map[string]*tokenInfo{},
		jobs:     map[api.Kind]map[int64]*job{},
		lists:    map[listKey][]*job{},
		defs:     map[int64]*preprocessDef{},
		defList:  map[int64][]*preprocessDef{},
		nextID:   map[string]int64{},
		display:  map[listKey]int64{},
		denied:   map[int64][]string{},
		stats:    newStats(),
	}
	if strings.Trim(s.canary, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		panic(fmt.Sprintf("kqifake: TokenCanary %q: use base64url characters only", s.canary))
	}
	if s.now == nil {
		s.now = time.Now
	}
	seed := cmp.Or(opts.Seed, 1)
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for _, k := range api.AllKinds() {
		s.jobs[k] = map[int64]*job{}
	}
	s.mux = s.routes()
	return s
}

// Location is the zone the server writes its times in.
func (s *Server) Location() *time.Location {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loc
}

// SetLocation changes the zone the server writes its times in, as an
// operator setting TZ on the server would (nil means UTC).
func (s *Server) SetLocation(loc *time.Location) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loc = cmp.Or(loc, time.UTC)
}

// Handler serves the API and the control API, for mounting elsewhere.
func (s *Server) Handler() http.Handler { return s.mux }

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background
// until Close.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("fake kamonohashi: listen: %w", err)
	}
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.http, s.url = srv, "http://"+ln.Addr().String()
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("fake kamonohashi stopped", "err", err)
		}
	}()
	return nil
}

// URL is the base URL of a started server, e.g. "http://127.0.0.1:43567";
// "" when it is not started.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops a started server at once.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.http
	s.http, s.url = nil, ""
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// TB is the part of testing.TB that NewTest needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// NewTest starts a Server on a loopback port for a test and closes it when
// the test ends.
func NewTest(t TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s := New(o)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
