//go:build unix

// Over 400 lines: the three process tests share one harness (the binary,
// its environment, the fakes, what was reported), kept beside them.

package commands

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/internal/testkit"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

// The process tests run the real kamobot binary, built once with the
// test-only hooks (-tags testhooks, see engine/crashhook_testhooks.go), against
// the fakes running in the test process:
//
//   - kill -9 at random points of `check` and `watch` (between fetch,
//     save, send and mark-sent, in the middle of a state write, or from
//     outside at a random time), over and over, while jobs end: every
//     ending is reported, at most one duplicate per crash;
//   - `check` and `watch` at once: the state lock lets one pass run at a
//     time, so nothing is sent twice;
//   - a full disk (ENOSPC) through the real binary: exit 74.
//
// The crash runs are seeded; the seed is logged, and KAMOBOT_CRASH_SEED
// replays a run. KAMOBOT_CRASH_RUNS changes how many runs (default 40,
// 400 with KAMOBOT_LONG=1, 15 with -short); KAMOBOT_CRASH_DEBUG=1 logs
// each run.

// hooksBin is kamobot built with the test hooks, once for the package's
// process tests, which run in parallel: they mostly wait on processes.
var hooksBin = testkit.NewBinary(testkit.BuildOptions{Tags: []string{"testhooks"}})

func TestMain(m *testing.M) {
	code := m.Run()
	hooksBin.Remove()
	os.Exit(code)
}

func TestProcessFaults(t *testing.T) {
	t.Parallel()
	bin := hooksBin.Path(t)
	t.Run("kill -9 at random points", func(t *testing.T) { testCrashes(t, bin) })
	t.Run("check and watch at once", func(t *testing.T) { testCheckAndWatch(t, bin) })
	t.Run("full disk", func(t *testing.T) { testFullDisk(t, bin) })
}

// proc is one kamobot process run by a test, and the fakes it talks to.
type procEnv struct {
	t       *testing.T
	bin     string
	kqi     *kqifake.Server
	slack   *slackfake.Server
	dir     string
	env     []string
	names   map[int64]string
	tenant  map[int64]string
	endings map[int64][]string
	open    []int64 // jobs running on the fake
	outputs bytes.Buffer
	socks   int
}

func newProcEnv(t *testing.T, bin string) *procEnv {
	t.Helper()
	return setUpProcEnv(t, bin, func(e *procEnv) string {
		// One webhook per tenant: the promise of one duplicate per crash
		// holds across webhooks, which are sent to concurrently.
		config := faultConfig
		for i, name := range crashTenants {
			hook := e.slack.HookURL("T0CRASH", fmt.Sprintf("B0CRASH%d", i), canaryHook+strconv.Itoa(i))
			config += fmt.Sprintf("\n[[tenant]]\nname = %q\nwebhook = %q\n", name, hook)
		}
		return config
	})
}

// setUpProcEnv starts the fakes with crashTenants and the account, writes
// the config file that config returns, and sets the process environment,
// with env added.
func setUpProcEnv(t *testing.T, bin string, config func(*procEnv) string, env ...string) *procEnv {
	t.Helper()
	e := &procEnv{t: t, bin: bin, dir: t.TempDir(), names: map[int64]string{}, tenant: map[int64]string{}, endings: map[int64][]string{}}
	e.kqi = kqifake.NewTest(t)
	e.slack = slackfake.NewTest(t)
	var ids []int64
	for _, name := range crashTenants {
		ids = append(ids, e.kqi.AddTenant(name, ""))
	}
	e.kqi.AddAccount("kamobot", canaryPassword, ids...)
	cfg := filepath.Join(e.dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(config(e)), 0o600); err != nil {
		t.Fatal(err)
	}
	e.env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + e.dir, "TZ=Asia/Tokyo",
		"XDG_CONFIG_HOME=" + filepath.Join(e.dir, ".config"), "XDG_STATE_HOME=" + filepath.Join(e.dir, ".state"),
		"KAMOBOT_CONFIG=" + cfg, "KAMOBOT_STATE=" + e.statePath(),
		"KAMOBOT_SERVER=" + e.kqi.URL(), "KAMOBOT_USER=kamobot", "KAMOBOT_PASSWORD=" + canaryPassword,
	}, env...)
	return e
}

// crashTenants are the tenants of the process tests, each with its own
// webhook.
var crashTenants = []string{"vision", "speech", "robotics"}

func (e *procEnv) statePath() string { return filepath.Join(e.dir, "state", "state.json") }

// proc is a kamobot process started by a test.
type proc struct {
	cmd  *exec.Cmd
	out  bytes.Buffer  // stdout and stderr; read it once done is closed
	done chan struct{} // closed when the process has ended
	err  error         // what Wait returned
	// passes gets a value each time `watch` ends a pass: it tells systemd
	// (STATUS=last pass ...) through the NOTIFY_SOCKET the test gave it.
	passes chan struct{}
}

// start starts kamobot with args and extra environment. A `watch` gets a
// notify socket of its own, so the test knows when a pass has ended.
func (e *procEnv) start(extra []string, args ...string) *proc {
	e.t.Helper()
	p := &proc{cmd: exec.Command(e.bin, args...), done: make(chan struct{}), passes: make(chan struct{}, 16)}
	p.cmd.Env = append(slices.Clone(e.env), extra...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if args[0] == "watch" {
		e.socks++
		addr := &net.UnixAddr{Name: filepath.Join(e.dir, fmt.Sprintf("n%d.sock", e.socks)), Net: "unixgram"}
		conn, err := net.ListenUnixgram("unixgram", addr)
		if err != nil {
			e.t.Fatal(err)
		}
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := conn.Read(buf)
				if err != nil {
					return
				}
				if strings.Contains(string(buf[:n]), "STATUS=last pass") {
					p.passes <- struct{}{}
				}
			}
		}()
		go func() { <-p.done; conn.Close() }()
		p.cmd.Env = append(p.cmd.Env, "NOTIFY_SOCKET="+addr.Name)
	}
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p
}

// outcome is how a process ended.
type outcome struct {
	code   int  // exit code, when it exited
	killed bool // ended by SIGKILL
	out    string
}

func (e *procEnv) wait(p *proc) outcome {
	e.t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		e.t.Fatalf("kamobot %v did not end within 30s:\n%s", p.cmd.Args[1:], p.out.String())
	}
	o := outcome{out: p.out.String()}
	e.outputs.WriteString(o.out)
	var ee *exec.ExitError
	switch err := p.err; {
	case err == nil:
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			o.killed = true
		} else {
			o.code = ee.ExitCode()
		}
	default:
		e.t.Fatal(err)
	}
	return o
}

// run runs kamobot to its end.
func (e *procEnv) run(extra []string, args ...string) outcome {
	e.t.Helper()
	return e.wait(e.start(extra, args...))
}

func (e *procEnv) add(name string) int64 {
	e.t.Helper()
	tenant := crashTenants[len(e.names)%len(crashTenants)]
	j, err := e.kqi.AddJob(kqifake.NewJob{Tenant: tenant, Kind: api.KindTraining, Name: name, CreatedBy: "alice", Status: "Running"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.names[j.ID] = name
	e.tenant[j.ID] = tenant
	e.open = append(e.open, j.ID)
	return j.ID
}

func (e *procEnv) end(id int64, status string) {
	e.t.Helper()
	if err := e.kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: status}); err != nil {
		e.t.Fatal(err)
	}
	e.endings[id] = append(e.endings[id], status)
	e.open = slices.DeleteFunc(e.open, func(x int64) bool { return x == id })
}

// reported counts the messages that report each job's ending, and fails
// the test on an ending reported that did not happen.
func (e *procEnv) reported() map[int64]int {
	e.t.Helper()
	out := map[int64]int{}
	for _, m := range e.slack.Messages() {
		for _, id := range linkedJobs(m) {
			if len(e.endings[id]) == 0 || !strings.Contains(m.Readable, e.endings[id][0]) {
				e.t.Fatalf("message %d reports job %d (%s) ended, but it did not end so (endings %v):\n%s",
					m.Seq, id, e.names[id], e.endings[id], m.Readable)
			}
			out[id]++
		}
	}
	return out
}

// checkState checks the state file is valid and nothing shown holds a
// secret; it returns the state.
func (e *procEnv) checkState() *state.State {
	e.t.Helper()
	b, err := os.ReadFile(e.statePath())
	if err != nil {
		e.t.Fatal(err)
	}
	st, err := state.Decode(b)
	if err != nil {
		e.t.Fatalf("the state file is no longer valid: %v", err)
	}
	shown := e.outputs.String() + string(b)
	for _, secret := range []string{canaryPassword, canaryHook, tokenHead} {
		if strings.Contains(shown, secret) {
			e.t.Fatalf("a secret (%.12s…) was shown in kamobot's output or its state file", secret)
		}
	}
	return st
}

// crashPoints are the places the test build can kill kamobot at, with
// how many times a pass may reach each.
var crashPoints = []struct {
	name string
	most int
}{
	{"after_fetch", 1},
	{"after_outbox_save", 1},
	{"after_post_before_mark", 2},
	{"mid_state_write", 4},
}

func testCrashes(t *testing.T, bin string) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KAMOBOT_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("KAMOBOT_CRASH_SEED=%q: %v", s, err)
		}
	}
	runs := 40 // the long soak (KAMOBOT_LONG=1, as CI) runs 400
	switch {
	case testkit.Long():
		runs = 400
	case testing.Short():
		runs = 15
	}
	if s := os.Getenv("KAMOBOT_CRASH_RUNS"); s != "" {
		runs, _ = strconv.Atoi(s)
	}
	t.Logf("seed %d (replay with KAMOBOT_CRASH_SEED=%d)", seed, seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with KAMOBOT_CRASH_SEED=%d", seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, 0x6b616d6f626f74))
	e := newProcEnv(t, bin)
	for i := range 3 {
		e.add("crash-" + strconv.Itoa(i))
	}
	if o := e.run(nil, "check"); o.killed || o.code != 0 {
		t.Fatalf("baseline check: %+v", o)
	}

	statuses := []string{"Completed", "Failed", "Killed", "UserCanceled"}
	// owed counts the crashes whose duplicate may still show: each crash
	// leaves at most one message posted and not marked, across every
	// webhook; a run that ends cleanly with an empty outbox settles them.
	owed, dupsSeen := 0, 0
	var crashes, kills, selfKills int
	byPoint := map[string]int{}
	start := time.Now()
	for run := range runs {
		// The world moves on: jobs start, and in some runs jobs end (each
		// run that finds endings queues a message; fewer keep the outbox,
		// paced at one message a second, short).
		if rng.IntN(2) == 0 || len(e.open) == 0 {
			e.add("crash-" + strconv.Itoa(len(e.names)))
		}
		if rng.IntN(5) < 2 {
			for n := 1 + rng.IntN(3); n > 0 && len(e.open) > 0; n-- {
				e.end(e.open[rng.IntN(len(e.open))], statuses[rng.IntN(len(statuses))])
			}
		}
		cmdName := "check"
		if rng.IntN(4) == 0 {
			cmdName = "watch"
		}
		var extra []string
		external := time.Duration(-1)
		switch r := rng.IntN(10); {
		case r < 6:
			p := crashPoints[rng.IntN(len(crashPoints))]
			extra = []string{fmt.Sprintf("KAMOBOT_TEST_CRASH_AT=%s:%d", p.name, 1+rng.IntN(p.most))}
		case r < 9:
			external = time.Duration(rng.IntN(60_000)) * time.Microsecond
		}
		runStart := time.Now()
		p := e.start(extra, cmdName)
		if external >= 0 {
			select {
			case <-time.After(external):
				_ = p.cmd.Process.Kill()
			case <-p.done:
			}
		} else if cmdName == "watch" {
			e.stopWatchAfterPass(p, rng.IntN(2) == 0)
		}
		o := e.wait(p)
		if os.Getenv("KAMOBOT_CRASH_DEBUG") != "" {
			t.Logf("run %d %s %v ext=%v took %s killed=%v code=%d", run, cmdName, extra, external, time.Since(runStart), o.killed, o.code)
		}
		switch {
		case o.killed:
			crashes++
			if external >= 0 && !strings.Contains(o.out, "testhooks: crash at") {
				kills++
			} else {
				selfKills++
				for _, p := range crashPoints {
					if strings.Contains(o.out, "testhooks: crash at "+p.name) {
						byPoint[p.name]++
					}
				}
			}
		case o.code != 0:
			t.Fatalf("run %d (%s %v): exit %d, want 0 or a kill\n%s", run, cmdName, extra, o.code, o.out)
		}
		st := e.checkState()
		if d := duplicates(e.slack.Messages()); d-dupsSeen > owed {
			t.Fatalf("run %d (%s %v): %d new duplicate messages, but only %d crashes could have left one each",
				run, cmdName, extra, d-dupsSeen, owed)
		} else {
			owed -= d - dupsSeen
			dupsSeen = d
		}
		switch {
		case o.killed:
			owed++
		case len(st.Outbox) == 0:
			owed = 0
		}
	}
	loopTook := time.Since(start)

	// Then no more crashes: the outbox drains. At least two checks: an
	// ending read straight after Running (a Failed) is confirmed by a
	// second read before it is reported (job.needsConfirm).
	for i := 0; ; i++ {
		o := e.run(nil, "check")
		if o.killed || o.code != 0 {
			t.Fatalf("check after the crashes: %+v", o)
		}
		if st := e.checkState(); len(st.Outbox) == 0 && i >= 1 {
			break
		}
		if i == 6 {
			t.Fatalf("the outbox did not drain")
		}
	}
	got := e.reported()
	dupMsgs := duplicates(e.slack.Messages())
	var ended, twice, lost int
	for id := range e.endings {
		ended++
		switch n := got[id]; {
		case n == 0:
			lost++
			t.Errorf("job %d (%s in %s, ended %v) was never reported", id, e.names[id], e.tenant[id], e.endings[id])
		case n > 1:
			twice++
		}
	}
	t.Logf("%d runs (%d check/watch processes killed: %d at a crash point %v, %d from outside) in %s; "+
		"%d job endings, %d reported, %d lost; %d messages, %d of them duplicates (so %d endings were reported more than once)",
		runs, crashes, selfKills, byPoint, kills, loopTook.Round(time.Millisecond),
		ended, ended-lost, lost, len(e.slack.Messages()), dupMsgs, twice)
	if dupMsgs > crashes {
		t.Errorf("%d duplicate messages for %d crashes, want at most one per crash", dupMsgs, crashes)
	}
	for id, n := range got {
		if n-1 > crashes {
			t.Errorf("job %d reported %d times for %d crashes", id, n, crashes)
		}
	}
	if selfKills < runs/3 || kills < runs/15 {
		t.Errorf("too few crashes to mean much: %d at crash points, %d from outside", selfKills, kills)
	}
}

// duplicates counts the messages whose exact payload was posted before.
func duplicates(msgs []slackfake.Message) int {
	sent := map[string]int{}
	n := 0
	for _, m := range msgs {
		if sent[m.Raw]++; sent[m.Raw] > 1 {
			n++
		}
	}
	return n
}

// stopWatchAfterPass waits for watch's first pass to end, then stops it:
// with SIGTERM (a clean stop), or with SIGKILL once it idles.
func (e *procEnv) stopWatchAfterPass(p *proc, kill bool) {
	e.t.Helper()
	select {
	case <-p.done:
		return // it died by itself (a crash point)
	case <-p.passes:
	case <-time.After(20 * time.Second):
		e.t.Errorf("watch ended no pass within 20s")
	}
	if kill {
		_ = p.cmd.Process.Kill()
	} else {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
}

// testCheckAndWatch runs `check` while `watch` runs a pass (and the other
// way round), Slack answering slowly so the passes would overlap: the
// state lock makes the second wait, and nothing is sent twice. A check
// that may not wait exits 75 and names the holder.
func testCheckAndWatch(t *testing.T, bin string) {
	e := newProcEnv(t, bin)
	if o := e.run(nil, "check"); o.code != 0 || o.killed {
		t.Fatalf("baseline: %+v", o)
	}
	// Slack takes 400 ms to answer each message.
	e.slack.Script(slackfake.Fault{Delay: 400 * time.Millisecond, Status: 200, Body: "ok", Deliver: true, Count: -1})
	lockFile := e.statePath() + ".lock"
	holds := func(who string) bool {
		b, _ := os.ReadFile(lockFile)
		return strings.Contains(string(b), "kamobot "+who+" (pid")
	}
	for round, first := range []string{"watch", "check", "watch", "check"} {
		second := map[string]string{"watch": "check", "check": "watch"}[first]
		var ids []int64
		for i := range 2 {
			id := e.add(fmt.Sprintf("overlap-%d-%d", round, i))
			ids = append(ids, id)
		}
		if o := e.run(nil, "check"); o.code != 0 { // sees them running
			t.Fatalf("round %d: check: %+v", round, o)
		}
		for _, id := range ids {
			e.end(id, "Completed")
		}
		a := e.start(nil, first)
		for deadline := time.Now().Add(10 * time.Second); !holds(first); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %s never took the lock", round, first)
			}
		}
		b := e.start(nil, second)
		watch, check := b, a
		if first == "watch" {
			watch, check = a, b
		}
		if o := e.wait(check); o.code != 0 || o.killed {
			t.Fatalf("round %d: check: %+v", round, o)
		}
		e.stopWatchAfterPass(watch, false)
		if o := e.wait(watch); o.code != 0 || o.killed {
			t.Fatalf("round %d: watch: %+v", round, o)
		}
		got := e.reported()
		for _, id := range ids {
			if got[id] != 1 {
				t.Errorf("round %d (%s first): job %d reported %d times, want once", round, first, id, got[id])
			}
		}
	}
	// A check that may not wait says who holds the lock, and exits 75.
	id := e.add("impatient")
	e.run(nil, "check")
	e.end(id, "Completed")
	w := e.start(nil, "watch")
	for deadline := time.Now().Add(10 * time.Second); !holds("watch"); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("watch never took the lock")
		}
	}
	o := e.run(nil, "check", "--lock-wait", "50ms")
	if o.code != ExitTempFail || !strings.Contains(o.out, "another kamobot is running") || !strings.Contains(o.out, "kamobot watch (pid") {
		t.Errorf("check while watch holds the lock: exit %d, want 75 naming the holder:\n%s", o.code, o.out)
	}
	e.stopWatchAfterPass(w, false)
	e.wait(w)
	if got := e.reported()[id]; got != 1 {
		t.Errorf("job reported %d times, want once", got)
	}
	e.checkState()
}

// testFullDisk fails the real binary's state writes with ENOSPC: exit 74,
// nothing sent that was not recorded first; once the disk has room, the
// ending is reported (twice at most, when the write that failed was the
// mark of a message already posted).
func testFullDisk(t *testing.T, bin string) {
	e := newProcEnv(t, bin)
	e.run(nil, "check")
	for _, tc := range []struct {
		failAt int
		sent   int // reports after the failed check
		most   int // reports in the end
	}{
		{1, 0, 1}, // the outbox is not saved: nothing is sent
		{2, 1, 2}, // saved and sent, not marked: sent again
	} {
		id := e.add(fmt.Sprintf("full-disk-%d", tc.failAt))
		e.run(nil, "check")
		e.end(id, "Completed")
		o := e.run([]string{"KAMOBOT_TEST_FAIL_WRITE_AT=" + strconv.Itoa(tc.failAt)}, "check")
		if o.code != ExitIOErr || !strings.Contains(o.out, "cannot write the state") || !strings.Contains(o.out, "no space left on device") {
			t.Errorf("check with a full disk (write %d): exit %d, want 74 naming the cause:\n%s", tc.failAt, o.code, o.out)
		}
		if got := e.reported()[id]; got != tc.sent {
			t.Errorf("write %d fails: reported %d times, want %d", tc.failAt, got, tc.sent)
		}
		if o := e.run(nil, "check"); o.code != 0 {
			t.Fatalf("check with room again: %+v", o)
		}
		if got := e.reported()[id]; got < 1 || got > tc.most {
			t.Errorf("write %d failed: reported %d times in the end, want 1 to %d", tc.failAt, got, tc.most)
		}
	}
	e.checkState()
}
