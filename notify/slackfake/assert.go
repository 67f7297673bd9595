package slackfake

import (
	"fmt"
	"slices"
	"time"
)

// TB is the part of testing.TB the fake uses. Taking it instead of
// testing.TB keeps the testing package out of binaries that embed the fake
// (the demo).
type TB interface {
	Helper()
	Cleanup(func())
	Fatal(args ...any)
	Error(args ...any)
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
		t.Error(err)
	}
}
