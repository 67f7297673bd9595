package state

import "github.com/kamobot/kamobot/job"

// The event types moved to package job; config still names them here.
// These aliases go once config imports job.
type EventType = job.EventType

const (
	EventStarted      = job.EventStarted
	EventCompleted    = job.EventCompleted
	EventCanceled     = job.EventCanceled
	EventKilled       = job.EventKilled
	EventFailed       = job.EventFailed
	EventDeleted      = job.EventDeleted
	EventTrouble      = job.EventTrouble
	EventStuckPending = job.EventStuckPending
	EventLongRunning  = job.EventLongRunning
)

// AllEventTypes lists the job event types in a stable order.
func AllEventTypes() []EventType { return job.AllEventTypes() }
