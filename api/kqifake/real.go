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

// Races are the real server's races and faults that the fake plays only
// when asked (POST /_fake/races); by default it behaves as a server where
// neither happens.
type Races struct {
	// NoneWindow: each job created from now on is committed as Running
	// before its pod exists, and the first read that finds it writes and
	// returns None; the run's own write follows at once, so the next read
	// shows the status the job was created with. The real server: the
	// create request commits Running (TrainingController.cs line 717,
	// Commit at 758) and writes the run's status when the container call
	// returns (line 776); a list in between finds no pod
	// (Services/KubernetesService.cs GetPodForJobAsync, lines 714-717) and
	// stores None (TrainingController.cs DoGetUpdatedIndexOutputModelAsync,
	// lines 216-238). Notebook reruns and preprocessing runs alike.
	NoneWindow bool `json:"none_window,omitempty"`
	// KubeErrors: the next this many Kubernetes calls fail, and the job
	// read is stored Failed for good: GetPodForJobAsync answers Failed when
	// the Kubernetes API fails (KubernetesService.cs lines 720-723) and the
	// read stores it (TrainingController.cs line 229); Failed is not
	// refreshed again (ContainerStatus.cs Exist, line 114). -1: every call.
	KubeErrors int `json:"kube_errors,omitempty"`
}

// SetRaces replaces the races in force.
func (s *Server) SetRaces(r Races) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.races = r
	s.log.Debug("fake races set", "races", fmt.Sprintf("%+v", r))
}

// kubeFails decides whether a Kubernetes call fails. s.mu must be held.
func (s *Server) kubeFails() bool {
	r := &s.races
	if r.KubeErrors > 0 {
		r.KubeErrors--
		return true
	}
	return r.KubeErrors < 0
}

// refresh is the status sync of a read. For a row whose stored status
// Exist()s (type Running or Error, Infrastructure/ContainerStatus.cs line
// 114) the server asks Kubernetes for its pod, one call per row
// (TrainingController.cs DoGetUpdatedIndexOutputModelAsync lines 216-238
// for lists, GetDetail lines 545-556 for details), and stores a changed
// status. It returns the job as this read shows it. s.mu must be held.
func (s *Server) refresh(j *job) *job {
	if !exists(j.status) {
		return j
	}
	s.stats.KubeCalls++
	s.stats.KubeByKind[string(j.kind)]++
	switch {
	case s.kubeFails():
		j.starting = ""
		s.refreshed(j, "Failed")
	case j.starting != "":
		shown := *j
		s.refreshed(&shown, "None")
		// The create request's own write follows: the next read sees it.
		s.refreshed(j, j.starting)
		j.starting = ""
		return &shown
	}
	return j
}

// load counts rows the server reads from its database for a request.
// s.mu must be held.
func (s *Server) load(kind api.Kind, rows int) {
	s.stats.RowsLoaded += int64(rows)
	s.stats.RowsByKind[string(kind)] += int64(rows)
}

// The menu codes of the routes kamobot uses (Filters.PermissionFilter on
// each action; any one of them grants access).
var (
	menuTraining      = []string{"Training"}              // TrainingController.cs line 119
	menuTrainingOne   = []string{"Training", "Inference"} // TrainingController.cs line 522
	menuInference     = []string{"Inference"}             // InferenceController.cs lines 102, 337
	menuNotebook      = []string{"Notebook"}              // NotebookController.cs lines 98, 180, 761
	menuPreprocessing = []string{"Preprocess"}            // PreprocessingController.cs lines 80, 419, 466
)

// DenyMenus takes menu permissions ("Training", "Inference", "Notebook",
// "Preprocess") from every account in a tenant (by name or
// decimal id); none given gives them all back. A request to a route of a
// denied menu answers 403 with an empty body and an X-Permit-MenuCode
// header (Filters/PermissionFilterAttribute.cs lines 80-87).
func (s *Server) DenyMenus(tenantRef string, menus ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findTenant(tenantRef)
	if t == nil {
		return fmt.Errorf("tenant %q: %w", tenantRef, ErrNotFound)
	}
	s.denied[t.id] = slices.Clone(menus)
	return nil
}

// menuDenied reports whether every menu of a route is denied in a tenant.
// s.mu must be held.
func (s *Server) menuDenied(tenantID int64, menus []string) bool {
	for _, m := range menus {
		if !slices.Contains(s.denied[tenantID], m) {
			return false
		}
	}
	return len(menus) > 0
}

// RemoveTenant takes a tenant (by name or decimal id) from an account, as
// an administrator would mid-run: the account's tokens for it then answer
// 401 "You have lost a role for the access." (Infrastructure/Infos/UserInfo.cs
// line 120, through Filters/JsonExceptionHandlerAttribute.cs lines 39-42)
// and a new token for it 400 (Logic/LoginLogic.cs line 146).
func (s *Server) RemoveTenant(user, tenantRef string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[user]
	if a == nil {
		return fmt.Errorf("account %q: %w", user, ErrNotFound)
	}
	t := s.findTenant(tenantRef)
	if t == nil || !a.member(t.id) {
		return fmt.Errorf("tenant %q of account %q: %w", tenantRef, user, ErrNotFound)
	}
	a.tenants = slices.DeleteFunc(a.tenants, func(id int64) bool { return id == t.id })
	return nil
}

// SetFavorite marks a job a favourite or not: lists show favourites first
// (DataAccess/Repositories/TenantRepositories/TrainingHistoryRepository.cs
// line 41, InferenceHistoryRepository.cs line 41, NotebookHistoryRepository.cs
// line 33).
func (s *Server) SetFavorite(kind api.Kind, id int64, favorite bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[kind][id]
	if j == nil || kind == api.KindPreprocessing {
		return fmt.Errorf("%s job %d: %w", kind, id, ErrNotFound)
	}
	j.favorite = favorite
	return nil
}

// Rerun reopens a closed notebook under the same id, as POST
// /notebook/{id}/rerun does (NotebookController.cs Rerun, lines 760-975):
// refused while it is open (line 777), else status Running, StartedAt now,
// CompletedAt cleared (lines 934-938). It then runs and ends again.
func (s *Server) Rerun(id int64) (api.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[api.KindNotebook][id]
	if j == nil {
		return api.Job{}, fmt.Errorf("notebook %d: %w", id, ErrNotFound)
	}
	if err := s.rerun(j); err != nil {
		return api.Job{}, err
	}
	return s.apiJob(j), nil
}

func (s *Server) rerun(j *job) error {
	if exists(j.status) {
		return fmt.Errorf("notebook %d is already running: %w", j.id, ErrConflict)
	}
	now := s.now().Truncate(time.Second)
	j.status = "Running"
	j.modifiedAt, j.startedAt, j.podStart = now, now, now
	j.completedAt = time.Time{}
	j.conditionNote = ""
	if s.races.NoneWindow {
		j.starting = "Running"
	}
	return nil
}

// stackTrace is what the server writes in a 500's detail: the exception's
// StackTrace (Filters/JsonExceptionHandlerAttribute.cs line 50), many
// lines.
func stackTrace(path string) string {
	ctl := controller(path)
	lines := []string{
		fmt.Sprintf("   at Nssol.Platypus.Controllers.spa.%s.GetAll(SearchInputModel filter, Nullable`1 perPage, Int32 page, Boolean withTotal) in /src/platypus/Controllers/spa/%s.cs:line 137", ctl, ctl),
		"   at lambda_method(Closure , Object , Object[] )",
		"   at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.SyncActionResultExecutor.Execute(IActionResultTypeMapper mapper, ObjectMethodExecutor executor, Object controller, Object[] arguments)",
		"   at Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.InvokeActionMethodAsync()",
		"   at Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.Next(State& next, Scope& scope, Object& state, Boolean& isCompleted)",
	}
	return strings.Join(lines, "\n")
}
