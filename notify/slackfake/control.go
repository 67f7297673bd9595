package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Messages returns the accepted messages, in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// MessagesFor returns the accepted messages of one hook (URL or id), in order.
func (s *Server) MessagesFor(hook string) []Message {
	id := HookID(hook)
	var out []Message
	for _, m := range s.Messages() {
		if m.Hook == id {
			out = append(out, m)
		}
	}
	return out
}

// Attempts returns every request to a hook path and its answer, in order.
func (s *Server) Attempts() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.attempts)
}

// Stats returns the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByStatus = maps.Clone(st.ByStatus)
	st.ByHook = maps.Clone(st.ByHook)
	return st
}

// Reset forgets the recorded messages, attempts and counters. Hooks, faults
// and the rate limit stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages, s.attempts = nil, nil
	s.resetStats()
}

// control serves the /_fake/ API:
//
//	GET    /_fake/messages[?hook=T…/B…]  accepted messages, in order
//	DELETE /_fake/messages               forget messages, attempts and counters
//	GET    /_fake/attempts               every request and its status
//	GET    /_fake/stats                  counters
//	POST   /_fake/faults                 a Fault, a RateLimit ({"rate_limit":true,"burst":1}), or an array of them
//	DELETE /_fake/faults                 drop scripted faults
//	POST   /_fake/hooks                  {} → a new hook; {"team","bot","secret"} → register; {"hook","state"} → change state
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "GET /_fake/messages":
		msgs := s.Messages()
		if h := r.URL.Query().Get("hook"); h != "" {
			msgs = s.MessagesFor(h)
		}
		writeJSON(w, http.StatusOK, nonNil(msgs))
	case "DELETE /_fake/messages":
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case "GET /_fake/attempts":
		writeJSON(w, http.StatusOK, nonNil(s.Attempts()))
	case "GET /_fake/stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case "POST /_fake/faults":
		if err := s.postFaults(r.Body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "DELETE /_fake/faults":
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	case "POST /_fake/hooks":
		s.postHook(w, r.Body)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown control endpoint"})
	}
}

func (s *Server) postFaults(body io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(body, maxBody))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw}
	}
	for _, item := range list {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(item, &keys); err != nil {
			return fmt.Errorf("fault is not a JSON object: %w", err)
		}
		if _, ok := keys["rate_limit"]; ok {
			var rl RateLimit
			if err := json.Unmarshal(item, &rl); err != nil {
				return fmt.Errorf("bad rate limit: %w", err)
			}
			s.SetRateLimit(rl)
			continue
		}
		var f Fault
		if err := json.Unmarshal(item, &f); err != nil {
			return fmt.Errorf("bad fault: %w", err)
		}
		s.Script(f)
	}
	return nil
}

func (s *Server) postHook(w http.ResponseWriter, body io.Reader) {
	var req struct {
		Team   string    `json:"team"`
		Bot    string    `json:"bot"`
		Secret string    `json:"secret"`
		Hook   string    `json:"hook"`
		State  HookState `json:"state"`
	}
	raw, _ := io.ReadAll(io.LimitReader(body, maxBody))
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is not a JSON object"})
			return
		}
	}
	switch {
	case req.Hook != "":
		if err := s.SetHookState(req.Hook, req.State); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"hook": HookID(req.Hook), "state": string(req.State)})
	case req.Team != "" || req.Bot != "" || req.Secret != "":
		if _, _, ok := hookPath("/services/" + req.Team + "/" + req.Bot + "/" + req.Secret); !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want team T…, bot B… and a secret"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"url": s.HookURL(req.Team, req.Bot, req.Secret)})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"url": s.NewHook()})
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
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
