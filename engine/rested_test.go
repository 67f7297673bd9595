package engine_test

import (
	"testing"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

// With ReadEveryOther (watch under a minute), each kind of a tenant is
// listed every other pass after the first, which reads them all; an
// ending is reported by the second pass after it, whichever pass it falls
// before, and only once.
func TestReadEveryOtherPass(t *testing.T) {
	w := newWorld(t, nil, quietConfig)
	w.pass.ReadEveryOther = true
	jobs := []int64{w.add("vision", api.KindTraining, "a", "Running"), w.add("vision", api.KindTraining, "b", "Running")}
	if _, err := w.run(); err != nil { // the baseline reads every kind
		t.Fatal(err)
	}
	lists := func() int64 { return w.kqi.Stats().ByPath["GET /api/v2/training"] }
	for n, id := range jobs {
		if err := w.kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
			t.Fatal(err)
		}
		before, msgs := lists(), len(w.slack.Messages())
		for range 2 {
			if _, err := w.run(); err != nil {
				t.Fatal(err)
			}
		}
		if got := lists() - before; got != 2 { // vision and nlp, once each in two passes
			t.Errorf("ending %d: %d training lists in two passes over two tenants, want 2", n, got)
		}
		if got := len(w.slack.Messages()) - msgs; got != 1 {
			t.Errorf("ending %d: %d messages in the two passes after it, want 1", n, got)
		}
		if _, err := w.run(); err != nil { // shift the parity for the next ending
			t.Fatal(err)
		}
	}
}
