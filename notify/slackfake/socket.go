package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
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

type socketState struct {
	mu      sync.Mutex
	conns   map[*websocket.Conn]bool
	opened  int
	seq     int
	waiting map[string]chan Ack
	acks    []Ack
	changed chan struct{}
}

func newSocketState() *socketState {
	return &socketState{conns: map[*websocket.Conn]bool{}, waiting: map[string]chan Ack{}, changed: make(chan struct{})}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveSocket serves one Socket Mode connection.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ss := s.app.sock
	ss.mu.Lock()
	ss.conns[c] = true
	ss.opened++
	ss.mu.Unlock()
	defer func() {
		ss.mu.Lock()
		delete(ss.conns, c)
		ss.mu.Unlock()
		c.Close()
	}()
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fake", "approximate_connection_time": 3600},
		"connection_info": map[string]any{"app_id": "A0KAMOBOT"}}
	ss.mu.Lock()
	err = c.WriteJSON(hello)
	ss.mu.Unlock()
	if err != nil {
		return
	}
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := c.ReadJSON(&ack); err != nil {
			return
		}
		ss.mu.Lock()
		ch := ss.waiting[ack.EnvelopeID]
		delete(ss.waiting, ack.EnvelopeID)
		ss.mu.Unlock()
		if ch != nil {
			ch <- Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload}
		}
	}
}

// Slash delivers a slash command on one open Socket Mode connection and
// waits for its ack.
func (s *Server) Slash(ctx context.Context, cmd SlashCommand, timeout time.Duration) (Ack, error) {
	if cmd.Command == "" {
		cmd.Command = "/kamobot"
	}
	ss := s.app.sock
	deadline := time.Now().Add(timeout)
	for {
		ss.mu.Lock()
		var conn *websocket.Conn
		for c := range ss.conns {
			conn = c
			break
		}
		if conn != nil {
			ss.seq++
			id := fmt.Sprintf("env-%d", ss.seq)
			ch := make(chan Ack, 1)
			ss.waiting[id] = ch
			env := map[string]any{"envelope_id": id, "type": "slash_commands", "accepts_response_payload": true,
				"payload": map[string]any{"command": cmd.Command, "text": cmd.Text, "user_id": cmd.UserID,
					"channel_id": cmd.ChannelID, "team_id": "T0FAKE", "trigger_id": id, "response_url": s.URL() + "/_fake/response"}}
			err := conn.WriteJSON(env)
			if err != nil {
				delete(ss.conns, conn) // closed: try another, or wait for a reconnect
				delete(ss.waiting, id)
				ss.mu.Unlock()
				continue
			}
			ss.mu.Unlock()
			select {
			case a := <-ch:
				a.Command = cmd
				var p struct {
					Text         string `json:"text"`
					ResponseType string `json:"response_type"`
				}
				_ = json.Unmarshal(a.Payload, &p)
				a.Text, a.ResponseType = p.Text, p.ResponseType
				ss.mu.Lock()
				ss.acks = append(ss.acks, a)
				ss.mu.Unlock()
				return a, nil
			case <-time.After(time.Until(deadline)):
				return Ack{}, errors.New("slackfake: no ack for the command (Slack would show a timeout to the user)")
			case <-ctx.Done():
				return Ack{}, ctx.Err()
			}
		}
		ss.mu.Unlock()
		if time.Now().After(deadline) {
			return Ack{}, errors.New("slackfake: no Socket Mode connection is open")
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return Ack{}, ctx.Err()
		}
	}
}

// DropSockets closes every open Socket Mode connection, as Slack does on a
// refresh or a network fault; it returns how many it closed.
func (s *Server) DropSockets() int {
	ss := s.app.sock
	ss.mu.Lock()
	defer ss.mu.Unlock()
	n := 0
	for c := range ss.conns {
		_ = c.UnderlyingConn().Close()
		delete(ss.conns, c)
		n++
	}
	return n
}

// SocketsOpened counts the Socket Mode connections opened so far.
func (s *Server) SocketsOpened() int {
	ss := s.app.sock
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.opened
}

// Acks lists the acks recorded, in order.
func (s *Server) Acks() []Ack {
	ss := s.app.sock
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]Ack(nil), ss.acks...)
}
