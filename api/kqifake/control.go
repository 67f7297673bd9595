package kqifake

import (
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
// nor touched by faults. Errors answer {"error": "..."} with 400 or 404.

func (s *Server) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /_fake/tenants", s.ctlTenant)
	mux.HandleFunc("POST /_fake/accounts", s.ctlAccount)
	mux.HandleFunc("POST /_fake/jobs", s.ctlAddJob)
	mux.HandleFunc("POST /_fake/jobs/{kind}/{id}/status", s.ctlStatus)
	mux.HandleFunc("DELETE /_fake/jobs/{kind}/{id}", s.ctlDelete)
	mux.HandleFunc("POST /_fake/seed", s.ctlSeed)
	mux.HandleFunc("POST /_fake/demo", func(w http.ResponseWriter, _ *http.Request) {
		s.LoadDemo()
		writeJSON(w, http.StatusOK, map[string]string{"account": "demo", "password": "demo"})
	})
	mux.HandleFunc("POST /_fake/faults", s.ctlFaults)
	mux.HandleFunc("DELETE /_fake/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_fake/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("DELETE /_fake/stats", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/stats/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/races", s.ctlRaces)
	mux.HandleFunc("DELETE /_fake/races", func(w http.ResponseWriter, _ *http.Request) {
		s.SetRaces(Races{})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/menus", s.ctlMenus)
	mux.HandleFunc("DELETE /_fake/accounts/{user}/tenants/{tenant}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.RemoveTenant(r.PathValue("user"), r.PathValue("tenant")); err != nil {
			ctlError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/jobs/{kind}/{id}/favorite", s.ctlFavorite)
	mux.HandleFunc("POST /_fake/jobs/notebook/{id}/rerun", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			ctlError(w, fmt.Errorf("job id %q is not a number", r.PathValue("id")))
			return
		}
		j, err := s.Rerun(id)
		if err != nil {
			ctlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": j.ID, "kind": j.Kind, "status": j.Status})
	})
	mux.HandleFunc("POST /_fake/timezone", s.ctlTimezone)
}

// ctlRaces is POST /_fake/races {"none_window":true,"kube_errors":3,"tenant":2}.
func (s *Server) ctlRaces(w http.ResponseWriter, r *http.Request) {
	var in Races
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	if in.KubeErrors < -1 {
		ctlError(w, fmt.Errorf("kube_errors %d: want -1 (always), 0 or more", in.KubeErrors))
		return
	}
	s.SetRaces(in)
	writeJSON(w, http.StatusOK, in)
}

// ctlMenus is POST /_fake/menus {"tenant":"vision","deny":["Notebook"]};
// an empty deny gives the tenant every menu back.
func (s *Server) ctlMenus(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tenant ref      `json:"tenant"`
		Deny   []string `json:"deny"`
	}
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	if err := s.DenyMenus(string(in.Tenant), in.Deny...); err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenant": in.Tenant, "deny": in.Deny})
}

// ctlFavorite is POST /_fake/jobs/{kind}/{id}/favorite {"favorite":true}.
func (s *Server) ctlFavorite(w http.ResponseWriter, r *http.Request) {
	kind, id, ok := s.ctlJob(w, r)
	if !ok {
		return
	}
	in := struct {
		Favorite *bool `json:"favorite"`
	}{}
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	fav := in.Favorite == nil || *in.Favorite
	if err := s.SetFavorite(kind, id, fav); err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "kind": kind, "favorite": fav})
}

// ctlTimezone is POST /_fake/timezone {"zone":"Asia/Tokyo"}: the zone the
// server writes its times in from now on ("" or "UTC" for UTC).
func (s *Server) ctlTimezone(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Zone string `json:"zone"`
	}
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	loc, err := time.LoadLocation(in.Zone)
	if err != nil {
		ctlError(w, fmt.Errorf("zone %q: %w", in.Zone, err))
		return
	}
	s.SetLocation(loc)
	writeJSON(w, http.StatusOK, map[string]string{"zone": loc.String()})
}

func ctlError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// decode reads a strict JSON body: unknown fields are errors, so a typo in
// a script fails loudly.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("body: %w", err)
	}
	return nil
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

func (s *Server) ctlTenant(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	}
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	if in.Name == "" {
		ctlError(w, errors.New("name is required"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"id": s.AddTenant(in.Name, in.DisplayName)})
}

func (s *Server) ctlAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User     string `json:"user"`
		Password string `json:"password"`
		Tenants  []ref  `json:"tenants"`
	}
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	if in.User == "" || in.Password == "" {
		ctlError(w, errors.New("user and password are required"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(in.Tenants))
	for _, t := range in.Tenants {
		ten := s.findTenant(string(t))
		if ten == nil {
			ctlError(w, fmt.Errorf("tenant %q: %w", t, ErrNotFound))
			return
		}
		ids = append(ids, ten.id)
	}
	s.addAccount(in.User, in.Password, ids)
	writeJSON(w, http.StatusOK, map[string]any{"user": in.User, "tenants": ids})
}

func (s *Server) ctlAddJob(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tenant       ref    `json:"tenant"`
		Kind         string `json:"kind"`
		Name         string `json:"name"`
		CreatedBy    string `json:"createdBy"`
		Status       string `json:"status"`
		PreprocessID int64  `json:"preprocessId"`
		DataID       int64  `json:"dataId"`
		DataName     string `json:"dataName"`
		Favorite     bool   `json:"favorite"`
		Memo         string `json:"memo"`
		GPU          int    `json:"gpu"`
		CreatedAt    string `json:"createdAt"` // "yyyy-MM-dd HH:mm:ss" in the fake's zone, or RFC 3339
	}
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	kind, err := kindOf(in.Kind)
	if err != nil {
		ctlError(w, err)
		return
	}
	created, err := api.ParseTime(in.CreatedAt, s.Location())
	if err != nil {
		ctlError(w, fmt.Errorf("createdAt: %w", err))
		return
	}
	j, err := s.AddJob(NewJob{
		Tenant: string(in.Tenant), Kind: kind, Name: in.Name, CreatedBy: in.CreatedBy,
		Status: in.Status, PreprocessID: in.PreprocessID, DataID: in.DataID, DataName: in.DataName,
		Memo: in.Memo, GPU: in.GPU, CreatedAt: created, Favorite: in.Favorite,
	})
	if err != nil {
		ctlError(w, err)
		return
	}
	out := map[string]any{"id": j.ID, "kind": j.Kind, "status": j.Status}
	if kind == api.KindPreprocessing {
		// The control API names a run by its history id.
		out["id"], out["preprocessId"], out["dataId"] = j.HistoryID, j.ParentID, j.ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ctlJob(w http.ResponseWriter, r *http.Request) (api.Kind, int64, bool) {
	kind, err := kindOf(r.PathValue("kind"))
	if err != nil {
		ctlError(w, err)
		return "", 0, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		ctlError(w, fmt.Errorf("job id %q is not a number", r.PathValue("id")))
		return "", 0, false
	}
	return kind, id, true
}

func (s *Server) ctlStatus(w http.ResponseWriter, r *http.Request) {
	kind, id, ok := s.ctlJob(w, r)
	if !ok {
		return
	}
	var in StatusUpdate
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	if strings.TrimSpace(in.Status) == "" {
		ctlError(w, errors.New("status is required"))
		return
	}
	if err := s.SetStatus(kind, id, in); err != nil {
		ctlError(w, err)
		return
	}
	j, _ := s.Job(kind, id)
	loc := s.Location()
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "kind": j.Kind, "status": j.Status,
		"startedAt": api.FormatTime(j.StartedAt, loc), "completedAt": api.FormatTime(j.CompletedAt, loc),
	})
}

func (s *Server) ctlDelete(w http.ResponseWriter, r *http.Request) {
	kind, id, ok := s.ctlJob(w, r)
	if !ok {
		return
	}
	if err := s.DeleteJob(kind, id); err != nil {
		ctlError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ctlSeed(w http.ResponseWriter, r *http.Request) {
	var in SeedOptions
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	start := time.Now()
	sum, err := s.Seed(in)
	if err != nil {
		ctlError(w, err)
		return
	}
	sum.Took = time.Since(start).Round(time.Millisecond).String()
	writeJSON(w, http.StatusOK, sum)
}

func (s *Server) ctlFaults(w http.ResponseWriter, r *http.Request) {
	var in faultsJSON
	if err := decode(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	f, err := in.faults()
	if err != nil {
		ctlError(w, err)
		return
	}
	s.SetFaults(f)
	writeJSON(w, http.StatusOK, in)
}
