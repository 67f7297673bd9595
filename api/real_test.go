package api_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

// TestErrorListDecodes: "errors" is an array in KAMONOHASHI's
// JsonErrorResponse and an object {field: [messages]} in ASP.NET's
// ValidationProblemDetails; both decode, null too.
func TestErrorListDecodes(t *testing.T) {
	for body, want := range map[string][]string{
		`{"title":"x","errors":["a","b"]}`:                                  {"a", "b"},
		`{"title":"x","errors":{"page":["bad"],"Id":["no","nope"]}}`:        {"Id: no", "Id: nope", "page: bad"},
		`{"title":"x","errors":{"UserName":"required"}}`:                    {"UserName: required"},
		`{"title":"x","errors":null}`:                                       nil,
		`{"title":"x","errors":[1,{"a":2}]}`:                                {"1", `{"a":2}`},
		`{"type":"t","title":"x","status":400,"traceId":"|a.","errors":{}}`: nil,
	} {
		var eb api.ErrorBody
		if err := json.Unmarshal([]byte(body), &eb); err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		if !slices.Equal([]string(eb.Errors), want) {
			t.Errorf("%s: errors %q, want %q", body, eb.Errors, want)
		}
	}
}

// TestValidationProblemShown: the fake answers a bad page with a
// ValidationProblemDetails; the client names the field.
func TestValidationProblemShown(t *testing.T) {
	f := newFixture(t)
	c := f.client(t, func(cfg *api.Config) { cfg.Password = "" })
	err := c.Login(t.Context())
	var he *api.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 400 || !strings.Contains(he.Detail, "Password: The Password field is required.") {
		t.Errorf("login without a password: %v", err)
	}
}

// TestMenuPermissionError: an empty 403 with X-Permit-MenuCode
// (Filters/PermissionFilterAttribute.cs) is an *HTTPError naming the
// menu; the tenant's other kinds still answer.
func TestMenuPermissionError(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	if err := f.srv.DenyMenus("vision", "Notebook"); err != nil {
		t.Fatal(err)
	}
	_, err := c.List(t.Context(), f.vision, api.KindNotebook, api.ListQuery{})
	menus, ok := api.MenusDenied(err)
	if !ok || !slices.Equal(menus, []string{"Notebook"}) || !errors.Is(err, api.ErrMenuDenied) || !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("denied list: %v (menus %v)", err, menus)
	}
	var he *api.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 403 {
		t.Errorf("no *HTTPError in %v", err)
	}
	if !strings.Contains(err.Error(), "Notebook menu permission") {
		t.Errorf("error text %q does not name the menu", err)
	}
	if _, err := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{}); err != nil {
		t.Errorf("training list of the same tenant: %v", err)
	}
}

// TestTenantLost: a token of a tenant the account lost answers 401 "You
// have lost a role for the access." (Infrastructure/Infos/UserInfo.cs) and
// a new token for it 400 (Logic/LoginLogic.cs): both are ErrTenantLost,
// neither ErrUnauthorized, and the client does not try to renew.
func TestTenantLost(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx := t.Context()
	if _, err := c.List(ctx, f.nlp, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.RemoveTenant(f.user, "nlp-ja"); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetStats()
	_, err := c.List(ctx, f.nlp, api.KindTraining, api.ListQuery{})
	if !errors.Is(err, api.ErrTenantLost) || errors.Is(err, api.ErrUnauthorized) || !errors.Is(err, api.ErrForbidden) {
		t.Errorf("list with the lost tenant's token: %v", err)
	}
	if st := f.srv.Stats(); st.Requests != 1 {
		t.Errorf("%d requests, want 1 (no renewal)", st.Requests)
	}
	// The token was dropped: the next call asks for a new one, refused 400.
	_, err = c.List(ctx, f.nlp, api.KindTraining, api.ListQuery{})
	if !errors.Is(err, api.ErrTenantLost) || errors.Is(err, api.ErrUnauthorized) {
		t.Errorf("list after the token was dropped: %v", err)
	}
	if _, err := c.List(ctx, f.vision, api.KindTraining, api.ListQuery{}); err != nil {
		t.Errorf("the other tenant: %v", err)
	}
	// An expired token is still renewed, and a refused login is ErrUnauthorized, not lost.
	f.srv.ExpireTokens()
	if _, err := c.List(ctx, f.vision, api.KindTraining, api.ListQuery{}); err != nil {
		t.Errorf("after expiry: %v", err)
	}
	bad := f.client(t, func(cfg *api.Config) { cfg.Password = "wrong" })
	if err := bad.Login(ctx); !errors.Is(err, api.ErrUnauthorized) || errors.Is(err, api.ErrTenantLost) {
		t.Errorf("bad password: %v", err)
	}
}

// TestServerTimesDefaultUTC: times carry no offset (Infrastructure/Util.cs
// ToFormatedString); without ServerLocation the client reads them as UTC,
// the server image's zone, and with it in that zone.
func TestServerTimesDefaultUTC(t *testing.T) {
	created := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	srv := kqifake.NewTest(t)
	srv.AddTenant("t", "T")
	srv.AddAccount("u", "p", 1)
	if _, err := srv.AddJob(kqifake.NewJob{Tenant: "t", Kind: api.KindTraining, CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
	c, err := api.New(api.Config{BaseURL: srv.URL(), User: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Location() != time.UTC {
		t.Errorf("default location %v", c.Location())
	}
	res, err := c.List(t.Context(), 1, api.KindTraining, api.ListQuery{})
	if err != nil || len(res.Jobs) != 1 || !res.Jobs[0].CreatedAt.Equal(created) {
		t.Fatalf("list: %+v, %v", res.Jobs, err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip(err)
	}
	srv.SetLocation(tokyo)
	c2, err := api.New(api.Config{BaseURL: srv.URL(), User: "u", Password: "p", ServerLocation: tokyo})
	if err != nil {
		t.Fatal(err)
	}
	res, err = c2.List(t.Context(), 1, api.KindTraining, api.ListQuery{})
	if err != nil || !res.Jobs[0].CreatedAt.Equal(created) {
		t.Errorf("in Asia/Tokyo: %+v, %v", res.Jobs, err)
	}
	// Read as UTC by a client not told the zone, the same string is nine hours off.
	res, _ = c.List(t.Context(), 1, api.KindTraining, api.ListQuery{})
	if got := res.Jobs[0].CreatedAt.Sub(created); got != 9*time.Hour {
		t.Errorf("zone not set: off by %v, want 9h", got)
	}
}

// TestStatusPhase: Infrastructure/ContainerStatus.cs and the pod phases of
// Services/KubernetesService.cs GetContainerStatusAsync.
func TestStatusPhase(t *testing.T) {
	for status, want := range map[string]api.Phase{
		"Succeeded": api.PhaseClosed, "None": api.PhaseClosed, "Completed": api.PhaseClosed, "Killed": api.PhaseClosed,
		"Failed": api.PhaseClosed, "": api.PhaseClosed,
		"Unknown": api.PhaseOpen, "Pending": api.PhaseOpen, "Running": api.PhaseOpen, "Opened": api.PhaseOpen,
		"Error": api.PhaseTrouble, "OOMKilled": api.PhaseTrouble, "Empty": api.PhaseTrouble, "Multiple": api.PhaseTrouble,
		// Never shown by the real server: no longer trouble.
		"ImagePullBackOff": api.PhaseOpen, "CrashLoopBackOff": api.PhaseOpen,
	} {
		if got := api.StatusPhase(status); got != want {
			t.Errorf("StatusPhase(%q) = %v, want %v", status, got, want)
		}
	}
}

// TestPreprocessingIdentity: the history id comes from the key
// (Models/TenantModels/PreprocessHistory.cs line 119) and links go to
// /#/preprocessingHistory/{id}/{dataId} (web-pages/src/router/preprocessing.js).
func TestPreprocessingIdentity(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	run := f.add(t, kqifake.NewJob{Tenant: "vision", Kind: api.KindPreprocessing, Name: "resize", DataID: 40, Status: "Completed"})
	runs, err := c.Histories(t.Context(), f.vision, run.ParentID)
	if err != nil || len(runs) != 1 || runs[0].ID != 40 || runs[0].HistoryID != run.HistoryID || runs[0].HistoryID == 0 {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	if got, want := runs[0].WebURL("https://k"), "https://k/#/preprocessingHistory/"+api.FormatID(run.ParentID)+"/40"; got != want {
		t.Errorf("WebURL = %s, want %s", got, want)
	}
	if api.HistoryID("preproc-12") != 12 || api.HistoryID("preproc-1-2") != 0 || api.HistoryID("x") != 0 {
		t.Error("HistoryID parses wrongly")
	}
}
