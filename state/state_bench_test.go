package state

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// Micro-benchmarks of the state package:
//
//	go test ./state -run '^$' -bench . -benchmem

// bigState tracks n open jobs over 50 tenants and 4 kinds, each cursor with
// a full memory of ended jobs.
func bigState(n int) *State {
	st := New()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	kinds := api.AllKinds()
	for i := range n {
		t := st.Tenant(int64(1+i%50), fmt.Sprintf("tenant-%03d", 1+i%50), "")
		k := kinds[(i/50)%len(kinds)]
		c := t.Cursor(k)
		c.Baselined = true
		id := int64(1_000_000 + i)
		var parent int64
		if k == api.KindPreprocessing {
			parent = int64(1 + i%3)
		}
		c.MaxID = max(c.MaxID, id)
		c.Open[api.JobKey(k, parent, id)] = &job.Tracked{ID: id, ParentID: parent, Name: fmt.Sprintf("resnet50-cifar10-%d", i),
			Owner: "alice", Status: "Running", CreatedAt: now.Add(-time.Hour), FirstSeen: now.Add(-time.Hour),
			ChangedAt: now.Add(-time.Hour), StartedAt: now.Add(-time.Hour), Behind: i % 7, Far: i%7 > job.NearRows}
		if len(c.Ended) < job.MaxEnded {
			c.Ended = append(c.Ended, job.EndedJob{Key: api.JobKey(k, parent, id-1), Status: "Completed", At: now})
		}
	}
	return st
}

// BenchmarkStoreSave writes a state tracking 10,000 and 100,000 jobs
// (JSON, fsync, rename, fsync of the directory).
func BenchmarkStoreSave(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("jobs=%d", n), func(b *testing.B) {
			st := bigState(n)
			s, err := Open(filepath.Join(b.TempDir(), "state.json"))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Save(st); err != nil {
					b.Fatal(err)
				}
			}
			reportSize(b, s)
		})
	}
}

// BenchmarkStoreLoad reads that state back.
func BenchmarkStoreLoad(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "state.json"))
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Save(bigState(100_000)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		st, _, err := s.Load()
		if err != nil {
			b.Fatal(err)
		}
		if st.OpenJobs() != 100_000 {
			b.Fatalf("loaded %d open jobs", st.OpenJobs())
		}
	}
	reportSize(b, s)
}

func reportSize(b *testing.B, s *Store) {
	b.Helper()
	st, _, err := s.Load()
	if err != nil {
		b.Fatal(err)
	}
	_ = st
	if fi, err := statFile(s.Path()); err == nil {
		b.ReportMetric(float64(fi)/1e6, "MB-file")
	}
}

func statFile(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
