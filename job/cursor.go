package job

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
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
	// Passes counts the diffs of this cursor; idle preprocessing
	// definitions are read on every other pass by its parity.
	Passes int64 `json:"passes,omitempty"`
}

// DefCursor tracks one preprocessing definition's history list.
type DefCursor struct {
	// Words are the kamobot: words of the definition's memo, as last
	// listed: its runs carry them.
	Words []string `json:"words,omitempty"`
	// LastActivity is when the newest run of the definition was created.
	LastActivity time.Time `json:"last_activity,omitzero"`
	// Runs maps the data id of each run seen to its history id: a run
	// deleted and run again on the same data has a new history id, and is
	// a new run.
	Runs map[int64]int64 `json:"runs,omitempty"`
	// Known lists data ids of runs seen, as state files before Runs
	// recorded them; read only, for a data id Runs does not hold yet.
	Known []int64 `json:"known,omitempty"`
}

// EndedJob is a job seen ending.
type EndedJob struct {
	Key    string `json:"key"`
	Status string `json:"status"`
	// HistoryID tells preprocessing runs on the same data apart (0: other
	// kinds, or a run recorded before history ids were).
	HistoryID int64     `json:"history_id,omitempty"`
	At        time.Time `json:"at"`
}

// Tracked is one open job as kamobot last saw it.
type Tracked struct {
	ID        int64     `json:"id"`
	ParentID  int64     `json:"parent_id,omitempty"`
	HistoryID int64     `json:"history_id,omitempty"` // preprocessing runs only
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

	// UnknownSince is when the job's status became Unknown (zero when it
	// is not Unknown).
	UnknownSince time.Time `json:"unknown_since,omitzero"`

	// Behind counts the jobs with a higher id than this one in the last
	// listing that included it, whatever their place in it (favourites
	// come first): a range request reaching back to it returns that many.
	Behind int `json:"behind"`
	// Far is set once the job is re-read on its own rather than in the range.
	Far bool `json:"far,omitempty"`
	// Confirm holds a closed status read once and not yet reported: the
	// job is re-read on its own next pass, and only that read is reported
	// (see needsConfirm). Status keeps what was seen before.
	Confirm string `json:"confirm,omitempty"`
	// Missing counts successful reads in a row that did not list the job.
	Missing int `json:"missing,omitempty"`

	// Alerted records the alerts already sent for this job, at most once each.
	Alerted []EventType `json:"alerted,omitempty"`

	// Words are the kamobot: words of the job's memo and tags (control.go),
	// so that alerts raised from this record honour them.
	Words []string `json:"words,omitempty"`
	// Reminded counts the reminders sent about the job's current trouble
	// or wait (remind.go); it only grows while the job stays so.
	Reminded int `json:"reminded,omitempty"`
	// Unposted is set on a job open when kamobot first listed its tenant:
	// its alerts then were not posted, so it is never reminded of.
	Unposted bool `json:"unposted,omitempty"`
}

// HasAlerted reports whether the alert t was already raised for the job.
func (t *Tracked) HasAlerted(e EventType) bool { return slices.Contains(t.Alerted, e) }

// defs updates the preprocessing definition cursors.
func (d *differ) defs(f Fetched) {
	c := d.next
	if c.Defs == nil {
		c.Defs = map[int64]*DefCursor{}
	}
	c.MaxID = max(c.MaxID, f.MaxDefID)
	for _, id := range f.NewDefs {
		if c.Defs[id] == nil {
			c.Defs[id] = &DefCursor{}
		}
	}
	for _, j := range f.Range {
		dc := c.Defs[j.ParentID]
		if dc == nil {
			dc = &DefCursor{}
			c.Defs[j.ParentID] = dc
		}
		if dc.Runs == nil {
			dc.Runs = map[int64]int64{}
		}
		if j.Memo != "" {
			dc.Words = Words(j.Memo, nil)
		}
		dc.Runs[j.ID] = j.HistoryID
		if j.CreatedAt.After(dc.LastActivity) {
			dc.LastActivity = j.CreatedAt
		}
	}
}

// openSince is when the job became open, as best known.
func (t *Tracked) openSince() time.Time {
	if !t.CreatedAt.IsZero() {
		return t.CreatedAt
	}
	return t.FirstSeen
}

// Since is when the job started, as best known: its start, else its
// creation, else when kamobot first saw it.
func (t *Tracked) Since() time.Time { return cmp.Or(t.StartedAt, t.CreatedAt, t.FirstSeen) }

// Job rebuilds the job from what is tracked of it (its kamobot: words in
// Memo), for messages about a job that was not listed with an event.
func (t *Tracked) Job(k api.Kind) api.Job {
	return api.Job{Kind: k, ID: t.ID, ParentID: t.ParentID, HistoryID: t.HistoryID, Name: t.Name, Status: t.Status,
		CreatedBy: t.Owner, CreatedAt: t.CreatedAt, StartedAt: t.StartedAt, Memo: strings.Join(t.Words, " ")}
}

// clone deep-copies the cursor (nil gives an empty one).
func (c *KindCursor) clone() *KindCursor {
	if c == nil {
		return &KindCursor{Open: map[string]*Tracked{}}
	}
	n := *c
	n.Open = make(map[string]*Tracked, len(c.Open))
	for k, t := range c.Open {
		t2 := *t
		t2.Alerted = slices.Clone(t.Alerted)
		t2.Words = slices.Clone(t.Words)
		n.Open[k] = &t2
	}
	n.Ended = slices.Clone(c.Ended)
	if c.Defs != nil {
		n.Defs = make(map[int64]*DefCursor, len(c.Defs))
		for id, dc := range c.Defs {
			dc2 := *dc
			dc2.Known = slices.Clone(dc.Known)
			dc2.Runs = maps.Clone(dc.Runs)
			dc2.Words = slices.Clone(dc.Words)
			n.Defs[id] = &dc2
		}
	}
	return &n
}
