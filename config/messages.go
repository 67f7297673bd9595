package config

import (
	"embed"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"

	"github.com/pelletier/go-toml/v2"
)

// builtinFS holds kamobot's own phrase sets, one TOML file per language.
//
//go:embed messages/*.toml
var builtinFS embed.FS

// Message keys: the occasions kamobot has a phrase set for.
const (
	MsgCompleted    = "completed"     // a job ended with Completed
	MsgKilled       = "killed"        // a job was killed
	MsgCanceled     = "canceled"      // a user canceled a job (UserCanceled)
	MsgFailed       = "failed"        // a job failed (Failed, Invalid, Forbidden, ...)
	MsgUnknown      = "unknown"       // a job ended with a status kamobot does not know
	MsgTrouble      = "trouble"       // a job is alive but in trouble (OOMKilled, Error, ...)
	MsgStateUnknown = "state_unknown" // a job's pod has been Unknown too long
	MsgStuckPending = "stuck_pending" // a job has waited in the queue too long
	MsgLongRunning  = "long_running"  // a job has run a long time
	MsgStarted      = "started"       // a job started running
	MsgDeleted      = "deleted"       // an open job vanished
	MsgEnter        = "enter"         // office hours open
	MsgLeave        = "leave"         // office hours close
	MsgLeaveFriday  = "leave_friday"  // office hours close before a day off
	MsgLeaveQuiet   = "leave_quiet"   // office hours close after a day without a message
	MsgSummary      = "summary"       // what is running, after a silence
	MsgDigest       = "digest"        // what happened outside office hours

	MsgMuteSet   = "mute_set"           // a mute was set
	MsgMuteEnded = "mute_ended"         // a mute ended
	MsgReminder  = "reminder"           // a job is still stuck pending or in trouble
	MsgFailing   = "failing_repeatedly" // a job (or its series) failed again and again
	MsgSelfDown  = "self_down"          // kamobot cannot read KAMONOHASHI
	MsgSelfUp    = "self_up"            // kamobot reads KAMONOHASHI again
	MsgHookDead  = "webhook_dead"       // Slack refuses a tenant's webhook
)

// MessageKeys returns every message key, in a stable order.
func MessageKeys() []string {
	return []string{MsgCompleted, MsgKilled, MsgCanceled, MsgFailed, MsgUnknown, MsgTrouble, MsgStateUnknown,
		MsgStuckPending, MsgLongRunning, MsgStarted, MsgDeleted,
		MsgEnter, MsgLeave, MsgLeaveFriday, MsgLeaveQuiet, MsgSummary, MsgDigest,
		MsgMuteSet, MsgMuteEnded, MsgReminder, MsgFailing, MsgSelfDown, MsgSelfUp, MsgHookDead}
}

// Languages returns the languages kamobot has built-in phrases for.
func Languages() []string { return []string{"ja", "en"} }

// Messages are the phrase sets kamobot picks its headlines from: a phrase
// is a short, friendly line such as "ジョブが無事に完了しました！"; the job's
// details are added by the renderer, so phrases hold no placeholders.
// The zero value has no phrases; use BuiltinMessages.
type Messages struct {
	lang string
	sets map[string][]string
}

// BuiltinMessages returns kamobot's own phrase sets for lang ("ja" or "en").
func BuiltinMessages(lang string) (Messages, error) {
	if !slices.Contains(Languages(), lang) {
		return Messages{}, fmt.Errorf("no built-in messages for language %q (want \"ja\" or \"en\")", lang)
	}
	data, _ := builtinFS.ReadFile("messages/" + lang + ".toml") // there is one per language
	sets := make(map[string][]string)
	if err := toml.Unmarshal(data, &sets); err != nil {
		return Messages{}, fmt.Errorf("built-in messages for %q: %w", lang, err)
	}
	return Messages{lang: lang, sets: sets}, nil
}

// With returns a copy of m in which each set given replaces the built-in
// set of the same key wholesale. Empty sets are ignored.
func (m Messages) With(sets map[string][]string) Messages {
	out := Messages{lang: m.lang, sets: maps.Clone(m.sets)}
	if out.sets == nil {
		out.sets = make(map[string][]string)
	}
	for k, v := range sets {
		if len(v) > 0 {
			out.sets[k] = slices.Clone(v)
		}
	}
	return out
}

// Pick returns one phrase for key, chosen with rnd (with math/rand/v2's
// global source when rnd is nil). It returns "" for a key with no phrases;
// use the Msg constants.
func (m Messages) Pick(key string, rnd *rand.Rand) string {
	set := m.sets[key]
	switch len(set) {
	case 0:
		return ""
	case 1:
		return set[0]
	}
	if rnd == nil {
		return set[rand.IntN(len(set))]
	}
	return set[rnd.IntN(len(set))]
}
