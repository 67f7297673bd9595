package kqifake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kamobot/kamobot/api"
)

// handler is an API handler; it runs with s.mu held.
type handler func(w http.ResponseWriter, r *http.Request, c caller)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	api2 := func(pattern string, auth bool, h handler) { mux.Handle(pattern, s.api(auth, h)) }

	api2("POST /api/v2/account/login", false, s.login)
	api2("GET /api/v2/account", true, s.account)
	api2("POST /api/v2/account/tenants/{tenantId}/token", true, s.switchTenant)
	api2("GET /api/v2/version", false, s.versionInfo)
	for kind, base := range map[api.Kind]string{
		api.KindTraining:  "/api/v2/training",
		api.KindInference: "/api/v2/inferences",
		api.KindNotebook:  "/api/v2/notebook",
	} {
		api2("GET "+base, true, s.list(kind))
		api2("GET "+base+"/{id}", true, s.detail(kind))
	}
	api2("GET /api/v2/preprocessings", true, s.listDefs)
	api2("GET /api/v2/preprocessings/{id}/histories", true, s.histories)
	api2("GET /api/v2/preprocessings/{id}/histories/{dataId}", true, s.historyDetail)
	api2("/api/", false, func(w http.ResponseWriter, r *http.Request, _ caller) {
		writeProblem(w, r, http.StatusNotFound, "Not Found", "the fake serves no such route")
	})
	s.controlRoutes(mux)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"title":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeProblem writes an error as the server does: a problem-details body
// whose title is the message.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, title, detail string, errs ...string) {
	writeJSON(w, status, api.ErrorBody{
		Type:     "Nssol.Platypus.Controllers.spa." + controller(r.URL.Path),
		Title:    title,
		Detail:   detail,
		Instance: r.URL.Path,
		Errors:   errs,
	})
}

// controller names the server's controller for a path, as error bodies do.
func controller(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/api/v2/"), "/")
	switch parts[0] {
	case "account":
		return "AccountController"
	case "training":
		return "TrainingController"
	case "inferences":
		return "InferenceController"
	case "notebook":
		return "NotebookController"
	case "preprocessings":
		return "PreprocessingController"
	}
	return "VersionController"
}

func pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Invalid inputs.", "",
			fmt.Sprintf("The value '%s' is not valid for %s.", r.PathValue(name), name))
		return 0, false
	}
	return id, true
}

// readJSON decodes an optional JSON body; an empty body leaves v as is.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Invalid inputs.", err.Error())
		return false
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && mt != "text/json" && !strings.HasSuffix(mt, "+json") {
		writeProblem(w, r, http.StatusUnsupportedMediaType, "Unsupported Media Type", "send application/json")
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Invalid inputs.", "", err.Error())
		return false
	}
	return true
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ caller) {
	var in api.LoginInput
	if !readJSON(w, r, &in) {
		return
	}
	var errs []string
	if strings.TrimSpace(in.UserName) == "" {
		errs = append(errs, "The UserName field is required.")
	}
	if in.Password == "" {
		errs = append(errs, "The Password field is required.")
	}
	if len(errs) > 0 {
		writeProblem(w, r, http.StatusBadRequest, "Invalid inputs.", "", errs...)
		return
	}
	a := s.accounts[strings.TrimSpace(in.UserName)]
	if a == nil || a.password != in.Password {
		writeProblem(w, r, http.StatusBadRequest, "The user name or the password is incorrect.", "")
		return
	}
	var t *tenant
	if in.TenantID != nil {
		if t = s.tenants[*in.TenantID]; t == nil || !a.member(t.id) {
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("The user is not assigned to tenant %d.", *in.TenantID), "")
			return
		}
	} else if t = s.defaultTenant(a); t == nil {
		writeProblem(w, r, http.StatusBadRequest, "The user is not assigned to any tenant.", "")
		return
	}
	s.writeToken(w, a, t, in.ExpiresIn)
}

func (s *Server) writeToken(w http.ResponseWriter, a *account, t *tenant, expiresIn *int32) {
	var life int64
	if expiresIn != nil && *expiresIn > 0 {
		life = int64(*expiresIn)
	}
	tok, d := s.issue(a.user, t.id, secondsDuration(life))
	writeJSON(w, http.StatusOK, api.LoginOutput{
		Token: tok, UserName: a.user, TenantID: t.id, TenantName: t.displayName,
		ExpiresIn: int64(d.Seconds()),
	})
}

func (s *Server) defaultTenant(a *account) *tenant {
	for _, id := range a.tenants {
		if t := s.tenants[id]; t != nil {
			return t
		}
	}
	return nil
}

func (s *Server) switchTenant(w http.ResponseWriter, r *http.Request, c caller) {
	id, ok := pathID(w, r, "tenantId")
	if !ok {
		return
	}
	var in api.SwitchTenantInput
	if !readJSON(w, r, &in) {
		return
	}
	t := s.tenants[id]
	switch {
	case t == nil:
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("Tenant ID %d is not found.", id), "")
		return
	case !c.acct.member(id):
		// The real server answers 400 here; 403 says better what it is.
		writeProblem(w, r, http.StatusForbidden, fmt.Sprintf("The user is not assigned to tenant %d.", id), "")
		return
	}
	s.writeToken(w, c.acct, t, in.ExpiresIn)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request, c caller) {
	def := s.defaultTenant(c.acct)
	out := api.AccountOutput{
		UserID: c.acct.id, UserName: c.acct.user, PasswordChangeEnabled: true,
		Tenants: []api.TenantInfo{},
	}
	for _, id := range c.acct.tenants {
		if t := s.tenants[id]; t != nil {
			out.Tenants = append(out.Tenants, s.tenantInfo(t, def.id, true))
		}
	}
	slices.SortStableFunc(out.Tenants, func(a, b api.TenantInfo) int { return cmp.Compare(a.DisplayName, b.DisplayName) })
	sel := s.tenantInfo(c.tenant, def.id, true)
	dt := s.tenantInfo(def, def.id, true)
	out.SelectedTenant, out.DefaultTenant = &sel, &dt
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) versionInfo(w http.ResponseWriter, _ *http.Request, _ caller) {
	writeJSON(w, http.StatusOK, api.VersionOutput{Version: s.version, Messages: []string{}})
}

func (s *Server) list(kind api.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		q, errs := parseListQuery(r.URL.Query(), 1000)
		if len(errs) > 0 {
			writeProblem(w, r, http.StatusBadRequest, "Invalid inputs.", "", errs...)
			return
		}
		var keep func(*job) bool
		if q.status != "" || q.name != "" {
			keep = func(j *job) bool { return contains(j.status, q.status) && contains(j.name, q.name) }
		}
		jobs, total := page(s.lists[listKey{c.tenant.id, kind}], func(j *job) int64 { return j.id }, keep, q)
		if q.withTotal {
			w.Header().Set("X-Total-Count", strconv.Itoa(total))
		}
		writeJSON(w, http.StatusOK, s.listItems(kind, jobs))
	}
}

func (s *Server) detail(kind api.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		id, ok := pathID(w, r, "id")
		if !ok {
			return
		}
		j := s.jobs[kind][id]
		if j == nil || j.tenant != c.tenant.id {
			writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("%s ID %d is not found.", kindTitle(kind), id), "")
			return
		}
		writeJSON(w, http.StatusOK, s.details(j))
	}
}

func kindTitle(k api.Kind) string {
	switch k {
	case api.KindTraining:
		return "Training"
	case api.KindInference:
		return "Inference"
	case api.KindNotebook:
		return "Notebook"
	}
	return "Preprocessing"
}

func (s *Server) listDefs(w http.ResponseWriter, r *http.Request, c caller) {
	q, errs := parseListQuery(r.URL.Query(), 0) // no perPage: all of them
	if len(errs) > 0 {
		writeProblem(w, r, http.StatusBadRequest, "Invalid inputs.", "", errs...)
		return
	}
	var keep func(*preprocessDef) bool
	if q.name != "" {
		keep = func(d *preprocessDef) bool { return contains(d.name, q.name) }
	}
	defs, total := page(s.defList[c.tenant.id], func(d *preprocessDef) int64 { return d.id }, keep, q)
	if q.withTotal {
		w.Header().Set("X-Total-Count", strconv.Itoa(total))
	}
	out := make([]api.PreprocessingIndex, 0, len(defs))
	for _, d := range defs {
		out = append(out, s.defIndex(d))
	}
	writeJSON(w, http.StatusOK, out)
}

// def finds a preprocessing of the caller's tenant, or answers 404.
func (s *Server) def(w http.ResponseWriter, r *http.Request, c caller) (*preprocessDef, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, false
	}
	d := s.defs[id]
	if d == nil || d.tenant != c.tenant.id {
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("Preprocessing ID %d is not found.", id), "")
		return nil, false
	}
	return d, true
}

func (s *Server) histories(w http.ResponseWriter, r *http.Request, c caller) {
	d, ok := s.def(w, r, c)
	if !ok {
		return
	}
	runs := slices.Clone(d.runs)
	slices.SortStableFunc(runs, func(a, b *job) int {
		if c := b.createdAt.Compare(a.createdAt); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	out := make([]api.PreprocessingHistory, 0, len(runs))
	for _, j := range runs {
		out = append(out, s.history(j))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) historyDetail(w http.ResponseWriter, r *http.Request, c caller) {
	d, ok := s.def(w, r, c)
	if !ok {
		return
	}
	dataID, ok := pathID(w, r, "dataId")
	if !ok {
		return
	}
	i := slices.IndexFunc(d.runs, func(j *job) bool { return j.id == dataID })
	if i < 0 {
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("Preprocessing history for data %d is not found.", dataID), "")
		return
	}
	out := api.PreprocessingHistoryDetails{PreprocessingHistory: s.history(d.runs[i])}
	if d.runs[i].status == "Completed" {
		out.OutputDataIDs = []int64{1_000_000 + dataID}
	}
	writeJSON(w, http.StatusOK, out)
}
