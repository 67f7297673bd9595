package kqifake

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// Faults are injected into API answers (never the control API).
type Faults struct {
	// Latency delays every matching request (the wait ends early when the
	// client gives up). The control API takes a duration string.
	Latency time.Duration `json:"-"`
	// Status answers with this HTTP status and a problem body instead of
	// the real answer.
	Status int `json:"status,omitempty"`
	// Malformed answers 2xx with a body cut in the middle of the JSON.
	Malformed bool `json:"malformed,omitempty"`
	// Truncate announces the full Content-Length, sends half the body and
	// drops the connection.
	Truncate bool `json:"truncate,omitempty"`
	// Rate is the share of matching requests that get Status, Malformed or
	// Truncate; 0 means all of them.
	Rate float64 `json:"rate,omitempty"`
	// Count stops those faults after this many; 0 means no limit.
	Count int `json:"count,omitempty"`
	// ExpireTokens expires every token issued so far, once, when the faults
	// are set.
	ExpireTokens bool `json:"expire_tokens,omitempty"`
	// Paths limits the faults to requests whose "METHOD /path" or route
	// pattern contains it; empty means every API request.
	Paths string `json:"paths,omitempty"`
	// Tenant limits the faults to requests made for one tenant (by id):
	// with a token bound to it, or asking for a token for it. Zero means
	// every tenant. With Status 403 it plays something in front of the
	// server (a proxy) refusing that tenant's requests, token exchange
	// included, while the others go on: the real server's own 403 (a
	// denied menu, DenyMenus) has an empty body, and a tenant the account
	// lost answers 401 or 400 (RemoveTenant).
	Tenant int64 `json:"tenant,omitempty"`
}

// faultsJSON is Faults on the control API: latency is a duration string.
type faultsJSON struct {
	Latency string `json:"latency,omitempty"`
	Faults
}

func (f faultsJSON) faults() (Faults, error) {
	out := f.Faults
	if f.Latency != "" {
		d, err := time.ParseDuration(f.Latency)
		if err != nil {
			return Faults{}, fmt.Errorf("latency: %w", err)
		}
		out.Latency = d
	}
	switch {
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return Faults{}, fmt.Errorf("status %d is not an HTTP status", f.Status)
	case f.Rate < 0 || f.Rate > 1:
		return Faults{}, fmt.Errorf("rate %v is not between 0 and 1", f.Rate)
	}
	return out, nil
}

// SetFaults replaces the faults in force.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.faultHits = &f, 0
	if f.ExpireTokens {
		s.expireTokens()
	}
	s.log.Debug("fake faults set", "faults", fmt.Sprintf("%+v", f))
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// pick decides what happens to a request (its latency, status,
// malformed or truncated body), drawing from the seeded RNG. s.mu must be
// held.
func (s *Server) pick(r *http.Request) Faults {
	f := s.faults
	if f == nil || (f.Paths != "" && !strings.Contains(r.Method+" "+r.URL.Path, f.Paths) && !strings.Contains(r.Pattern, f.Paths)) ||
		(f.Tenant != 0 && s.requestTenant(r) != f.Tenant) {
		return Faults{}
	}
	out := Faults{Latency: f.Latency}
	if (f.Status == 0 && !f.Malformed && !f.Truncate) || (f.Count > 0 && s.faultHits >= f.Count) ||
		(f.Rate > 0 && s.rng.Float64() >= f.Rate) {
		return out
	}
	s.faultHits++
	out.Status, out.Malformed, out.Truncate = f.Status, f.Malformed, f.Truncate
	return out
}

// requestTenant is the tenant a request is made for: the one named in the
// path of a token request, else the one its bearer token is bound to, else
// 0. s.mu must be held.
func (s *Server) requestTenant(r *http.Request) int64 {
	if id, err := strconv.ParseInt(r.PathValue("tenantId"), 10, 64); err == nil {
		return id
	}
	if raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if t := s.tokens[raw]; t != nil {
			return t.tenant
		}
	}
	return 0
}

// api wraps an API handler: requests in flight, latency and faults, auth,
// the menu permission, the lock, stats.
func (s *Server) api(auth bool, menus []string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.inFlight++
		s.stats.MaxInFlight = max(s.stats.MaxInFlight, s.inFlight)
		f := s.pick(r)
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inFlight--
			s.mu.Unlock()
		}()
		if f.Latency > 0 {
			t := time.NewTimer(f.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				s.count(r, 0, 0)
				return
			}
		}
		rec := httptest.NewRecorder() // so that faults can rework the answer
		switch {
		case f.Status >= 500:
			// An unhandled exception: its message as the title, its stack
			// trace as the detail (Filters/JsonExceptionHandlerAttribute.cs
			// lines 45-51).
			writeError(rec, r, f.Status, "Nssol.Platypus.Filters.JsonExceptionHandlerAttribute",
				"An error was injected by the fake (status "+strconv.Itoa(f.Status)+").", stackTrace(r.URL.Path))
		case f.Status != 0:
			writeProblem(rec, r, f.Status, http.StatusText(f.Status), "injected by the fake")
		default:
			s.mu.Lock()
			c, ok := caller{}, true
			if auth {
				c, ok = s.authenticate(rec, r)
			}
			if ok && auth && s.menuDenied(c.tenant.id, menus) {
				// Filters/PermissionFilterAttribute.cs lines 80-87: 403,
				// the menus in a header, no body.
				rec.Header().Set("X-Permit-MenuCode", strings.Join(menus, ","))
				rec.WriteHeader(http.StatusForbidden)
				ok = false
			}
			if ok {
				h(rec, r, c)
			}
			s.mu.Unlock()
		}
		body := rec.Body.Bytes()
		if f.Malformed && rec.Code >= 200 && rec.Code < 300 {
			body = body[:len(body)/2]
		}
		maps.Copy(w.Header(), rec.Header())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		if f.Truncate {
			body = body[:len(body)/2]
		}
		n, _ := w.Write(body)
		s.count(r, rec.Code, n)
		if f.Truncate {
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			panic(http.ErrAbortHandler) // drops the connection mid-body
		}
	})
}

// Stats counts the API requests served (the control API is not counted)
// and what they would cost the real server.
type Stats struct {
	Requests int64 `json:"requests"`
	BytesOut int64 `json:"bytes_out"`
	// ByPath counts by route, e.g. "GET /api/v2/training/{id}".
	ByPath map[string]int64 `json:"by_path"`
	// ByStatus counts by HTTP status ("0" when the client left first).
	ByStatus map[string]int64 `json:"by_status"`

	// RowsLoaded counts the database rows the real server would read. A
	// list loads the tenant's whole table of its kind and filters and
	// pages it in memory (TrainingController.cs GetAll, lines 121-137;
	// Infrastructure/Util.cs Paging and SearchLong), and withTotal loads it
	// once more to count it (line 128: Count() runs the query again); a
	// preprocessing's history list loads that definition's histories
	// (PreprocessHistoryRepository.cs line 91); a detail loads one row.
	RowsLoaded int64 `json:"rows_loaded"`
	// RowsByKind splits RowsLoaded by kind ("training", ...,
	// "preprocessing" for definitions and histories).
	RowsByKind map[string]int64 `json:"rows_by_kind"`
	// KubeCalls counts Kubernetes calls: one per open row a list returns
	// (one after the other, TrainingController.cs line 137 and
	// DoGetUpdatedIndexOutputModelAsync) and one per open detail (GetDetail,
	// line 548).
	KubeCalls int64 `json:"kube_calls"`
	// KubeByKind splits KubeCalls by kind.
	KubeByKind map[string]int64 `json:"kube_by_kind"`
	// Requests by what they are: job and definition lists (history lists
	// included), job details, logins, tenant tokens, account reads.
	ListRequests    int64 `json:"list_requests"`
	DetailRequests  int64 `json:"detail_requests"`
	Logins          int64 `json:"logins"`
	TokenRequests   int64 `json:"token_requests"`
	AccountRequests int64 `json:"account_requests"`
	// MaxInFlight is the most API requests in flight at once (latency
	// included) since the last reset.
	MaxInFlight int64 `json:"max_in_flight"`
}

func newStats() Stats {
	return Stats{
		ByPath: map[string]int64{}, ByStatus: map[string]int64{},
		RowsByKind: map[string]int64{}, KubeByKind: map[string]int64{},
	}
}

func (s *Server) count(r *http.Request, status, bytesOut int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	s.stats.BytesOut += int64(bytesOut)
	s.stats.ByPath[r.Pattern]++
	s.stats.ByStatus[strconv.Itoa(status)]++
	switch r.Pattern {
	case "POST /api/v2/account/login":
		s.stats.Logins++
	case "POST /api/v2/account/tenants/{tenantId}/token":
		s.stats.TokenRequests++
	case "GET /api/v2/account":
		s.stats.AccountRequests++
	case "GET /api/v2/training", "GET /api/v2/inferences", "GET /api/v2/notebook",
		"GET /api/v2/preprocessings", "GET /api/v2/preprocessings/{id}/histories":
		s.stats.ListRequests++
	case "GET /api/v2/training/{id}", "GET /api/v2/inferences/{id}", "GET /api/v2/notebook/{id}",
		"GET /api/v2/preprocessings/{id}/histories/{dataId}":
		s.stats.DetailRequests++
	}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByPath = maps.Clone(s.stats.ByPath)
	out.ByStatus = maps.Clone(s.stats.ByStatus)
	out.RowsByKind = maps.Clone(s.stats.RowsByKind)
	out.KubeByKind = maps.Clone(s.stats.KubeByKind)
	return out
}

// ResetStats sets the counters to zero (MaxInFlight to the requests in
// flight now).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
	s.stats.MaxInFlight = s.inFlight
}
