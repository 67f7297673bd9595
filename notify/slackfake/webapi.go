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
	p, rej := parsePayload(js, s.opts.Limits)
	if rej != nil {
		apiAnswer(w, at, s, map[string]any{"ok": false, "error": rej.Code})
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

func apiAnswer(w http.ResponseWriter, at *Attempt, s *Server, v map[string]any) {
	at.Status = http.StatusOK
	if e, ok := v["error"].(string); ok {
		at.Code = e
	}
	s.record(*at)
	writeJSON(w, http.StatusOK, v)
}
