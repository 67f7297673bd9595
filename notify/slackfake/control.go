package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// control serves the /_fake/ API:
//
//	GET    /_fake/messages[?hook=T…/B…]  accepted messages, in order
//	DELETE /_fake/messages               forget messages, attempts and counters
//	GET    /_fake/attempts               every request and its status
//	GET    /_fake/stats                  counters
//	POST   /_fake/faults                 a Fault, a RateLimit ({"rate_limit":true,"burst":1}), or an array of them
//	DELETE /_fake/faults                 drop scripted faults
//	POST   /_fake/hooks                  {} → a new hook; {"team","bot","secret"} → register; {"hook","state"} → change state
//	POST   /_fake/tokens                 a Token
//	POST   /_fake/channels               a Channel
//	POST   /_fake/api_faults             an APIFault or an array of them
//	POST   /_fake/slash                  a SlashCommand: delivered over Socket Mode, answers the ack
//	POST   /_fake/socket/drop            closes every Socket Mode connection
//	GET    /_fake/acks                   the acks recorded
//	GET    /_fake/socket                 the Socket Mode WebSocket that apps.connections.open names
//
// An endpoint with nothing to say answers 204; bad input 400 {"error":"..."}.
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	var out any // nil: 204
	var err error
	status := http.StatusBadRequest // for err
	switch r.Method + " " + r.URL.Path {
	case "GET /_fake/messages":
		out = s.Messages()
		if h := r.URL.Query().Get("hook"); h != "" {
			out = s.MessagesFor(h)
		}
	case "DELETE /_fake/messages":
		s.Reset()
	case "GET /_fake/attempts":
		out = s.Attempts()
	case "GET /_fake/stats":
		out = s.Stats()
	case "POST /_fake/faults":
		err = s.postFaults(body)
	case "DELETE /_fake/faults":
		s.ClearFaults()
	case "POST /_fake/hooks":
		out, err = s.postHook(body)
	case "POST /_fake/tokens":
		var t Token
		if err = json.Unmarshal(body, &t); err == nil {
			s.AddToken(t)
		}
	case "POST /_fake/channels":
		var c Channel
		if err = json.Unmarshal(body, &c); err == nil {
			s.AddChannel(c)
		}
	case "POST /_fake/api_faults":
		var fs []APIFault
		if fs, err = oneOrMany[APIFault](body); err == nil {
			s.ScriptAPI(fs...)
		}
	case "POST /_fake/slash":
		var c SlashCommand
		if err = json.Unmarshal(body, &c); err == nil {
			status = http.StatusGatewayTimeout
			out, err = s.Slash(r.Context(), c, 10*time.Second)
		}
	case "POST /_fake/socket/drop":
		out = map[string]int{"dropped": s.DropSockets()}
	case "GET /_fake/acks":
		out = s.Acks()
	case "GET /_fake/socket":
		s.serveSocket(w, r)
		return
	default:
		status, err = http.StatusNotFound, errors.New("unknown control endpoint")
	}
	switch {
	case err != nil:
		writeJSON(w, status, map[string]string{"error": err.Error()})
	case out == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

// oneOrMany decodes a JSON array of T, or one T.
func oneOrMany[T any](raw []byte) ([]T, error) {
	var list []T
	if json.Unmarshal(raw, &list) == nil {
		return list, nil
	}
	var one T
	err := json.Unmarshal(raw, &one)
	return []T{one}, err
}

func (s *Server) postFaults(body []byte) error {
	items, err := oneOrMany[json.RawMessage](body)
	if err != nil {
		return fmt.Errorf("faults are not JSON: %w", err)
	}
	for _, item := range items {
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

func (s *Server) postHook(body []byte) (any, error) {
	var req struct {
		Team   string    `json:"team"`
		Bot    string    `json:"bot"`
		Secret string    `json:"secret"`
		Hook   string    `json:"hook"`
		State  HookState `json:"state"`
	}
	if len(body) > 0 && json.Unmarshal(body, &req) != nil {
		return nil, errors.New("body is not a JSON object")
	}
	switch {
	case req.Hook != "":
		if err := s.SetHookState(req.Hook, req.State); err != nil {
			return nil, err
		}
		return map[string]string{"hook": HookID(req.Hook), "state": string(req.State)}, nil
	case req.Team != "" || req.Bot != "" || req.Secret != "":
		if _, _, ok := hookPath("/services/" + req.Team + "/" + req.Bot + "/" + req.Secret); !ok {
			return nil, errors.New("want team T…, bot B… and a secret")
		}
		return map[string]string{"url": s.HookURL(req.Team, req.Bot, req.Secret)}, nil
	}
	return map[string]string{"url": s.NewHook()}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
