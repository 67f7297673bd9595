package job

import (
	"testing"
	"time"
)

// TestTrackedSince: a job's start when known, else its creation, else
// when kamobot first saw it.
func TestTrackedSince(t *testing.T) {
	seen := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	created, started := seen.Add(-time.Hour), seen.Add(time.Minute)
	for _, tt := range []struct {
		tr   Tracked
		want time.Time
	}{
		{Tracked{FirstSeen: seen}, seen},
		{Tracked{FirstSeen: seen, CreatedAt: created}, created},
		{Tracked{FirstSeen: seen, CreatedAt: created, StartedAt: started}, started},
	} {
		if got := tt.tr.Since(); !got.Equal(tt.want) {
			t.Errorf("%+v: Since %v, want %v", tt.tr, got, tt.want)
		}
	}
}
