package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/kamobot/kamobot/job"
)

// FutureSkew is how far ahead of kamobot's clock a job's time may lie
// before kamobot says the server's zone is wrong: the server writes
// DateTime.Now without an offset, read in kamonohashi.timezone.
const FutureSkew = 5 * time.Minute

// futureTime is the job time furthest in the future seen in a pass.
type futureTime struct {
	by     time.Duration
	tenant string
	job    string
	at     time.Time
}

// scan looks at the times of what a fetch returned.
func (ft *futureTime) scan(tenant string, f job.Fetched, now time.Time) {
	for _, j := range slices.Concat(f.Range, f.Far) {
		for _, t := range []time.Time{j.CreatedAt, j.StartedAt, j.CompletedAt} {
			if d := t.Sub(now); d > ft.by {
				*ft = futureTime{by: d, tenant: tenant, job: j.Key(), at: t}
			}
		}
	}
}

// FutureWarning explains a job time that lies ahead of the clock by d,
// read in loc: the server's zone is likely another.
func FutureWarning(loc *time.Location, d time.Duration) string {
	return fmt.Sprintf("a job's time lies %s in the future when read as %s: the server writes its times "+
		"without an offset, in its own zone; set kamonohashi.timezone to the server's zone "+
		"(e.g. \"Asia/Tokyo\"), or durations and alerts are off by the difference",
		d.Round(time.Minute), loc) // a nil *time.Location is named "UTC"
}
