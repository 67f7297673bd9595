package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// TestPruneThreadsKeepsOpenJobs: a thread is forgotten ThreadKeep after
// its last event, unless its job is still open (a training of weeks keeps
// its thread to its end) or a message in the outbox needs it.
func TestPruneThreadsKeepsOpenJobs(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	old := now.Add(-ThreadKeep - time.Hour)
	st := New()
	ts := st.Tenant(1, "vision", "")
	ts.Kinds = map[api.Kind]*job.KindCursor{api.KindTraining: {Open: map[string]*job.Tracked{"training/7": {ID: 7}}}}
	st.Threads = map[string]*Thread{
		ThreadKey(1, "training/7"):  {Channel: "C1", TS: "1.1", Last: old}, // open for weeks
		ThreadKey(1, "training/8"):  {Channel: "C1", TS: "1.2", Last: old}, // ended long ago
		ThreadKey(1, "training/9"):  {Channel: "C1", TS: "1.3", Last: old}, // a message still needs it
		ThreadKey(1, "training/10"): {Channel: "C1", TS: "1.4", Last: now}, // recent
	}
	st.Outbox = []Message{{Seq: 1, Thread: ThreadKey(1, "training/9")}}
	st.PruneThreads(now)
	for key, want := range map[string]bool{"training/7": true, "training/8": false, "training/9": true, "training/10": true} {
		if _, kept := st.Threads[ThreadKey(1, key)]; kept != want {
			t.Errorf("thread of %s kept %v, want %v", key, kept, want)
		}
	}
}

// TestThreadsMapAlwaysMade: a new or decoded state has a Threads map to
// add to, even from a document without threads or with "threads": null,
// and an empty one is not written.
func TestThreadsMapAlwaysMade(t *testing.T) {
	for name, doc := range map[string]string{
		"none": `{"version":3}`,
		"null": `{"version":3,"threads":null,"tenants":null}`,
		"v1":   `{"version":1}`,
	} {
		st, err := Decode([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Threads == nil || st.Tenants == nil {
			t.Errorf("%s: decoded with a nil map: threads %v, tenants %v", name, st.Threads == nil, st.Tenants == nil)
		}
	}
	s, err := Open(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(New()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(s.Path()); strings.Contains(string(b), "threads") {
		t.Errorf("an empty Threads map is written:\n%s", b)
	}
}
