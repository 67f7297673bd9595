package job

import (
	"slices"

	"github.com/kamobot/kamobot/api"
)

// remember keeps the ending of a job, the last MaxEnded of the cursor.
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
	if t.Confirm != "" {
		// Read closed, then gone before the confirming read: the ending
		// read is the last word the server said; report it rather than a
		// deletion (or nothing, for a job never seen open).
		j := t.Job(d.kind)
		j.Status = t.Confirm
		d.remember(key, j)
		d.emit(EndingEvent(t.Confirm), j, t.Status)
		return
	}
	if t.Status == "" { // never seen open: nothing to report
		return
	}
	d.remember(key, api.Job{Status: "Deleted", HistoryID: t.HistoryID})
	d.emit(EventDeleted, t.Job(d.kind), t.Status)
}

// missing counts open jobs that the fetch covered but did not list.
func (d *differ) missing(f Fetched) {
	for key, t := range d.next.Open {
		if d.seen[Ref{ID: t.ID, ParentID: t.ParentID}] || !d.coveredBy(f, t) {
			continue
		}
		t.Missing++
		if t.Missing >= MissingPasses {
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
