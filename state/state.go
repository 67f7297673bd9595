// Package state is kamobot's memory between passes: the state file
// (versioned, written atomically, locked) and the outbox's storage. The
// domain types it stores (cursors, events) belong to package job.
package state

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// Version is the schema version of the state file this kamobot writes.
// A file with a higher version is refused, never overwritten; an older
// one is migrated when read (see migrate.go).
//
// Version 2: a message's payload is its JSON, no longer base64; a message
// and a refused webhook name their webhook by Hook (a tenant id, 0 for the
// default webhook) instead of "default" or "tenant:<id>".
//
// Version 3: Slack app mode: a message may be a Web API call (op, channel,
// thread), and threads holds the ts of each job's thread parent. A
// schema 2 file reads as it is (every new field is optional).
const Version = 3

// State is everything kamobot remembers between passes. It is saved as one
// JSON document, atomically, under an exclusive lock.
type State struct {
	Version   int       `json:"version"`
	WrittenBy string    `json:"written_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`

	// Tenants maps a tenant id (decimal) to what is known of its jobs.
	Tenants map[string]*TenantState `json:"tenants"`

	// Outbox holds rendered messages not yet confirmed by Slack, oldest first.
	Outbox []Message `json:"outbox"`
	// DeadLetters holds messages Slack refused for good (capped).
	DeadLetters []Message `json:"dead_letters,omitempty"`
	// Held holds events kept outside office hours for the next digest.
	Held []job.Event `json:"held,omitempty"`
	// DeadHooks holds what is known of each webhook while Slack refuses it
	// as a whole (no_service, invalid_token, ...). Its messages stay in the
	// outbox meanwhile.
	DeadHooks map[Hook]*DeadHook `json:"dead_hooks,omitempty"`

	// Mutes hold tenants' messages for a while (mute.go).
	Mutes []Mute `json:"mutes,omitempty"`
	// Team holds the escalation and self-watch records (team.go).
	Team TeamState `json:"team,omitzero"`

	// Day tracks the schedule: greetings sent, endings seen today, silence.
	Day DayState `json:"day"`

	// NextSeq numbers messages; it only grows.
	NextSeq int64 `json:"next_seq"`

	// LastRun describes the most recent pass, for `state show` and health.
	LastRun RunInfo `json:"last_run,omitzero"`

	// Report holds the ended runs and the weeks reported (report.go).
	Report ReportState `json:"report,omitzero"`
	// Threads maps a job (see ThreadKey) to its thread in an app channel
	// (Slack app mode; see app.go).
	Threads map[string]*Thread `json:"threads,omitempty"`
	// Boards maps an app channel's ID to its board (see Board).
	Boards map[string]*Board `json:"boards,omitempty"`
	// SlackTeamURL is the workspace's address from auth.test
	// ("https://team.slack.com/"), for links to threads.
	SlackTeamURL string `json:"slack_team_url,omitempty"`
}

// TenantState is what is known of one tenant.
type TenantState struct {
	ID          int64                        `json:"id"`
	Name        string                       `json:"name"`
	DisplayName string                       `json:"display_name,omitempty"`
	Kinds       map[api.Kind]*job.KindCursor `json:"kinds"`
}

// Ref is the tenant as events name it.
func (t *TenantState) Ref() job.TenantRef {
	return job.TenantRef{ID: t.ID, Name: t.Name, DisplayName: t.DisplayName}
}

// Hook names the webhook a message goes to: the id of the tenant whose own
// webhook it is, or DefaultHook for the webhook of [slack]. The URL itself
// is never stored: it is looked up in the config when the message is sent.
type Hook int64

// DefaultHook is the webhook of [slack].
const DefaultHook Hook = 0

// String is how logs and `state show` name the webhook: "default" or
// "tenant:<id>".
func (h Hook) String() string {
	if h == DefaultHook {
		return "default"
	}
	return "tenant:" + api.FormatID(int64(h))
}

// Message is one rendered Slack message in the outbox.
type Message struct {
	Seq  int64  `json:"seq"`
	Hook Hook   `json:"hook,omitempty"`
	Kind string `json:"kind"` // "events", "digest", "summary", "enter", "leave", ...
	// Payload is the JSON document sent to Slack, byte for byte.
	Payload json.RawMessage `json:"payload"`
	Summary string          `json:"summary"` // one readable line for `state show`
	Created time.Time       `json:"created"`

	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`

	// App mode (see app.go): the Web API call, the channel, and the job
	// thread the call belongs to. All empty for a webhook message.
	Op        Op     `json:"op,omitempty"`
	Channel   string `json:"channel,omitempty"`
	Thread    string `json:"thread,omitempty"`
	Broadcast bool   `json:"broadcast,omitempty"`
}

// DeadHook is a webhook Slack refused as a whole. It is tried again with a
// growing delay, and not at all once GaveUp is set, until its URL changes
// (the fingerprint no longer matches) or `kamobot state retry` clears it.
type DeadHook struct {
	// Fingerprint identifies the URL Slack refused: the first hex digits
	// of its SHA-256. The URL itself is never stored.
	Fingerprint string `json:"fingerprint"`
	// Channel is set for an app channel (its ID): Fingerprint is then
	// that of the bot token and channel.
	Channel     string    `json:"channel,omitempty"`
	Since       time.Time `json:"since"` // the first refusal
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// GaveUp is set once the webhook was refused for too long: it is not
	// tried again by itself.
	GaveUp bool `json:"gave_up,omitempty"`
}

// DayState tracks the office-hours day for greetings and summaries.
type DayState struct {
	// Date is the local date (YYYY-MM-DD) these counters belong to.
	Date       string    `json:"date,omitempty"`
	Entered    bool      `json:"entered,omitempty"`
	Left       bool      `json:"left,omitempty"`
	Endings    int       `json:"endings,omitempty"`
	LastPostAt time.Time `json:"last_post_at,omitzero"`
	// DigestSince is when the events in Held started to pile up.
	DigestSince time.Time `json:"digest_since,omitzero"`
}

// RunInfo describes one pass.
type RunInfo struct {
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	OK    bool      `json:"ok"`
}

// New returns an empty state of the current version.
func New() *State {
	st := &State{Version: Version}
	st.makeMaps()
	return st
}

// makeMaps makes the maps a pass adds to without checking, when a
// document had none (empty maps are not written).
func (s *State) makeMaps() {
	if s.Tenants == nil {
		s.Tenants = map[string]*TenantState{}
	}
	if s.Threads == nil {
		s.Threads = map[string]*Thread{}
	}
}

// Tenant returns the state of tenant id, creating it.
func (s *State) Tenant(id int64, name, displayName string) *TenantState {
	key := api.FormatID(id)
	t := s.Tenants[key]
	if t == nil {
		t = &TenantState{ID: id, Kinds: map[api.Kind]*job.KindCursor{}}
		s.Tenants[key] = t
	}
	t.Name, t.DisplayName = name, displayName
	if t.Kinds == nil {
		t.Kinds = map[api.Kind]*job.KindCursor{}
	}
	return t
}

// OpenJobs counts the jobs tracked as open in all tenants.
func (s *State) OpenJobs() int {
	n := 0
	for _, t := range s.Tenants {
		for _, c := range t.Kinds {
			n += len(c.Open)
		}
	}
	return n
}

// Enqueue adds a message to the outbox with the next sequence number.
func (s *State) Enqueue(m Message) Message {
	s.NextSeq++
	m.Seq = s.NextSeq
	s.Outbox = append(s.Outbox, m)
	return m
}

// MarkSent removes message seq from the outbox.
func (s *State) MarkSent(seq int64) {
	s.Outbox = slices.DeleteFunc(s.Outbox, func(m Message) bool { return m.Seq == seq })
}

// MaxDeadLetters caps the dead-letter list; the oldest are dropped first.
const MaxDeadLetters = 100

// Bury moves message seq from the outbox to the dead letters.
func (s *State) Bury(seq int64, reason string) {
	i := slices.IndexFunc(s.Outbox, func(m Message) bool { return m.Seq == seq })
	if i < 0 {
		return
	}
	m := s.Outbox[i]
	m.LastError = reason
	s.Outbox = slices.Delete(s.Outbox, i, i+1)
	s.DeadLetters = append(s.DeadLetters, m)
	if over := len(s.DeadLetters) - MaxDeadLetters; over > 0 {
		s.DeadLetters = slices.Delete(s.DeadLetters, 0, over)
	}
}
