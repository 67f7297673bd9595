package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kamobot/kamobot/notify"
)

// Message is one message the fake accepted (Slack posted it).
type Message struct {
	Seq  int       `json:"seq"`
	Hook string    `json:"hook"` // "T…/B…"; never the secret
	At   time.Time `json:"at"`
	// Raw is the body as received (JSON, or form-encoded).
	Raw string `json:"raw"`
	// Payload is the decoded JSON message, unknown fields included.
	Payload json.RawMessage `json:"payload"`
	// Text is the top-level text (cut when the fake truncates long texts).
	Text string `json:"text"`
	// Blocks is the blocks array as sent, or nil.
	Blocks json.RawMessage `json:"blocks,omitempty"`
	// Truncated is true when Text was cut to the text limit.
	Truncated bool `json:"truncated,omitempty"`
	// Readable is what a person sees: the blocks when there are any, else
	// the text, rendered by Readable, one line per block.
	Readable string `json:"readable"`
	// TextView and BlockViews are the detailed views of the text and of
	// every text object in the blocks. How Slack reads mrkdwn is kamobot's
	// own knowledge (package notify reads it for `check --dry-run` and
	// `demo`); the fake shows its messages the same way.
	TextView   notify.View   `json:"text_view"`
	BlockViews []notify.View `json:"block_views,omitempty"`

	// For a Web API call (Hook "api"): the method ("chat.postMessage",
	// "chat.update", "pins.add"), the channel, the message's ts (the one
	// created or updated) and the thread it went in, if any.
	Method         string `json:"method,omitempty"`
	Channel        string `json:"channel,omitempty"`
	TS             string `json:"ts,omitempty"`
	ThreadTS       string `json:"thread_ts,omitempty"`
	ReplyBroadcast bool   `json:"reply_broadcast,omitempty"`
}

// Views returns the text view and every block text view.
func (m Message) Views() []notify.View { return append([]notify.View{m.TextView}, m.BlockViews...) }

// Unescaped lists every unescaped control character in the message, as
// readable strings for a test failure.
func (m Message) Unescaped() []string {
	var out []string
	for i, v := range m.Views() {
		for _, f := range v.Unescaped {
			out = append(out, fmt.Sprintf("text %d offset %d: %q", i, f.Offset, f.Char))
		}
	}
	return out
}

// Attempt is one request to a hook path and the status the fake answered.
type Attempt struct {
	Seq    int       `json:"seq"`
	Hook   string    `json:"hook,omitempty"` // "T…/B…" or "" for a bad path
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Status int       `json:"status"` // 0 for a hang or a reset
	Code   string    `json:"code,omitempty"`
	// Fault names the scripted fault or limit that answered, if any:
	// "status", "hang", "reset", "rate_limit".
	Fault    string `json:"fault,omitempty"`
	Accepted bool   `json:"accepted"`
}

// Stats counts requests.
type Stats struct {
	Requests    int            `json:"requests"`
	Accepted    int            `json:"accepted"`
	RateLimited int            `json:"rate_limited"`
	Faults      int            `json:"faults"`
	ByStatus    map[string]int `json:"by_status"`
	ByHook      map[string]int `json:"by_hook"` // accepted messages per hook
}

// Messages returns the accepted messages, in arrival order; never nil, so
// that the control API answers [] rather than null.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message{}, s.messages...)
}

// MessagesFor returns the accepted messages of one hook (URL or id), in order.
func (s *Server) MessagesFor(hook string) []Message {
	id := HookID(hook)
	return slices.DeleteFunc(s.Messages(), func(m Message) bool { return m.Hook != id })
}

// Attempts returns every request and its answer, in order; never nil.
func (s *Server) Attempts() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt{}, s.attempts...)
}

// Stats returns the request counters, counted from the recorded requests
// and messages.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Requests: len(s.attempts), Accepted: len(s.messages), ByStatus: map[string]int{}, ByHook: map[string]int{}}
	for _, at := range s.attempts {
		if at.Status != 0 {
			st.ByStatus[strconv.Itoa(at.Status)]++
		}
		if at.Fault == "rate_limit" {
			st.RateLimited++
		} else if at.Fault != "" {
			st.Faults++
		}
	}
	for _, m := range s.messages {
		st.ByHook[m.Hook]++
	}
	return st
}

// Reset forgets the recorded messages, attempts and counters. Hooks, faults
// and the rate limit stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages, s.attempts = nil, nil
}

// newMessage builds the record of an accepted message.
func newMessage(id string, at time.Time, raw []byte, body []byte, p *parsed) Message {
	m := Message{Hook: id, At: at, Raw: string(raw), Payload: json.RawMessage(body), Text: p.text,
		Blocks: p.blocks, Truncated: p.truncated, TextView: notify.Inspect(p.text)}
	var lines []string
	for i, t := range p.texts {
		v := notify.Inspect(t.Text)
		m.BlockViews = append(m.BlockViews, v)
		// The fields of a section, and the elements of a context, share a line.
		shared := t.where == "field" || t.where == "context"
		if shared && i > 0 && p.texts[i-1].where == t.where && p.texts[i-1].block == t.block {
			lines[len(lines)-1] += " | " + v.Text
			continue
		}
		if t.where == "header" {
			lines = append(lines, "# "+v.Text)
		} else {
			lines = append(lines, v.Text)
		}
	}
	if len(lines) == 0 {
		lines = []string{m.TextView.Text}
	}
	m.Readable = strings.Join(lines, "\n")
	return m
}

// TB is the part of testing.TB the fake uses. Taking it instead of
// testing.TB keeps the testing package out of binaries that embed the fake
// (the demo).
type TB interface {
	Helper()
	Cleanup(func())
	Fatal(args ...any)
	Errorf(format string, args ...any)
}

// AssertNoUnescaped fails the test for every accepted message that holds an
// unescaped <, > or & in its text or in any block text.
func (s *Server) AssertNoUnescaped(t TB) {
	t.Helper()
	for _, m := range s.Messages() {
		if u := m.Unescaped(); len(u) > 0 {
			t.Errorf("message %d to %s has unescaped characters: %v\n%s", m.Seq, m.Hook, u, m.Text)
		}
	}
}

// AssertNoSpecialMention fails the test when an accepted message holds
// <!here>, <!channel> or <!everyone>, except those listed in allowed.
func (s *Server) AssertNoSpecialMention(t TB, allowed ...string) {
	t.Helper()
	for _, m := range s.Messages() {
		for _, v := range m.Views() {
			for _, sp := range v.Specials {
				if !slices.Contains(allowed, sp) {
					t.Errorf("message %d to %s mentions @%s", m.Seq, m.Hook, sp)
				}
			}
		}
	}
}

// CheckRate replays the requests a hook received through a token bucket of
// the given rate (per second) and burst, and returns an error naming the
// first request that the bucket would have refused.
func (s *Server) CheckRate(hook string, rate float64, burst int) error {
	id := HookID(hook)
	var b bucket
	for _, a := range s.Attempts() {
		if a.Hook != id {
			continue
		}
		if ok, _ := b.take(a.At, rate, burst); !ok {
			return fmt.Errorf("request %d to %s at %s exceeds %.2f/s with burst %d",
				a.Seq, id, a.At.Format(time.RFC3339Nano), rate, burst)
		}
	}
	return nil
}

// AssertRateNeverExceeded fails the test when the requests to hook exceeded
// rate per second with the given burst.
func (s *Server) AssertRateNeverExceeded(t TB, hook string, rate float64, burst int) {
	t.Helper()
	if err := s.CheckRate(hook, rate, burst); err != nil {
		t.Errorf("%v", err)
	}
}
