package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// TestStoppedPassLosesNoEnding: a pass stopped while one tenant is still
// being read, after another was diffed, saves nothing of that diff: the
// ending it found is reported by the next pass. (The outbox holds a
// message, so the stopped pass had a reason to save.)
func TestStoppedPassLosesNoEnding(t *testing.T) {
	w := newWorld(t, nil, quietConfig)
	held := w.add("vision", api.KindTraining, "held", "Running")
	ending := w.add("vision", api.KindTraining, "ends-while-stopping", "Running")
	w.add("nlp", api.KindTraining, "slow", "Running")
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	// A message kept in the outbox: Slack answers 503 for now.
	w.slack.Script(slackfake.Fault{Status: 503, Body: "service unavailable", Count: -1})
	if err := w.kqi.SetStatus(api.KindTraining, held, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.run(); err == nil {
		t.Fatal("the pass with Slack down: no error")
	}

	if err := w.kqi.SetStatus(api.KindTraining, ending, kqifake.StatusUpdate{Status: "Completed"}); err != nil {
		t.Fatal(err)
	}
	w.kqi.SetFaults(kqifake.Faults{Latency: 5 * time.Second, Tenant: w.nlp})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	w.now = w.now.Add(30 * time.Second)
	if _, err := w.pass.Run(ctx, engine.Options{}); err == nil {
		t.Fatal("the stopped pass: no error")
	}

	w.kqi.ClearFaults()
	w.slack.ClearFaults()
	if _, err := w.run(); err != nil {
		t.Fatalf("the pass after: %v", err)
	}
	var got string
	for _, m := range w.slack.Messages() {
		got += m.Raw
	}
	for _, name := range []string{"held", "ends-while-stopping"} {
		if !strings.Contains(got, name) {
			t.Errorf("the ending of %q was never reported; Slack got:\n%s", name, got)
		}
	}
}
