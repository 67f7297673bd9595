package notify_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kamobot/kamobot/notify"
)

// TestTierPacer: each method is paced by its tier for the workspace, a
// burst first, then the tier's rate; methods do not wait for each other;
// a Retry-After holds its method alone. On synctest's clock: no real
// sleep.
func TestTierPacer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := notify.NewTierPacer(nil, nil)
		ctx := t.Context()
		start := time.Now()
		// elapsed makes n calls of method and returns when the last went.
		calls := func(method string, n int) time.Duration {
			t0 := time.Now()
			for range n {
				if err := p.Wait(ctx, method); err != nil {
					t.Fatal(err)
				}
			}
			return time.Since(t0)
		}
		// chat.update, tier 3 (50 a minute): 5 at once, then one each 1.2 s.
		if d := calls("chat.update", 5); d != 0 {
			t.Errorf("the tier 3 burst waited %v", d)
		}
		if d := calls("chat.update", 10); d != 12*time.Second {
			t.Errorf("10 more chat.update took %v, want 12s (50 a minute)", d)
		}
		// pins.add, tier 2 (20 a minute): 3 at once, then one each 3 s;
		// not held back by chat.update's use.
		if d := calls("pins.add", 3); d != 0 {
			t.Errorf("the tier 2 burst waited %v", d)
		}
		if d := calls("pins.add", 2); d != 6*time.Second {
			t.Errorf("2 more pins.add took %v, want 6s (20 a minute)", d)
		}
		// auth.test, tier 4 (100 a minute): 10 at once, then 0.6 s each.
		if d := calls("auth.test", 11); d != 600*time.Millisecond {
			t.Errorf("11 auth.test took %v", d)
		}
		// conversations.info is tier 3.
		if tr, ok := notify.MethodTier("conversations.info"); !ok || tr != notify.Tier3 {
			t.Errorf("conversations.info: %v %v", tr, ok)
		}
		if _, ok := notify.MethodTier("chat.postMessage"); ok {
			t.Error("chat.postMessage has a limit of its own, per channel, not a tier")
		}

		// Retry-After: chat.update is held 30 s, the others are not.
		time.Sleep(time.Minute) // every bucket full again
		p.Hold("chat.update", 30*time.Second)
		var wg sync.WaitGroup
		var upd, pin time.Duration
		wg.Go(func() { upd = calls("chat.update", 1) })
		wg.Go(func() { pin = calls("pins.add", 1) })
		wg.Wait()
		if upd != 30*time.Second || pin != 0 {
			t.Errorf("after Retry-After 30s on chat.update: update waited %v, pin %v", upd, pin)
		}
		// A stopped caller stops waiting.
		p.Hold("pins.add", time.Hour)
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := p.Wait(cctx, "pins.add"); err == nil {
			t.Error("Wait outlived its context")
		}
		t.Logf("all of it took %v on the bubble's clock", time.Since(start))
	})
}
