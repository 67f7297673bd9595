package state

import (
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
)

// Version is the schema version of the state file this kamobot writes.
// A file with a higher version is refused, never overwritten.
const Version = 1

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
	Held []Event `json:"held,omitempty"`
	// DeadHooks maps a hook name ("default", "tenant:<id>") to what is
	// known of it while Slack refuses it as a whole (no_service,
	// invalid_token, ...). Its messages stay in the outbox meanwhile.
	DeadHooks map[string]*DeadHook `json:"dead_hooks,omitempty"`

	// Day tracks the schedule: greetings sent, endings seen today, silence.
	Day DayState `json:"day"`

	// NextSeq numbers messages; it only grows.
	NextSeq int64 `json:"next_seq"`

	// LastRun describes the most recent pass, for `state show` and health.
	LastRun RunInfo `json:"last_run,omitzero"`
}

// TenantState is what is known of one tenant.
type TenantState struct {
	ID          int64                    `json:"id"`
	Name        string                   `json:"name"`
	DisplayName string                   `json:"display_name,omitempty"`
	Kinds       map[api.Kind]*KindCursor `json:"kinds"`
}

// Ref is the tenant as events name it.
func (t *TenantState) Ref() TenantRef {
	return TenantRef{ID: t.ID, Name: t.Name, DisplayName: t.DisplayName}
}

// KindCursor is where kamobot stands in one tenant's list of one job kind:
// the highest id seen, and every job still open.
type KindCursor struct {
	// Baselined is set once the first complete listing was recorded.
	Baselined bool `json:"baselined"`
	// MaxID is the highest job id seen (for preprocessing, the highest
	// preprocessing definition id).
	MaxID int64 `json:"max_id"`
	// Open holds the jobs last seen open, by Job.Key.
	Open map[string]*Tracked `json:"open"`
	// Ended remembers the last jobs seen ending (capped at MaxEnded), so a
	// job the server briefly re-opens is not reported twice.
	Ended []EndedJob `json:"ended,omitempty"`
	// Defs tracks preprocessing definitions (preprocessing only).
	Defs map[int64]*DefCursor `json:"defs,omitempty"`
}

// DefCursor tracks one preprocessing definition's history list.
type DefCursor struct {
	LastActivity time.Time `json:"last_activity,omitzero"`
	NextCheck    time.Time `json:"next_check,omitzero"`
	Known        []int64   `json:"known,omitempty"` // data ids of histories seen
}

// EndedJob is a job seen ending.
type EndedJob struct {
	Key    string    `json:"key"`
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

// Tracked is one open job as kamobot last saw it.
type Tracked struct {
	ID        int64     `json:"id"`
	ParentID  int64     `json:"parent_id,omitempty"`
	Name      string    `json:"name"`
	Owner     string    `json:"owner,omitempty"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	FirstSeen time.Time `json:"first_seen"`
	// ChangedAt is when the status last changed (or FirstSeen).
	ChangedAt time.Time `json:"changed_at"`
	// StartedAt is when the job started running, from the details when
	// known, else from when kamobot first saw it running.
	StartedAt time.Time `json:"started_at,omitzero"`

	// Behind counts the rows newer than this job in the last listing that
	// included it: a range request reaching back to it returns that many.
	Behind int `json:"behind"`
	// Far is set once the job is re-read on its own rather than in the range.
	Far bool `json:"far,omitempty"`
	// NextCheck is when a far job is next re-read.
	NextCheck time.Time `json:"next_check,omitzero"`
	// Missing counts successful reads in a row that did not list the job.
	Missing int `json:"missing,omitempty"`

	// Alerted records the alerts already sent for this job, at most once each.
	Alerted []EventType `json:"alerted,omitempty"`
}

// HasAlerted reports whether the alert t was already raised for the job.
func (t *Tracked) HasAlerted(e EventType) bool { return slices.Contains(t.Alerted, e) }

// Message is one rendered Slack message in the outbox.
type Message struct {
	Seq int64 `json:"seq"`
	// Hook names the webhook: "default" or "tenant:<id>". The URL itself is
	// never stored.
	Hook    string    `json:"hook"`
	Kind    string    `json:"kind"` // "events", "digest", "summary", "enter", "leave", ...
	Payload []byte    `json:"payload"`
	Summary string    `json:"summary"` // one readable line for `state show`
	Created time.Time `json:"created"`

	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// DeadHook is a webhook Slack refused as a whole. It is tried again with a
// growing delay, and not at all once GaveUp is set, until its URL changes
// (the fingerprint no longer matches) or `kamobot state retry` clears it.
type DeadHook struct {
	// Fingerprint identifies the URL Slack refused: the first hex digits
	// of its SHA-256. The URL itself is never stored.
	Fingerprint string    `json:"fingerprint"`
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
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`
	Requests int       `json:"requests,omitempty"`
}

// New returns an empty state of the current version.
func New() *State {
	return &State{Version: Version, Tenants: map[string]*TenantState{}}
}

// Tenant returns the state of tenant id, creating it.
func (s *State) Tenant(id int64, name, displayName string) *TenantState {
	key := tenantKey(id)
	t := s.Tenants[key]
	if t == nil {
		t = &TenantState{ID: id, Kinds: map[api.Kind]*KindCursor{}}
		s.Tenants[key] = t
	}
	t.Name, t.DisplayName = name, displayName
	if t.Kinds == nil {
		t.Kinds = map[api.Kind]*KindCursor{}
	}
	return t
}

// Cursor returns the cursor of kind k, creating it.
func (t *TenantState) Cursor(k api.Kind) *KindCursor {
	c := t.Kinds[k]
	if c == nil {
		c = &KindCursor{Open: map[string]*Tracked{}}
		t.Kinds[k] = c
	}
	if c.Open == nil {
		c.Open = map[string]*Tracked{}
	}
	return c
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

func tenantKey(id int64) string {
	return api.FormatID(id)
}
