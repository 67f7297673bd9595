package slackfake

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// HookState is the life state of one webhook.
type HookState string

// Hook states and how the fake answers a post to the hook.
const (
	HookActive   HookState = "active"   // 200 ok
	HookDisabled HookState = "disabled" // 404 no_service
	HookRevoked  HookState = "revoked"  // 403 invalid_token (status configurable)
	HookArchived HookState = "archived" // 410 channel_is_archived
)

// hook is one registered webhook. Its id is "T…/B…"; the secret is kept
// only to check the path and never appears in logs or recordings.
type hook struct {
	secret string    // "" allows any
	state  HookState // "" is HookActive
}

// hookPath splits "/services/T…/B…/<secret>". ok is false for any other path.
func hookPath(p string) (id, secret string, ok bool) {
	m := hookPathRE.FindStringSubmatch(p)
	if m == nil {
		return "", "", false
	}
	return m[1] + "/" + m[2], m[3], true
}

var hookPathRE = regexp.MustCompile(`^/services/(T[^/]+)/(B[^/]+)/([^/]+)$`)

// HookID returns the "T…/B…" id of a hook URL or path, without the secret,
// or "" when the URL is not a hook URL. An id passed in is returned as is.
func HookID(hookURL string) string {
	p := hookURL
	if u, err := url.Parse(hookURL); err == nil && u.Path != "" {
		p = u.Path
	}
	if strings.Count(p, "/") == 1 { // an id
		p = "/services/" + p + "/secret"
	}
	id, _, _ := hookPath(p)
	return id
}

// HookURL registers the hook /services/<team>/<bot>/<secret> as active and
// returns its full URL.
func (s *Server) HookURL(team, bot, secret string) string {
	id := team + "/" + bot
	s.mu.Lock()
	s.hooks[id] = hook{secret: secret, state: HookActive}
	s.mu.Unlock()
	return s.URL() + "/services/" + id + "/" + secret
}

// NewHook registers a fresh active hook with a random 24-character secret
// and returns its full URL.
func (s *Server) NewHook() string {
	n := s.hookSeq.Add(1)
	return s.HookURL(fmt.Sprintf("T%08d", n), fmt.Sprintf("B%08d", n), randomSecret())
}

// SetHookState changes the state of a hook, named by its URL or its
// "T…/B…" id. A hook not seen before is registered with any secret allowed.
func (s *Server) SetHookState(hookURLOrID string, st HookState) error {
	if !slices.Contains([]HookState{HookActive, HookDisabled, HookRevoked, HookArchived}, st) {
		return fmt.Errorf("unknown hook state %q", st)
	}
	id := HookID(hookURLOrID)
	if id == "" {
		return errors.New("not a hook url or id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooks[id]
	h.state = st
	s.hooks[id] = h
	return nil
}

// lookup says how to answer a post to the hook id with secret when the
// hook may not post. It must be called with s.mu held.
func (s *Server) lookup(id, secret string) *Reject {
	// Unless Strict, any well-formed hook path is an active hook, with any secret.
	h, ok := s.hooks[id]
	switch {
	case !ok && s.opts.Strict:
		return &Reject{Status: 404, Code: "no_service", Detail: "unknown hook"}
	case h.secret != "" && h.secret != secret:
		return &Reject{Status: s.opts.InvalidTokenStatus, Code: "invalid_token", Detail: "wrong secret"}
	case h.state == HookDisabled:
		return &Reject{Status: 404, Code: "no_service", Detail: "hook disabled"}
	case h.state == HookRevoked:
		return &Reject{Status: s.opts.InvalidTokenStatus, Code: "invalid_token", Detail: "hook revoked"}
	case h.state == HookArchived:
		return &Reject{Status: 410, Code: "channel_is_archived", Detail: "channel archived"}
	}
	return nil
}

const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	for i := range b {
		b[i] = secretAlphabet[int(b[i])%len(secretAlphabet)]
	}
	return string(b)
}
