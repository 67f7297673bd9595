package commands

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/internal/testkit"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// BenchmarkWatchMemory runs `watch`'s loop in process: one Pass kept across
// 1000 real passes over 500 tenants, clock +30 s a pass. The history is 100
// jobs a tenant with 20 open (10,000 open jobs tracked), so that the run
// takes minutes, not hours. The fake KAMONOHASHI runs in a child process
// (this test binary again, TestBenchFakeProcess), so that every figure is
// kamobot's own (and the test binary's, a little bigger than kamobot's).
//
//	go test ./commands -run '^$' -bench WatchMemory -benchtime 1x -timeout 60m
//
// KAMOBOT_BENCH_PASSES changes the number of passes (at least 300). It
// reports:
//
//   - VmRSS-MB: resident memory right after the last pass (no forced GC);
//   - VmRSS-idle-MB: the same after 30 s idle, as watch waits between two
//     passes at the default interval (Go returns freed memory to the system
//     in the background);
//   - VmRSS-freed-MB: the same after debug.FreeOSMemory (a forced GC that
//     returns all it frees), what watch would hold between passes if it
//     called it after each;
//   - VmHWM-MB: the most resident memory at any time (during a pass);
//   - live-heap-MB: the heap still in use after a GC, at the end;
//   - heap-growth-KB: live heap after the last pass minus after pass 100;
//   - allocs/pass and B/pass of passes 10-109 against the last 100: flat
//     when nothing accumulates as passes go on.
func BenchmarkWatchMemory(b *testing.B) {
	passes := 1000
	if v, err := strconv.Atoi(os.Getenv("KAMOBOT_BENCH_PASSES")); err == nil && v > 0 {
		passes = max(v, 300)
	}
	s := scenario{tenants: 500, jobs: 100, open: 20}
	for b.Loop() {
		b.StopTimer()
		url, loc := fakeProcess(b, s)
		e := newPassEnv(b, url, loc) // passes 1 (the baseline) and 2
		b.StartTimer()
		// Memory statistics before passes 10, 110 and passes-99, and after the last.
		var m10, m110, mLast, mEnd runtime.MemStats
		var heap100 uint64
		for pass := 3; pass <= passes; pass++ {
			switch pass {
			case 10:
				runtime.ReadMemStats(&m10)
			case 110:
				runtime.ReadMemStats(&m110)
			case passes - 99:
				runtime.ReadMemStats(&mLast)
			}
			e.run(b)
			if pass == 100 {
				b.StopTimer()
				heap100 = liveHeap()
				b.StartTimer()
			}
		}
		runtime.ReadMemStats(&mEnd)
		b.StopTimer()
		b.ReportMetric(vmStatus("VmRSS")/(1<<10), "VmRSS-MB")
		time.Sleep(30 * time.Second)
		b.ReportMetric(vmStatus("VmRSS")/(1<<10), "VmRSS-idle-MB")
		b.ReportMetric(vmStatus("VmHWM")/(1<<10), "VmHWM-MB")
		end := liveHeap()
		b.ReportMetric(vmStatus("VmRSS")/(1<<10), "VmRSS-freed-MB")
		b.ReportMetric(float64(end)/(1<<20), "live-heap-MB")
		b.ReportMetric((float64(end)-float64(heap100))/(1<<10), "heap-growth-KB")
		b.ReportMetric(float64(m110.Mallocs-m10.Mallocs)/100, "allocs/pass-10to109")
		b.ReportMetric(float64(mEnd.Mallocs-mLast.Mallocs)/100, "allocs/pass-last100")
		b.ReportMetric(float64(m110.TotalAlloc-m10.TotalAlloc)/100, "B/pass-10to109")
		b.ReportMetric(float64(mEnd.TotalAlloc-mLast.TotalAlloc)/100, "B/pass-last100")
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

// vmStatus reads a memory figure of this process from /proc/self/status
// (VmRSS: resident now; VmHWM: resident at most), in KiB.
func vmStatus(field string) float64 { return procStatus("/proc/self/status", field) }

// procStatus reads a figure of a /proc/<pid>/status file, in KiB; 0 if none.
func procStatus(path, field string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return n
		}
	}
	return 0
}

// fakeProcess starts the fake KAMONOHASHI, seeded for s, in a child
// process: this test binary again, running TestBenchFakeProcess. It returns
// the fake's URL and the zone it writes times in; the child ends with the
// benchmark.
func fakeProcess(b *testing.B, s scenario) (string, *time.Location) {
	b.Helper()
	url := testkit.StartChild(b, "TestBenchFakeProcess", fmt.Sprintf("KAMOBOT_BENCH_FAKE=%d/%d/%d", s.tenants, s.jobs, s.open))
	return url, kqifake.New(kqifake.Options{}).Location()
}

// TestBenchFakeProcess is the child of fakeProcess: it serves a seeded fake
// until its stdin closes. Otherwise it is skipped.
func TestBenchFakeProcess(t *testing.T) {
	spec := os.Getenv("KAMOBOT_BENCH_FAKE")
	if spec == "" {
		t.Skip("the fake KAMONOHASHI of BenchmarkWatchMemory, run in a process of its own")
	}
	var s scenario
	if _, err := fmt.Sscanf(spec, "%d/%d/%d", &s.tenants, &s.jobs, &s.open); err != nil {
		t.Fatalf("KAMOBOT_BENCH_FAKE=%q: %v", spec, err)
	}
	testkit.ServeChild(seeded(t, s).URL())
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
// per tenant: those requests are part of its cost. maxRSS-MB is the most
// resident memory a timed run of kamobot had (measured with GNU time, when
// installed).
//
//	go test ./commands -run '^$' -bench CheckColdStart -benchtime 10x
func BenchmarkCheckColdStart(b *testing.B) {
	dir, bin := buildKamobot(b)
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
	// The resident memory of a child forked from this big process counts
	// this process's until it execs: GNU time, when there is one, forks
	// kamobot from a small process and reports kamobot's own.
	gnuTime, _ := exec.LookPath("/usr/bin/time")
	rssFile := filepath.Join(dir, "maxrss")
	var maxRSS int64 // KiB, the largest of the timed runs
	check := func() {
		cmd := exec.Command(bin, "check")
		if gnuTime != "" {
			cmd = exec.Command(gnuTime, "-f", "%M", "-o", rssFile, bin, "check")
		}
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("kamobot check: %v\n%s", err, out.String())
		}
		if data, err := os.ReadFile(rssFile); err == nil {
			n, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
			maxRSS = max(maxRSS, n)
		}
	}
	check() // the baseline
	check() // settle
	srv.ResetStats()
	maxRSS = 0
	b.ResetTimer()
	for b.Loop() {
		check()
	}
	b.StopTimer()
	st := srv.Stats()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "wall-ms/check")
	b.ReportMetric(float64(st.Requests)/float64(b.N), "requests/check")
	b.ReportMetric(float64(st.BytesOut)/float64(b.N), "bytes/check")
	if maxRSS > 0 {
		b.ReportMetric(float64(maxRSS)/(1<<10), "maxRSS-MB")
	}
}

// buildKamobot builds the kamobot binary into a temporary directory, or
// takes the one KAMOBOT_BENCH_BIN names (to measure another build).
func buildKamobot(b *testing.B) (dir, bin string) {
	b.Helper()
	if bin := os.Getenv("KAMOBOT_BENCH_BIN"); bin != "" {
		return b.TempDir(), bin
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go command to build kamobot with")
	}
	dir = b.TempDir()
	bin = filepath.Join(dir, "kamobot")
	build := exec.Command(gobin, "build", "-o", bin, "github.com/kamobot/kamobot")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build kamobot: %v\n%s", err, out)
	}
	return dir, bin
}

// BenchmarkWatchRSS runs the real `kamobot watch --interval 5s` (the
// shortest) over 500 tenants (100 jobs each, 20 open: 10,000 open jobs
// tracked) for 24 passes, and samples its resident memory from
// /proc/<pid>/status every 100 ms: VmRSS-median-MB (most of the time: between
// passes), VmRSS-max-MB, and VmHWM-MB (the peak, during a pass).
// BenchmarkWatchMemory shows over 1000 passes that nothing grows.
// KAMOBOT_BENCH_GOGC and KAMOBOT_BENCH_GOMEMLIMIT set kamobot's GOGC and
// GOMEMLIMIT.
//
//	go test ./commands -run '^$' -bench WatchRSS -benchtime 1x -timeout 10m
func BenchmarkWatchRSS(b *testing.B) {
	const passes = 24
	dir, bin := buildKamobot(b)
	srv := seeded(b, scenario{tenants: 500, jobs: 100, open: 20})
	slack, err := slackfake.New(slackfake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(slack.Close)
	for b.Loop() {
		cmd := exec.Command(bin, "watch", "--interval", "5s")
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=Asia/Tokyo",
			"XDG_CONFIG_HOME=" + filepath.Join(dir, ".config"), "XDG_STATE_HOME=" + filepath.Join(dir, ".state"),
			"KAMOBOT_STATE=" + filepath.Join(dir, "state", "state.json"),
			"KAMOBOT_SERVER=" + srv.URL(), "KAMOBOT_USER=seed", "KAMOBOT_PASSWORD=seed",
			"KAMOBOT_SLACK_WEBHOOK=" + slack.NewHook(),
		}
		for _, k := range []string{"GOGC", "GOMEMLIMIT"} { // to measure their effect on kamobot alone
			if v, ok := os.LookupEnv("KAMOBOT_BENCH_" + k); ok {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		var samples []float64
		var hwm float64
		deadline := time.Now().Add(passes * 5 * time.Second)
		for time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			if v := procStatus(status, "VmRSS"); v > 0 {
				samples = append(samples, v)
			}
			hwm = max(hwm, procStatus(status, "VmHWM"))
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("kamobot watch: %v\n%s", err, out.String())
		}
		if len(samples) == 0 {
			b.Fatal("no memory figure read from " + status)
		}
		slices.Sort(samples)
		b.ReportMetric(samples[len(samples)/2]/(1<<10), "VmRSS-median-MB")
		b.ReportMetric(samples[len(samples)-1]/(1<<10), "VmRSS-max-MB")
		b.ReportMetric(hwm/(1<<10), "VmHWM-MB")
	}
	st := srv.Stats()
	b.ReportMetric(float64(st.ByPath["GET /api/v2/training"])/500, "passes")
}
