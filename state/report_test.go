package state

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
)

func sampleRun(i int) RunRecord {
	created := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	j := api.Job{Kind: api.KindTraining, ID: int64(12000 + i), DisplayID: int64(340 + i), Name: "resnet50-sweep-lr0.01",
		CreatedBy: "tanaka.taro", CreatedAt: created, StartedAt: created.Add(12 * time.Minute),
		CompletedAt: created.Add(3 * time.Hour), GPU: 4}
	return NewRunRecord(3, j, "Completed", created.Add(3*time.Hour))
}

// TestRunRecordSize measures what one ended run costs in the state file:
// a typical record (a 21-character name, an 11-character owner) is 162
// bytes, so 35 days of 500 runs a day is under 3 MB.
func TestRunRecordSize(t *testing.T) {
	b, err := json.Marshal(sampleRun(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one run record: %d bytes: %s", len(b), b)
	if len(b) > 180 {
		t.Fatalf("a run record takes %d bytes, want at most 180", len(b))
	}
	r := sampleRun(1)
	if r.Wait != 12*60 || r.RunTime() != 2*time.Hour+48*time.Minute || r.GPUHours() != 4*2.8 {
		t.Fatalf("wait %d, run time %s, GPU-hours %v", r.Wait, r.RunTime(), r.GPUHours())
	}
}

// TestReportStateWithoutSchemaBump: a schema 2 file written before the
// report existed reads with no runs; runs and posted weeks survive a save
// and a load; a run recorded twice is kept once; pruning drops the old.
func TestReportStateWithoutSchemaBump(t *testing.T) {
	old := []byte(`{"version": 2, "tenants": {}, "outbox": [], "day": {}, "next_seq": 4}`)
	st, err := Decode(old)
	if err != nil {
		t.Fatalf("a schema 2 file without report: %v", err)
	}
	if len(st.Report.Runs) != 0 || st.ReportPosted(1) != "" || st.NextSeq != 4 {
		t.Fatalf("read %+v", st.Report)
	}
	for i := range 3 {
		st.RecordRun(sampleRun(i))
	}
	st.RecordRun(sampleRun(1)) // the same run again
	st.MarkReportPosted(3, "2026-11-30")
	s, err := Open(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	var head struct{ Version int }
	if err := json.Unmarshal(raw, &head); err != nil || head.Version != Version {
		t.Fatalf("saved schema %d (%v), want %d", head.Version, err, Version)
	}
	got, _, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Report.Runs) != 3 || got.ReportPosted(3) != "2026-11-30" {
		t.Fatalf("loaded %d runs, posted %q", len(got.Report.Runs), got.ReportPosted(3))
	}
	for i := 1; i < len(got.Report.Runs); i++ {
		if got.Report.Runs[i].Ended < got.Report.Runs[i-1].Ended {
			t.Fatal("runs not kept in order of ending")
		}
	}
	if n := got.PruneRuns(sampleRun(1).EndedAt()); n != 1 || len(got.Report.Runs) != 2 {
		t.Fatalf("pruned %d, %d left; want 1 and 2", n, len(got.Report.Runs))
	}
}
