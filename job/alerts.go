package job

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
)

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
			if !t.StartedAt.IsZero() {
				d.alert(t, EventLongRunning, t.StartedAt, d.opts.LongRunningAfter)
			}
		case t.Status == "Unknown":
			// Not in a queue: Kubernetes lost touch with the pod's node.
			// Counted from when it became Unknown.
			d.alert(t, EventStateUnknown, cmp.Or(t.UnknownSince, t.ChangedAt), d.opts.StuckPendingAfter)
		case api.StatusPhase(t.Status) == api.PhaseOpen && t.Status != "Opened":
			d.alert(t, EventStuckPending, t.openSince(), d.opts.StuckPendingAfter)
		}
	}
}

// alert raises e about t, at most once, when at least after has gone by
// since since; an after of 0 disables it.
func (d *differ) alert(t *Tracked, e EventType, since time.Time, after time.Duration) {
	if after > 0 && d.now.Sub(since) >= after && !t.HasAlerted(e) {
		t.Alerted = append(t.Alerted, e)
		d.emit(e, t.Job(d.kind), t.Status)
	}
}
