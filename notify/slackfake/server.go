package slackfake

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"log"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// maxBody is the largest request body the fake reads.
const maxBody = 1 << 20

// Options configure a fake. The zero value is a lenient Slack: any
// /services/T…/B…/<secret> path is an active hook, no rate limit.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// TLS serves HTTPS with httptest's certificate, which clients do not
	// trust unless told to.
	TLS bool
	// Strict accepts only the hooks registered with HookURL or NewHook:
	// an unknown "T…/B…" gets 404 no_service, a wrong secret 403 invalid_token.
	Strict bool
	// InvalidTokenStatus is the status for invalid_token: 403 (default) or
	// 400, as Slack has answered since 2026.
	InvalidTokenStatus int
	// RateLimit is the initial per-hook token bucket (off by default).
	RateLimit RateLimit
	// Limits are the message limits; the zero value means DefaultLimits.
	Limits Limits
	// Now is the clock for arrival times and the rate limit; default time.Now.
	Now func() time.Time
}

// Server is a fake Slack: incoming webhooks, the Web API (webapi.go) and
// Socket Mode (socket.go). It is safe for concurrent use.
type Server struct {
	opts    Options
	srv     *httptest.Server
	closing chan struct{}
	once    sync.Once
	hookSeq atomic.Int64

	mu       sync.Mutex
	hooks    map[string]hook
	faults   []Fault
	rate     RateLimit
	buckets  map[string]bucket
	messages []Message
	attempts []Attempt

	// The workspace the Web API answers from (webapi.go).
	tokens    map[string]*Token
	channels  map[string]Channel
	apiFaults []APIFault
	threads   map[string]string // the thread ts of each message, by channel+"/"+ts
	tsSeq     int64
	calls     []string // Web API method names, in order

	// Socket Mode (socket.go); mu is also held to write on a connection.
	conns   map[*websocket.Conn]bool
	opened  int
	envSeq  int
	waiting map[string]chan Ack // by envelope id
	acks    []Ack
}

// New starts a fake on opts.Addr. Close it when done.
func New(opts Options) (*Server, error) {
	opts.Addr = cmp.Or(opts.Addr, "127.0.0.1:0")
	opts.InvalidTokenStatus = cmp.Or(opts.InvalidTokenStatus, http.StatusForbidden)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("slackfake: listen: %w", err)
	}
	s := &Server{
		opts:     opts,
		closing:  make(chan struct{}),
		hooks:    map[string]hook{},
		rate:     opts.RateLimit.normal(),
		buckets:  map[string]bucket{},
		tokens:   map[string]*Token{},
		channels: map[string]Channel{},
		threads:  map[string]string{},
		conns:    map[*websocket.Conn]bool{},
		waiting:  map[string]chan Ack{},
	}
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{
		Handler:  http.HandlerFunc(s.serveHTTP),
		ErrorLog: log.New(io.Discard, "", 0),
	}}
	if opts.TLS {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	return s, nil
}

// NewTest starts a fake for a test and closes it when the test ends. It
// takes at most one Options.
func NewTest(t TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, releasing requests held by a Hang fault.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// URL is the base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.srv.URL }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/_fake/"):
		s.control(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/"):
		s.webAPI(w, r)
	default:
		s.post(w, r)
	}
}

// post answers one request to a hook path.
func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	at := Attempt{At: now, Method: r.Method}
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.answer(w, &at, answer{status: http.StatusMethodNotAllowed, body: "invalid_method"})
		return
	}
	id, secret, ok := hookPath(r.URL.Path)
	if !ok {
		s.answer(w, &at, answer{status: http.StatusNotFound, body: "no_service"})
		return
	}
	at.Hook = id

	s.mu.Lock()
	rej := s.lookup(id, secret)
	var f Fault
	hasFault, allowed, retry := false, false, 0
	if rej == nil {
		if f, hasFault = s.nextFault(id); !hasFault {
			allowed, retry = s.take(id, now)
		}
	}
	s.mu.Unlock()

	switch {
	case rej != nil:
		s.answer(w, &at, answer{status: rej.Status, body: rej.Code})
	case hasFault:
		s.fault(w, r, &at, f, body)
	case !allowed:
		at.Fault = "rate_limit"
		h := http.Header{}
		h.Set("Retry-After", strconv.Itoa(retry))
		h.Set("Content-Type", "application/json; charset=utf-8")
		s.answer(w, &at, answer{status: http.StatusTooManyRequests, body: rateLimitedBody(retry), header: h})
	case readErr != nil || len(body) > maxBody:
		s.answer(w, &at, answer{status: http.StatusBadRequest, body: "invalid_payload"})
	default:
		m, rej := s.accept(id, now, r.Header.Get("Content-Type"), body)
		if rej != nil {
			s.answer(w, &at, answer{status: rej.Status, body: rej.Code})
			return
		}
		at.Accepted = true
		s.store(m) // before answering, so a client that saw "ok" finds it
		s.answer(w, &at, answer{status: http.StatusOK, body: "ok"})
	}
}

// accept decodes a JSON or form-encoded body, validates it and builds its
// record.
func (s *Server) accept(id string, now time.Time, contentType string, raw []byte) (Message, *Reject) {
	if contentType == "" && bytes.HasPrefix(raw, []byte("payload=")) {
		contentType = "application/x-www-form-urlencoded"
	}
	mt, params, err := mime.ParseMediaType(contentType)
	js := raw
	switch {
	case err != nil && contentType != "": // no Content-Type at all is JSON
		return Message{}, reject("invalid_payload", "bad content type")
	case mt == "application/json" || mt == "":
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return Message{}, reject("invalid_payload", "charset %q", cs)
		}
	case mt == "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(raw))
		if err != nil || !q.Has("payload") {
			return Message{}, reject("invalid_payload", "form without payload=")
		}
		js = []byte(q.Get("payload"))
	default:
		return Message{}, reject("invalid_payload", "content type %q", mt)
	}
	p, rej := parsePayload(js, s.opts.Limits)
	if rej != nil {
		return Message{}, rej
	}
	return newMessage(id, now, raw, js, p), nil
}

// fault answers a request with a scripted fault.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, at *Attempt, f Fault, body []byte) {
	at.Fault = "status"
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
		case <-s.closing:
		}
	}
	if f.Hang {
		at.Fault = "hang"
		s.record(*at)
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	if f.Reset || f.Deliver {
		if m, rej := s.accept(at.Hook, at.At, r.Header.Get("Content-Type"), body); rej == nil {
			at.Accepted = true
			s.store(m)
		}
	}
	if f.Reset {
		at.Fault = "reset"
		s.record(*at)
		reset(w)
		return
	}
	s.answer(w, at, faultAnswer(f))
}

// reset closes the connection with a TCP RST.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	c := conn
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = nc.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// answer writes a response the way Slack does and records the attempt.
func (s *Server) answer(w http.ResponseWriter, at *Attempt, a answer) {
	maps.Copy(w.Header(), a.header)
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/html")
	}
	w.Header().Set("X-Slack-Unique-Id", fmt.Sprintf("fake-%d", at.At.UnixNano()))
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
	at.Status = a.status
	if a.status != http.StatusOK || a.body != "ok" {
		at.Code = a.body
		if len(at.Code) > 80 { // short enough for an attempt record
			at.Code = at.Code[:80] + "…"
		}
	}
	s.record(*at)
}

// record stores an attempt.
func (s *Server) record(at Attempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at.Seq = len(s.attempts) + 1
	s.attempts = append(s.attempts, at)
}

// store records an accepted message.
func (s *Server) store(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.Seq = len(s.messages) + 1
	s.messages = append(s.messages, m)
}
