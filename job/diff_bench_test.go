package job

import (
	"fmt"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
)

// BenchmarkDiff diffs a range listing of 10,000 training jobs (200 of them
// open) against a cursor that tracks them: the cost of one tenant's
// baseline-sized listing in a steady pass.
func BenchmarkDiff(b *testing.B) {
	const n = 10_000
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	rows := make([]api.Job, n)
	for i := range rows {
		st := "Completed"
		if i%50 == 0 {
			st = "Running"
		}
		rows[i] = api.Job{Kind: api.KindTraining, ID: int64(n - i), Name: fmt.Sprintf("job-%d", n-i),
			Status: st, CreatedBy: "alice", CreatedAt: now.Add(-time.Duration(i) * time.Minute)}
	}
	prev, _ := Diff(nil, Fetched{Kind: api.KindTraining, Plan: Plan{Full: true}, Range: rows},
		TenantRef{ID: 1, Name: "t"}, DiffOptions{}, now)
	p := prev.Plan(api.KindTraining, now.Add(30*time.Second))
	f := Fetched{Kind: api.KindTraining, Plan: Plan{Full: true, Far: p.Far}, Range: rows}
	b.ReportAllocs()
	for b.Loop() {
		Diff(prev, f, TenantRef{ID: 1, Name: "t"}, DiffOptions{}, now.Add(30*time.Second))
	}
}
