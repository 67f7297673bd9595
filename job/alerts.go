package job

import (
	"cmp"
	"maps"
	"slices"

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
			since := t.StartedAt
			if d.opts.LongRunningAfter > 0 && !since.IsZero() && d.now.Sub(since) >= d.opts.LongRunningAfter &&
				!t.HasAlerted(EventLongRunning) {
				t.Alerted = append(t.Alerted, EventLongRunning)
				d.emit(EventLongRunning, t.Job(d.kind), t.Status)
			}
		case t.Status == "Unknown":
			// Not in a queue: Kubernetes lost touch with the pod's node.
			// Counted from when it became Unknown.
			since := cmp.Or(t.UnknownSince, t.ChangedAt)
			if d.opts.StuckPendingAfter > 0 && d.now.Sub(since) >= d.opts.StuckPendingAfter &&
				!t.HasAlerted(EventStateUnknown) {
				t.Alerted = append(t.Alerted, EventStateUnknown)
				d.emit(EventStateUnknown, t.Job(d.kind), t.Status)
			}
		case api.StatusPhase(t.Status) == api.PhaseOpen && t.Status != "Opened":
			if d.opts.StuckPendingAfter > 0 && d.now.Sub(t.openSince()) >= d.opts.StuckPendingAfter &&
				!t.HasAlerted(EventStuckPending) {
				t.Alerted = append(t.Alerted, EventStuckPending)
				d.emit(EventStuckPending, t.Job(d.kind), t.Status)
			}
		}
	}
}
