package config

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestBuiltinMessages(t *testing.T) {
	// The old bot's phrases, which kamobot must not reuse.
	var old struct{ Message map[string][]string }
	if err := json.Unmarshal(readTestdata(t, "legacy/message.json"), &old); err != nil {
		t.Fatal(err)
	}
	var oldPhrases []string
	for _, set := range old.Message {
		oldPhrases = append(oldPhrases, set...)
	}
	for _, lang := range Languages() {
		t.Run(lang, func(t *testing.T) {
			m, err := BuiltinMessages(lang)
			if err != nil {
				t.Fatal(err)
			}
			if m.Language() != lang {
				t.Errorf("Language() = %q", m.Language())
			}
			for k := range m.sets {
				if !slices.Contains(MessageKeys(), k) {
					t.Errorf("unknown key %q in messages/%s.toml", k, lang)
				}
			}
			var all []string
			for _, k := range MessageKeys() {
				set := m.Set(k)
				if len(set) < 3 {
					t.Errorf("%s: %d phrases, want at least 3", k, len(set))
				}
				for _, p := range set {
					if strings.TrimSpace(p) == "" || p != strings.TrimSpace(p) || strings.ContainsAny(p, "\n<>&{}") {
						t.Errorf("%s: bad phrase %q", k, p)
					}
					if slices.Contains(all, p) {
						t.Errorf("%s: %q used twice", k, p)
					}
					if slices.Contains(oldPhrases, p) {
						t.Errorf("%s: %q is the old bot's phrase", k, p)
					}
					all = append(all, p)
				}
			}
		})
	}
	if _, err := BuiltinMessages("fr"); err == nil {
		t.Error("BuiltinMessages(fr) succeeded")
	}
}

func TestMessagesPickAndWith(t *testing.T) {
	m, err := BuiltinMessages("en")
	if err != nil {
		t.Fatal(err)
	}
	custom := m.With(map[string][]string{MsgCompleted: {"A", "B", "C"}, MsgFailed: nil})
	// Replaced wholesale, and the original is untouched.
	diff(t, "completed", []string{"A", "B", "C"}, custom.Set(MsgCompleted))
	if slices.Contains(m.Set(MsgCompleted), "A") {
		t.Error("With changed the receiver")
	}
	diff(t, "failed (empty set ignored)", m.Set(MsgFailed), custom.Set(MsgFailed))

	// The same seed picks the same phrases; every phrase gets picked.
	pick := func(seed uint64) []string {
		rnd := rand.New(rand.NewPCG(seed, 0))
		var got []string
		for range 60 {
			got = append(got, custom.Pick(MsgCompleted, rnd))
		}
		return got
	}
	a, b := pick(1), pick(1)
	diff(t, "same seed", a, b)
	for _, p := range []string{"A", "B", "C"} {
		if !slices.Contains(a, p) {
			t.Errorf("%q never picked", p)
		}
	}
	if got := custom.Pick("nonsense", nil); got != "" {
		t.Errorf("unknown key: %q", got)
	}
	if got := custom.Pick(MsgCompleted, nil); !slices.Contains([]string{"A", "B", "C"}, got) {
		t.Errorf("nil rnd: %q", got)
	}
	if got := (Messages{}).Pick(MsgCompleted, nil); got != "" {
		t.Errorf("zero Messages: %q", got)
	}
	one := m.With(map[string][]string{MsgLeave: {"bye"}})
	if got := one.Pick(MsgLeave, nil); got != "bye" {
		t.Errorf("single phrase: %q", got)
	}
}

// Language returns the language of the built-in sets.
func (m Messages) Language() string { return m.lang }

// Set returns a copy of the phrases for key (nil for an unknown key).
func (m Messages) Set(key string) []string { return slices.Clone(m.sets[key]) }
