package engine_test

import (
	"strings"
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

// A preprocessing run's detail (histories/{dataId}) is its list row and
// the ids of its output data (PreprocessingController.cs GetDetailHistory,
// HistoryDetailsOutputModel.cs): its events are not read again in detail.
func TestPreprocessingEventsNeedNoDetail(t *testing.T) {
	w := newWorld(t, nil, quietConfig)
	var ids []int64
	for _, name := range []string{"resize", "crop", "tokenize"} {
		ids = append(ids, w.add("vision", api.KindPreprocessing, name, "Running"))
	}
	w.add("nlp", api.KindTraining, "bert", "Running")
	if _, err := w.run(); err != nil { // the baseline
		t.Fatal(err)
	}
	w.kqi.ResetStats()
	for i, status := range []string{"Completed", "Killed", "UserCanceled"} {
		if err := w.kqi.SetStatus(api.KindPreprocessing, ids[i], kqifake.StatusUpdate{Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 3 {
		t.Fatalf("%d events, want the 3 endings", rep.Events)
	}
	st := w.kqi.Stats()
	if n := st.ByPath["GET /api/v2/preprocessings/{id}/histories/{dataId}"]; n != 0 {
		t.Errorf("%d preprocessing detail requests, want 0 (%d detail requests in all)", n, st.DetailRequests)
	}
	got := ""
	for _, m := range w.slack.Messages() {
		got += m.Readable
	}
	for _, name := range []string{"resize", "crop", "tokenize"} {
		if !strings.Contains(got, name) {
			t.Errorf("no message names the run of %s:\n%s", name, got)
		}
	}
}
