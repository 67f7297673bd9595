// Package api is kamobot's client for the KAMONOHASHI REST API (v2): login,
// per-tenant tokens, job lists and details for the four job kinds.
//
// The wire types in wire.go mirror swagger.json field for field; Job is the
// normalised view the rest of kamobot works with.
package api

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is one of the four kinds of job KAMONOHASHI runs.
type Kind string

// The job kinds, named as in the web UI routes.
const (
	KindTraining      Kind = "training"
	KindInference     Kind = "inference"
	KindNotebook      Kind = "notebook"
	KindPreprocessing Kind = "preprocessing"
)

// AllKinds returns every job kind in a stable order.
func AllKinds() []Kind {
	return []Kind{KindTraining, KindInference, KindNotebook, KindPreprocessing}
}

// ParseKind accepts a kind name, case-insensitively, with a few common
// aliases ("train", "infer", "inferences", "preprocess").
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "training", "train", "trainings":
		return KindTraining, nil
	case "inference", "inferences", "infer":
		return KindInference, nil
	case "notebook", "notebooks":
		return KindNotebook, nil
	case "preprocessing", "preprocessings", "preprocess":
		return KindPreprocessing, nil
	}
	return "", fmt.Errorf("unknown job kind %q (want training, inference, notebook or preprocessing)", s)
}

// Tenant is a tenant visible to the logged-in account (TenantInfo in swagger.json).
type Tenant struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Default     bool   `json:"default"`
	IsOrigin    bool   `json:"isOrigin"`
}

// Label is the tenant's display name, or its name when it has none.
func (t Tenant) Label() string { return cmp.Or(t.DisplayName, t.Name) }

// Job is one run of any kind, normalised from the list and detail models.
//
// For preprocessing, a run is a history entry, one per (preprocessing id,
// data id): ID holds the data id, ParentID the preprocessing id and
// HistoryID the history's own id (from its key "preproc-{id}"). A run
// deleted and run again on the same data keeps ID and ParentID and gets a
// new HistoryID.
// Fields that only detail requests return are zero until Detailed is true.
type Job struct {
	Kind      Kind   `json:"kind"`
	ID        int64  `json:"id"`
	ParentID  int64  `json:"parent_id,omitempty"`
	DisplayID int64  `json:"display_id,omitempty"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	CreatedBy string `json:"created_by,omitempty"`
	// HistoryID is a preprocessing run's history id; 0 for other kinds.
	HistoryID int64 `json:"history_id,omitempty"`
	// Memo is the job's memo (for a preprocessing run, its definition's,
	// when listed); Tags are a training's tags. kamobot reads its own
	// words in them (package job, control.go).
	Memo string   `json:"memo,omitempty"`
	Tags []string `json:"tags,omitempty"`

	CreatedAt   time.Time `json:"created_at"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	CompletedAt time.Time `json:"completed_at,omitzero"`

	Node          string `json:"node,omitempty"`
	GPU           int    `json:"gpu,omitempty"`
	CPU           int    `json:"cpu,omitempty"`
	Memory        int    `json:"memory,omitempty"`
	Partition     string `json:"partition,omitempty"`
	StatusType    string `json:"status_type,omitempty"`
	ConditionNote string `json:"condition_note,omitempty"`
	LogSummary    string `json:"log_summary,omitempty"`
	WaitingTime   string `json:"waiting_time,omitempty"`
	ExecutionTime string `json:"execution_time,omitempty"`

	// Detailed is true when the fields above came from a detail request.
	Detailed bool `json:"detailed,omitempty"`
}

// Key identifies a job within one tenant: "training/12", "preprocessing/3/40".
func (j Job) Key() string { return JobKey(j.Kind, j.ParentID, j.ID) }

// JobKey builds the key Job.Key returns.
func JobKey(k Kind, parentID, id int64) string {
	if k == KindPreprocessing {
		return fmt.Sprintf("%s/%d/%d", k, parentID, id)
	}
	return fmt.Sprintf("%s/%d", k, id)
}

// WebURL is the job's page in the KAMONOHASHI web UI. server is the base URL
// without a trailing slash or "/#/".
func (j Job) WebURL(server string) string {
	if j.Kind == KindPreprocessing {
		// web-pages/src/router/preprocessing.js: /preprocessingHistory/:id/:dataId
		return fmt.Sprintf("%s/#/preprocessingHistory/%d/%d", server, j.ParentID, j.ID)
	}
	return fmt.Sprintf("%s/#/%s/%d", server, j.Kind, j.ID)
}

// Phase says where a status stands in a job's life.
type Phase int

// The phases of a job.
const (
	// PhaseOpen: queued or running (includes statuses kamobot does not know).
	PhaseOpen Phase = iota
	// PhaseTrouble: still alive but in trouble (OOMKilled, Error, Empty, Multiple).
	PhaseTrouble
	// PhaseClosed: ended for good.
	PhaseClosed
)

// StatusPhase classifies a status string as the real server shows it
// (web-api/platypus/platypus in KAMONOHASHI/kamonohashi):
//
//   - KAMONOHASHI's own names (Infrastructure/ContainerStatus.cs):
//     Completed, UserCanceled, Killed, Failed, Invalid, Forbidden and None
//     are closed; OOMKilled, Error, Empty and Multiple are alive but in
//     trouble; Running and Opened are open. None is also what a list
//     writes for a moment when it arrives before a new job's pod exists
//     (Services/KubernetesService.cs, the "no pod" branch): the caller
//     confirms it with a second read before reporting it.
//   - For a job the server thinks alive, the Kubernetes pod phase
//     (KubernetesService.cs GetContainerStatusAsync): Pending, Running and
//     Unknown are open; Succeeded is closed (the pod ended well but the
//     job's final "complete" call never came, so KAMONOHASHI did not mark
//     it Completed); phase Failed arrives as Error (ContainerStatus.cs,
//     the constructor for outside names).
//
// Container reasons (ImagePullBackOff, CrashLoopBackOff, ContainerCreating,
// ...) never reach the API: the pod model reads only the phase and
// terminated.reason (ServiceModels/KubernetesModels/GetPodsOutputModel.cs).
// Other strings are open. An empty status on old rows means Completed.
func StatusPhase(status string) Phase {
	switch status {
	case "", "Completed", "UserCanceled", "Killed", "Failed", "Invalid", "Forbidden", "None", "Succeeded":
		return PhaseClosed
	case "OOMKilled", "Error", "Empty", "Multiple":
		return PhaseTrouble
	}
	return PhaseOpen
}

// NormalStatus maps the empty status of old rows to "Completed".
func NormalStatus(status string) string { return cmp.Or(status, "Completed") }

// TimeLayout is how KAMONOHASHI writes times: server-local, no offset.
const TimeLayout = "2006-01-02 15:04:05"

// ParseTime reads a KAMONOHASHI time string in the server's zone (nil
// means UTC, the server image's zone). An empty string is the zero time.
// ISO 8601 forms ("2006-01-02T15:04:05", with or without an offset) are
// accepted too, since some versions send them.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	loc = cmp.Or(loc, time.UTC)
	for _, layout := range []string{TimeLayout, "2006/01/02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	// The value comes from the server: quote only its start, sanitised.
	return time.Time{}, fmt.Errorf("time %q is not in the form %q", sanitize(s, 40), TimeLayout)
}

// FormatTime writes t as KAMONOHASHI does, in loc.
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(TimeLayout)
}

// FormatID writes an id in decimal.
func FormatID(id int64) string { return strconv.FormatInt(id, 10) }
