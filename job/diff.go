package job

import (
	"cmp"
	"maps"
	"slices"
	"strings"
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
	// Range holds the rows of the range (or full) listing, all pages, in
	// the server's order (favourites first); nothing depends on it. For
	// preprocessing it holds the histories of Plan.Defs and of every new
	// definition.
	Range []api.Job
	// Reopened holds the rows of the Plan.Reopen listing, all pages.
	Reopened []api.Job
	// NewDefs lists preprocessing definitions first seen in this fetch
	// (their histories are in Range).
	NewDefs []int64
	// MaxDefID is the highest preprocessing definition id listed.
	MaxDefID int64
	// Far holds the jobs of Plan.Far re-read on their own.
	Far []api.Job
	// Gone lists jobs of Plan.Far whose re-read answered "not found".
	Gone []Ref
}

// DiffOptions are the thresholds of the time-based alerts; zero disables one.
type DiffOptions struct {
	// StuckPendingAfter is how long a job may wait in the queue, and stay
	// Unknown, before an alert.
	StuckPendingAfter time.Duration
	LongRunningAfter  time.Duration
	// MissingPasses is how many successful listings in a row must miss an
	// open job before it counts as deleted (default 2).
	MissingPasses int
}

// MaxEnded caps the memory of recently ended jobs kept per cursor.
const MaxEnded = 200

// source says which read a row came from.
type source int

const (
	fromRange  source = iota // the range (or full) listing, or a history list
	fromDetail               // a re-read on its own (Plan.Far)
	fromReopen               // the Plan.Reopen listing
)

// Diff compares what was known of one tenant's jobs of one kind with what
// was just fetched, and returns the new cursor and the events. It does not
// modify prev. It is a pure function of its arguments; nothing in it
// depends on the order of the rows.
//
// The first call (prev not baselined) records a baseline and returns no
// events: nothing that ended before kamobot started is reported.
func Diff(prev *KindCursor, f Fetched, tenant TenantRef, o DiffOptions, now time.Time) (*KindCursor, []Event) {
	d := differ{
		next:   prev.clone(),
		tenant: tenant,
		opts:   o,
		now:    now,
		kind:   f.Kind,
		seen:   make(map[Ref]bool, len(f.Range)+len(f.Far)),
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
	// Details first: a job awaiting confirmation is judged on its detail,
	// which carries completedAt, rather than on a list row of this pass.
	for _, j := range f.Far {
		d.observe(j, -1, fromDetail, baseline)
	}
	for _, r := range f.Gone {
		key := api.JobKey(f.Kind, r.ParentID, r.ID)
		if t := d.next.Open[key]; t != nil {
			d.seen[r] = true
			d.vanish(key, t)
		}
	}
	above := countNewer(f.Range)
	for _, j := range f.Range {
		behind := 0 // preprocessing: histories of several definitions, no range
		if f.Kind != api.KindPreprocessing {
			behind = above.count(j.ID)
			d.next.MaxID = max(d.next.MaxID, j.ID)
		}
		d.observe(j, behind, fromRange, baseline)
	}
	for _, j := range f.Reopened {
		d.observe(j, -1, fromReopen, baseline)
	}
	d.missing(f)
	// On the baseline too, so that jobs already stuck or long-running when
	// kamobot starts count as alerted: they are not news, and a first pass
	// must not flood the channel.
	d.alerts()
	d.next.Baselined = true
	d.next.Passes++
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

// newerCounter counts, for an id, the listed ids greater than it: the rows
// a range list reaching back to that id returns besides it, whatever the
// order the server listed them in.
type newerCounter []int64

func countNewer(rows []api.Job) newerCounter {
	ids := make([]int64, len(rows))
	for i, j := range rows {
		ids[i] = j.ID
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (c newerCounter) count(id int64) int {
	i, found := slices.BinarySearch(c, id)
	if found {
		i++
	}
	return len(c) - i
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
	if j.Memo == "" && d.kind == api.KindPreprocessing {
		if dc := d.next.Defs[j.ParentID]; dc != nil {
			j.Memo = strings.Join(dc.Words, " ")
		}
	}
	d.events = append(d.events, Event{Type: t, Tenant: d.tenant, Job: j, From: from, To: j.Status, At: d.now})
}

// observe handles one fetched row; behind counts the listed ids above it
// (range rows only).
func (d *differ) observe(j api.Job, behind int, src source, baseline bool) {
	ref := Ref{ID: j.ID, ParentID: j.ParentID}
	if d.seen[ref] {
		return
	}
	d.seen[ref] = true
	phase := api.StatusPhase(j.Status)
	key, tracked := d.open[ref]
	if tracked {
		if t := d.next.Open[key]; t != nil && t.HistoryID != 0 && j.HistoryID != 0 && t.HistoryID != j.HistoryID {
			// The run kamobot tracked was deleted and the same data run
			// again under a new history id: the old run is gone, this is
			// a new one.
			d.vanish(key, t)
			tracked = false
		}
	}
	if !tracked && phase == api.PhaseClosed && (baseline || !d.isNew(j)) {
		return // history: most rows of a listing, handled without building a key
	}
	if !tracked && src == fromReopen && phase == api.PhaseClosed {
		return
	}
	if !tracked {
		key = j.Key()
	}
	t := d.next.Open[key]
	if t == nil {
		d.first(key, j, phase, behind, src, baseline)
		return
	}
	t.Missing = 0
	d.words(t, j)
	if src == fromRange {
		t.Behind = behind
		if behind > NearRows {
			t.Far = true
		}
	}
	if t.HistoryID == 0 {
		t.HistoryID = j.HistoryID
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = t.CreatedAt
	}
	if j.Detailed && !j.StartedAt.IsZero() {
		t.StartedAt = j.StartedAt
	}
	confirming := t.Confirm != ""
	t.Confirm = ""
	if j.Status == t.Status {
		return // also a confirmation that found the job as it was: not an event
	}
	if phase == api.PhaseClosed && !confirming && !baseline && needsConfirm(j, t.Status, d.now) {
		t.Confirm = j.Status
		return
	}
	from := t.Status
	t.Status, t.ChangedAt = j.Status, d.now
	t.UnknownSince = time.Time{}
	if j.Status == "Unknown" {
		t.UnknownSince = d.now
	}
	switch {
	case phase == api.PhaseClosed:
		delete(d.next.Open, key)
		if t.HasAlerted(resyncedMark) && d.endedAs(key, j.HistoryID) == j.Status {
			return // the same ending, reported before the start-up race reopened it
		}
		d.remember(key, j)
		d.emit(endingFrom(from, j.Status), j, from)
	case phase == api.PhaseTrouble:
		if !t.HasAlerted(EventTrouble) {
			t.Alerted = append(t.Alerted, EventTrouble)
			d.emit(EventTrouble, j, from)
		}
	case j.Status == "Running" && (from == "" || api.StatusPhase(from) == api.PhaseOpen):
		// From "": a new job whose first read was a closed status that the
		// confirmation read found running: its start is not lost.
		if t.StartedAt.IsZero() {
			t.StartedAt = cmp.Or(j.StartedAt, d.now)
		}
		d.emit(EventStarted, j, from)
	}
}

// needsConfirm reports whether a closed status just read for a job last
// seen with status from may be the real server's start-up race rather than
// the job's ending, and so must be read again before it is reported.
//
// A job is committed as Running before its pod exists; a read in that
// window finds no pod and stores None, or Failed when the Kubernetes call
// fails, and the run's own write then overwrites it
// (Controllers/spa/TrainingController.cs lines 216-238, 717-776;
// Services/KubernetesService.cs lines 714-723; notebooks and preprocessing
// alike). So a closed status is confirmed when it was read within
// ConfirmWindow of the job's creation, or straight after Running, and the
// job has no completion time. List rows carry no completedAt: there the
// status tells. Completed, UserCanceled and Killed are written only by the
// job's exit, which sets completedAt (Logic/TrainingLogic.cs ExitAsync);
// the others (None, Failed, Succeeded, ...) are written by reads, without.
func needsConfirm(j api.Job, from string, now time.Time) bool {
	if j.Detailed {
		if !j.CompletedAt.IsZero() {
			return false
		}
	} else {
		switch api.NormalStatus(j.Status) {
		case "Completed", "UserCanceled", "Killed":
			return false
		}
	}
	young := !j.CreatedAt.IsZero() && now.Sub(j.CreatedAt) < ConfirmWindow
	return young || from == "Running"
}

// first handles a row not tracked as open.
func (d *differ) first(key string, j api.Job, phase api.Phase, behind int, src source, baseline bool) {
	isNew := !baseline && d.isNew(j)
	if phase == api.PhaseClosed {
		if !isNew || d.endedAs(key, j.HistoryID) != "" {
			return
		}
		if needsConfirm(j, "", d.now) {
			// Tracked with no status yet: the confirmation read decides
			// whether it ended, started or still waits.
			d.next.Open[key] = d.track(j, "", behind, src)
			d.next.Open[key].Confirm = j.Status
			return
		}
		d.remember(key, j)
		d.emit(EndingEvent(j.Status), j, "")
		return
	}
	t := d.track(j, j.Status, behind, src)
	if t.StartedAt.IsZero() && j.Status == "Running" && (isNew || baseline) {
		// Seen running at once: it started no later than now. (Details,
		// when fetched later, give the true time.)
		t.StartedAt = cmp.Or(j.CreatedAt, d.now)
	}
	d.next.Open[key] = t
	if baseline {
		return
	}
	prevEnd := d.endedAs(key, j.HistoryID)
	switch {
	case d.kind == api.KindNotebook && !isNew:
		// A closed notebook open again was rerun (POST /notebook/{id}/rerun
		// reopens the same id, NotebookController.cs Rerun): a new run,
		// whose ending is reported again. (Were it the start-up race, the
		// ending it reopens from was confirmed first.)
		if j.Status == "Running" {
			t.StartedAt = cmp.Or(j.StartedAt, d.now)
		}
		d.announce(t, j, prevEnd)
		return
	case prevEnd != "":
		// A training, inference or preprocessing run reported ended is
		// open again. The real server reopens these only through the
		// start-up race outlasting the confirmation (a read's None or
		// Failed, overwritten by the run's own write once its container
		// call returns). Track it silently; its next ending is reported
		// only if it differs.
		t.Alerted = append(t.Alerted, resyncedMark)
		return
	case !isNew:
		return // a job that was closed and is open again without our memory of it
	}
	d.announce(t, j, "")
}

// announce reports a run first seen open: in trouble, or started.
func (d *differ) announce(t *Tracked, j api.Job, from string) {
	switch {
	case api.StatusPhase(j.Status) == api.PhaseTrouble:
		t.Alerted = append(t.Alerted, EventTrouble)
		d.emit(EventTrouble, j, from)
	case j.Status == "Running":
		d.emit(EventStarted, j, from)
	}
}

// track makes the record of a job first seen open (or awaiting
// confirmation, with status "").
func (d *differ) track(j api.Job, status string, behind int, src source) *Tracked {
	t := &Tracked{
		ID: j.ID, ParentID: j.ParentID, HistoryID: j.HistoryID, Name: j.Name, Owner: j.CreatedBy, Status: status,
		CreatedAt: j.CreatedAt, FirstSeen: d.now, ChangedAt: d.now, StartedAt: j.StartedAt,
		Behind: max(behind, 0), Far: src == fromRange && behind > NearRows,
	}
	switch src {
	case fromDetail:
		t.Far = true // read on its own: keep it far
	case fromReopen:
		// Not in the range: the ids above it are at most MaxID-ID.
		t.Far = d.next.MaxID-j.ID > NearRows
	}
	if status == "Unknown" {
		t.UnknownSince = d.now
	}
	d.words(t, j)
	return t
}

// resyncedMark flags a tracked job that re-opened after kamobot reported
// its ending.
const resyncedMark EventType = "resynced"

func (d *differ) isNew(j api.Job) bool {
	if d.kind == api.KindPreprocessing {
		dc := d.next.Defs[j.ParentID]
		if dc == nil {
			return true
		}
		if hid, ok := dc.Runs[j.ID]; ok {
			return hid != j.HistoryID
		}
		return !slices.Contains(dc.Known, j.ID)
	}
	return j.ID > d.baseMax
}

func (d *differ) remember(key string, j api.Job) {
	c := d.next
	c.Ended = append(c.Ended, EndedJob{Key: key, Status: j.Status, HistoryID: j.HistoryID, At: d.now})
	if over := len(c.Ended) - MaxEnded; over > 0 {
		c.Ended = slices.Delete(c.Ended, 0, over)
	}
}

// endedAs is the ending remembered for a job (for a preprocessing run, of
// that history id; 0 matches any), or "".
func (d *differ) endedAs(key string, historyID int64) string {
	for i := len(d.next.Ended) - 1; i >= 0; i-- {
		e := d.next.Ended[i]
		if e.Key == key && (e.HistoryID == historyID || e.HistoryID == 0 || historyID == 0) {
			return e.Status
		}
	}
	return ""
}

func (d *differ) vanish(key string, t *Tracked) {
	delete(d.next.Open, key)
	if t.Status == "" { // never seen open: nothing to report
		return
	}
	d.remember(key, api.Job{Status: "Deleted", HistoryID: t.HistoryID})
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

// coveredBy reports whether the fetch would have listed t were it there.
// The Reopen listing never covers anything: a tracked job may not match
// its filter.
func (d *differ) coveredBy(f Fetched, t *Tracked) bool {
	if f.Plan.Full {
		return true
	}
	if d.kind == api.KindPreprocessing {
		return slices.Contains(f.Plan.Defs, t.ParentID) || slices.Contains(f.NewDefs, t.ParentID)
	}
	return t.ID >= f.Plan.RangeFrom
}

// alerts raises the time-based alerts, at most once per job.
func (d *differ) alerts() {
	for _, key := range slices.Sorted(maps.Keys(d.next.Open)) {
		t := d.next.Open[key]
		if t.Confirm != "" {
			continue // its status is being confirmed
		}
		if !d.next.Baselined {
			t.Unposted = true // alerts raised now are not posted: nor reminded of
		}
		switch {
		case t.Status == "Running":
			since := t.StartedAt
			if d.opts.LongRunningAfter > 0 && !since.IsZero() && d.now.Sub(since) >= d.opts.LongRunningAfter &&
				!t.HasAlerted(EventLongRunning) {
				t.Alerted = append(t.Alerted, EventLongRunning)
				d.emit(EventLongRunning, t.job(d.kind), t.Status)
			}
		case t.Status == "Unknown":
			// Not in a queue: Kubernetes lost touch with the pod's node.
			// Counted from when it became Unknown.
			since := cmp.Or(t.UnknownSince, t.ChangedAt)
			if d.opts.StuckPendingAfter > 0 && d.now.Sub(since) >= d.opts.StuckPendingAfter &&
				!t.HasAlerted(EventStateUnknown) {
				t.Alerted = append(t.Alerted, EventStateUnknown)
				d.emit(EventStateUnknown, t.job(d.kind), t.Status)
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

// job rebuilds a job from what is tracked of it.
func (t *Tracked) job(k api.Kind) api.Job {
	return api.Job{Kind: k, ID: t.ID, ParentID: t.ParentID, HistoryID: t.HistoryID, Name: t.Name, Status: t.Status,
		CreatedBy: t.Owner, CreatedAt: t.CreatedAt, StartedAt: t.StartedAt, Memo: strings.Join(t.Words, " ")}
}

// clone deep-copies the cursor (nil gives an empty one).
func (c *KindCursor) clone() *KindCursor {
	n := &KindCursor{Open: map[string]*Tracked{}}
	if c == nil {
		return n
	}
	n.Baselined, n.MaxID, n.Passes = c.Baselined, c.MaxID, c.Passes
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
	return n
}
