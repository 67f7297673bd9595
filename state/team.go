package state

import (
	"slices"

	"github.com/kamobot/kamobot/api"
	"time"
)

// TeamState is what escalation and kamobot's watch over itself remember
// between passes, so that each of their messages is sent once, also across
// restarts.
type TeamState struct {
	// Failures are recent failed runs, kept for [watch] failing_repeatedly's
	// window.
	Failures []Failure `json:"failures,omitempty"`
	// FailingSent maps a failing group ("<tenant id>/<name>", or by series
	// "<tenant id>/~<owner>/<stem>") to when its
	// "failing repeatedly" message was sent: one per window.
	FailingSent map[string]time.Time `json:"failing_sent,omitempty"`
	// Self tracks KAMONOHASHI's (and webhooks') health as kamobot sees it.
	Self SelfState `json:"self,omitzero"`
}

// Failure is one failed run, in compact form.
type Failure struct {
	Tenant   int64     `json:"tenant"`
	Kind     api.Kind  `json:"kind"`
	ID       int64     `json:"id"`
	ParentID int64     `json:"parent_id,omitempty"`
	Name     string    `json:"name"`
	Owner    string    `json:"owner,omitempty"`
	At       time.Time `json:"at"`
}

// MaxFailures caps the failures kept.
const MaxFailures = 500

// RecordFailure adds a failed run and forgets those older than within.
func (t *TeamState) RecordFailure(f Failure, within time.Duration) {
	t.Failures = slices.DeleteFunc(t.Failures, func(o Failure) bool { return f.At.Sub(o.At) > within })
	if !slices.ContainsFunc(t.Failures, func(o Failure) bool {
		return o.Tenant == f.Tenant && o.Kind == f.Kind && o.ID == f.ID && o.ParentID == f.ParentID && o.At.Equal(f.At)
	}) {
		t.Failures = append(t.Failures, f)
	}
	if over := len(t.Failures) - MaxFailures; over > 0 {
		t.Failures = slices.Delete(t.Failures, 0, over)
	}
	for k, at := range t.FailingSent {
		if f.At.Sub(at) > within {
			delete(t.FailingSent, k)
		}
	}
}

// SelfState is kamobot's watch over itself.
type SelfState struct {
	// FailingSince is when the first pass that could not reach
	// KAMONOHASHI (or was refused its login) began; zero while it works.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// LastError is the exit text of the latest such pass.
	LastError string `json:"last_error,omitempty"`
	// Alerted is set once the outage was told.
	Alerted bool `json:"alerted,omitempty"`
	// DeadHooksTold lists the webhooks whose refusal was told through the
	// default one.
	DeadHooksTold []Hook `json:"dead_hooks_told,omitempty"`
}
