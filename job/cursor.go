package job

import (
	"slices"
	"time"
)

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
