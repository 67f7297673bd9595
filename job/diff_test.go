package job

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kamobot/kamobot/api"
)

var (
	t0     = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tenant = TenantRef{ID: 3, Name: "vision"}
)

func job(id int64, status string) api.Job {
	return api.Job{Kind: api.KindTraining, ID: id, Name: fmt.Sprintf("job-%d", id), Status: status,
		CreatedBy: "alice", CreatedAt: t0.Add(-time.Hour)}
}

// rows lists jobs newest first, as the server does.
func rows(jobs ...api.Job) []api.Job {
	out := make([]api.Job, len(jobs))
	for i, j := range jobs {
		out[len(jobs)-1-i] = j
	}
	return out
}

// step runs one pass of Diff with a range plan computed from the cursor.
func step(c *KindCursor, now time.Time, o DiffOptions, listed ...api.Job) (*KindCursor, []Event) {
	p := c.Plan(api.KindTraining, now)
	var inRange []api.Job
	for _, j := range rows(listed...) {
		if p.Full || j.ID >= p.RangeFrom {
			inRange = append(inRange, j)
		}
	}
	return Diff(c, Fetched{Kind: api.KindTraining, Plan: p, Range: inRange}, tenant, o, now)
}

type ev struct {
	Type     EventType
	ID       int64
	From, To string
}

func brief(es []Event) []ev {
	var out []ev
	for _, e := range es {
		out = append(out, ev{e.Type, e.Job.ID, e.From, e.To})
	}
	return out
}

func TestDiffTransitions(t *testing.T) {
	base := []api.Job{job(1, "Completed"), job(2, "Running"), job(3, "Pending")}
	tests := []struct {
		name string
		next []api.Job // the listing on the second pass
		want []ev
	}{
		{"nothing changed", base, nil},
		{"new pending job is tracked silently",
			append(base, job(4, "Pending")), nil},
		{"new job already running is reported started",
			append(base, job(4, "Running")), []ev{{EventStarted, 4, "", "Running"}}},
		{"pending to running is a start",
			[]api.Job{job(1, "Completed"), job(2, "Running"), job(3, "Running")},
			[]ev{{EventStarted, 3, "Pending", "Running"}}},
		{"running to completed",
			[]api.Job{job(1, "Completed"), job(2, "Completed"), job(3, "Pending")},
			[]ev{{EventCompleted, 2, "Running", "Completed"}}},
		{"pending to completed",
			[]api.Job{job(1, "Completed"), job(2, "Running"), job(3, "Completed")},
			[]ev{{EventCompleted, 3, "Pending", "Completed"}}},
		{"empty status on an old row means completed",
			[]api.Job{job(1, "Completed"), job(2, ""), job(3, "Pending")},
			[]ev{{EventCompleted, 2, "Running", ""}}},
		{"user canceled",
			[]api.Job{job(1, "Completed"), job(2, "UserCanceled"), job(3, "Pending")},
			[]ev{{EventCanceled, 2, "Running", "UserCanceled"}}},
		{"killed",
			[]api.Job{job(1, "Completed"), job(2, "Killed"), job(3, "Pending")},
			[]ev{{EventKilled, 2, "Running", "Killed"}}},
		{"invalid, forbidden and none are failures",
			[]api.Job{job(1, "Completed"), job(2, "Running"), job(3, "Invalid"), job(4, "Forbidden"), job(5, "None")},
			[]ev{{EventFailed, 3, "Pending", "Invalid"}, {EventFailed, 4, "", "Forbidden"}, {EventFailed, 5, "", "None"}}},
		{"a status a read writes, straight after Running, waits for its confirmation",
			[]api.Job{job(1, "Completed"), job(2, "Failed"), job(3, "Pending")}, nil},
		{"succeeded is completed",
			[]api.Job{job(1, "Completed"), job(2, "Running"), job(3, "Succeeded")},
			[]ev{{EventCompleted, 3, "Pending", "Succeeded"}}},
		{"trouble while alive",
			[]api.Job{job(1, "Completed"), job(2, "OOMKilled"), job(3, "Error")},
			[]ev{{EventTrouble, 2, "Running", "OOMKilled"}, {EventTrouble, 3, "Pending", "Error"}}},
		{"unknown is open",
			[]api.Job{job(1, "Completed"), job(2, "Unknown"), job(3, "Pending")}, nil},
		{"a job missing once is not yet deleted",
			[]api.Job{job(1, "Completed"), job(3, "Pending")}, nil},
		{"old closed jobs never produce events",
			[]api.Job{job(1, "Failed"), job(2, "Running"), job(3, "Pending")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ev0 := step(nil, t0, DiffOptions{}, base...)
			if len(ev0) != 0 {
				t.Fatalf("baseline produced events: %v", brief(ev0))
			}
			_, got := step(c, t0.Add(30*time.Second), DiffOptions{}, tt.next...)
			if diff := cmp.Diff(tt.want, brief(got)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffBaselineIsSilentAndTracksOpenJobs(t *testing.T) {
	c, evs := step(nil, t0, DiffOptions{StuckPendingAfter: time.Nanosecond},
		job(1, "Failed"), job(2, "Running"), job(5, "Pending"), job(7, "Completed"))
	if len(evs) != 0 {
		t.Fatalf("baseline events: %v", brief(evs))
	}
	if !c.Baselined || c.MaxID != 7 || len(c.Open) != 2 {
		t.Fatalf("cursor = baselined %v max %d open %d, want true 7 2", c.Baselined, c.MaxID, len(c.Open))
	}
	if p := c.Plan(api.KindTraining, t0); p.RangeFrom != 2 || p.Full {
		t.Errorf("plan after baseline = %+v, want range from the oldest open job (2)", p)
	}
}

func TestDiffDoesNotModifyPrevious(t *testing.T) {
	c, _ := step(nil, t0, DiffOptions{}, job(1, "Running"))
	before := fmt.Sprintf("%+v", *c.Open["training/1"])
	_, _ = step(c, t0.Add(time.Minute), DiffOptions{}, job(1, "Completed"))
	if c.Open["training/1"] == nil || fmt.Sprintf("%+v", *c.Open["training/1"]) != before {
		t.Fatal("Diff changed the previous cursor")
	}
}

func TestDiffDeletedAfterTwoMisses(t *testing.T) {
	c, _ := step(nil, t0, DiffOptions{}, job(1, "Running"), job(2, "Running"))
	c, evs := step(c, t0.Add(time.Minute), DiffOptions{}, job(2, "Running"))
	if len(evs) != 0 {
		t.Fatalf("first miss: %v", brief(evs))
	}
	c, evs = step(c, t0.Add(2*time.Minute), DiffOptions{}, job(2, "Running"))
	want := []ev{{EventDeleted, 1, "Running", "Running"}}
	if diff := cmp.Diff(want, brief(evs)); diff != "" {
		t.Errorf("second miss (-want +got):\n%s", diff)
	}
	if c.Open["training/1"] != nil {
		t.Error("deleted job still tracked")
	}
	// A job that reappears after one miss is not deleted.
	c, _ = step(c, t0.Add(3*time.Minute), DiffOptions{})
	c, evs = step(c, t0.Add(4*time.Minute), DiffOptions{}, job(2, "Running"))
	if len(evs) != 0 || c.Open["training/2"].Missing != 0 {
		t.Errorf("reappeared job: events %v missing %d", brief(evs), c.Open["training/2"].Missing)
	}
}

func TestDiffGoneFarJobIsDeletedAtOnce(t *testing.T) {
	c, _ := step(nil, t0, DiffOptions{}, job(1, "Running"))
	c.Open["training/1"].Far = true
	p := c.Plan(api.KindTraining, t0.Add(time.Minute))
	if len(p.Far) != 1 {
		t.Fatalf("plan = %+v, want job 1 as far", p)
	}
	_, evs := Diff(c, Fetched{Kind: api.KindTraining, Plan: p, Gone: p.Far}, tenant, DiffOptions{}, t0.Add(time.Minute))
	if diff := cmp.Diff([]ev{{EventDeleted, 1, "Running", "Running"}}, brief(evs)); diff != "" {
		t.Error(diff)
	}
}

func TestDiffTroubleOnlyOnce(t *testing.T) {
	c, _ := step(nil, t0, DiffOptions{}, job(1, "Running"))
	var all []Event
	for i, st := range []string{"OOMKilled", "Running", "Error", "Running", "Completed"} {
		var evs []Event
		c, evs = step(c, t0.Add(time.Duration(i+1)*time.Minute), DiffOptions{}, job(1, st))
		all = append(all, evs...)
	}
	want := []ev{{EventTrouble, 1, "Running", "OOMKilled"}, {EventCompleted, 1, "Running", "Completed"}}
	if diff := cmp.Diff(want, brief(all)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiffTimeAlertsOnce(t *testing.T) {
	o := DiffOptions{StuckPendingAfter: 30 * time.Minute, LongRunningAfter: 2 * time.Hour}
	pending, running := job(1, "Pending"), job(2, "Running")
	pending.CreatedAt, running.CreatedAt = t0, t0
	c, _ := step(nil, t0, o, pending, running)
	var got []ev
	for _, after := range []time.Duration{29 * time.Minute, 31 * time.Minute, time.Hour, 3 * time.Hour, 4 * time.Hour} {
		var evs []Event
		c, evs = step(c, t0.Add(after), o, pending, running)
		got = append(got, brief(evs)...)
	}
	want := []ev{{EventStuckPending, 1, "Pending", "Pending"}, {EventLongRunning, 2, "Running", "Running"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiffServerResyncReportsEndingOnce(t *testing.T) {
	c, _ := step(nil, t0, DiffOptions{}, job(1, "Running"), job(2, "Running"))
	var got []ev
	for i, st := range []string{"Completed", "Running", "Completed", "Completed"} {
		var evs []Event
		c, evs = step(c, t0.Add(time.Duration(i+1)*time.Minute), DiffOptions{}, job(1, st), job(2, "Running"))
		got = append(got, brief(evs)...)
	}
	want := []ev{{EventCompleted, 1, "Running", "Completed"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// detail is a job as a detail request returns it.
func detail(j api.Job) api.Job {
	j.Detailed = true
	return j
}

// stepFar runs one pass where the range rows are listed and the far jobs
// planned are answered from details.
func stepFar(c *KindCursor, now time.Time, o DiffOptions, details map[int64]api.Job, listed ...api.Job) (*KindCursor, []Event) {
	p := c.Plan(api.KindTraining, now)
	var inRange, far []api.Job
	for _, j := range rows(listed...) {
		if p.Full || j.ID >= p.RangeFrom {
			inRange = append(inRange, j)
		}
	}
	for _, r := range p.Far {
		far = append(far, detail(details[r.ID]))
	}
	return Diff(c, Fetched{Kind: api.KindTraining, Plan: p, Range: inRange, Far: far}, tenant, o, now)
}

func TestDiffFarJobsEveryPassWhateverTheOrder(t *testing.T) {
	// Job 1 runs for days while 200 short jobs come and go after it; it is
	// a favourite, so the server lists it first.
	listed := []api.Job{job(1, "Running")}
	for id := int64(2); id <= 201; id++ {
		listed = append(listed, job(id, "Completed"))
	}
	favFirst := append([]api.Job{listed[0]}, rows(listed[1:]...)...)
	c, _ := Diff(nil, Fetched{Kind: api.KindTraining, Plan: Plan{Full: true}, Range: favFirst}, tenant, DiffOptions{}, t0)
	tr := c.Open["training/1"]
	if !tr.Far || tr.Behind != 200 {
		t.Fatalf("job 1: far %v behind %d, want far with 200 ids above it", tr.Far, tr.Behind)
	}
	now := t0
	for i := range 3 {
		now = now.Add(time.Minute)
		p := c.Plan(api.KindTraining, now)
		if p.RangeFrom != 202 || len(p.Far) != 1 || p.Far[0].ID != 1 {
			t.Fatalf("pass %d: plan = %+v, want range from 202 and job 1 read by detail", i, p)
		}
		var evs []Event
		c, evs = stepFar(c, now, DiffOptions{}, map[int64]api.Job{1: job(1, "Running")})
		if len(evs) != 0 {
			t.Fatalf("pass %d: events %v", i, brief(evs))
		}
	}
	done := job(1, "Completed")
	done.CompletedAt = now
	_, evs := stepFar(c, now.Add(time.Minute), DiffOptions{}, map[int64]api.Job{1: done})
	if diff := cmp.Diff([]ev{{EventCompleted, 1, "Running", "Completed"}}, brief(evs)); diff != "" {
		t.Error(diff)
	}
}

func TestDiffNearJobCountsIdsAboveNotPlace(t *testing.T) {
	// Favourite job 1 listed first, with 3 newer jobs: near, and the range
	// reaches back to it.
	c, _ := Diff(nil, Fetched{Kind: api.KindTraining, Plan: Plan{Full: true},
		Range: []api.Job{job(1, "Running"), job(4, "Completed"), job(3, "Completed"), job(2, "Completed")}}, tenant, DiffOptions{}, t0)
	if tr := c.Open["training/1"]; tr.Far || tr.Behind != 3 {
		t.Fatalf("job 1: far %v behind %d, want near with 3 above", tr.Far, tr.Behind)
	}
	if p := c.Plan(api.KindTraining, t0); p.RangeFrom != 1 || len(p.Far) != 0 {
		t.Errorf("plan = %+v", p)
	}
}

func TestDiffConfirmsNoneOfANewJob(t *testing.T) {
	young := func(id int64, status string) api.Job {
		j := job(id, status)
		j.CreatedAt = t0.Add(-30 * time.Second)
		return j
	}
	c, _ := step(nil, t0.Add(-2*time.Minute), DiffOptions{}, job(1, "Completed"))
	// First read: None, 30 s after creation. Not reported; re-read next pass.
	c, evs := step(c, t0, DiffOptions{}, job(1, "Completed"), young(2, "None"))
	if len(evs) != 0 {
		t.Fatalf("None of a new job reported at once: %v", brief(evs))
	}
	p := c.Plan(api.KindTraining, t0.Add(time.Minute))
	if len(p.Far) != 1 || p.Far[0].ID != 2 || p.RangeFrom != 3 {
		t.Fatalf("plan = %+v, want job 2 re-read by detail and the range after it", p)
	}
	tests := []struct {
		name   string
		second string
		want   []ev
	}{
		{"comes back running: its start is reported", "Running", []ev{{EventStarted, 2, "", "Running"}}},
		{"comes back pending: nothing yet", "Pending", nil},
		{"still none: the failure is reported", "None", []ev{{EventFailed, 2, "", "None"}}},
		{"completed meanwhile", "Completed", []ev{{EventCompleted, 2, "", "Completed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, evs := stepFar(c, t0.Add(time.Minute), DiffOptions{}, map[int64]api.Job{2: young(2, tt.second)}, job(1, "Completed"))
			if diff := cmp.Diff(tt.want, brief(evs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Running, then Completed: one start, one completion, no failure.
	c, _ = stepFar(c, t0.Add(time.Minute), DiffOptions{}, map[int64]api.Job{2: young(2, "Running")}, job(1, "Completed"))
	_, evs = step(c, t0.Add(2*time.Minute), DiffOptions{}, job(1, "Completed"), young(2, "Completed"))
	if diff := cmp.Diff([]ev{{EventCompleted, 2, "Running", "Completed"}}, brief(evs)); diff != "" {
		t.Errorf("ending after the confirmation (-want +got):\n%s", diff)
	}
}

func TestDiffConfirmsAClosedStatusStraightAfterRunning(t *testing.T) {
	c, _ := step(nil, t0, DiffOptions{}, job(1, "Running"))
	c, evs := step(c, t0.Add(time.Minute), DiffOptions{}, job(1, "None"))
	if len(evs) != 0 || c.Open["training/1"].Confirm != "None" {
		t.Fatalf("events %v, confirm %q", brief(evs), c.Open["training/1"].Confirm)
	}
	// The detail says Running: not an event, and no start either.
	c2, evs := stepFar(c, t0.Add(2*time.Minute), DiffOptions{}, map[int64]api.Job{1: job(1, "Running")}, job(1, "Running"))
	if len(evs) != 0 || c2.Open["training/1"].Confirm != "" {
		t.Fatalf("came back running: events %v", brief(evs))
	}
	// The detail says Failed: reported once.
	_, evs = stepFar(c, t0.Add(2*time.Minute), DiffOptions{}, map[int64]api.Job{1: job(1, "Failed")}, job(1, "Failed"))
	if diff := cmp.Diff([]ev{{EventFailed, 1, "Running", "Failed"}}, brief(evs)); diff != "" {
		t.Error(diff)
	}
	// A detail with a completion time is reported at once.
	done := detail(job(1, "Failed"))
	done.CompletedAt = t0.Add(time.Minute)
	_, evs = Diff(c2, Fetched{Kind: api.KindTraining, Plan: c2.Plan(api.KindTraining, t0), Far: []api.Job{done},
		Range: []api.Job{done}}, tenant, DiffOptions{}, t0.Add(3*time.Minute))
	if diff := cmp.Diff([]ev{{EventFailed, 1, "Running", "Failed"}}, brief(evs)); diff != "" {
		t.Error(diff)
	}
}

// TestDiffHeldEndingOfAJobGoneIsReported: a closed status held for its
// confirming read, and the job deleted before that read (404): the ending
// read is reported, not a deletion, and not nothing.
func TestDiffHeldEndingOfAJobGoneIsReported(t *testing.T) {
	gone := func(c *KindCursor, now time.Time, id int64) []Event {
		p := c.Plan(api.KindTraining, now)
		_, evs := Diff(c, Fetched{Kind: api.KindTraining, Plan: p, Gone: []Ref{{ID: id}}}, tenant, DiffOptions{}, now)
		return evs
	}
	c, _ := step(nil, t0, DiffOptions{}, job(1, "Running"))
	c, _ = step(c, t0.Add(time.Minute), DiffOptions{}, job(1, "Failed"))
	if diff := cmp.Diff([]ev{{EventFailed, 1, "Running", "Failed"}}, brief(gone(c, t0.Add(2*time.Minute), 1))); diff != "" {
		t.Errorf("seen running (-want +got):\n%s", diff)
	}
	young := job(2, "None")
	young.CreatedAt = t0.Add(-30 * time.Second)
	c, _ = step(nil, t0.Add(-2*time.Minute), DiffOptions{}, job(1, "Completed"))
	c, _ = step(c, t0, DiffOptions{}, job(1, "Completed"), young)
	if diff := cmp.Diff([]ev{{EventFailed, 2, "", "None"}}, brief(gone(c, t0.Add(time.Minute), 2))); diff != "" {
		t.Errorf("never seen open (-want +got):\n%s", diff)
	}
}

func TestDiffSucceededIsReportedOnce(t *testing.T) {
	c, _ := step(nil, t0, DiffOptions{}, job(1, "Running"), job(2, "Running"))
	var got []Event
	for i, st := range []string{"Succeeded", "Succeeded", "Succeeded", "None", "Completed"} {
		var evs []Event
		now := t0.Add(time.Duration(i+1) * time.Minute)
		c, evs = stepFar(c, now, DiffOptions{}, map[int64]api.Job{1: job(1, st)}, job(1, st), job(2, "Running"))
		got = append(got, evs...)
	}
	if diff := cmp.Diff([]ev{{EventCompleted, 1, "Running", "Succeeded"}}, brief(got)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if !got[0].Unmarked() {
		t.Error("a Succeeded ending is not marked as one KAMONOHASHI did not record")
	}
}

func TestDiffUnknownAlertsOnceFromWhenItBecameUnknown(t *testing.T) {
	o := DiffOptions{StuckPendingAfter: 30 * time.Minute}
	c, _ := step(nil, t0, o, job(1, "Running")) // created an hour before t0
	var got []ev
	for _, tt := range []struct {
		after  time.Duration
		status string
	}{{time.Minute, "Unknown"}, {30 * time.Minute, "Unknown"}, {32 * time.Minute, "Unknown"}, {2 * time.Hour, "Unknown"}} {
		var evs []Event
		c, evs = step(c, t0.Add(tt.after), o, job(1, tt.status))
		got = append(got, brief(evs)...)
	}
	want := []ev{{EventStateUnknown, 1, "Unknown", "Unknown"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiffErrorThenClosedIsAFailure(t *testing.T) {
	c, _ := step(nil, t0, DiffOptions{}, job(1, "Running"), job(2, "Running"))
	c, evs := step(c, t0.Add(time.Minute), DiffOptions{}, job(1, "Error"), job(2, "Error"))
	if len(evs) != 2 || evs[0].Type != EventTrouble {
		t.Fatalf("error while alive: %v", brief(evs))
	}
	_, evs = step(c, t0.Add(2*time.Minute), DiffOptions{}, job(1, "Killed"), job(2, "UserCanceled"))
	want := []ev{{EventFailed, 1, "Error", "Killed"}, {EventCanceled, 2, "Error", "UserCanceled"}}
	if diff := cmp.Diff(want, brief(evs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiffNotebookRerunIsANewRun(t *testing.T) {
	nb := func(id int64, status string) api.Job {
		j := job(id, status)
		j.Kind = api.KindNotebook
		return j
	}
	pass := func(c *KindCursor, now time.Time, reopened []api.Job, listed ...api.Job) (*KindCursor, []Event) {
		p := c.Plan(api.KindNotebook, now)
		var inRange, far []api.Job
		for _, j := range listed {
			if p.Full || j.ID >= p.RangeFrom {
				inRange = append(inRange, j)
			}
		}
		for _, r := range p.Far {
			for _, j := range append(slices.Clone(listed), reopened...) {
				if j.ID == r.ID {
					j = detail(j)
					if api.StatusPhase(j.Status) == api.PhaseClosed {
						j.CompletedAt = now // an exit sets it
					}
					far = append(far, j)
				}
			}
		}
		if !p.Full && p.Reopen != ReopenFilter {
			t.Fatalf("notebook plan without the reopen list: %+v", p)
		}
		return Diff(c, Fetched{Kind: api.KindNotebook, Plan: p, Range: inRange, Reopened: reopened, Far: far}, tenant, DiffOptions{}, now)
	}
	var history []api.Job
	history = append(history, nb(5, "Running"))
	for id := int64(6); id <= 500; id++ {
		history = append(history, nb(id, "Killed"))
	}
	c, _ := pass(nil, t0, nil, history...)
	var got []ev
	step := func(i int, reopened []api.Job, status string) {
		history[0] = nb(5, status)
		var evs []Event
		c, evs = pass(c, t0.Add(time.Duration(i)*time.Minute), reopened, history...)
		got = append(got, brief(evs)...)
	}
	step(1, []api.Job{nb(5, "Running")}, "Running")
	step(2, nil, "Killed")                          // ends: reported
	step(3, nil, "Killed")                          // nothing
	step(4, []api.Job{nb(5, "Running")}, "Running") // rerun, found by the reopen list
	if p := c.Plan(api.KindNotebook, t0.Add(5*time.Minute)); p.RangeFrom != 501 || len(p.Far) != 1 {
		t.Errorf("plan after the rerun = %+v: the reopened notebook must not widen the range", p)
	}
	step(5, nil, "Killed") // ends again: reported again
	want := []ev{{EventKilled, 5, "Running", "Killed"}, {EventStarted, 5, "Killed", "Running"}, {EventKilled, 5, "Running", "Killed"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiffPreprocessing(t *testing.T) {
	h := func(def, data, hid int64, status string) api.Job {
		return api.Job{Kind: api.KindPreprocessing, ParentID: def, ID: data, HistoryID: hid, Name: "prep", Status: status,
			CreatedAt: t0.Add(-time.Hour)}
	}
	f := Fetched{Kind: api.KindPreprocessing, Plan: Plan{Full: true}, NewDefs: []int64{1, 2}, MaxDefID: 2,
		Range: []api.Job{h(1, 10, 100, "Completed"), h(1, 11, 101, "Running"), h(2, 10, 102, "Completed")}}
	c, evs := Diff(nil, f, tenant, DiffOptions{}, t0)
	if len(evs) != 0 || len(c.Open) != 1 || len(c.Defs) != 2 {
		t.Fatalf("baseline: events %v open %d defs %d", brief(evs), len(c.Open), len(c.Defs))
	}
	// Both definitions were active an hour ago: read every pass.
	now := t0.Add(time.Minute)
	p := c.Plan(api.KindPreprocessing, now)
	if p.RangeFrom != 3 || !slices.Equal(p.Defs, []int64{1, 2}) || len(p.Far) != 0 {
		t.Fatalf("plan = %+v, want range from 3, defs [1 2], nothing far", p)
	}
	// Run 101 failed (its end time unknown, so confirmed first); data 10 of
	// definition 2 was deleted and run again: history 103 is a new run.
	f = Fetched{Kind: api.KindPreprocessing, Plan: p,
		Range: []api.Job{h(1, 10, 100, "Completed"), h(1, 11, 101, "Failed"), h(2, 10, 103, "Completed")}}
	c, evs = Diff(c, f, tenant, DiffOptions{}, now)
	if diff := cmp.Diff([]ev{{EventCompleted, 10, "", "Completed"}}, brief(evs)); diff != "" {
		t.Errorf("rerun on the same data (-want +got):\n%s", diff)
	}
	now = now.Add(time.Minute)
	p = c.Plan(api.KindPreprocessing, now)
	if len(p.Far) != 1 || p.Far[0] != (Ref{ID: 11, ParentID: 1}) {
		t.Fatalf("plan = %+v, want run 1/11 re-read by detail", p)
	}
	f = Fetched{Kind: api.KindPreprocessing, Plan: p, Far: []api.Job{detail(h(1, 11, 101, "Failed"))},
		Range: []api.Job{h(1, 10, 100, "Completed"), h(1, 11, 101, "Failed"), h(2, 10, 103, "Completed")}}
	c, evs = Diff(c, f, tenant, DiffOptions{}, now)
	if diff := cmp.Diff([]ev{{EventFailed, 11, "Running", "Failed"}}, brief(evs)); diff != "" {
		t.Errorf("confirmed failure (-want +got):\n%s", diff)
	}
	// An open run replaced by a rerun on the same data: the old one is
	// gone, the new one is new.
	c.Open["preprocessing/1/12"] = &Tracked{ID: 12, ParentID: 1, HistoryID: 104, Status: "Running", Name: "prep"}
	f = Fetched{Kind: api.KindPreprocessing, Plan: c.Plan(api.KindPreprocessing, now),
		Range: []api.Job{h(1, 12, 105, "Running")}}
	_, evs = Diff(c, f, tenant, DiffOptions{}, now.Add(time.Minute))
	want := []ev{{EventDeleted, 12, "Running", "Running"}, {EventStarted, 12, "", "Running"}}
	if diff := cmp.Diff(want, brief(evs)); diff != "" {
		t.Errorf("open run replaced (-want +got):\n%s", diff)
	}
}

func TestDiffPreprocessingLegacyKnown(t *testing.T) {
	c := &KindCursor{Baselined: true, MaxID: 1, Open: map[string]*Tracked{},
		Defs: map[int64]*DefCursor{1: {Known: []int64{10}, LastActivity: t0.Add(-time.Hour)}}}
	run := api.Job{Kind: api.KindPreprocessing, ParentID: 1, ID: 10, HistoryID: 7, Status: "Completed", CreatedAt: t0.Add(-time.Hour)}
	f := Fetched{Kind: api.KindPreprocessing, Plan: c.Plan(api.KindPreprocessing, t0), Range: []api.Job{run}}
	c, evs := Diff(c, f, tenant, DiffOptions{}, t0)
	if len(evs) != 0 || c.Defs[1].Runs[10] != 7 {
		t.Fatalf("a run known by data id: events %v runs %v", brief(evs), c.Defs[1].Runs)
	}
}

func TestPlanIdleDefinitionsEveryOtherPass(t *testing.T) {
	c := &KindCursor{Baselined: true, MaxID: 4, Open: map[string]*Tracked{
		"preprocessing/3/1": {ID: 1, ParentID: 3, Status: "Running"},
	}, Defs: map[int64]*DefCursor{
		1: {LastActivity: t0.Add(-time.Hour)},      // active
		2: {LastActivity: t0.Add(-48 * time.Hour)}, // idle
		3: {LastActivity: t0.Add(-48 * time.Hour)}, // idle but a run is open
		4: {LastActivity: t0.Add(-48 * time.Hour)}, // idle
	}}
	seen := map[int64]int{}
	for pass := range 4 {
		c.Passes = int64(pass)
		for _, id := range c.Plan(api.KindPreprocessing, t0).Defs {
			seen[id]++
		}
	}
	if want := map[int64]int{1: 4, 2: 2, 3: 4, 4: 2}; !maps.Equal(seen, want) {
		t.Errorf("reads in 4 passes = %v, want %v", seen, want)
	}
}
