package metrics

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// PassGrace is how long one pass may take, on top of UnhealthyAfter
// intervals, before a loop that ends no pass counts as stuck. A pass with a
// long Slack backlog (one message a second per webhook) or a slow API can
// legitimately take minutes.
const PassGrace = 5 * time.Minute

// Status is the body of /healthz and /livez.
type Status struct {
	// Status is "ok", "starting" (no pass ended yet) or "unhealthy".
	Status string `json:"status"`
	// Reason says why it is unhealthy.
	Reason         string    `json:"reason,omitempty"`
	LastPass       time.Time `json:"last_pass,omitzero"`
	LastResult     string    `json:"last_result,omitempty"`
	LastSuccess    time.Time `json:"last_success,omitzero"`
	FailuresInARow int       `json:"failures_in_a_row"`
	UnhealthyAfter int       `json:"unhealthy_after"`
	// Pending is the outbox after the last pass that got to sending.
	Pending *int `json:"pending,omitempty"`
}

// Health judges the watch loop as /healthz does: unhealthy after
// UnhealthyAfter failed passes in a row, or when no pass has succeeded for
// UnhealthyAfter intervals plus PassGrace (a hung pass, or a loop that is
// always locked out).
func (m *Metrics) Health() Status {
	h := &m.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures >= h.unhealthyAfter {
		s := h.status()
		s.Status, s.Reason = "unhealthy", fmt.Sprintf("%d passes failed in a row", h.failures)
		return s
	}
	return h.stale(h.lastSuccess, "succeeded")
}

// Live judges only whether the loop still moves, as /livez does: a pass
// ended (whatever its result) within UnhealthyAfter intervals plus
// PassGrace. A restart cures a hung loop, not an API outage, so this is
// what a liveness probe should ask.
func (m *Metrics) Live() Status {
	h := &m.health
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stale(h.lastPass, "ended")
}

// stale returns the status, unhealthy when no pass has done what verb says
// since last (or since the start) for UnhealthyAfter intervals plus
// PassGrace. The caller holds h.mu.
func (h *health) stale(last time.Time, verb string) Status {
	s := h.status()
	if last.IsZero() {
		last = h.started
	}
	if d := time.Since(last); d > time.Duration(h.unhealthyAfter)*h.interval+PassGrace {
		s.Status, s.Reason = "unhealthy", fmt.Sprintf("no pass %s for %s", verb, d.Round(time.Second))
	}
	return s
}

// status fills the facts; the caller holds h.mu.
func (h *health) status() Status {
	s := Status{
		Status:         "ok",
		LastPass:       utc(h.lastPass),
		LastResult:     h.lastResult,
		LastSuccess:    utc(h.lastSuccess),
		FailuresInARow: h.failures,
		UnhealthyAfter: h.unhealthyAfter,
	}
	if h.lastPass.IsZero() {
		s.Status = "starting"
	}
	if h.pendingKnown {
		n := h.pending
		s.Pending = &n
	}
	return s
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Round(time.Millisecond)
}

// statusHandler answers 200 with the status as JSON, or 503 when it is
// unhealthy.
func statusHandler(judge func() Status) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s := judge()
		code := http.StatusOK
		if s.Status == "unhealthy" {
			code = http.StatusServiceUnavailable
		}
		b, _ := json.Marshal(s) // plain data: cannot fail
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		if r.Method == http.MethodGet {
			_, _ = w.Write(append(b, '\n'))
		}
	})
}
