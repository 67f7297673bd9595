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
	EventCompleted EventType = "completed" // -> Completed
	EventCanceled  EventType = "canceled"  // -> UserCanceled
	EventKilled    EventType = "killed"    // -> Killed
	EventFailed    EventType = "failed"    // -> Failed, Invalid, Forbidden, None
	EventDeleted   EventType = "deleted"   // an open job vanished from a successful list

	EventTrouble      EventType = "trouble"       // alive but OOMKilled, Error, back-off, ...
	EventStuckPending EventType = "stuck_pending" // queued longer than stuck_pending_after
	EventLongRunning  EventType = "long_running"  // running longer than long_running_after
)

// AllEventTypes lists the job event types in a stable order.
func AllEventTypes() []EventType {
	return []EventType{EventStarted, EventCompleted, EventCanceled, EventKilled, EventFailed,
		EventDeleted, EventTrouble, EventStuckPending, EventLongRunning}
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
	case "Completed":
		return EventCompleted
	case "UserCanceled":
		return EventCanceled
	case "Killed":
		return EventKilled
	default: // Failed, Invalid, Forbidden, None
		return EventFailed
	}
}

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
