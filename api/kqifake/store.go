// One file: the fake's tables (tenants, accounts, jobs, definitions) and the only code that
// writes them, together so that every invariant an insert keeps is in view.

package kqifake

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kamobot/kamobot/api"
)

type tenant struct {
	id          int64
	name        string
	displayName string
}

type account struct {
	id       int64
	user     string
	password string
	tenants  []int64 // in the order given; the first is the default
}

func (a *account) member(tenantID int64) bool { return slices.Contains(a.tenants, tenantID) }

// job is a run of any kind. For preprocessing, id is the history id (its
// key is "preproc-{id}", Models/TenantModels/PreprocessHistory.cs line 119),
// parent the preprocessing id and dataID the input data: one history per
// (parent, dataID) (PreprocessingController.cs, the "already processed"
// check before a run).
type job struct {
	kind      api.Kind
	id        int64
	tenant    int64
	parent    int64
	dataID    int64
	displayID int64
	name      string
	dataName  string
	createdBy string
	status    string
	memo      string
	tags      []string

	cpu, memory, gpu int32
	node             string
	conditionNote    string
	logSummary       string
	favorite         bool

	createdAt, modifiedAt, completedAt time.Time
	// podStart is when the job's pod started; startedAt is the StartedAt
	// column, which a training or inference gets only when it exits
	// (Logic/TrainingLogic.cs ExitAsync, line 60; InferenceLogic.cs line
	// 57), and a notebook when it is run (NotebookController.cs line 526).
	podStart, startedAt time.Time
	// starting is the status the run will write once it returns, while the
	// row is committed (as Running) and the pod does not exist yet: the
	// None window (TrainingController.cs lines 717-777). "" outside it.
	starting string
}

// preprocessDef is a preprocessing definition: 2 CPUs, 8 GB of memory, no
// GPU and no memo.
type preprocessDef struct {
	id        int64
	tenant    int64
	name      string
	createdBy string
	createdAt time.Time
	runs      []*job // ascending history id
}

// ErrNotFound is returned by the Go control methods for an unknown tenant,
// kind or job.
var ErrNotFound = errors.New("not found")

// next returns the next id of a counter. s.mu must be held.
func (s *Server) next(counter string) int64 {
	s.nextID[counter]++
	return s.nextID[counter]
}

// AddTenant adds a tenant and returns its id. A tenant of that name is
// updated (its display name) rather than added twice.
func (s *Server) AddTenant(name, displayName string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addTenant(name, displayName)
}

func (s *Server) addTenant(name, displayName string) int64 {
	if t := s.tenantByName(name); t != nil {
		t.displayName = displayName
		return t.id
	}
	t := &tenant{id: s.next("tenant"), name: name, displayName: displayName}
	s.tenants[t.id] = t
	s.log.Debug("fake tenant added", "id", t.id, "name", name)
	return t.id
}

func (s *Server) tenantByName(name string) *tenant {
	for _, t := range s.tenants {
		if t.name == name {
			return t
		}
	}
	return nil
}

// findTenant finds a tenant by name, or by id written in decimal.
func (s *Server) findTenant(ref string) *tenant {
	if t := s.tenantByName(ref); t != nil {
		return t
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return s.tenants[id]
	}
	return nil
}

// AddAccount adds an account, or replaces the password and tenants of an
// existing one. The first tenant is its default. Unknown tenant ids are
// kept but grant nothing.
func (s *Server) AddAccount(user, password string, tenantIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addAccount(user, password, tenantIDs)
}

func (s *Server) addAccount(user, password string, tenantIDs []int64) {
	a := s.accounts[user]
	if a == nil {
		a = &account{id: s.next("user"), user: user}
		s.accounts[user] = a
	}
	a.password = password
	a.tenants = slices.Clone(tenantIDs)
	s.log.Debug("fake account set", "user", user, "tenants", tenantIDs)
}

// NewJob describes a job for AddJob (and, by its JSON names, for POST
// /_fake/jobs).
type NewJob struct {
	// Tenant is the tenant's name or decimal id.
	Tenant    string   `json:"-"`
	Kind      api.Kind `json:"-"`
	Name      string   `json:"name"`
	CreatedBy string   `json:"createdBy"`
	// Status defaults to "Pending". A started or closed status sets the
	// times as a status change would.
	Status string `json:"status"`
	// PreprocessID attaches a preprocessing run to that definition; 0
	// creates a definition named after Name.
	PreprocessID int64 `json:"preprocessId"`
	// DataID is the input data of a preprocessing run; 0 takes new data
	// (whose id is then the new history's id). A definition runs once per
	// data: a second run on the same data while the first's history
	// exists is refused, after a delete it is a new history.
	DataID int64 `json:"dataId"`
	// DataName names the input data of a preprocessing run.
	DataName string `json:"dataName"`
	// Favorite marks the job a favourite: lists show it first.
	Favorite bool   `json:"favorite"`
	Memo     string `json:"memo"`
	// Tags are a training's tags (ignored for other kinds).
	Tags []string `json:"tags"`
	GPU  int      `json:"gpu"`
	// CreatedAt defaults to now.
	CreatedAt time.Time `json:"-"`
}

// AddJob adds a job and returns it as the client would see its details.
func (s *Server) AddJob(n NewJob) (api.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.addJob(n)
	if err != nil {
		return api.Job{}, err
	}
	return s.apiJob(j), nil
}

func (s *Server) addJob(n NewJob) (*job, error) {
	t := s.findTenant(n.Tenant)
	if t == nil {
		return nil, fmt.Errorf("tenant %q: %w", n.Tenant, ErrNotFound)
	}
	if _, ok := s.jobs[n.Kind]; !ok {
		return nil, fmt.Errorf("kind %q: %w", n.Kind, ErrNotFound)
	}
	now := s.now()
	if n.CreatedAt.IsZero() {
		n.CreatedAt = now
	}
	n.Name = cmp.Or(n.Name, fmt.Sprintf("%s-%d", n.Kind, s.nextID[string(n.Kind)]+1))
	n.CreatedBy = cmp.Or(n.CreatedBy, "alice")
	n.Status = cmp.Or(n.Status, "Pending")
	if err := checkStatus(n.Status); err != nil {
		return nil, err
	}
	j := &job{
		kind: n.Kind, tenant: t.id, name: n.Name, createdBy: n.CreatedBy,
		status: "Pending", memo: n.Memo, createdAt: n.CreatedAt.Truncate(time.Second),
		cpu: 4, memory: 16, gpu: int32(n.GPU), favorite: n.Favorite,
	}
	j.modifiedAt = j.createdAt
	if n.Kind == api.KindTraining {
		j.tags = slices.Clone(n.Tags)
	}
	if n.Kind == api.KindPreprocessing {
		d := s.defs[n.PreprocessID]
		switch {
		case n.PreprocessID != 0 && (d == nil || d.tenant != t.id):
			return nil, fmt.Errorf("preprocessing %d in tenant %q: %w", n.PreprocessID, t.name, ErrNotFound)
		case d == nil:
			d = s.addDef(t.id, n.Name, n.CreatedBy, j.createdAt)
		}
		j.parent = d.id
		j.name = d.name
		j.dataID = n.DataID
		if j.dataID != 0 && slices.ContainsFunc(d.runs, func(r *job) bool { return r.dataID == j.dataID }) {
			// PreprocessingController.cs, ValidateCreatePreprocessHistoryInputModelAsync:
			// "Data {id}:{name} has already been processed by ..."
			return nil, fmt.Errorf("data %d has already been processed by preprocessing %d: %w", j.dataID, d.id, ErrConflict)
		}
		// New data takes the id the history will get.
		j.dataName = cmp.Or(n.DataName, fmt.Sprintf("data-%d.zip", cmp.Or(j.dataID, s.nextID[string(n.Kind)]+1)))
	}
	s.insert(j)
	if s.races.NoneWindow && exists(n.Status) {
		// The create request commits the row as Running before the pod
		// exists (TrainingController.cs line 717, the Commit at 758) and
		// writes the run's status when RunTrainContainerAsync returns (line
		// 776): a list in between finds no pod and writes None.
		s.setStatus(j, "Running", now)
		j.starting = n.Status
		return j, nil
	}
	if n.Status != j.status {
		s.setStatus(j, n.Status, now)
	}
	return j, nil
}

// insert gives a drafted job its ids and files it, with the condition
// note of its status. StartedAt stays only where the server has written
// it: an open training or inference gets it when it exits
// (Logic/TrainingLogic.cs ExitAsync line 60, InferenceLogic.cs line 57);
// the pod's start is kept, and a written StartedAt names a node. s.mu
// must be held.
func (s *Server) insert(j *job) {
	j.id = s.next(string(j.kind))
	j.conditionNote = conditionNotes[j.status]
	j.podStart = j.startedAt
	if j.kind != api.KindNotebook && exists(j.status) {
		j.startedAt = time.Time{}
	}
	if !j.startedAt.IsZero() && j.node == "" {
		j.node = nodeOf(j.id)
	}
	if j.kind == api.KindPreprocessing {
		d := s.defs[j.parent]
		if j.dataID == 0 {
			j.dataID = j.id
			for slices.ContainsFunc(d.runs, func(r *job) bool { return r.dataID == j.dataID }) {
				j.dataID++
			}
		}
		d.runs = append(d.runs, j)
	} else {
		k := listKey{j.tenant, j.kind}
		s.display[k]++
		j.displayID = s.display[k]
		s.lists[k] = append(s.lists[k], j)
	}
	s.jobs[j.kind][j.id] = j
}

func (s *Server) addDef(tenantID int64, name, createdBy string, at time.Time) *preprocessDef {
	d := &preprocessDef{
		id: s.next("def"), tenant: tenantID, name: name, createdBy: createdBy,
		createdAt: at,
	}
	s.defs[d.id] = d
	s.defList[tenantID] = append(s.defList[tenantID], d)
	return d
}

// DeleteJob deletes a job (a preprocessing run, for that kind).
func (s *Server) DeleteJob(kind api.Kind, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[kind][id]
	if j == nil {
		return fmt.Errorf("%s job %d: %w", kind, id, ErrNotFound)
	}
	delete(s.jobs[kind], id)
	isJ := func(x *job) bool { return x == j }
	if kind == api.KindPreprocessing {
		d := s.defs[j.parent]
		d.runs = slices.DeleteFunc(d.runs, isJ)
	} else {
		k := listKey{j.tenant, kind}
		s.lists[k] = slices.DeleteFunc(s.lists[k], isJ)
	}
	return nil
}

// Job returns a job as the client would see its details.
func (s *Server) Job(kind api.Kind, id int64) (api.Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[kind][id]
	if j == nil {
		return api.Job{}, false
	}
	return s.apiJob(j), true
}

// apiJob is j as api.Client.Detail returns it.
func (s *Server) apiJob(j *job) api.Job {
	out := api.Job{
		Kind: j.kind, ID: j.id, ParentID: j.parent, DisplayID: j.displayID,
		Name: j.name, Status: api.NormalStatus(j.status), CreatedBy: j.createdBy,
		CreatedAt: j.createdAt.In(s.loc), StartedAt: j.startedAt, CompletedAt: j.completedAt,
		Node: j.node, GPU: int(j.gpu), CPU: int(j.cpu), Memory: int(j.memory),
		Partition: "default", StatusType: statusType(j.status),
		ConditionNote: j.conditionNote, LogSummary: j.logSummary, Detailed: true,
	}
	if j.kind == api.KindPreprocessing {
		out.ID, out.HistoryID = j.dataID, j.id
		out.Name = j.name + " / " + j.dataName
		out.CreatedBy = ""
	}
	return out
}

// kindOf reads a kind from a control path or body.
func kindOf(s string) (api.Kind, error) {
	k, err := api.ParseKind(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return k, nil
}

// Jobs returns the jobs of one kind in a tenant (named or by decimal id),
// newest first, as the client would see their details.
func (s *Server) Jobs(tenantRef string, kind api.Kind) ([]api.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findTenant(tenantRef)
	if t == nil {
		return nil, fmt.Errorf("tenant %q: %w", tenantRef, ErrNotFound)
	}
	var list []*job
	if kind == api.KindPreprocessing {
		for _, d := range s.defList[t.id] {
			list = append(list, d.runs...)
		}
		slices.SortFunc(list, func(a, b *job) int { return cmp.Compare(a.id, b.id) })
	} else {
		list = s.lists[listKey{t.id, kind}]
	}
	out := make([]api.Job, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, s.apiJob(list[i]))
	}
	return out, nil
}
