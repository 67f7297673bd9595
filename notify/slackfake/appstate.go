package slackfake

import (
	"cmp"
	"slices"
	"strings"
)

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
	s.channels[c.ID] = &c
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
	if c, ok := s.channels[id]; ok {
		if post && c.NotMember {
			return *c, "not_in_channel"
		}
		return *c, ""
	}
	if len(s.channels) > 0 || id == "" {
		return Channel{}, "channel_not_found"
	}
	return Channel{ID: id, Name: strings.ToLower(id)}, ""
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
