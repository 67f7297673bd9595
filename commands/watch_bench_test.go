package commands

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/kamobot/kamobot/notify/slackfake"
)

// BenchmarkWatchMemory runs `watch`'s loop in process: one Pass kept across
// 1000 real passes over 500 tenants, clock +30 s a pass. The history is 100
// jobs a tenant with 20 open (10,000 open jobs tracked), so that the run
// takes minutes, not hours. It reports the live heap after GC at the end
// (live-heap-MB) and its growth since before the fake was seeded
// (kamobot-heap-MB: kamobot's state and caches plus the fake's seeded
// jobs, so an upper bound of kamobot's), the process's VmRSS (the fake
// included), and the allocations of the first and last 100 passes.
//
//	go test ./commands -run '^$' -bench WatchMemory -benchtime 1x -timeout 60m
//
// KAMOBOT_BENCH_PASSES changes the number of passes.
func BenchmarkWatchMemory(b *testing.B) {
	passes := 1000
	if v, err := strconv.Atoi(os.Getenv("KAMOBOT_BENCH_PASSES")); err == nil && v > 0 {
		passes = v
	}
	s := scenario{tenants: 500, jobs: 100, open: 20}
	for b.Loop() {
		b.StopTimer()
		before := liveHeap()
		e := newBenchEnv(b, s) // the baseline and one pass
		b.StartTimer()
		var first, last uint64
		for i := range passes - 2 {
			m := mallocs()
			e.run(b)
			switch d := mallocs() - m; {
			case i < 100:
				first += d
			case i >= passes-2-100:
				last += d
			}
		}
		b.StopTimer()
		after := liveHeap()
		b.ReportMetric(float64(after-before)/(1<<20), "kamobot-heap-MB")
		b.ReportMetric(float64(after)/(1<<20), "live-heap-MB")
		b.ReportMetric(vmRSS()/(1<<10), "VmRSS-MB")
		b.ReportMetric(float64(first)/100, "allocs/pass-first100")
		b.ReportMetric(float64(last)/100, "allocs/pass-last100")
		b.ReportMetric(float64(stateSize(e.pass.Store.Path()))/(1<<20), "state-MB")
		b.StartTimer()
	}
}

func liveHeap() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// vmRSS is the process's resident memory in KiB, from /proc/self/status.
func vmRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return n
		}
	}
	return 0
}

func stateSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// BenchmarkCheckColdStart times `kamobot check` from process start to exit
// on a steady-state pass: the binary is built by the benchmark, and run
// against a seeded fake (50 tenants, 10,000 jobs each, 20 open) whose
// baseline it already recorded. A new process logs in and asks for a token
// per tenant: those requests are part of its cost.
//
//	go test ./commands -run '^$' -bench CheckColdStart -benchtime 10x
func BenchmarkCheckColdStart(b *testing.B) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go command to build kamobot with")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "kamobot")
	build := exec.Command(gobin, "build", "-o", bin, "github.com/kamobot/kamobot")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build kamobot: %v\n%s", err, out)
	}
	srv := seeded(b, scenario{tenants: 50, jobs: 10000, open: 20})
	slack, err := slackfake.New(slackfake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(slack.Close)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=Asia/Tokyo",
		"XDG_CONFIG_HOME=" + filepath.Join(dir, ".config"), "XDG_STATE_HOME=" + filepath.Join(dir, ".state"),
		"KAMOBOT_STATE=" + filepath.Join(dir, "state", "state.json"),
		"KAMOBOT_SERVER=" + srv.URL(), "KAMOBOT_USER=seed", "KAMOBOT_PASSWORD=seed",
		"KAMOBOT_SLACK_WEBHOOK=" + slack.NewHook(),
	}
	check := func() {
		cmd := exec.Command(bin, "check")
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("kamobot check: %v\n%s", err, out.String())
		}
	}
	check() // the baseline
	check() // settle
	srv.ResetStats()
	b.ResetTimer()
	for b.Loop() {
		check()
	}
	b.StopTimer()
	st := srv.Stats()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "wall-ms/check")
	b.ReportMetric(float64(st.Requests)/float64(b.N), "requests/check")
	b.ReportMetric(float64(st.BytesOut)/float64(b.N), "bytes/check")
}
