package engine_test

import (
	"testing"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

// A quiet pass (nothing to send) writes the state once, at its end; a
// pass that queues a message writes the outbox before sending it, then
// once the message is marked sent, then at its end.
func TestQuietPassSavesOnce(t *testing.T) {
	w := newWorld(t, nil, quietConfig)
	id := w.add("vision", api.KindTraining, "resnet", "Running")
	saves := 0
	w.pass.Store.BeforeRename = func() error { saves++; return nil }
	for i := range 3 { // the baseline, then quiet passes
		saves = 0
		if _, err := w.run(); err != nil {
			t.Fatal(err)
		}
		if saves != 1 {
			t.Errorf("quiet pass %d: %d state writes, want 1", i, saves)
		}
	}
	if err := w.kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
		t.Fatal(err)
	}
	saves = 0
	rep, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 1 || saves != 3 {
		t.Errorf("a pass sending one message: sent %d, %d state writes, want 1 and 3", rep.Sent, saves)
	}
}
