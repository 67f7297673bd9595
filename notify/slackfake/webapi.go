package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
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

type posted struct {
	channel, ts, threadTS string
}

type appState struct {
	mu       sync.Mutex
	tokens   map[string]*Token
	channels map[string]*Channel
	strict   bool // only known tokens and channels
	faults   []APIFault
	msgs     map[string]posted // by channel+"/"+ts
	tsSeq    int64
	calls    []string // method names, in order
	sock     *socketState
}

func newAppState() *appState {
	return &appState{tokens: map[string]*Token{}, channels: map[string]*Channel{}, msgs: map[string]posted{}, sock: newSocketState()}
}

// AddToken registers a bot (xoxb-) or app (xapp-) token; with no scopes a
// bot token has BotScopes. Once a token is registered, only registered
// tokens are accepted.
func (s *Server) AddToken(t Token) {
	a := s.app
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.Scopes == nil && strings.HasPrefix(t.Token, "xoxb-") {
		t.Scopes = BotScopes
	}
	a.tokens[t.Token] = &t
	a.strict = true
}

// AddChannel registers a channel. Once one is registered, posting to an
// unknown channel answers channel_not_found.
func (s *Server) AddChannel(c Channel) {
	a := s.app
	a.mu.Lock()
	defer a.mu.Unlock()
	a.channels[c.ID] = &c
}

// ScriptAPI queues Web API faults.
func (s *Server) ScriptAPI(faults ...APIFault) {
	a := s.app
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range faults {
		if f.Count == 0 {
			f.Count = 1
		}
		a.faults = append(a.faults, f)
	}
}

// APICalls lists the Web API methods called, in order.
func (s *Server) APICalls() []string {
	a := s.app
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

// apiRequest is one decoded Web API request.
type apiRequest struct {
	method string
	token  string
	args   map[string]string
	raw    []byte
}

func decodeAPIRequest(r *http.Request) (*apiRequest, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return nil, err
	}
	req := &apiRequest{method: strings.TrimPrefix(r.URL.Path, "/api/"), raw: raw, args: map[string]string{}}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		req.token = strings.TrimPrefix(h, "Bearer ")
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var m map[string]any
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, err
			}
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				req.args[k] = v
			default:
				b, _ := json.Marshal(v)
				req.args[k] = string(b)
			}
		}
	default:
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, err
		}
		for k := range vals {
			req.args[k] = vals.Get(k)
		}
		for k, v := range r.URL.Query() {
			if _, ok := req.args[k]; !ok {
				req.args[k] = v[0]
			}
		}
	}
	if req.token == "" {
		req.token = req.args["token"]
	}
	delete(req.args, "token")
	return req, nil
}

func (s *Server) webAPI(w http.ResponseWriter, r *http.Request) {
	a := s.app
	now := s.opts.Now()
	at := Attempt{At: now, Method: r.Method, Hook: "api"}
	req, err := decodeAPIRequest(r)
	if err != nil {
		apiAnswer(w, &at, s, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	at.Hook = "api/" + req.method
	a.mu.Lock()
	a.calls = append(a.calls, req.method)
	fault, hasFault := a.nextFault(req.method)
	a.mu.Unlock()
	if hasFault {
		at.Fault = "scripted"
		if fault.Status == http.StatusTooManyRequests || fault.Error == "ratelimited" {
			at.Fault = "rate_limit"
			w.Header().Set("Retry-After", strconv.Itoa(max(fault.RetryAfter, 1)))
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
			at.Status, at.Code = http.StatusTooManyRequests, "ratelimited"
			s.record(at)
			return
		}
		apiAnswer(w, &at, s, map[string]any{"ok": false, "error": fault.Error})
		return
	}
	if req.method == "apps.connections.open" {
		s.connectionsOpen(w, &at, req)
		return
	}
	tok, errCode := a.auth(req.token, "xoxb-")
	if errCode == "" {
		if need := methodScopes[req.method]; need != "" && !slices.Contains(tok.Scopes, need) {
			apiAnswer(w, &at, s, map[string]any{"ok": false, "error": "missing_scope", "needed": need,
				"provided": strings.Join(tok.Scopes, ",")})
			return
		}
	}
	if errCode != "" {
		apiAnswer(w, &at, s, map[string]any{"ok": false, "error": errCode})
		return
	}
	switch req.method {
	case "auth.test":
		w.Header().Set("X-OAuth-Scopes", strings.Join(tok.Scopes, ","))
		apiAnswer(w, &at, s, map[string]any{"ok": true, "url": "https://fake.slack.com/", "team": "Fake Team",
			"user": "kamobot", "team_id": "T0FAKE", "user_id": "U0KAMOBOT", "bot_id": "B0KAMOBOT"})
	case "conversations.info":
		ch, code := a.channel(req.args["channel"], false)
		if code != "" {
			apiAnswer(w, &at, s, map[string]any{"ok": false, "error": code})
			return
		}
		apiAnswer(w, &at, s, map[string]any{"ok": true, "channel": map[string]any{"id": ch.ID, "name": ch.Name,
			"is_channel": true, "is_member": !ch.NotMember}})
	case "chat.postMessage", "chat.update":
		s.chatPost(w, &at, req, now)
	case "pins.add":
		channel, ts := req.args["channel"], req.args["timestamp"]
		a.mu.Lock()
		_, ok := a.msgs[channel+"/"+ts]
		a.mu.Unlock()
		if !ok {
			apiAnswer(w, &at, s, map[string]any{"ok": false, "error": "message_not_found"})
			return
		}
		s.store(Message{Hook: "api", At: now, Raw: string(req.raw), Payload: json.RawMessage("{}"), Method: req.method, Channel: channel, TS: ts})
		apiAnswer(w, &at, s, map[string]any{"ok": true})
	default:
		apiAnswer(w, &at, s, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// chatPost serves chat.postMessage and chat.update.
func (s *Server) chatPost(w http.ResponseWriter, at *Attempt, req *apiRequest, now time.Time) {
	a := s.app
	ch, code := a.channel(req.args["channel"], true)
	if code != "" {
		apiAnswer(w, at, s, map[string]any{"ok": false, "error": code})
		return
	}
	payload := map[string]any{"text": req.args["text"]}
	if b := req.args["blocks"]; b != "" {
		var blocks any
		if err := json.Unmarshal([]byte(b), &blocks); err != nil {
			apiAnswer(w, at, s, map[string]any{"ok": false, "error": "invalid_blocks_format"})
			return
		}
		payload["blocks"] = blocks
	}
	js, _ := json.Marshal(payload)
	p, err := parsePayload(js, s.opts.Limits)
	if err != nil {
		code := "invalid_blocks"
		if r, ok := err.(*Reject); ok {
			code = r.Code
		}
		if code == "no_text" {
			code = "no_text"
		}
		apiAnswer(w, at, s, map[string]any{"ok": false, "error": code})
		return
	}
	if len([]rune(req.args["text"])) > 40000 {
		apiAnswer(w, at, s, map[string]any{"ok": false, "error": "msg_too_long"})
		return
	}
	m := newMessage("api", now, req.raw, js, p)
	m.Method, m.Channel = req.method, ch.ID
	a.mu.Lock()
	if req.method == "chat.update" {
		m.TS = req.args["ts"]
		old, ok := a.msgs[ch.ID+"/"+m.TS]
		if !ok {
			a.mu.Unlock()
			apiAnswer(w, at, s, map[string]any{"ok": false, "error": "message_not_found"})
			return
		}
		m.ThreadTS = old.threadTS
	} else {
		a.tsSeq++
		m.TS = fmt.Sprintf("%d.%06d", now.Unix(), a.tsSeq)
		m.ThreadTS = req.args["thread_ts"]
		m.ReplyBroadcast = req.args["reply_broadcast"] == "true"
		if m.ThreadTS != "" {
			if _, ok := a.msgs[ch.ID+"/"+m.ThreadTS]; !ok {
				a.mu.Unlock()
				apiAnswer(w, at, s, map[string]any{"ok": false, "error": "thread_not_found"})
				return
			}
		}
		a.msgs[ch.ID+"/"+m.TS] = posted{channel: ch.ID, ts: m.TS, threadTS: m.ThreadTS}
	}
	a.mu.Unlock()
	at.Accepted = true
	s.store(m)
	apiAnswer(w, at, s, map[string]any{"ok": true, "channel": ch.ID, "ts": m.TS,
		"message": map[string]any{"text": req.args["text"], "ts": m.TS, "thread_ts": m.ThreadTS}})
}

// auth checks a token of the wanted prefix: invalid_auth when unknown or
// of the wrong kind, not_authed when missing, or the token's own error.
func (a *appState) auth(token, prefix string) (*Token, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch t, ok := a.tokens[token]; {
	case token == "":
		return nil, "not_authed"
	case !strings.HasPrefix(token, prefix):
		return nil, "not_allowed_token_type"
	case ok && t.Error != "":
		return nil, t.Error
	case ok:
		return t, ""
	case a.strict:
		return nil, "invalid_auth"
	default:
		return &Token{Token: token, Scopes: BotScopes}, ""
	}
}

// channel finds a channel: channel_not_found when unknown (once channels
// are registered), not_in_channel for a post where the bot is not a member.
func (a *appState) channel(id string, post bool) (Channel, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.channels[id]; ok {
		if post && c.NotMember {
			return *c, "not_in_channel"
		}
		return *c, ""
	}
	if len(a.channels) > 0 || id == "" {
		return Channel{}, "channel_not_found"
	}
	return Channel{ID: id, Name: strings.ToLower(id)}, ""
}

func (a *appState) nextFault(method string) (APIFault, bool) {
	for i := range a.faults {
		f := &a.faults[i]
		if f.Method != "" && f.Method != method {
			continue
		}
		out := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				a.faults = slices.Delete(a.faults, i, i+1)
			}
		}
		return out, true
	}
	return APIFault{}, false
}

func apiAnswer(w http.ResponseWriter, at *Attempt, s *Server, v map[string]any) {
	at.Status = http.StatusOK
	if e, ok := v["error"].(string); ok {
		at.Code = e
	}
	s.record(*at)
	writeJSON(w, http.StatusOK, v)
}

// appControl serves the app part of /_fake/:
//
//	POST /_fake/tokens      a Token
//	POST /_fake/channels    a Channel
//	POST /_fake/api_faults  an APIFault or an array of them
//	POST /_fake/slash       a SlashCommand: delivered over Socket Mode, answers the ack
//	POST /_fake/socket/drop closes every Socket Mode connection
//
// It reports whether it served the request.
func (s *Server) appControl(w http.ResponseWriter, r *http.Request) bool {
	decode := func(v any) bool {
		if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(v); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return false
		}
		return true
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /_fake/socket":
		s.serveSocket(w, r)
	case "GET /_fake/acks":
		writeJSON(w, http.StatusOK, nonNil(s.Acks()))
	case "POST /_fake/tokens":
		var t Token
		if decode(&t) {
			s.AddToken(t)
			w.WriteHeader(http.StatusNoContent)
		}
	case "POST /_fake/channels":
		var c Channel
		if decode(&c) {
			s.AddChannel(c)
			w.WriteHeader(http.StatusNoContent)
		}
	case "POST /_fake/api_faults":
		var raw json.RawMessage
		if !decode(&raw) {
			return true
		}
		var fs []APIFault
		if err := json.Unmarshal(raw, &fs); err != nil {
			var f APIFault
			if err := json.Unmarshal(raw, &f); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return true
			}
			fs = []APIFault{f}
		}
		s.ScriptAPI(fs...)
		w.WriteHeader(http.StatusNoContent)
	case "POST /_fake/slash":
		var c SlashCommand
		if decode(&c) {
			ack, err := s.Slash(r.Context(), c, 10*time.Second)
			if err != nil {
				writeJSON(w, http.StatusGatewayTimeout, map[string]string{"error": err.Error()})
				return true
			}
			writeJSON(w, http.StatusOK, ack)
		}
	case "POST /_fake/socket/drop":
		writeJSON(w, http.StatusOK, map[string]int{"dropped": s.DropSockets()})
	default:
		return false
	}
	return true
}
