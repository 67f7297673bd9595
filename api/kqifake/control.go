package kqifake

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
)

// The control API under /_fake/ needs no auth and is not counted in Stats
// nor touched by faults. Each endpoint calls the Go method of its name.
// Errors answer {"error": "..."} with 400, 404 or 409.

func (s *Server) controlRoutes(mux *http.ServeMux) {
	type body = json.RawMessage // an endpoint that reads no body
	ok := func(err error) (any, error) { return nil, err }
	mux.Handle("POST /_fake/tenants", ctl(func(_ *http.Request, in struct {
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	}) (any, error) {
		if in.Name == "" {
			return nil, errors.New("name is required")
		}
		return map[string]int64{"id": s.AddTenant(in.Name, in.DisplayName)}, nil
	}))
	mux.Handle("POST /_fake/accounts", ctl(s.ctlAccount))
	mux.Handle("DELETE /_fake/accounts/{user}/tenants/{tenant}", ctl(func(r *http.Request, _ body) (any, error) {
		return ok(s.RemoveTenant(r.PathValue("user"), r.PathValue("tenant")))
	}))
	mux.Handle("POST /_fake/jobs", ctl(s.ctlAddJob))
	mux.Handle("POST /_fake/jobs/{kind}/{id}/status", ctl(s.ctlStatus))
	mux.Handle("POST /_fake/jobs/{kind}/{id}/favorite", ctl(func(r *http.Request, in struct {
		Favorite *bool `json:"favorite"`
	}) (any, error) {
		kind, id, err := jobRef(r)
		fav := in.Favorite == nil || *in.Favorite
		if err == nil {
			err = s.SetFavorite(kind, id, fav)
		}
		return map[string]any{"id": id, "kind": kind, "favorite": fav}, err
	}))
	mux.Handle("POST /_fake/jobs/notebook/{id}/rerun", ctl(func(r *http.Request, _ body) (any, error) {
		_, id, err := jobRef(r)
		if err != nil {
			return nil, err
		}
		j, err := s.Rerun(id)
		return map[string]any{"id": j.ID, "kind": j.Kind, "status": j.Status}, err
	}))
	mux.Handle("DELETE /_fake/jobs/{kind}/{id}", ctl(func(r *http.Request, _ body) (any, error) {
		kind, id, err := jobRef(r)
		if err != nil {
			return nil, err
		}
		return ok(s.DeleteJob(kind, id))
	}))
	mux.Handle("POST /_fake/seed", ctl(func(_ *http.Request, in SeedOptions) (any, error) {
		start := time.Now()
		sum, err := s.Seed(in)
		sum.Took = time.Since(start).Round(time.Millisecond).String()
		return sum, err
	}))
	mux.Handle("POST /_fake/demo", ctl(func(*http.Request, body) (any, error) {
		s.LoadDemo()
		return map[string]string{"account": "demo", "password": "demo"}, nil
	}))
	mux.Handle("POST /_fake/faults", ctl(func(_ *http.Request, in faultsJSON) (any, error) {
		f, err := in.faults()
		if err == nil {
			s.SetFaults(f)
		}
		return in, err
	}))
	mux.Handle("DELETE /_fake/faults", ctl(func(*http.Request, body) (any, error) { s.ClearFaults(); return nil, nil }))
	mux.Handle("POST /_fake/races", ctl(func(_ *http.Request, in Races) (any, error) {
		if in.KubeErrors < -1 {
			return nil, fmt.Errorf("kube_errors %d: want -1 (always), 0 or more", in.KubeErrors)
		}
		s.SetRaces(in)
		return in, nil
	}))
	mux.Handle("DELETE /_fake/races", ctl(func(*http.Request, body) (any, error) { s.SetRaces(Races{}); return nil, nil }))
	mux.Handle("POST /_fake/menus", ctl(func(_ *http.Request, in struct {
		Tenant ref      `json:"tenant"`
		Deny   []string `json:"deny"`
	}) (any, error) {
		return map[string]any{"tenant": in.Tenant, "deny": in.Deny}, s.DenyMenus(string(in.Tenant), in.Deny...)
	}))
	mux.Handle("POST /_fake/timezone", ctl(func(_ *http.Request, in struct {
		Zone string `json:"zone"` // "" or "UTC" for UTC
	}) (any, error) {
		loc, err := time.LoadLocation(in.Zone)
		if err != nil {
			return nil, fmt.Errorf("zone %q: %w", in.Zone, err)
		}
		s.SetLocation(loc)
		return map[string]string{"zone": loc.String()}, nil
	}))
	mux.Handle("GET /_fake/stats", ctl(func(*http.Request, body) (any, error) { return s.Stats(), nil }))
	reset := ctl(func(*http.Request, body) (any, error) { s.ResetStats(); return nil, nil })
	mux.Handle("DELETE /_fake/stats", reset)
	mux.Handle("POST /_fake/stats/reset", reset)
}

// ctl serves a control endpoint: the body decoded strictly into In (an
// unknown field is an error, so a typo in a script fails loudly), then do,
// whose answer is written as JSON, or 204 when it is nil.
func ctl[In any](do func(r *http.Request, in In) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in In
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		var out any
		err := dec.Decode(&in)
		if err == nil || errors.Is(err, io.EOF) { // no body is an empty one
			out, err = do(r, in)
		} else {
			err = fmt.Errorf("body: %w", err)
		}
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, ErrNotFound):
			status = http.StatusNotFound
		case errors.Is(err, ErrConflict):
			status = http.StatusConflict
		case err == nil && out == nil:
			w.WriteHeader(http.StatusNoContent)
			return
		case err == nil:
			writeJSON(w, http.StatusOK, out)
			return
		}
		writeJSON(w, status, map[string]string{"error": err.Error()})
	})
}

// jobRef reads the {kind} and {id} of a control path.
func jobRef(r *http.Request) (api.Kind, int64, error) {
	kind, err := kindOf(cmp.Or(r.PathValue("kind"), "notebook")) // the rerun path names no kind
	if err != nil {
		return "", 0, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("job id %q is not a number", r.PathValue("id"))
	}
	return kind, id, nil
}

// ref is a tenant named by name or id: "nlp-ja" or 3.
type ref string

func (t *ref) UnmarshalJSON(b []byte) error {
	var n int64
	if json.Unmarshal(b, &n) == nil {
		*t = ref(strconv.FormatInt(n, 10))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a tenant is a name or an id, not %s", b)
	}
	*t = ref(s)
	return nil
}

func (s *Server) ctlAccount(_ *http.Request, in struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Tenants  []ref  `json:"tenants"`
}) (any, error) {
	if in.User == "" || in.Password == "" {
		return nil, errors.New("user and password are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(in.Tenants))
	for _, t := range in.Tenants {
		ten := s.findTenant(string(t))
		if ten == nil {
			return nil, fmt.Errorf("tenant %q: %w", t, ErrNotFound)
		}
		ids = append(ids, ten.id)
	}
	s.addAccount(in.User, in.Password, ids)
	return map[string]any{"user": in.User, "tenants": ids}, nil
}

func (s *Server) ctlAddJob(_ *http.Request, in struct {
	NewJob
	Tenant    ref    `json:"tenant"`
	Kind      string `json:"kind"`
	CreatedAt string `json:"createdAt"` // "yyyy-MM-dd HH:mm:ss" in the fake's zone, or RFC 3339
}) (any, error) {
	n := in.NewJob
	var err error
	if n.Kind, err = kindOf(in.Kind); err != nil {
		return nil, err
	}
	if n.CreatedAt, err = api.ParseTime(in.CreatedAt, s.Location()); err != nil {
		return nil, fmt.Errorf("createdAt: %w", err)
	}
	n.Tenant = string(in.Tenant)
	j, err := s.AddJob(n)
	if err != nil {
		return nil, err
	}
	if n.Kind == api.KindPreprocessing {
		// The control API names a run by its history id.
		return map[string]any{"id": j.HistoryID, "kind": j.Kind, "status": j.Status, "preprocessId": j.ParentID, "dataId": j.ID}, nil
	}
	return map[string]any{"id": j.ID, "kind": j.Kind, "status": j.Status}, nil
}

func (s *Server) ctlStatus(r *http.Request, in StatusUpdate) (any, error) {
	kind, id, err := jobRef(r)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Status) == "" && strings.TrimSpace(in.Phase) == "" {
		return nil, errors.New("status or phase is required")
	}
	if err := s.SetStatus(kind, id, in); err != nil {
		return nil, err
	}
	j, _ := s.Job(kind, id)
	loc := s.Location()
	return map[string]any{
		"id": id, "kind": j.Kind, "status": j.Status,
		"startedAt": api.FormatTime(j.StartedAt, loc), "completedAt": api.FormatTime(j.CompletedAt, loc),
	}, nil
}
