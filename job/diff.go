package job

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
)

// Fetched is what one successful fetch of one tenant and kind returned.
// A failed or partial fetch is never passed to Diff: nothing is inferred
// from it.
type Fetched struct {
	Kind api.Kind
	// Plan is what was asked for.
	Plan Plan
	// Range holds the rows of the range (or full) listing, newest first, all
	// pages. For preprocessing it holds the histories of Plan.Defs and of
	// every new definition.
	Range []api.Job
	// NewDefs lists preprocessing definitions first seen in this fetch
	// (their histories are in Range).
	NewDefs []int64
	// MaxDefID is the highest preprocessing definition id listed.
	MaxDefID int64
	// Far holds the far jobs re-read on their own.
	Far []api.Job
	// Gone lists far jobs whose re-read answered "not found".
	Gone []Ref
}

// DiffOptions are the thresholds of the time-based alerts; zero disables one.
type DiffOptions struct {
	StuckPendingAfter time.Duration
	LongRunningAfter  time.Duration
	// MissingPasses is how many successful listings in a row must miss an
	// open job before it counts as deleted (default 2).
	MissingPasses int
}

// MaxEnded caps the memory of recently ended jobs kept per cursor.
const MaxEnded = 200

// Diff compares what was known of one tenant's jobs of one kind with what
// was just fetched, and returns the new cursor and the events. It does not
// modify prev. It is a pure function of its arguments.
//
// The first call (prev not baselined) records a baseline and returns no
// events: nothing that ended before kamobot started is reported.
func Diff(prev *KindCursor, f Fetched, tenant TenantRef, o DiffOptions, now time.Time) (*KindCursor, []Event) {
	d := differ{
		next:    prev.clone(),
		tenant:  tenant,
		opts:    o,
		now:     now,
		kind:    f.Kind,
		seen:    make(map[Ref]bool, len(f.Range)+len(f.Far)),
		baseMax: 0,
	}
	if prev != nil {
		d.baseMax = prev.MaxID
	}
	d.open = make(map[Ref]string, len(d.next.Open))
	for key, t := range d.next.Open {
		d.open[Ref{ID: t.ID, ParentID: t.ParentID}] = key
	}
	if d.opts.MissingPasses <= 0 {
		d.opts.MissingPasses = 2
	}
	baseline := !d.next.Baselined
	for i, j := range f.Range {
		if f.Kind == api.KindPreprocessing {
			i = 0 // histories of several definitions: no single order
		}
		d.observe(j, i, baseline)
		if f.Kind == api.KindPreprocessing && api.StatusPhase(j.Status) != api.PhaseClosed {
			d.scheduleRun(j.Key()) // just read: no need to re-read it on its own yet
		}
	}
	for _, j := range f.Far {
		d.observe(j, -1, baseline)
		d.checkedFar(j.Key())
	}
	for _, r := range f.Gone {
		key := api.JobKey(f.Kind, r.ParentID, r.ID)
		if t := d.next.Open[key]; t != nil {
			d.vanish(key, t)
		}
	}
	d.missing(f)
	// On the baseline too, so that jobs already stuck or long-running when
	// kamobot starts count as alerted: they are not news, and a first pass
	// must not flood the channel.
	d.alerts()
	d.next.Baselined = true
	if f.Kind == api.KindPreprocessing {
		d.defs(f)
	}
	slices.SortStableFunc(d.events, func(a, b Event) int {
		return cmp.Or(cmp.Compare(a.Job.ParentID, b.Job.ParentID), cmp.Compare(a.Job.ID, b.Job.ID))
	})
	if baseline {
		d.events = nil
	}
	return d.next, d.events
}

type differ struct {
	next   *KindCursor
	tenant TenantRef
	opts   DiffOptions
	now    time.Time
	kind   api.Kind
	events []Event
	seen   map[Ref]bool
	// open indexes the keys of the jobs tracked open before this fetch,
	// so that a row is looked up without building its key.
	open    map[Ref]string
	baseMax int64 // the highest id seen before this fetch
}

func (d *differ) emit(t EventType, j api.Job, from string) {
	d.events = append(d.events, Event{Type: t, Tenant: d.tenant, Job: j, From: from, To: j.Status, At: d.now})
}

// observe handles one fetched row; behind is its position in the range
// listing (rows newer than it), or -1 for a far job read on its own.
func (d *differ) observe(j api.Job, behind int, baseline bool) {
	ref := Ref{ID: j.ID, ParentID: j.ParentID}
	if d.seen[ref] {
		return
	}
	d.seen[ref] = true
	if d.kind != api.KindPreprocessing && j.ID > d.next.MaxID && behind >= 0 {
		d.next.MaxID = j.ID
	}
	key, tracked := d.open[ref]
	if !tracked && api.StatusPhase(j.Status) == api.PhaseClosed && (baseline || !d.isNew(j)) {
		return // history: most rows of a listing, handled without building a key
	}
	if !tracked {
		key = j.Key()
	}
	phase := api.StatusPhase(j.Status)
	t := d.next.Open[key]
	if t == nil {
		d.first(key, j, phase, behind, baseline)
		return
	}
	t.Missing = 0
	if behind >= 0 {
		t.Behind = behind
		if behind > NearRows {
			t.Far = true
		}
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = t.CreatedAt
	}
	if j.Detailed && !j.StartedAt.IsZero() {
		t.StartedAt = j.StartedAt
	}
	if j.Status == t.Status {
		return
	}
	from := t.Status
	t.Status, t.ChangedAt = j.Status, d.now
	switch {
	case phase == api.PhaseClosed:
		delete(d.next.Open, key)
		if t.HasAlerted(resyncedMark) && d.endedAs(key) == j.Status {
			return // the same ending, reported before the server resynced it
		}
		d.remember(key, j.Status)
		d.emit(EndingEvent(j.Status), j, from)
	case phase == api.PhaseTrouble:
		if !t.HasAlerted(EventTrouble) {
			t.Alerted = append(t.Alerted, EventTrouble)
			d.emit(EventTrouble, j, from)
		}
	case j.Status == "Running" && api.StatusPhase(from) == api.PhaseOpen:
		if t.StartedAt.IsZero() {
			t.StartedAt = cmp.Or(j.StartedAt, d.now)
		}
		d.emit(EventStarted, j, from)
	}
}

// first handles a row not tracked as open.
func (d *differ) first(key string, j api.Job, phase api.Phase, behind int, baseline bool) {
	isNew := !baseline && d.isNew(j)
	if phase == api.PhaseClosed {
		if isNew && d.endedAs(key) == "" {
			d.remember(key, j.Status)
			d.emit(EndingEvent(j.Status), j, "")
		}
		return
	}
	t := &Tracked{
		ID: j.ID, ParentID: j.ParentID, Name: j.Name, Owner: j.CreatedBy, Status: j.Status,
		CreatedAt: j.CreatedAt, FirstSeen: d.now, ChangedAt: d.now, StartedAt: j.StartedAt,
		Behind: max(behind, 0), Far: behind > NearRows,
	}
	if behind < 0 { // read on its own: keep it far
		t.Far = true
	}
	if t.StartedAt.IsZero() && j.Status == "Running" && (isNew || baseline) {
		// Seen running at once: it started no later than now. (Details,
		// when fetched later, give the true time.)
		t.StartedAt = cmp.Or(j.CreatedAt, d.now)
	}
	d.next.Open[key] = t
	if baseline {
		return
	}
	if prevEnd := d.endedAs(key); prevEnd != "" {
		// A job reported ended is open again (the server resynced it).
		// Track it silently; its next ending is reported only if it differs.
		t.Alerted = append(t.Alerted, resyncedMark)
		return
	}
	if !isNew {
		return // a job that was closed and is open again without our memory of it
	}
	switch {
	case phase == api.PhaseTrouble:
		t.Alerted = append(t.Alerted, EventTrouble)
		d.emit(EventTrouble, j, "")
	case j.Status == "Running":
		d.emit(EventStarted, j, "")
	}
}

// resyncedMark flags a tracked job that re-opened after kamobot reported
// its ending.
const resyncedMark EventType = "resynced"

func (d *differ) isNew(j api.Job) bool {
	if d.kind == api.KindPreprocessing {
		dc := d.next.Defs[j.ParentID]
		return dc == nil || !slices.Contains(dc.Known, j.ID)
	}
	return j.ID > d.baseMax
}

func (d *differ) remember(key, status string) {
	c := d.next
	c.Ended = append(c.Ended, EndedJob{Key: key, Status: status, At: d.now})
	if over := len(c.Ended) - MaxEnded; over > 0 {
		c.Ended = slices.Delete(c.Ended, 0, over)
	}
}

func (d *differ) endedAs(key string) string {
	for i := len(d.next.Ended) - 1; i >= 0; i-- {
		if d.next.Ended[i].Key == key {
			return d.next.Ended[i].Status
		}
	}
	return ""
}

func (d *differ) checkedFar(key string) {
	if t := d.next.Open[key]; t != nil {
		t.Far = true
		t.NextCheck = d.now.Add(FarPeriod(d.now.Sub(t.openSince())))
	}
}

// scheduleRun plans the next re-read of an open preprocessing run on its
// own, on the far schedule.
func (d *differ) scheduleRun(key string) {
	if t := d.next.Open[key]; t != nil {
		t.NextCheck = d.now.Add(FarPeriod(d.now.Sub(t.openSince())))
	}
}

func (d *differ) vanish(key string, t *Tracked) {
	delete(d.next.Open, key)
	d.remember(key, "Deleted")
	d.emit(EventDeleted, t.job(d.kind), t.Status)
}

// missing counts open jobs that the fetch covered but did not list.
func (d *differ) missing(f Fetched) {
	for key, t := range d.next.Open {
		if d.seen[Ref{ID: t.ID, ParentID: t.ParentID}] || !d.coveredBy(f, t) {
			continue
		}
		t.Missing++
		if t.Missing >= d.opts.MissingPasses {
			d.vanish(key, t)
		}
	}
}

func (d *differ) coveredBy(f Fetched, t *Tracked) bool {
	if f.Plan.Full {
		return true
	}
	if d.kind == api.KindPreprocessing {
		return slices.Contains(f.Plan.Defs, t.ParentID)
	}
	return t.ID >= f.Plan.RangeFrom
}

// alerts raises the time-based alerts, at most once per job.
func (d *differ) alerts() {
	for _, key := range slices.Sorted(maps.Keys(d.next.Open)) {
		t := d.next.Open[key]
		switch {
		case t.Status == "Running":
			since := t.StartedAt
			if d.opts.LongRunningAfter > 0 && !since.IsZero() && d.now.Sub(since) >= d.opts.LongRunningAfter &&
				!t.HasAlerted(EventLongRunning) {
				t.Alerted = append(t.Alerted, EventLongRunning)
				d.emit(EventLongRunning, t.job(d.kind), t.Status)
			}
		case api.StatusPhase(t.Status) == api.PhaseOpen && t.Status != "Opened":
			if d.opts.StuckPendingAfter > 0 && d.now.Sub(t.openSince()) >= d.opts.StuckPendingAfter &&
				!t.HasAlerted(EventStuckPending) {
				t.Alerted = append(t.Alerted, EventStuckPending)
				d.emit(EventStuckPending, t.job(d.kind), t.Status)
			}
		}
	}
}

// defs updates the preprocessing definition cursors.
func (d *differ) defs(f Fetched) {
	c := d.next
	if c.Defs == nil {
		c.Defs = map[int64]*DefCursor{}
	}
	c.MaxID = max(c.MaxID, f.MaxDefID)
	checked := append(slices.Clone(f.Plan.Defs), f.NewDefs...)
	for _, id := range checked {
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
		if !slices.Contains(dc.Known, j.ID) {
			dc.Known = append(dc.Known, j.ID)
		}
		if j.CreatedAt.After(dc.LastActivity) {
			dc.LastActivity = j.CreatedAt
		}
	}
	for _, id := range checked {
		dc := c.Defs[id]
		dc.NextCheck = d.now.Add(DefPeriod(d.now.Sub(dc.LastActivity), len(dc.Known)))
	}
}

// openSince is when the job became open, as best known.
func (t *Tracked) openSince() time.Time {
	if !t.CreatedAt.IsZero() {
		return t.CreatedAt
	}
	return t.FirstSeen
}

// job rebuilds a job from what is tracked of it.
func (t *Tracked) job(k api.Kind) api.Job {
	return api.Job{Kind: k, ID: t.ID, ParentID: t.ParentID, Name: t.Name, Status: t.Status,
		CreatedBy: t.Owner, CreatedAt: t.CreatedAt, StartedAt: t.StartedAt}
}

// clone deep-copies the cursor (nil gives an empty one).
func (c *KindCursor) clone() *KindCursor {
	n := &KindCursor{Open: map[string]*Tracked{}}
	if c == nil {
		return n
	}
	n.Baselined, n.MaxID = c.Baselined, c.MaxID
	n.Open = make(map[string]*Tracked, len(c.Open))
	for k, t := range c.Open {
		t2 := *t
		t2.Alerted = slices.Clone(t.Alerted)
		n.Open[k] = &t2
	}
	n.Ended = slices.Clone(c.Ended)
	if c.Defs != nil {
		n.Defs = make(map[int64]*DefCursor, len(c.Defs))
		for id, dc := range c.Defs {
			dc2 := *dc
			dc2.Known = slices.Clone(dc.Known)
			n.Defs[id] = &dc2
		}
	}
	return n
}
