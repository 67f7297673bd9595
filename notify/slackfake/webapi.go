package slackfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Web API part of the fake: the methods kamobot's app mode calls,
// answered as Slack answers them: HTTP 200 with {"ok":true,...} or
// {"ok":false,"error":"..."}, and 429 with Retry-After when rate limited.
// Requests carry the token as "Authorization: Bearer" or a "token" field,
// in a form-encoded or JSON body.
//
//	POST /api/auth.test            → team, user, bot_id; X-OAuth-Scopes header
//	POST /api/chat.postMessage     channel, text, blocks, thread_ts, reply_broadcast → ts
//	POST /api/chat.update          channel, ts, text, blocks
//	POST /api/pins.add             channel, timestamp
//	POST /api/conversations.info   channel
//	POST /api/apps.connections.open (app token) → a WebSocket URL (socket.go)

// BotScopes are the scopes a bot token has unless given others.
var BotScopes = []string{"chat:write", "pins:write", "channels:read", "groups:read", "commands"}

// methodScopes is the scope each method needs.
var methodScopes = map[string]string{
	"chat.postMessage":   "chat:write",
	"chat.update":        "chat:write",
	"pins.add":           "pins:write",
	"conversations.info": "channels:read",
}

// Token is a token the fake knows.
type Token struct {
	Token  string   `json:"token"`
	Scopes []string `json:"scopes,omitempty"`
	// Error, when set, is answered to every call with this token:
	// "token_revoked", "invalid_auth", "account_inactive".
	Error string `json:"error,omitempty"`
}

// Channel is a channel the fake knows.
type Channel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// NotMember makes posts answer not_in_channel.
	NotMember bool `json:"not_member,omitempty"`
}

// APIFault is a scripted answer to the next Count calls of Method (every
// method when empty): an error with HTTP 200, or a 429 with RetryAfter.
type APIFault struct {
	Method     string `json:"method,omitempty"`
	Error      string `json:"error,omitempty"`
	Status     int    `json:"status,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"`
	Count      int    `json:"count,omitempty"` // default 1; -1 forever
}

// AddToken registers a bot (xoxb-) or app (xapp-) token; with no scopes a
// bot token has BotScopes. Once a token is registered, only registered
// tokens are accepted.
func (s *Server) AddToken(t Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Scopes == nil && strings.HasPrefix(t.Token, "xoxb-") {
		t.Scopes = BotScopes
	}
	s.tokens[t.Token] = &t
}

// AddChannel registers a channel. Once one is registered, posting to an
// unknown channel answers channel_not_found.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.ID] = c
}

// ScriptAPI queues Web API faults.
func (s *Server) ScriptAPI(faults ...APIFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		f.Count = cmp.Or(f.Count, 1)
		s.apiFaults = append(s.apiFaults, f)
	}
}

// APICalls lists the Web API methods called, in order.
func (s *Server) APICalls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// auth checks a token of the wanted prefix: invalid_auth when unknown or
// of the wrong kind, not_authed when missing, or the token's own error.
func (s *Server) auth(token, prefix string) (*Token, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch t, ok := s.tokens[token]; {
	case token == "":
		return nil, "not_authed"
	case !strings.HasPrefix(token, prefix):
		return nil, "not_allowed_token_type"
	case ok && t.Error != "":
		return nil, t.Error
	case ok:
		return t, ""
	case len(s.tokens) > 0:
		return nil, "invalid_auth"
	default:
		return &Token{Token: token, Scopes: BotScopes}, ""
	}
}

// channel finds a channel: channel_not_found when unknown (once channels
// are registered), not_in_channel for a post where the bot is not a member.
func (s *Server) channel(id string, post bool) (Channel, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	switch {
	case ok && post && c.NotMember:
		return c, "not_in_channel"
	case !ok && (len(s.channels) > 0 || id == ""):
		return c, "channel_not_found"
	case !ok:
		c = Channel{ID: id, Name: strings.ToLower(id)}
	}
	return c, ""
}

func (s *Server) nextAPIFault(method string) (APIFault, bool) {
	i := slices.IndexFunc(s.apiFaults, func(f APIFault) bool { return f.Method == "" || f.Method == method })
	if i < 0 {
		return APIFault{}, false
	}
	f := s.apiFaults[i]
	s.apiFaults = countDown(s.apiFaults, i, &s.apiFaults[i].Count)
	return f, true
}

// DeleteMessage deletes the message ts in channel, as a person can in
// Slack: later updates, replies and pins of it answer message_not_found
// (thread_not_found for a reply). It reports whether there was one.
func (s *Server) DeleteMessage(channel, ts string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.threads[channel+"/"+ts]
	delete(s.threads, channel+"/"+ts)
	return ok
}

// SetScopes replaces the scopes of a registered token, as reinstalling
// the app with another manifest does; it reports whether the token is
// known.
func (s *Server) SetScopes(token string, scopes []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	if ok {
		t.Scopes = slices.Clone(scopes)
	}
	return ok
}

// apiRequest is one decoded Web API request.
type apiRequest struct {
	method string
	token  string
	args   url.Values // the first value counts
	raw    []byte
}

func decodeAPIRequest(r *http.Request) (*apiRequest, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return nil, err
	}
	req := &apiRequest{method: strings.TrimPrefix(r.URL.Path, "/api/"), raw: raw, args: url.Values{}}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil && len(raw) > 0 {
			return nil, err
		}
		for k, v := range m {
			s, ok := v.(string)
			if !ok { // the JSON itself, as for blocks
				b, _ := json.Marshal(v)
				s = string(b)
			}
			req.args.Set(k, s)
		}
	} else {
		if req.args, err = url.ParseQuery(string(raw)); err != nil {
			return nil, err
		}
		for k, v := range r.URL.Query() {
			req.args[k] = append(req.args[k], v...) // after the body's values
		}
	}
	req.token = req.args.Get("token")
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && bearer != "" {
		req.token = bearer
	}
	return req, nil
}

func (s *Server) webAPI(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	at := Attempt{At: now, Method: r.Method, Hook: "api"}
	req, err := decodeAPIRequest(r)
	if err != nil {
		s.apiAnswer(w, &at, apiError("invalid_form_data"))
		return
	}
	at.Hook = "api/" + req.method
	s.mu.Lock()
	s.calls = append(s.calls, req.method)
	fault, hasFault := s.nextAPIFault(req.method)
	s.mu.Unlock()
	switch {
	case hasFault && (fault.Status == http.StatusTooManyRequests || fault.Error == "ratelimited"):
		at.Fault = "rate_limit"
		w.Header().Set("Retry-After", strconv.Itoa(max(fault.RetryAfter, 1)))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		at.Status, at.Code = http.StatusTooManyRequests, "ratelimited"
		s.record(at)
	case hasFault:
		at.Fault = "scripted"
		s.apiAnswer(w, &at, apiError(fault.Error))
	default:
		s.apiAnswer(w, &at, s.apiCall(w, &at, req, now))
	}
}

// apiCall runs one Web API method and returns its answer.
func (s *Server) apiCall(w http.ResponseWriter, at *Attempt, req *apiRequest, now time.Time) map[string]any {
	kind := "xoxb-"
	if req.method == "apps.connections.open" {
		kind = "xapp-"
	}
	tok, code := s.auth(req.token, kind)
	if code != "" {
		return apiError(code)
	}
	if need := methodScopes[req.method]; need != "" && !slices.Contains(tok.Scopes, need) {
		return map[string]any{"error": "missing_scope", "needed": need, "provided": strings.Join(tok.Scopes, ",")}
	}
	switch req.method {
	case "apps.connections.open":
		return map[string]any{"url": strings.Replace(s.URL(), "http", "ws", 1) + "/_fake/socket"}
	case "auth.test":
		w.Header().Set("X-OAuth-Scopes", strings.Join(tok.Scopes, ","))
		return map[string]any{"url": "https://fake.slack.com/", "team": "Fake Team",
			"user": "kamobot", "team_id": "T0FAKE", "user_id": "U0KAMOBOT", "bot_id": "B0KAMOBOT"}
	case "conversations.info":
		ch, code := s.channel(req.args.Get("channel"), false)
		if code != "" {
			return apiError(code)
		}
		return map[string]any{"channel": map[string]any{"id": ch.ID, "name": ch.Name,
			"is_channel": true, "is_member": !ch.NotMember}}
	case "chat.postMessage", "chat.update":
		return s.chatPost(at, req, now)
	case "pins.add":
		channel, ts := req.args.Get("channel"), req.args.Get("timestamp")
		s.mu.Lock()
		_, ok := s.threads[channel+"/"+ts]
		s.mu.Unlock()
		if !ok {
			return apiError("message_not_found")
		}
		s.store(Message{Hook: "api", At: now, Raw: string(req.raw), Payload: json.RawMessage("{}"), Method: req.method, Channel: channel, TS: ts})
		return map[string]any{}
	}
	return apiError("unknown_method")
}

// chatPost serves chat.postMessage and chat.update.
func (s *Server) chatPost(at *Attempt, req *apiRequest, now time.Time) map[string]any {
	ch, code := s.channel(req.args.Get("channel"), true)
	if code != "" {
		return apiError(code)
	}
	payload := map[string]any{"text": req.args.Get("text")}
	if b := req.args.Get("blocks"); b != "" {
		if !json.Valid([]byte(b)) {
			return apiError("invalid_blocks_format")
		}
		payload["blocks"] = json.RawMessage(b)
	}
	js, _ := json.Marshal(payload)
	p, rej := parsePayload(js, s.opts.Limits)
	if rej != nil {
		return apiError(rej.Code)
	}
	if len([]rune(req.args.Get("text"))) > 40000 {
		return apiError("msg_too_long")
	}
	m := newMessage("api", now, req.raw, js, p)
	m.Method, m.Channel = req.method, ch.ID
	if code := s.place(&m, req.args, now); code != "" {
		return apiError(code)
	}
	at.Accepted = true
	s.store(m)
	return map[string]any{"channel": ch.ID, "ts": m.TS,
		"message": map[string]any{"text": req.args.Get("text"), "ts": m.TS, "thread_ts": m.ThreadTS}}
}

// place gives m the ts of a new message (and its thread), or of the one
// chat.update changes; it returns the error Slack answers when there is no
// such message or thread.
func (s *Server) place(m *Message, args url.Values, now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.Method == "chat.update" {
		m.TS = args.Get("ts")
		threadTS, ok := s.threads[m.Channel+"/"+m.TS]
		if !ok {
			return "message_not_found"
		}
		m.ThreadTS = threadTS
		return ""
	}
	s.tsSeq++
	m.TS = fmt.Sprintf("%d.%06d", now.Unix(), s.tsSeq)
	m.ThreadTS = args.Get("thread_ts")
	m.ReplyBroadcast = args.Get("reply_broadcast") == "true"
	if _, ok := s.threads[m.Channel+"/"+m.ThreadTS]; m.ThreadTS != "" && !ok {
		return "thread_not_found"
	}
	s.threads[m.Channel+"/"+m.TS] = m.ThreadTS
	return ""
}

func apiError(code string) map[string]any { return map[string]any{"error": code} }

// apiAnswer writes a Web API answer as Slack does, with HTTP 200: the
// fields of v and "ok", false when v has an "error".
func (s *Server) apiAnswer(w http.ResponseWriter, at *Attempt, v map[string]any) {
	code, failed := v["error"].(string)
	v["ok"] = !failed
	at.Status, at.Code = http.StatusOK, code
	s.record(*at)
	writeJSON(w, http.StatusOK, v)
}
