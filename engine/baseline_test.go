package engine_test

import (
	"strings"
	"testing"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

// A watch whose first passes fail records no baseline and says nothing
// about one; the pass that records it says so once, and later passes are
// silent about it.
func TestBaselineLoggedOnceWhenRecorded(t *testing.T) {
	w := newWorld(t, nil, quietConfig)
	w.add("vision", api.KindTraining, "resnet", "Running")
	w.kqi.SetFaults(kqifake.Faults{Status: 503})
	for range 3 {
		if _, err := w.run(); err == nil {
			t.Fatal("a pass against a failing server succeeded")
		}
	}
	if logs := w.logs.String(); strings.Contains(logs, "baseline") {
		t.Fatalf("failed passes speak of a baseline:\n%s", logs)
	}
	w.kqi.ClearFaults()
	for range 3 {
		if _, err := w.run(); err != nil {
			t.Fatal(err)
		}
	}
	logs := w.logs.String()
	if n := strings.Count(logs, "as the baseline"); n != 1 {
		t.Errorf("%d baseline lines, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs, "open_jobs=1") {
		t.Errorf("the baseline line does not count the open job:\n%s", logs)
	}
}
