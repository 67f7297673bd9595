package kqifake

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
)

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
	// Tenant limits KubeErrors to one tenant (by id); 0: every tenant.
	Tenant int64 `json:"tenant,omitempty"`
}

// SetRaces replaces the races in force.
func (s *Server) SetRaces(r Races) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.races = r
	s.log.Debug("fake races set", "races", fmt.Sprintf("%+v", r))
}

// kubeFails decides whether a Kubernetes call for j fails. s.mu must be held.
func (s *Server) kubeFails(j *job) bool {
	r := &s.races
	if r.KubeErrors == 0 || (r.Tenant != 0 && r.Tenant != j.tenant) {
		return false
	}
	if r.KubeErrors > 0 {
		r.KubeErrors--
	}
	return true
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
	case s.kubeFails(j):
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
	menuAccount       = []string{"Account"}               // AccountController.cs lines 55, 249
	menuTraining      = []string{"Training"}              // TrainingController.cs line 119
	menuTrainingOne   = []string{"Training", "Inference"} // TrainingController.cs line 522
	menuInference     = []string{"Inference"}             // InferenceController.cs lines 102, 337
	menuNotebook      = []string{"Notebook"}              // NotebookController.cs lines 98, 180, 761
	menuPreprocessing = []string{"Preprocess"}            // PreprocessingController.cs lines 80, 419, 466
)

// DenyMenus takes menu permissions ("Training", "Inference", "Notebook",
// "Preprocess", "Account") from every account in a tenant (by name or
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
