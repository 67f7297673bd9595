package engine_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/internal/testkit"
)

// BenchmarkFirstPassMemory runs the first pass (the baseline) over 500
// tenants of 2,000 jobs each, 20 open (the seed's mix: about 60 %
// trainings, 20 % inferences, 12 % notebooks, 8 % preprocessing runs),
// against a fake KAMONOHASHI in a child process (this test binary again),
// and reports the peak heap in use by the pass (peak-heap-MB, sampled every
// 5 ms, garbage not yet collected included) and the most resident memory
// of this process (VmHWM-MB).
//
//	go test ./engine -run '^$' -bench FirstPassMemory -benchtime 1x -timeout 20m
func BenchmarkFirstPassMemory(b *testing.B) {
	tenants, jobs := 500, 2000
	if testing.Short() {
		tenants = 50
	}
	for b.Loop() {
		b.StopTimer()
		url := fakeChild(b, tenants, jobs, 20)
		w := newWorld(b, nil, quietConfig, func(c *api.Config) { c.BaseURL = url; c.User, c.Password = "seed", "seed" })
		runtime.GC()
		debug.FreeOSMemory()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
			}
		})
		b.StartTimer()
		rep, err := w.run()
		b.StopTimer()
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(peak-min(peak, base.HeapInuse))/(1<<20), "peak-heap-MB")
		b.ReportMetric(procHWM()/(1<<10), "VmHWM-MB")
		b.ReportMetric(float64(rep.Baselined), "open-jobs")
		b.StartTimer()
	}
}

// procHWM is this process's most resident memory, in KiB.
func procHWM() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var n float64
			fmt.Sscanf(strings.TrimSpace(v), "%g", &n)
			return n
		}
	}
	return 0
}

// fakeChild starts a seeded fake KAMONOHASHI in a child process (this
// test binary, running TestFakeChild) and returns its URL.
func fakeChild(b *testing.B, tenants, jobs, open int) string {
	b.Helper()
	return testkit.StartChild(b, "TestFakeChild", fmt.Sprintf("KAMOBOT_ENGINE_FAKE=%d/%d/%d", tenants, jobs, open))
}

// TestFakeChild is fakeChild's child; skipped otherwise.
func TestFakeChild(t *testing.T) {
	spec := os.Getenv("KAMOBOT_ENGINE_FAKE")
	if spec == "" {
		t.Skip("the fake of BenchmarkFirstPassMemory, in a process of its own")
	}
	var tenants, jobs, open int
	if _, err := fmt.Sscanf(spec, "%d/%d/%d", &tenants, &jobs, &open); err != nil {
		t.Fatal(err)
	}
	srv := kqifake.New(kqifake.Options{})
	if _, err := srv.Seed(kqifake.SeedOptions{Tenants: tenants, JobsPerTenant: jobs, OpenPerTenant: open}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	testkit.ServeChild(srv.URL())
}
