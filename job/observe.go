package job

import (
	"cmp"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
)

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
	// History (most rows of a listing) and the closed rows of the Reopen
	// listing are passed over without building a key.
	if !tracked && phase == api.PhaseClosed && (baseline || src == fromReopen || !d.isNew(j)) {
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
