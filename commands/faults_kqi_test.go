// Slightly over 400 lines: the KAMONOHASHI fault cases, each a short
// scenario, read best together.
package commands

// The fault tests of the KAMONOHASHI API and of the clock: see
// faults_test.go for the world they run in and what they check after
// every pass.

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

// TestKamonohashiFaults: a pass that meets a fault of the KAMONOHASHI API
// infers nothing from it, leaves what it knows of the tenant as it was,
// says so, and reports the endings once the API answers again.
func TestKamonohashiFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   worldOptions
		inject func(w *world) (undo func())
		code   int    // exit code of the failed pass
		log    string // what kamobot says
	}{
		{name: "500", code: ExitTempFail, log: `cannot read tenant.*500 Internal Server Error`,
			inject: status(500)},
		{name: "502", code: ExitTempFail, log: `cannot read tenant.*502 Bad Gateway`,
			inject: status(502)},
		{name: "503", code: ExitTempFail, log: `cannot read tenant.*503 Service Unavailable`,
			inject: status(503)},
		{name: "timeout", opts: worldOptions{apiTimeout: 200 * time.Millisecond}, code: ExitTempFail,
			log: `cannot read tenant.*timed out after 200ms`,
			inject: func(w *world) func() {
				w.kqi.SetFaults(kqifake.Faults{Latency: 2 * time.Second, Paths: "GET /api/v2/training"})
				return w.kqi.ClearFaults
			}},
		{name: "connection refused", code: ExitUnavailable, log: `^$`,
			inject: func(w *world) func() {
				addr := strings.TrimPrefix(w.kqi.URL(), "http://")
				_ = w.kqi.Close()
				return func() {
					if err := w.kqi.Start(addr); err != nil {
						w.t.Fatal(err)
					}
				}
			}},
		{name: "malformed JSON", code: ExitTempFail, log: `cannot read tenant.*malformed answer`,
			inject: func(w *world) func() {
				w.kqi.SetFaults(kqifake.Faults{Malformed: true, Paths: "GET /api/v2/training"})
				return w.kqi.ClearFaults
			}},
		{name: "truncated body", code: ExitTempFail, log: `cannot read tenant.*(lost|cut short|unexpected EOF)`,
			inject: func(w *world) func() {
				w.kqi.SetFaults(kqifake.Faults{Truncate: true, Paths: "GET /api/v2/training"})
				return w.kqi.ClearFaults
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.opts)
			a, b := w.add("vision", "before-fault"), w.add("vision", "during-fault")
			w.mustPass() // baseline
			w.end(a, "Completed")
			w.mustPass()
			w.wantReported(a)

			w.end(b, "Killed")
			before := w.stateBytes()
			undo := tc.inject(w)
			_, err := w.pass()
			if got := ExitCode(err); got != tc.code {
				t.Fatalf("pass during the fault: exit %d (%v), want %d", got, err, tc.code)
			}
			if tc.log != `^$` {
				w.wantLog(tc.log)
			} else if err == nil || !strings.Contains(err.Error(), "cannot reach") {
				t.Errorf("error %v does not say the server cannot be reached", err)
			}
			w.wantReported(a)
			if got := w.load(); !sameTenants(t, before, got) {
				t.Errorf("the fault changed what is known of the tenant")
			}
			undo()
			w.mustPass()
			w.wantReported(a, b)
		})
	}
}

func status(code int) func(w *world) func() {
	return func(w *world) func() {
		w.kqi.SetFaults(kqifake.Faults{Status: code, Paths: "GET /api/v2/training"})
		return w.kqi.ClearFaults
	}
}

// sameTenants reports whether the tenants known in the state file before
// are those in after.
func sameTenants(t *testing.T, before []byte, after *state.State) bool {
	t.Helper()
	st, err := state.Decode(before)
	if err != nil {
		t.Fatal(err)
	}
	for key, ten := range st.Tenants {
		for k, c := range ten.Kinds {
			c2 := after.Tenants[key].Kinds[k]
			if c2 == nil || c.MaxID != c2.MaxID || !slices.Equal(slices.Sorted(maps.Keys(c.Open)), slices.Sorted(maps.Keys(c2.Open))) {
				return false
			}
			for jk, tr := range c.Open {
				if c2.Open[jk].Status != tr.Status {
					return false
				}
			}
		}
	}
	return true
}

// TestTokenExpiresMidPass: every token expires while a pass is under way;
// the client logs in again once and the pass goes on.
func TestTokenExpiresMidPass(t *testing.T) {
	w := newWorld(t, worldOptions{tenants: []string{"vision", "nlp", "speech"}})
	var ids []int64
	for name := range w.tenants {
		ids = append(ids, w.add(name, "expiry-"+name))
	}
	w.mustPass()
	for _, id := range ids {
		w.end(id, "Completed")
	}
	w.kqi.ResetStats()
	w.kqi.SetFaults(kqifake.Faults{Latency: 30 * time.Millisecond, Paths: "GET /api/v2/"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if w.kqi.Stats().Requests > 0 { // the pass has begun: its first answer came
				w.kqi.ExpireTokens()
				return
			}
		}
	}()
	rep := w.mustPass()
	<-done
	st := w.kqi.Stats()
	if st.ByStatus["401"] == 0 {
		t.Fatalf("no request met an expired token: %v", st.ByStatus)
	}
	if n := st.ByPath["POST /api/v2/account/login"]; n != 1 {
		t.Errorf("logged in %d times in the pass, want once", n)
	}
	// Per other tenant: at most the exchange refused with the expired
	// login token, and the one after the new login.
	if n := st.ByPath["POST /api/v2/account/tenants/{tenantId}/token"]; n > 4 {
		t.Errorf("%d tenant token requests for 2 other tenants, want at most 4", n)
	}
	if rep.Tenants != 3 || len(rep.FailedFetch) != 0 {
		t.Errorf("tenants read %d, failed %v", rep.Tenants, rep.FailedFetch)
	}
	w.wantReported(ids...)
}

// TestForbiddenOnOneTenant: one tenant answers 403; the others go on, and
// its ending is reported once it answers again.
func TestForbiddenOnOneTenant(t *testing.T) {
	w := newWorld(t, worldOptions{tenants: []string{"vision", "nlp"}})
	a, b := w.add("vision", "vision-job"), w.add("nlp", "nlp-job")
	w.mustPass()
	w.end(a, "Completed")
	w.end(b, "Killed")
	w.kqi.SetFaults(kqifake.Faults{Status: 403, Tenant: w.tenants["nlp"]})
	rep := w.failPass(ExitTempFail)
	if !slices.Equal(rep.FailedFetch, []string{"nlp"}) || rep.Tenants != 1 {
		t.Errorf("failed %v, read %d; want only nlp failed", rep.FailedFetch, rep.Tenants)
	}
	w.wantLog(`level=WARN msg="cannot read tenant; skipped this pass, nothing inferred" tenant=nlp .*403 Forbidden`)
	w.wantReported(a)
	w.kqi.ClearFaults()
	w.mustPass()
	w.wantReported(a, b)
}

// TestTenantRemovedFromAccount: the account loses a tenant. While the
// tenant list is cached the tenant answers 401 "You have lost a role"
// (as the real server does, Infrastructure/Infos/UserInfo.cs): the pass
// names it and exits 77 (engine.ErrAccess); then it is no longer watched,
// and nothing is inferred about its open jobs. Given back, the job that
// ended meanwhile is reported.
func TestTenantRemovedFromAccount(t *testing.T) {
	w := newWorld(t, worldOptions{tenants: []string{"vision", "nlp"}, tenantsTTL: 2 * time.Minute})
	a, b := w.add("vision", "stays"), w.add("nlp", "in-removed-tenant")
	w.mustPass()
	w.kqi.AddAccount("kamobot", canaryPassword, w.tenants["vision"])
	w.end(b, "Completed")
	w.failPass(ExitNoPerm)
	w.wantLog(`level=WARN msg="the account lost its role in this tenant during the pass; .*" tenant=nlp`)
	for range 4 { // the tenant list is read again: nlp is no longer there
		w.pass()
	}
	if _, err := w.pass(); err != nil {
		t.Fatalf("pass without the tenant: %v", err)
	}
	w.wantLog(`level=WARN msg="a tenant with open jobs is no longer visible to this account; .*" tenant=nlp .*open_jobs=1`)
	if n := strings.Count(w.logs.String(), "no longer visible to this account"); n > 3 {
		t.Errorf("the vanished tenant is warned about %d times in 6 passes, want once per reading of the tenant list", n)
	}
	if st := w.load(); st.Tenants[api.FormatID(w.tenants["nlp"])].Kinds[api.KindTraining].Open[api.JobKey(api.KindTraining, 0, b)] == nil {
		t.Errorf("the open job of the removed tenant was dropped from the state")
	}
	w.end(a, "Killed")
	w.mustPass()
	w.wantReported(a)

	w.kqi.AddAccount("kamobot", canaryPassword, w.tenants["vision"], w.tenants["nlp"])
	for i := 0; i < 6 && w.reported()[b] == 0; i++ {
		w.pass()
	}
	w.wantReported(a, b)
}

// TestJobDeletedBetweenPasses: a job deleted on the server is dropped
// after two listings without it, and no ending is reported for it.
func TestJobDeletedBetweenPasses(t *testing.T) {
	w := newWorld(t, worldOptions{})
	a, b := w.add("vision", "to-delete"), w.add("vision", "to-complete")
	w.mustPass()
	if err := w.kqi.DeleteJob(api.KindTraining, a); err != nil {
		t.Fatal(err)
	}
	w.mustPass()
	w.mustPass()
	c := w.load().Tenants[api.FormatID(w.tenants["vision"])].Kinds[api.KindTraining]
	if c.Open[api.JobKey(api.KindTraining, 0, a)] != nil {
		t.Errorf("the deleted job is still tracked as open")
	}
	if i := slices.IndexFunc(c.Ended, func(e job.EndedJob) bool { return e.Key == api.JobKey(api.KindTraining, 0, a) }); i < 0 || c.Ended[i].Status != "Deleted" {
		t.Errorf("the deleted job is not remembered as deleted: %+v", c.Ended)
	}
	w.end(b, "Completed")
	w.mustPass()
	w.wantReported(b) // and nothing about the deleted job
}

// TestTenThousandJobs: a tenant with 10,000 jobs, 10 of them open. The
// first pass pages through all of them and posts nothing; the next ones
// read only what is open or new, and report the endings once.
func TestTenThousandJobs(t *testing.T) {
	w := newWorld(t, worldOptions{})
	var open []int64
	for i := range 10_000 {
		st := "Completed"
		if i%1000 == 500 {
			st = "Running"
		}
		j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "sweep-" + strconv.Itoa(i),
			CreatedBy: "bob", Status: st})
		if err != nil {
			t.Fatal(err)
		}
		w.names[j.ID] = "sweep-" + strconv.Itoa(i)
		if st == "Running" {
			open = append(open, j.ID)
		}
	}
	rep := w.mustPass()
	if rep.Baselined != 10 || rep.Queued != 0 {
		t.Fatalf("baseline: %d jobs recorded, %d messages; want 10 and none", rep.Baselined, rep.Queued)
	}
	w.mustPass() // the far open jobs are read on their own once
	for _, id := range open[:5] {
		w.end(id, "Completed")
	}
	w.kqi.ResetStats()
	w.clock.Add(5 * time.Minute) // every far job is due to be read again
	rep = w.mustPass()
	st := w.kqi.Stats()
	w.wantReported(open[:5]...)
	if rep.Queued != 1 {
		t.Errorf("%d messages for 5 endings in one pass, want one", rep.Queued)
	}
	if st.Requests > 40 || st.BytesOut > 200_000 {
		t.Errorf("a pass over 10,000 jobs made %d requests, %d bytes; want it to read only open and new jobs", st.Requests, st.BytesOut)
	}
	t.Logf("10,000 jobs, 10 open: %d requests, %d bytes for the pass that reported 5 endings", st.Requests, st.BytesOut)
}

// TestServerResync: the server moves a job Completed -> Running (a status
// resync) -> Completed: reported once. A different second ending is news
// when kamobot sees the job open again, i.e. when its listing reaches back
// to it (an older job is still open); closed jobs are not re-read, so
// otherwise the first ending stands and nothing more is reported.
func TestServerResync(t *testing.T) {
	for _, tc := range []struct {
		name           string
		olderOpen      bool
		same, switched int // reports of Completed->Running->Completed, ->Failed
	}{
		{"listing reaches back", true, 1, 2},
		{"listing does not reach back", false, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, worldOptions{})
			if tc.olderOpen {
				w.add("vision", "older-still-running")
			}
			a, b := w.add("vision", "resync-same"), w.add("vision", "resync-other")
			w.mustPass()
			w.end(a, "Completed")
			w.end(b, "Completed")
			w.mustPass()
			w.setStatus(a, "Running")
			w.setStatus(b, "Running")
			w.mustPass()
			w.end(a, "Completed")
			w.end(b, "Killed")
			w.mustPass()
			w.mustPass()
			got := w.reported()
			if got[a] != tc.same {
				t.Errorf("Completed -> Running -> Completed: reported %d times, want %d", got[a], tc.same)
			}
			if got[b] != tc.switched {
				t.Errorf("Completed -> Running -> Failed: reported %d times, want %d", got[b], tc.switched)
			}
		})
	}
}

// TestClockJumps: the clock goes back an hour or two, or forward a day.
// Nothing is stuck waiting for a time that now lies far ahead, and nothing
// is retried en masse.
func TestClockJumps(t *testing.T) {
	t.Run("back: a far job is still re-read", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		far := w.add("vision", "far-job")
		for i := range 6 { // rows newer than it make it far
			w.add("vision", "newer-"+strconv.Itoa(i))
		}
		w.mustPass()
		w.clock.Add(time.Hour)
		w.mustPass() // read on its own; next read planned minutes ahead
		w.end(far, "Completed")
		w.clock.Add(-2 * time.Hour)
		w.mustPass()
		w.wantReported(far)
	})
	t.Run("back: a message waiting for Retry-After is sent", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		a := w.add("vision", "retry-after-job")
		w.mustPass()
		w.end(a, "Completed")
		w.slack.Script(slackfake.Fault{Status: 429, RetryAfter: 600})
		w.failPass(ExitTempFail)
		if next := w.load().Outbox[0].NextAttempt; next.Sub(w.clock.Now()) < 9*time.Minute {
			t.Fatalf("next attempt %s, want about 10 minutes ahead", next)
		}
		w.failPass(ExitTempFail) // not yet: the message waits
		w.wantReported()
		w.clock.Add(-2 * time.Hour)
		w.mustPass()
		w.wantReported(a)
	})
	t.Run("back: a dead webhook is tried again", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		a := w.add("vision", "dead-then-back")
		w.mustPass()
		w.end(a, "Completed")
		mustHookState(t, w, slackfake.HookDisabled)
		w.failPass(ExitUnavailable)
		mustHookState(t, w, slackfake.HookActive)
		w.failPass(ExitUnavailable) // waiting a minute
		w.clock.Add(-2 * time.Hour)
		w.mustPass()
		w.wantReported(a)
	})
	t.Run("forward a day: one message tried, not the whole outbox", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		var ids []int64
		for i := range 5 {
			ids = append(ids, w.add("vision", "queued-"+strconv.Itoa(i)))
		}
		w.mustPass()
		w.slack.Script(slackfake.Fault{Status: 503, Count: -1})
		for _, id := range ids {
			w.end(id, "Completed")
			w.failPass(ExitTempFail)
		}
		if n := len(w.load().Outbox); n != 5 {
			t.Fatalf("outbox %d, want 5", n)
		}
		w.clock.Add(24 * time.Hour)
		before := len(w.slack.Attempts())
		w.failPass(ExitTempFail)
		if n := len(w.slack.Attempts()) - before; n > 2 {
			t.Errorf("after the jump the pass made %d attempts, want at most 2 (the head message, retried once)", n)
		}
		w.slack.ClearFaults()
		w.mustPass()
		w.wantReported(ids...)
		var order []int64
		for _, m := range w.slack.Messages() {
			order = append(order, linkedJobs(m)...)
		}
		if !slices.Equal(order, ids) {
			t.Errorf("delivered in the order %v, want %v", order, ids)
		}
	})
}
