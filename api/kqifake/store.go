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

// job is a run of any kind. For preprocessing, id is the data id (unique
// in the fake) and parent the preprocessing id.
type job struct {
	kind       api.Kind
	id         int64
	tenant     int64
	parent     int64
	displayID  int64
	name       string
	dataName   string
	createdBy  string
	status     string
	memo       string
	entryPoint string
	tags       []string

	cpu, memory, gpu int32
	partition        string
	node             string
	conditionNote    string
	logSummary       string

	createdAt, modifiedAt, startedAt, completedAt time.Time
}

type preprocessDef struct {
	id        int64
	tenant    int64
	name      string
	memo      string
	createdBy string
	createdAt time.Time
	cpu       int32
	memory    int32
	gpu       int32
	runs      []*job // ascending data id
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

// NewJob describes a job for AddJob.
type NewJob struct {
	// Tenant is the tenant's name or decimal id.
	Tenant    string
	Kind      api.Kind
	Name      string
	CreatedBy string
	// Status defaults to "Pending". A started or closed status sets the
	// times as a status change would.
	Status string
	// PreprocessID attaches a preprocessing run to that definition; 0
	// creates a definition named after Name.
	PreprocessID int64
	// DataName names the input data of a preprocessing run.
	DataName string
	Memo     string
	GPU      int
	// CreatedAt defaults to now.
	CreatedAt time.Time
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
	if n.Name == "" {
		n.Name = fmt.Sprintf("%s-%d", n.Kind, s.nextID[string(n.Kind)]+1)
	}
	if n.CreatedBy == "" {
		n.CreatedBy = "alice"
	}
	if n.Status == "" {
		n.Status = "Pending"
	}
	j := &job{
		kind: n.Kind, tenant: t.id, name: n.Name, createdBy: n.CreatedBy,
		status: "Pending", memo: n.Memo, createdAt: n.CreatedAt.Truncate(time.Second),
		cpu: 4, memory: 16, gpu: int32(n.GPU), partition: "default",
	}
	j.modifiedAt = j.createdAt
	switch n.Kind {
	case api.KindTraining:
		j.entryPoint = "python train.py --epochs 30"
	case api.KindInference:
		j.entryPoint = "python predict.py"
	case api.KindNotebook:
		j.entryPoint = "jupyter lab"
	case api.KindPreprocessing:
		d := s.defs[n.PreprocessID]
		switch {
		case n.PreprocessID != 0 && (d == nil || d.tenant != t.id):
			return nil, fmt.Errorf("preprocessing %d in tenant %q: %w", n.PreprocessID, t.name, ErrNotFound)
		case d == nil:
			d = s.addDef(t.id, n.Name, n.CreatedBy, j.createdAt)
		}
		j.parent = d.id
		j.name = d.name
		j.dataName = n.DataName
		if j.dataName == "" {
			j.dataName = fmt.Sprintf("data-%d.zip", s.nextID[string(n.Kind)]+1)
		}
	}
	s.insert(j)
	if n.Status != j.status {
		s.setStatus(j, n.Status, now)
	}
	return j, nil
}

// insert gives j its ids and files it. s.mu must be held.
func (s *Server) insert(j *job) {
	j.id = s.next(string(j.kind))
	if j.kind == api.KindPreprocessing {
		d := s.defs[j.parent]
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
		createdAt: at, cpu: 2, memory: 8,
	}
	s.defs[d.id] = d
	s.defList[tenantID] = append(s.defList[tenantID], d)
	return d
}

// StatusUpdate is a status change for SetStatus.
type StatusUpdate struct {
	Status        string `json:"status"`
	ConditionNote string `json:"conditionNote,omitempty"`
	LogSummary    string `json:"logSummary,omitempty"`
}

// SetStatus changes a job's status as the server's status sync would:
// startedAt is set when it starts running, completedAt when it closes.
func (s *Server) SetStatus(kind api.Kind, id int64, u StatusUpdate) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[kind][id]
	if j == nil {
		return fmt.Errorf("%s job %d: %w", kind, id, ErrNotFound)
	}
	s.setStatus(j, u.Status, s.now())
	if u.ConditionNote != "" {
		j.conditionNote = u.ConditionNote
	}
	if u.LogSummary != "" {
		j.logSummary = u.LogSummary
	}
	s.log.Debug("fake job status set", "kind", kind, "id", id, "status", u.Status)
	return nil
}

// startedStatuses imply the container ran.
var startedStatuses = []string{"Running", "Completed", "Failed", "OOMKilled", "Error", "CrashLoopBackOff"}

func (s *Server) setStatus(j *job, status string, at time.Time) {
	at = at.Truncate(time.Second)
	j.status = status
	j.modifiedAt = at
	phase := api.StatusPhase(status)
	if j.startedAt.IsZero() && slices.Contains(startedStatuses, status) {
		j.startedAt = at
		j.node = fmt.Sprintf("gpu-node-%02d", 1+j.id%8)
	}
	switch {
	case phase == api.PhaseClosed && j.completedAt.IsZero():
		j.completedAt = at
	case phase != api.PhaseClosed:
		j.completedAt = time.Time{}
	}
	j.conditionNote = conditionNote(status)
}

// conditionNote is what Kubernetes would say about a status.
func conditionNote(status string) string {
	switch status {
	case "OOMKilled":
		return "The container was killed: it used more memory than its limit."
	case "ImagePullBackOff", "ErrImagePull":
		return "Back-off pulling image: the image or its tag was not found."
	case "CrashLoopBackOff":
		return "Back-off restarting failed container."
	case "Failed":
		return "The process exited with code 1."
	}
	return ""
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
	drop := func(list []*job) []*job {
		return slices.DeleteFunc(list, func(x *job) bool { return x == j })
	}
	if kind == api.KindPreprocessing {
		d := s.defs[j.parent]
		d.runs = drop(d.runs)
	} else {
		k := listKey{j.tenant, kind}
		s.lists[k] = drop(s.lists[k])
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
		Name: j.name, Status: j.status, CreatedBy: j.createdBy,
		CreatedAt: j.createdAt.In(s.loc), StartedAt: j.startedAt, CompletedAt: j.completedAt,
		Node: j.node, GPU: int(j.gpu), CPU: int(j.cpu), Memory: int(j.memory),
		Partition: j.partition, StatusType: statusType(j.status),
		ConditionNote: j.conditionNote, LogSummary: j.logSummary, Detailed: true,
	}
	if j.kind == api.KindPreprocessing {
		out.Name = j.name + " / " + j.dataName
		out.CreatedBy = ""
	}
	return out
}

// statusType is the server's coarse class of a status.
func statusType(status string) string {
	switch {
	case status == "None":
		return "None"
	case status == "Failed" || status == "Invalid" || status == "Forbidden":
		return "Failed"
	case api.StatusPhase(status) == api.PhaseClosed:
		return "Closed"
	case api.StatusPhase(status) == api.PhaseTrouble:
		return "Error"
	}
	return "Running"
}

// elapsed writes a duration as the server does: "1d 3h 25m".
func elapsed(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	return fmt.Sprintf("%dd %dh %dm", days, d/time.Hour, (d%time.Hour)/time.Minute)
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
