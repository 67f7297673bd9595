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
	api2 := func(pattern string, auth bool, menus []string, h handler) { mux.Handle(pattern, s.api(auth, menus, h)) }

	api2("POST /api/v2/account/login", false, nil, s.login)
	// The Account menu is MenuType.Internal, open to any account
	// (MenuLogic.cs lines 246-250 and 352-361): no menu to deny.
	api2("GET /api/v2/account", true, nil, s.account)
	api2("POST /api/v2/account/tenants/{tenantId}/token", true, nil, s.switchTenant)
	api2("GET /api/v2/version", false, nil, func(w http.ResponseWriter, _ *http.Request, _ caller) {
		writeReal(w, http.StatusOK, api.VersionOutput{Version: "kqifake", Messages: []string{}})
	})
	for _, k := range []struct {
		kind      api.Kind
		base      string
		list, one []string
	}{
		{api.KindTraining, "/api/v2/training", menuTraining, menuTrainingOne},
		{api.KindInference, "/api/v2/inferences", menuInference, menuInference},
		{api.KindNotebook, "/api/v2/notebook", menuNotebook, menuNotebook},
	} {
		api2("GET "+k.base, true, k.list, s.list(k.kind))
		api2("GET "+k.base+"/{id}", true, k.one, s.detail(k.kind))
	}
	api2("POST /api/v2/notebook/{id}/rerun", true, menuNotebook, s.rerunNotebook)
	api2("GET /api/v2/preprocessings", true, menuPreprocessing, s.listDefs)
	api2("GET /api/v2/preprocessings/{id}/histories", true, menuPreprocessing, s.histories)
	api2("GET /api/v2/preprocessings/{id}/histories/{dataId}", true, menuPreprocessing, s.historyDetail)
	api2("/api/", false, nil, func(w http.ResponseWriter, r *http.Request, _ caller) {
		writeProblem(w, r, http.StatusNotFound, "Not Found", "the fake serves no such route")
	})
	s.controlRoutes(mux)
	return mux
}

// writeJSON writes a control API answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	write(w, status, "application/json", json.Marshal, v)
}

// writeReal writes an API answer as the server's CustomJsonResult does:
// indented, explicit nulls (see realJSON).
func writeReal(w http.ResponseWriter, status int, v any) {
	write(w, status, "application/json", realJSON, v)
}

func write(w http.ResponseWriter, status int, ctype string, enc func(any) ([]byte, error), v any) {
	b, err := enc(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"title":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", ctype+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// jsonError is KAMONOHASHI's error body, ApiModels/JsonErrorResponse.cs:
// every member present, null when unset.
type jsonError struct {
	Type     string   `json:"type,omitempty"`
	Title    string   `json:"title,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	Instance string   `json:"instance,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

// writeProblem writes an error as a controller's JsonBadRequest or
// JsonNotFound does: its message as the title.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, title, detail string, errs ...string) {
	writeReal(w, status, jsonError{"Nssol.Platypus.Controllers.spa." + controller(r.URL.Path), title, detail, r.URL.Path, errs})
}

// writeError writes an error body of another type (an exception filter,
// the token checks of Startup.cs).
func writeError(w http.ResponseWriter, r *http.Request, status int, typ, title, detail string) {
	writeReal(w, status, jsonError{Type: typ, Title: title, Detail: detail, Instance: r.URL.Path})
}

// writeValidation writes ASP.NET Core 3.1's ValidationProblemDetails, the
// automatic 400 of an [ApiController] (every controller of the server,
// e.g. AccountController.cs line 25) whose model binding failed: errors is
// an object of field names to messages.
func writeValidation(w http.ResponseWriter, errs map[string][]string) {
	write(w, http.StatusBadRequest, "application/problem+json", json.Marshal, struct {
		Type    string              `json:"type"`
		Title   string              `json:"title"`
		Status  int                 `json:"status"`
		TraceID string              `json:"traceId"`
		Errors  map[string][]string `json:"errors"`
	}{"https://tools.ietf.org/html/rfc7231#section-6.5.1", "One or more validation errors occurred.",
		http.StatusBadRequest, "|8f3c1a2b-4d5e6f70.", errs})
}

// notValid is model binding's message for a value of the wrong type.
func notValid(v string) []string { return []string{fmt.Sprintf("The value '%s' is not valid.", v)} }

// titles name the server's controllers by the first segment of a path.
var titles = map[string]string{"account": "Account", "training": "Training", "inferences": "Inference",
	"notebook": "Notebook", "preprocessings": "Preprocessing"}

// controller names the server's controller for a path, as error bodies do.
func controller(path string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/v2/"), "/")
	return cmp.Or(titles[seg], "Version") + "Controller"
}

// pathID reads a numeric path value; one that does not parse fails model
// binding.
func pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		writeValidation(w, map[string][]string{name: notValid(r.PathValue(name))})
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

// list is GET /training, /inferences and /notebook: TrainingController.cs
// GetAll (lines 118-137) and its siblings. Then every open row returned is
// refreshed from Kubernetes, one after the other.
func (s *Server) list(kind api.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		rows, ok := listed(s, w, r, kind, s.lists[listKey{c.tenant.id, kind}], func(j *job) (int64, bool) { return j.id, j.favorite },
			func(q listQuery, j *job) bool {
				return searchString(j.name, q.name) && searchString(api.NormalStatus(j.status), q.status)
			})
		if !ok {
			return
		}
		for i, j := range rows {
			rows[i] = s.refresh(j)
		}
		writeReal(w, http.StatusOK, s.listItems(kind, rows))
	}
}

// listDefs is GET /preprocessings (PreprocessingController.cs GetAll,
// lines 79-97): at most 1000 even without perPage (line 88).
func (s *Server) listDefs(w http.ResponseWriter, r *http.Request, c caller) {
	defs, ok := listed(s, w, r, api.KindPreprocessing, s.defList[c.tenant.id], func(d *preprocessDef) (int64, bool) { return d.id, false },
		func(q listQuery, d *preprocessDef) bool { return searchString(d.name, q.name) })
	if ok {
		writeReal(w, http.StatusOK, each(defs, s.defIndex))
	}
}

// listed is the page a list request asks for. The whole table (all,
// ascending by id) is loaded, filtered, put in the server's order
// (favourites first, then id descending: TrainingHistoryRepository.cs line
// 41; definitions have no favourites), loaded once more to count it for
// withTotal (TrainingController.cs line 128, where Count() runs the query
// again; PreprocessingController.cs GetTotalCount, line 93), and paged. A
// query that fails model binding is answered here.
func listed[T any](s *Server, w http.ResponseWriter, r *http.Request, kind api.Kind, all []T,
	key func(T) (id int64, favorite bool), keep func(listQuery, T) bool) ([]T, bool) {
	q, bad := parseListQuery(r.URL.Query())
	if bad != nil {
		writeValidation(w, bad)
		return nil, false
	}
	s.load(kind, len(all))
	lo, hi := q.id.bounds(len(all), func(i int) int64 { id, _ := key(all[i]); return id })
	var rows []T
	for _, fav := range []bool{true, false} {
		for i := hi - 1; i >= lo; i-- {
			if _, f := key(all[i]); f == fav && keep(q, all[i]) {
				rows = append(rows, all[i])
			}
		}
	}
	if q.withTotal {
		s.load(kind, len(all))
		w.Header().Set("X-Total-Count", strconv.Itoa(len(rows)))
	}
	return pageOf(rows, q.page, q.perPage), true
}

// each maps xs through f.
func each[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

// ownJob finds a job of the caller's tenant by the {id} of the path (a
// read of one row when load), or answers 404 as GetDetail does.
func (s *Server) ownJob(w http.ResponseWriter, r *http.Request, c caller, kind api.Kind, load bool) (*job, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, false
	}
	if load {
		s.load(kind, 1)
	}
	j := s.jobs[kind][id]
	if j == nil || j.tenant != c.tenant.id {
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("%s ID %d is not found.", strings.TrimSuffix(controller(r.URL.Path), "Controller"), id), "")
		return nil, false
	}
	return j, true
}

// detail is GET /training/{id} and its siblings (TrainingController.cs
// GetDetail, lines 521-565): one row, and a Kubernetes call when open.
func (s *Server) detail(kind api.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		if j, ok := s.ownJob(w, r, c, kind, true); ok {
			writeReal(w, http.StatusOK, s.details(s.refresh(j)))
		}
	}
}

// rerunNotebook is POST /notebook/{id}/rerun (NotebookController.cs Rerun,
// lines 760-975): the same id opens again.
func (s *Server) rerunNotebook(w http.ResponseWriter, r *http.Request, c caller) {
	j, ok := s.ownJob(w, r, c, api.KindNotebook, false)
	if !ok {
		return
	}
	if err := s.rerun(j); err != nil {
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("Notebook ID %d is already running.", j.id), "")
		return
	}
	writeReal(w, http.StatusCreated, s.jobIndex(j))
}

// def finds a preprocessing of the caller's tenant, or nil: the real
// server's history queries filter on the preprocessing id within the
// tenant (PreprocessHistoryRepository.cs lines 78-92), so an unknown,
// deleted or other tenant's definition simply has no histories.
func (s *Server) def(id int64, c caller) *preprocessDef {
	if d := s.defs[id]; d != nil && d.tenant == c.tenant.id {
		return d
	}
	return nil
}

func (s *Server) histories(w http.ResponseWriter, r *http.Request, c caller) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	// PreprocessingController.cs GetHistories (lines 418-434): this
	// definition's histories, newest created first
	// (PreprocessHistoryRepository.cs line 91), no paging, each open one
	// refreshed (GetUpdatedIndexOutputModelAsync, lines 436-457); 200 with
	// [] for a definition it does not know.
	var runs []*job
	if d := s.def(id, c); d != nil {
		runs = slices.Clone(d.runs)
	}
	s.load(api.KindPreprocessing, len(runs))
	slices.SortStableFunc(runs, func(a, b *job) int {
		return cmp.Or(b.createdAt.Compare(a.createdAt), cmp.Compare(b.id, a.id))
	})
	writeReal(w, http.StatusOK, each(runs, func(j *job) api.PreprocessingHistory { return s.history(s.refresh(j)) }))
}

func (s *Server) historyDetail(w http.ResponseWriter, r *http.Request, c caller) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	dataID, ok := pathID(w, r, "dataId")
	if !ok {
		return
	}
	// PreprocessingController.cs GetDetailHistory (lines 465-486): the
	// history of (definition, data), refreshed when open.
	s.load(api.KindPreprocessing, 1)
	d := s.def(id, c)
	i := -1
	if d != nil {
		i = slices.IndexFunc(d.runs, func(j *job) bool { return j.dataID == dataID })
	}
	if i < 0 {
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("Preprocessing History about Preprocess %d to Data %d is not found.", id, dataID), "")
		return
	}
	j := s.refresh(d.runs[i])
	out := api.PreprocessingHistoryDetails{PreprocessingHistory: s.history(j), OutputDataIDs: []int64{}}
	if j.status == "Completed" {
		out.OutputDataIDs = []int64{1_000_000 + j.id}
	}
	writeReal(w, http.StatusOK, out)
}
