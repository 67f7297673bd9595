package commands

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// goEach starts no more goroutines than the limiter has slots, runs every
// task, and gives the tasks it could not start the context's error.
func TestLimiterGoEach(t *testing.T) {
	lim := newLimiter(3)
	var running, most atomic.Int32
	errBoom := errors.New("boom")
	errs := lim.goEach(t.Context(), 50, func(i int) error {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Millisecond)
		if i == 7 {
			return errBoom
		}
		return nil
	})
	if got := most.Load(); got > 3 || got < 2 {
		t.Errorf("at most %d tasks ran at once; want 3 (2 on a slow machine)", got)
	}
	for i, err := range errs {
		if want := map[bool]error{true: errBoom}[i == 7]; !errors.Is(err, want) {
			t.Errorf("task %d: error %v, want %v", i, err, want)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	var started atomic.Int32
	errs = lim.goEach(ctx, 10, func(i int) error {
		started.Add(1)
		if i == 2 {
			cancel()
		}
		<-ctx.Done()
		return nil
	})
	if n := started.Load(); n > 4 {
		t.Errorf("%d tasks started; want the 3 that filled the slots, and at most one waiting for a slot as the context ended", n)
	}
	canceled := 0
	for _, err := range errs {
		if errors.Is(err, context.Canceled) {
			canceled++
		}
	}
	if canceled+int(started.Load()) != 10 {
		t.Errorf("%d tasks started, %d got the context's error; want all 10 accounted for", started.Load(), canceled)
	}
}
