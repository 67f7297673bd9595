package slackfake

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// Socket Mode: apps.connections.open (with an xapp- token) answers a
// WebSocket URL on the fake; the fake says hello on it, delivers slash
// commands as envelopes, and records each ack with its payload (what Slack
// shows to the asker only, unless response_type is "in_channel").

// SlashCommand is a slash command a user typed.
type SlashCommand struct {
	Command   string `json:"command"` // default "/kamobot"
	Text      string `json:"text"`
	UserID    string `json:"user_id"`
	ChannelID string `json:"channel_id"`
}

// Ack is the answer the app gave to an envelope.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Command    SlashCommand    `json:"command"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	// Text and ResponseType are read from Payload; ResponseType "" and
	// "ephemeral" are shown to the asker only.
	Text         string `json:"text"`
	ResponseType string `json:"response_type"`
}

// serveSocket serves one Socket Mode connection.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	s.mu.Lock()
	s.opened++
	s.conns[c] = true
	// Under the lock, so that the hello comes before any envelope.
	err = c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fake", "approximate_connection_time": 3600},
		"connection_info": map[string]any{"app_id": "A0KAMOBOT"}})
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	if err != nil {
		return
	}
	for {
		var ack Ack // {"envelope_id":…,"payload":…}
		if err := c.ReadJSON(&ack); err != nil {
			return
		}
		s.mu.Lock()
		ch := s.waiting[ack.EnvelopeID]
		delete(s.waiting, ack.EnvelopeID)
		s.mu.Unlock()
		if ch != nil {
			ch <- ack
		}
	}
}

// Slash delivers a slash command on one open Socket Mode connection and
// waits for its ack.
func (s *Server) Slash(ctx context.Context, cmd SlashCommand, timeout time.Duration) (Ack, error) {
	cmd.Command = cmp.Or(cmd.Command, "/kamobot")
	deadline := time.After(timeout)
	for {
		if ch := s.deliver(cmd); ch != nil {
			select {
			case a := <-ch:
				a.Command = cmd
				var p struct {
					Text         string `json:"text"`
					ResponseType string `json:"response_type"`
				}
				_ = json.Unmarshal(a.Payload, &p)
				a.Text, a.ResponseType = p.Text, p.ResponseType
				s.mu.Lock()
				s.acks = append(s.acks, a)
				s.mu.Unlock()
				return a, nil
			case <-deadline:
				return Ack{}, errors.New("slackfake: no ack for the command (Slack would show a timeout to the user)")
			case <-ctx.Done():
				return Ack{}, ctx.Err()
			}
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			return Ack{}, errors.New("slackfake: no Socket Mode connection is open")
		case <-ctx.Done():
			return Ack{}, ctx.Err()
		}
	}
}

// deliver sends cmd in an envelope on an open connection and returns the
// channel its ack comes on, or nil when no connection is open.
func (s *Server) deliver(cmd SlashCommand) chan Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	for conn := range s.conns {
		s.envSeq++
		id := fmt.Sprintf("env-%d", s.envSeq)
		env := map[string]any{"envelope_id": id, "type": "slash_commands", "accepts_response_payload": true,
			"payload": map[string]any{"command": cmd.Command, "text": cmd.Text, "user_id": cmd.UserID,
				"channel_id": cmd.ChannelID, "team_id": "T0FAKE", "trigger_id": id, "response_url": s.URL() + "/_fake/response"}}
		if err := conn.WriteJSON(env); err != nil {
			delete(s.conns, conn) // closed: try another, or wait for a reconnect
			continue
		}
		ch := make(chan Ack, 1)
		s.waiting[id] = ch
		return ch
	}
	return nil
}

// DropSockets closes every open Socket Mode connection, as Slack does on a
// refresh or a network fault; it returns how many it closed.
func (s *Server) DropSockets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.conns)
	for c := range s.conns {
		_ = c.UnderlyingConn().Close()
	}
	clear(s.conns)
	return n
}

// SocketsOpened counts the Socket Mode connections opened so far.
func (s *Server) SocketsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// Acks lists the acks recorded, in order; never nil.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack{}, s.acks...)
}
