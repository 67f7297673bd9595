package job

import (
	"fmt"
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
		CreatedBy: "alice", CreatedAt: t0.Add(-time.Minute)}
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
		{"failed, invalid, forbidden and none are failures",
			[]api.Job{job(1, "Completed"), job(2, "Failed"), job(3, "Invalid"), job(4, "Forbidden"), job(5, "None")},
			[]ev{{EventFailed, 2, "Running", "Failed"}, {EventFailed, 3, "Pending", "Invalid"},
				{EventFailed, 4, "", "Forbidden"}, {EventFailed, 5, "", "None"}}},
		{"trouble while alive",
			[]api.Job{job(1, "Completed"), job(2, "OOMKilled"), job(3, "ImagePullBackOff")},
			[]ev{{EventTrouble, 2, "Running", "OOMKilled"}, {EventTrouble, 3, "Pending", "ImagePullBackOff"}}},
		{"status unknown to us is open",
			[]api.Job{job(1, "Completed"), job(2, "Running"), job(3, "ContainerCreating")}, nil},
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
	for i, st := range []string{"OOMKilled", "Running", "CrashLoopBackOff", "Running", "Completed"} {
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
	c, _ := step(nil, t0, o, job(1, "Pending"), job(2, "Running"))
	var got []ev
	for _, after := range []time.Duration{29 * time.Minute, 31 * time.Minute, time.Hour, 3 * time.Hour, 4 * time.Hour} {
		var evs []Event
		c, evs = step(c, t0.Add(after), o, job(1, "Pending"), job(2, "Running"))
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

func TestDiffFarJobs(t *testing.T) {
	// Job 1 runs for days while 100 short jobs come and go after it.
	listed := []api.Job{job(1, "Running")}
	for id := int64(2); id <= 101; id++ {
		listed = append(listed, job(id, "Completed"))
	}
	c, _ := step(nil, t0, DiffOptions{}, listed...)
	tr := c.Open["training/1"]
	if !tr.Far || tr.Behind != 100 {
		t.Fatalf("job 1: far %v behind %d, want far with 100 rows behind", tr.Far, tr.Behind)
	}
	now := t0.Add(time.Minute)
	p := c.Plan(api.KindTraining, now)
	if p.RangeFrom != 102 || len(p.Far) != 1 || p.Far[0].ID != 1 {
		t.Fatalf("plan = %+v, want range from 102 and job 1 read on its own", p)
	}
	far := job(1, "Running")
	far.Detailed = true
	c, evs := Diff(c, Fetched{Kind: api.KindTraining, Plan: p, Far: []api.Job{far}}, tenant, DiffOptions{}, now)
	if len(evs) != 0 {
		t.Fatalf("events: %v", brief(evs))
	}
	// Open for about 2 minutes: re-read again within 6 s; not before.
	if p := c.Plan(api.KindTraining, now.Add(time.Second)); len(p.Far) != 0 {
		t.Errorf("far job due again after 1s: %+v", p)
	}
	if p := c.Plan(api.KindTraining, now.Add(10*time.Second)); len(p.Far) != 1 {
		t.Errorf("far job not due after 10s: %+v", p)
	}
	// Not covered by a range that starts after it: never counted missing.
	for i := range 3 {
		c, evs = step(c, now.Add(time.Duration(i)*time.Second), DiffOptions{})
		if len(evs) != 0 {
			t.Fatalf("far job reported: %v", brief(evs))
		}
	}
	far.Status = "Completed"
	p = c.Plan(api.KindTraining, now.Add(time.Hour))
	_, evs = Diff(c, Fetched{Kind: api.KindTraining, Plan: p, Far: []api.Job{far}}, tenant, DiffOptions{}, now.Add(time.Hour))
	if diff := cmp.Diff([]ev{{EventCompleted, 1, "Running", "Completed"}}, brief(evs)); diff != "" {
		t.Error(diff)
	}
}

func TestFarPeriod(t *testing.T) {
	for _, tt := range []struct{ age, want time.Duration }{
		{0, 0}, {time.Minute, 3 * time.Second}, {time.Hour, 3 * time.Minute}, {7 * 24 * time.Hour, MaxFarPeriod}, {-time.Hour, 0},
	} {
		if got := FarPeriod(tt.age); got != tt.want {
			t.Errorf("FarPeriod(%s) = %s, want %s", tt.age, got, tt.want)
		}
	}
}

func TestDiffPreprocessing(t *testing.T) {
	h := func(def, id int64, status string) api.Job {
		return api.Job{Kind: api.KindPreprocessing, ParentID: def, ID: id, Name: "prep", Status: status, CreatedAt: t0.Add(-time.Hour)}
	}
	f := Fetched{Kind: api.KindPreprocessing, Plan: Plan{Full: true}, NewDefs: []int64{1, 2}, MaxDefID: 2,
		Range: []api.Job{h(1, 10, "Completed"), h(1, 11, "Running"), h(2, 10, "Completed")}}
	c, evs := Diff(nil, f, tenant, DiffOptions{}, t0)
	if len(evs) != 0 || len(c.Open) != 1 || len(c.Defs) != 2 {
		t.Fatalf("baseline: events %v open %d defs %d", brief(evs), len(c.Open), len(c.Defs))
	}
	// Both definitions were last active an hour ago: read again in 3 minutes.
	if p := c.Plan(api.KindPreprocessing, t0.Add(time.Minute)); len(p.Defs) != 0 {
		t.Fatalf("plan defs 1 minute later = %v, want none due", p.Defs)
	}
	now := t0.Add(4 * time.Minute)
	p := c.Plan(api.KindPreprocessing, now)
	if p.RangeFrom != 3 {
		t.Errorf("range from %d, want 3 (new definitions)", p.RangeFrom)
	}
	if len(p.Defs) != 2 || p.Defs[0] != 1 {
		t.Fatalf("plan defs = %v, want [1 2]", p.Defs)
	}
	f = Fetched{Kind: api.KindPreprocessing, Plan: Plan{RangeFrom: 3, Defs: []int64{1, 2}},
		Range: []api.Job{h(1, 10, "Completed"), h(1, 11, "Failed"), h(2, 10, "Completed"), h(2, 12, "Completed")}}
	_, evs = Diff(c, f, tenant, DiffOptions{}, now)
	want := []ev{{EventFailed, 11, "Running", "Failed"}, {EventCompleted, 12, "", "Completed"}}
	if diff := cmp.Diff(want, brief(evs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
