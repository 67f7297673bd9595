package kqifake

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
)

// Statuses as the real server stores and shows them
// (Infrastructure/ContainerStatus.cs), and the times a change of status
// writes.

// StatusUpdate is a status change for SetStatus.
type StatusUpdate struct {
	// Status is stored as it is: a KAMONOHASHI name (Completed, Killed,
	// UserCanceled, Failed, ...) or what a refresh would store from the
	// pod (Pending, Running, Succeeded, Unknown, Error, OOMKilled).
	Status string `json:"status"`
	// Phase, instead of Status, is a Kubernetes pod phase as the refresh
	// reads it: Failed becomes Error (Infrastructure/ContainerStatus.cs,
	// the constructor for outside names, line 237).
	Phase         string `json:"phase,omitempty"`
	ConditionNote string `json:"conditionNote,omitempty"`
	LogSummary    string `json:"logSummary,omitempty"`
}

// ErrBadStatus is returned for a status the real server never shows.
var ErrBadStatus = errors.New("a status the real server never shows")

// ErrConflict is returned for a preprocessing run on data the definition
// has processed already, or a rerun of a notebook that is still open.
var ErrConflict = errors.New("conflict")

// checkStatus refuses the container reasons that never reach the API: the
// pod model reads only the phase and terminated.reason
// (ServiceModels/KubernetesModels/GetPodsOutputModel.cs lines 53-75).
func checkStatus(status string) error {
	switch {
	case strings.HasSuffix(status, "BackOff"), strings.HasPrefix(status, "ErrImage"),
		status == "ContainerCreating", status == "CreateContainerError", status == "CreateContainerConfigError",
		status == "InvalidImageName", status == "RunContainerError", status == "Evicted":
		return fmt.Errorf("status %q: %w (a container reason: the server shows the pod phase, e.g. Pending or Error)", status, ErrBadStatus)
	}
	return nil
}

// SetStatus changes a job's status. A closed status is an exit (halt,
// complete, user-cancel or the notebook timer: Logic/TrainingLogic.cs
// ExitAsync), which sets completedAt and, for a training or inference,
// startedAt from the pod; any other status is what a refresh stores from
// the pod, and sets no time.
func (s *Server) SetStatus(kind api.Kind, id int64, u StatusUpdate) error {
	if u.Phase != "" {
		u.Status = u.Phase
		if u.Phase == "Failed" {
			u.Status = "Error"
		}
	}
	if err := checkStatus(u.Status); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[kind][id]
	if j == nil {
		return fmt.Errorf("%s job %d: %w", kind, id, ErrNotFound)
	}
	j.starting = ""
	s.setStatus(j, u.Status, s.now())
	j.conditionNote = cmp.Or(u.ConditionNote, j.conditionNote)
	j.logSummary = cmp.Or(u.LogSummary, j.logSummary)
	s.log.Debug("fake job status set", "kind", kind, "id", id, "status", u.Status)
	return nil
}

// podStatuses imply the pod has started.
var podStatuses = []string{"Running", "Succeeded", "OOMKilled", "Error", "Unknown"}

// setStatus stores a status set through the control API (see SetStatus).
// s.mu must be held.
func (s *Server) setStatus(j *job, status string, at time.Time) {
	at = at.Truncate(time.Second)
	wasAlive := exists(j.status)
	j.status = status
	j.modifiedAt = at
	if j.podStart.IsZero() && (slices.Contains(podStatuses, status) || (wasAlive && closedStatus(status))) {
		j.podStart = at
		j.node = nodeOf(j.id)
	}
	if j.kind == api.KindNotebook && j.startedAt.IsZero() {
		j.startedAt = j.createdAt // NotebookController.cs line 526: StartedAt = DateTime.Now at run
	}
	if exists(status) {
		j.completedAt = time.Time{}
	}
	if closedStatus(status) && wasAlive {
		// An exit: TrainingLogic.cs ExitAsync line 60 and
		// TrainingHistoryRepository.UpdateStatusAsync (lines 136-144) set
		// CompletedAt to now and StartedAt, when unset, to the pod's start.
		j.completedAt = at
		if j.startedAt.IsZero() {
			j.startedAt = j.podStart
		}
	}
	j.conditionNote = conditionNotes[status]
}

// refreshed stores a status a list or detail read from Kubernetes:
// UpdateStatusAsync(id, status, force) sets no start or completion time
// (TrainingHistoryRepository.cs line 120); the commit stamps ModifiedAt.
// s.mu must be held.
func (s *Server) refreshed(j *job, status string) {
	j.status = status
	j.modifiedAt = s.now().Truncate(time.Second)
}

// closedStatus: a status KAMONOHASHI writes when a job ends, whose type
// is Closed or Failed (Infrastructure/ContainerStatus.cs lines 38-62).
func closedStatus(status string) bool {
	t := statusType(status)
	return status != "" && (t == "Closed" || t == "Failed")
}

// exists is ContainerStatus.Exist() (Infrastructure/ContainerStatus.cs
// line 114): the job's type is Running or Error, so a read asks
// Kubernetes for its pod. An empty stored status is Completed (Convert,
// line 147).
func exists(status string) bool {
	t := statusType(status)
	return t == "Running" || t == "Error"
}

// nodeOf names the node a job's pod runs on.
func nodeOf(id int64) string { return fmt.Sprintf("gpu-node-%02d", 1+id%8) }

// conditionNotes are what Kubernetes would say about a status.
var conditionNotes = map[string]string{
	"OOMKilled": "The container was killed: it used more memory than its limit.",
	"Error":     "The pod failed: a container exited with a non-zero code.",
	"Failed":    "The process exited with code 1.",
}

// statusType is ContainerStatus.StatusType (Infrastructure/ContainerStatus.cs
// lines 20-78): None and Opened are None; Completed (also the empty status
// of old rows) and UserCanceled Closed; Killed, Failed, Invalid and
// Forbidden Failed; Multiple, Empty and Error Error; every other name, the
// pod phases and OOMKilled among them, Running.
func statusType(status string) string {
	switch status {
	case "None", "Opened":
		return "None"
	case "", "Completed", "UserCanceled":
		return "Closed"
	case "Killed", "Failed", "Invalid", "Forbidden":
		return "Failed"
	case "Multiple", "Empty", "Error":
		return "Error"
	}
	return "Running"
}

// elapsed writes a duration as the server does: "1d 3h 25m".
func elapsed(d time.Duration) string {
	d = max(d, 0)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	return fmt.Sprintf("%dd %dh %dm", days, d/time.Hour, (d%time.Hour)/time.Minute)
}
