package job

import (
	"cmp"
	"time"

	"github.com/kamobot/kamobot/api"
)

// Waiting says whether a tracked job still needs attention after its
// alert was raised: still stuck in the queue (stuck_pending), still
// Unknown (state_unknown) or still in trouble; since is when that began.
// Reminders (engine) are counted from since. A job whose alert came with
// the baseline (never posted) is not waiting.
func (t *Tracked) Waiting() (alert EventType, since time.Time, ok bool) {
	if t.Confirm != "" || t.Unposted {
		return "", time.Time{}, false
	}
	switch {
	case t.Status == "Unknown" && t.HasAlerted(EventStateUnknown):
		return EventStateUnknown, cmp.Or(t.UnknownSince, t.ChangedAt), true
	case api.StatusPhase(t.Status) == api.PhaseTrouble && t.HasAlerted(EventTrouble):
		return EventTrouble, t.ChangedAt, true
	case api.StatusPhase(t.Status) == api.PhaseOpen && t.Status != "Running" && t.Status != "Opened" &&
		t.HasAlerted(EventStuckPending):
		return EventStuckPending, t.openSince(), true
	}
	return "", time.Time{}, false
}
