// Package job is kamobot's domain, with no I/O: the events a job's life
// gives, the cursors that remember where each tenant's listing stands, the
// fetch plan a cursor asks for, and the pure diff that turns a cursor plus
// freshly fetched jobs into the next cursor and the events.
package job

import (
	"time"

	"github.com/kamobot/kamobot/api"
)

// EventType names what happened to a job.
type EventType string

// Job events. The first six are endings or transitions of a job; the rest
// are alerts about a job that is still alive.
const (
	EventStarted   EventType = "started"   // Pending (or another queue state) -> Running
	EventCompleted EventType = "completed" // -> Completed, or Succeeded (see Unmarked)
	EventCanceled  EventType = "canceled"  // -> UserCanceled
	EventKilled    EventType = "killed"    // -> Killed
	EventFailed    EventType = "failed"    // -> Failed, Invalid, Forbidden, None; Error -> Killed
	EventDeleted   EventType = "deleted"   // an open job vanished from a successful list

	EventTrouble      EventType = "trouble"       // alive but OOMKilled, Error, Empty or Multiple
	EventStuckPending EventType = "stuck_pending" // queued longer than stuck_pending_after
	EventLongRunning  EventType = "long_running"  // running longer than long_running_after
	// EventStateUnknown: the pod's phase has been Unknown (Kubernetes lost
	// touch with its node) for longer than stuck_pending_after, counted
	// from when it became Unknown.
	EventStateUnknown EventType = "state_unknown"
)

// AllEventTypes lists the job event types in a stable order.
func AllEventTypes() []EventType {
	return []EventType{EventStarted, EventCompleted, EventCanceled, EventKilled, EventFailed,
		EventDeleted, EventTrouble, EventStuckPending, EventLongRunning, EventStateUnknown}
}

// IsEnding reports whether the event closes the job's life.
func (t EventType) IsEnding() bool {
	switch t {
	case EventCompleted, EventCanceled, EventKilled, EventFailed, EventDeleted:
		return true
	}
	return false
}

// EndingEvent maps a closed status to its event type.
func EndingEvent(status string) EventType {
	switch api.NormalStatus(status) {
	case "Completed", "Succeeded":
		return EventCompleted
	case "UserCanceled":
		return EventCanceled
	case "Killed":
		return EventKilled
	default: // Failed, Invalid, Forbidden, None
		return EventFailed
	}
}

// endingFrom is the event of a job that closes with status to after it
// was last seen with status from. A job whose pod failed (Error: the
// Kubernetes phase Failed while KAMONOHASHI still thinks it alive) failed,
// whatever status closes it afterwards (usually Killed, when someone halts
// it, or None once the pod is gone), unless it completed after all or a
// user canceled it.
func endingFrom(from, to string) EventType {
	e := EndingEvent(to)
	if from == "Error" && (e == EventKilled || e == EventFailed) {
		return EventFailed
	}
	return e
}

// Unmarked reports whether an event is an ending KAMONOHASHI itself did
// not record: the pod ended well (phase Succeeded) but the job's final
// "complete" call never came, so the web UI does not show it Completed
// (Services/KubernetesService.cs GetContainerStatusAsync passes the pod
// phase through). Messages say so.
func (e Event) Unmarked() bool { return e.Type == EventCompleted && e.To == "Succeeded" }

// TenantRef names the tenant an event belongs to.
type TenantRef struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
}

// Label is the display name, or the name when there is none.
func (t TenantRef) Label() string {
	if t.DisplayName != "" {
		return t.DisplayName
	}
	return t.Name
}

// Event is one thing worth telling about one job.
type Event struct {
	Type   EventType `json:"type"`
	Tenant TenantRef `json:"tenant"`
	Job    api.Job   `json:"job"`
	From   string    `json:"from,omitempty"` // status before ("" for a job first seen this pass)
	To     string    `json:"to"`             // status now
	At     time.Time `json:"at"`             // when kamobot noticed it
}
