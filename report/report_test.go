package report

import (
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/state"
)

// TestBuild: GPU-hours by user by hand, the period boundaries (a run that
// ends at the very end is in it, one that ends at the very start is in the
// period before), the change from the period before, the top lists.
func TestBuild(t *testing.T) {
	loc := time.FixedZone("JST", 9*3600)
	to := time.Date(2026, 11, 30, 9, 0, 0, 0, loc)
	from := to.AddDate(0, 0, -7)
	run := func(tenant int64, owner string, gpu int, started time.Time, wait, ran time.Duration, status string) state.RunRecord {
		j := api.Job{Kind: api.KindTraining, ID: 1, Name: owner, CreatedBy: owner, GPU: gpu,
			CreatedAt: started.Add(-wait), StartedAt: started, CompletedAt: started.Add(ran)}
		return state.NewRunRecord(tenant, j, status, started.Add(ran))
	}
	runs := []state.RunRecord{
		run(1, "alice", 4, to.Add(-2*time.Hour), 10*time.Minute, 2*time.Hour, "Completed"), // 8 GPU-h, ends at `to`
		run(1, "alice", 1, from.Add(time.Hour), time.Hour, 30*time.Minute, "Failed"),       // 0.5
		run(1, "bob", 2, from.Add(24*time.Hour), 3*time.Hour, 90*time.Minute, "Completed"), // 3
		run(1, "bob", 8, from.Add(-time.Hour), 0, time.Hour, "Completed"),                  // ends at `from`: before
		run(1, "carol", 2, from.AddDate(0, 0, -3), 0, 5*time.Hour, "Killed"),               // before: 10
		run(2, "dave", 8, from.Add(48*time.Hour), 0, 10*time.Hour, "Completed"),            // another tenant
		run(1, "eve", 2, to.Add(time.Minute), 0, time.Hour, "Completed"),                   // after the period
	}
	r := Build(runs, Tenant{ID: 1, Name: "vision", Label: "Vision"}, from, to, loc)
	if r.Runs != 3 || r.GPUHours != 11.5 {
		t.Fatalf("%d runs, %v GPU-hours; want 3 and 11.5", r.Runs, r.GPUHours)
	}
	want := []UserGPU{{"alice", 2, 8.5}, {"bob", 1, 3}}
	if len(r.ByUser) != 2 || r.ByUser[0] != want[0] || r.ByUser[1] != want[1] {
		t.Fatalf("by user %+v, want %+v", r.ByUser, want)
	}
	if r.Previous.Runs != 2 || r.Previous.GPUHours != 18 || r.Previous.RunsChange != 1 || r.Previous.GPUHoursChange != -6.5 {
		t.Fatalf("previous %+v", r.Previous)
	}
	if r.Waits[0].Owner != "bob" || r.Waits[0].Wait != 3*3600 || r.Costly[0].GPUHours != 8 || len(r.Costly) != 3 {
		t.Fatalf("waits %+v, costly %+v", r.Waits, r.Costly)
	}
	if r.ByStatus[0] != (Count{"Completed", 2}) || r.Zone != "JST" {
		t.Fatalf("by status %+v, zone %q", r.ByStatus, r.Zone)
	}
}
