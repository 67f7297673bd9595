package clock

import (
	"sync"
	"testing"
	"time"
)

func TestManual(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	c := NewManual(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Add(time.Minute); _ = c.Now() })
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(10*time.Minute); !got.Equal(want) {
		t.Fatalf("after 10 concurrent Add(1m): %v, want %v", got, want)
	}
	c.Add(-time.Hour)
	if got, want := c.Now(), start.Add(-50*time.Minute); !got.Equal(want) {
		t.Fatalf("after Add(-1h): %v, want %v", got, want)
	}
}
