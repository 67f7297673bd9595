package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/internal/testkit"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/rogpeppe/go-internal/testscript"
)

// The scripts in testdata/script run the real kamobot binary, built once
// for the package, against a fake KAMONOHASHI and a fake Slack started for
// each script.

// kamobotBin is the kamobot binary the tests run, built on first use. It
// has the race detector in the long runs (KAMOBOT_LONG, as CI sets) when
// the tests have it: a race-built child makes the scripts about 2.5 times
// slower, and the engine's concurrency is race-checked in process anyway.
var kamobotBin = testkit.NewBinary(testkit.BuildOptions{Race: testkit.RaceEnabled && testkit.Long()})

func TestMain(m *testing.M) {
	code := m.Run()
	kamobotBin.Remove()
	os.Exit(code)
}

func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, scriptParams(t, "testdata/script", true, nil))
}

// scriptParams are the testscript parameters the root tests share: the
// real binary on PATH and, with fakes, the demo fakes started for each
// script and the commands that drive them; cmds adds more commands.
func scriptParams(t *testing.T, dir string, withFakes bool, cmds map[string]func(ts *testscript.TestScript, neg bool, args []string)) testscript.Params {
	binDir := filepath.Dir(kamobotBin.Path(t))
	all := map[string]func(ts *testscript.TestScript, neg bool, args []string){"exitcode": cmdExitCode, "envfrom": cmdEnvFrom}
	if withFakes {
		all["kqi"], all["slack"], all["waitfor"], all["fake"], all["slackapp"] = cmdKQI, cmdSlack, cmdWaitFor, cmdFake, cmdSlackApp
	}
	maps.Copy(all, cmds)
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("KAMOBOT_UPDATE_SCRIPTS") != "",
		Setup: func(e *testscript.Env) error {
			e.Setenv("PATH", binDir+string(filepath.ListSeparator)+e.Getenv("PATH"))
			if !withFakes {
				e.Setenv("XDG_CONFIG_HOME", filepath.Join(e.WorkDir, ".config"))
				e.Setenv("XDG_STATE_HOME", filepath.Join(e.WorkDir, ".state"))
				e.Setenv("HOME", e.WorkDir)
				return nil
			}
			return setupFakes(e)
		},
		Cmds: all,
	}
}

// demoNow is the fixed time of the end-to-end tests: Wednesday 2026-11-25
// 10:00 in Tokyo, inside office hours, with the demo jobs of the fake
// KAMONOHASHI running, ended and pending around it.
var demoNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))

// fakes are a fake KAMONOHASHI with the demo data (account demo, password
// demo) and a fake Slack with one webhook, on loopback ports.
type fakes struct {
	KQI   *kqifake.Server
	Slack *slackfake.Server
	Hook  string       // the webhook made on Slack
	clock *scriptClock // the fake KAMONOHASHI's clock ("kqi clock")
	many  []int64      // jobs added by "kqi many"
}

// setupFakes starts the fakes for a script, and points kamobot at them
// with the clock at demoNow.
func setupFakes(e *testscript.Env) error {
	clock := &scriptClock{at: demoNow}
	kqi := kqifake.Demo(kqifake.Options{Now: clock.now})
	if err := kqi.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start the fake KAMONOHASHI: %w", err)
	}
	e.Defer(func() { _ = kqi.Close() })
	slack, err := slackfake.New(slackfake.Options{})
	if err != nil {
		return fmt.Errorf("start the fake Slack: %w", err)
	}
	e.Defer(slack.Close)
	f := &fakes{KQI: kqi, Slack: slack, Hook: slack.NewHook(), clock: clock}
	e.Values["fakes"] = f
	for k, v := range map[string]string{
		"KAMOBOT_SERVER":        kqi.URL(),
		"KAMOBOT_USER":          "demo",
		"KAMOBOT_PASSWORD":      "demo",
		"KAMOBOT_SLACK_WEBHOOK": f.Hook,
		"KAMOBOT_NOW":           demoNow.Format(time.RFC3339),
		"KAMOBOT_CONFIG":        filepath.Join(e.WorkDir, "config.toml"),
		"XDG_CONFIG_HOME":       filepath.Join(e.WorkDir, ".config"),
		"XDG_STATE_HOME":        filepath.Join(e.WorkDir, ".state"),
		"KQI":                   kqi.URL(),
		"SLACK":                 slack.URL(),
		"HOOK":                  f.Hook,
		"TZ":                    "Asia/Tokyo",
		"GORACE":                goRace(),
	} {
		e.Setenv(k, v)
	}
	return nil
}

func fakesOf(ts *testscript.TestScript) *fakes { return ts.Value("fakes").(*fakes) }

// kqi drives the fake KAMONOHASHI:
//
//	kqi add TENANT KIND NAME OWNER STATUS VAR [memo=TEXT] [tags=A,B]
//	                                            add a job; its id goes to $VAR
//	kqi status KIND ID STATUS [NOTE]            move a job
//	kqi fault STATUS [PATH]                     every request (to PATH) answers STATUS
//	kqi clear                                   no more faults
//	kqi down / kqi up                           stop or restart answering
func cmdKQI(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: kqi add|status|fault|clear ...")
	}
	f := fakesOf(ts)
	switch args[0] {
	case "add":
		if len(args) < 7 {
			ts.Fatalf("usage: kqi add TENANT KIND NAME OWNER STATUS VAR [memo=TEXT] [tags=A,B]")
		}
		n := kqifake.NewJob{Tenant: args[1], Kind: api.Kind(args[2]), Name: args[3],
			CreatedBy: args[4], Status: args[5], GPU: 2}
		for _, a := range args[7:] {
			switch k, v, _ := strings.Cut(a, "="); k {
			case "memo":
				n.Memo = v
			case "tags":
				n.Tags = strings.Split(v, ",")
			default:
				ts.Fatalf("kqi add: unknown option %q (want memo=TEXT or tags=A,B)", a)
			}
		}
		j, err := f.KQI.AddJob(n)
		ts.Check(err)
		ts.Setenv(args[6], strconv.FormatInt(j.ID, 10))
	case "status":
		if len(args) < 4 {
			ts.Fatalf("usage: kqi status KIND ID STATUS [NOTE]")
		}
		id, err := strconv.ParseInt(args[2], 10, 64)
		ts.Check(err)
		u := kqifake.StatusUpdate{Status: args[3]}
		if len(args) > 4 {
			u.ConditionNote = strings.Join(args[4:], " ")
		}
		ts.Check(f.KQI.SetStatus(api.Kind(args[1]), id, u))
	case "fault":
		status, err := strconv.Atoi(args[1])
		ts.Check(err)
		fl := kqifake.Faults{Status: status, Rate: 1}
		if len(args) > 2 {
			fl.Paths = args[2]
		}
		f.KQI.SetFaults(fl)
	case "many":
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		for i := range n {
			j, err := f.KQI.AddJob(kqifake.NewJob{Tenant: args[1], Kind: api.KindTraining,
				Name: fmt.Sprintf("sweep-%03d", i), CreatedBy: "alice", Status: args[3]})
			ts.Check(err)
			f.many = append(f.many, j.ID)
		}
	case "many-status":
		for _, id := range f.many {
			ts.Check(f.KQI.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: args[2]}))
		}
	case "clear":
		f.KQI.ClearFaults()
	default:
		if !cmdKQIPolite(ts, f, args) {
			ts.Fatalf("unknown kqi command %q", args[0])
		}
	}
}

// slack drives and inspects the fake Slack:
//
//	slack count N                  exactly N messages were accepted
//	slack show                     print the accepted messages, readable, to stdout
//	slack raw                      print the accepted messages' bodies as Slack got them
//	slack fault STATUS COUNT [RETRY_AFTER]
//	slack hook disabled|revoked|active
//	slack rate                     no more than 1 message a second was accepted (burst 1)
//	slack gap SECONDS              the last accepted message came that long after the attempt before it
func cmdSlack(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: slack count|show|fault|hook|rate|gap ...")
	}
	f := fakesOf(ts)
	switch args[0] {
	case "count":
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		got := len(f.Slack.Messages())
		if (got == want) == neg {
			ts.Fatalf("slack messages: got %d, want %s%d", got, map[bool]string{true: "not ", false: ""}[neg], want)
		}
	case "count-at-most":
		most, err := strconv.Atoi(args[1])
		ts.Check(err)
		if got := len(f.Slack.Messages()); got > most || got == 0 {
			ts.Fatalf("slack messages: got %d, want 1 to %d", got, most)
		}
	case "show":
		var b strings.Builder
		for _, m := range f.Slack.Messages() {
			fmt.Fprintf(&b, "--- message %d\n%s\n", m.Seq, m.Readable)
			for _, u := range m.Unescaped() {
				fmt.Fprintf(&b, "UNESCAPED %s\n", u)
			}
		}
		ts.Stdout().Write([]byte(b.String()))
	case "raw":
		var b strings.Builder
		for _, m := range f.Slack.Messages() {
			fmt.Fprintf(&b, "--- message %d\n%s\n", m.Seq, m.Raw)
		}
		ts.Stdout().Write([]byte(b.String()))
	case "fault":
		status, err := strconv.Atoi(args[1])
		ts.Check(err)
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		fl := slackfake.Fault{Status: status, Count: n}
		if len(args) > 3 {
			ra, err := strconv.Atoi(args[3])
			ts.Check(err)
			fl.RetryAfter = ra
		}
		f.Slack.Script(fl)
	case "hook": // slack hook STATE [FILE]: the default webhook, or the one whose URL FILE holds
		hook := f.Hook
		if len(args) > 2 {
			hook = strings.TrimSpace(ts.ReadFile(args[2]))
		}
		ts.Check(f.Slack.SetHookState(hook, slackfake.HookState(args[1])))
	case "newhook": // slack newhook FILE: a second webhook, its URL written to FILE (0600)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(f.Slack.NewHook()+"\n"), 0o600))
	case "show-hook": // slack show-hook FILE: the messages of the webhook whose URL FILE holds
		var b strings.Builder
		for _, m := range f.Slack.MessagesFor(strings.TrimSpace(ts.ReadFile(args[1]))) {
			fmt.Fprintf(&b, "--- message %d\n%s\n", m.Seq, m.Readable)
		}
		ts.Stdout().Write([]byte(b.String()))
	case "rate":
		if err := f.Slack.CheckRate(slackfake.HookID(f.Hook), 1, 1); err != nil {
			ts.Fatalf("%v", err)
		}
	case "gap":
		secs, err := strconv.ParseFloat(args[1], 64)
		ts.Check(err)
		at := f.Slack.Attempts()
		if len(at) < 2 {
			ts.Fatalf("want at least 2 attempts, got %d", len(at))
		}
		gap := at[len(at)-1].At.Sub(at[len(at)-2].At)
		if gap < time.Duration(secs*float64(time.Second)) {
			ts.Fatalf("last attempt came %s after the one before; want at least %gs", gap, secs)
		}
	default:
		ts.Fatalf("unknown slack command %q", args[0])
	}
}

// exitcode N PROG ARGS... runs PROG and checks its exit code; stdout and
// stderr are kept for the next assertions.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// waitfor FILE REGEXP [SECONDS] waits until FILE (under $WORK) exists and,
// when REGEXP is not "", matches it; it fails after SECONDS (default 30).
// It waits on what a background kamobot does, where a sleep would guess.
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitfor FILE REGEXP [SECONDS]")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	limit := 30 * time.Second
	if len(args) == 3 {
		secs, err := strconv.Atoi(args[2])
		ts.Check(err)
		limit = time.Duration(secs) * time.Second
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(limit)
	for {
		data, err := os.ReadFile(path)
		if err == nil && re.Match(data) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s: no match for %q after %s (%v):\n%s", args[0], args[1], limit, err, data)
		}
		time.Sleep(10 * time.Millisecond) // polling a file; the condition, not the time, ends the wait
	}
}

// envfrom FILE REGEXP VAR sets VAR to the first group REGEXP matches in
// FILE (what a background command printed: the address it listens on).
func cmdEnvFrom(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: envfrom FILE REGEXP VAR")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	m := re.FindSubmatch([]byte(ts.ReadFile(args[0])))
	if len(m) < 2 {
		ts.Fatalf("%s: no match with a group for %q", args[0], args[1])
	}
	ts.Setenv(args[2], string(m[1]))
}

// fake drives the fake KAMONOHASHI through its control API over HTTP:
//
//	fake [-n N] [-set VAR=FIELD] [-below FIELD=MAX] METHOD PATH [BODY]
//
// sends the request N times (default 1; BODY is JSON, written without
// spaces), fails on an answer of 400 or more, prints the last answer to
// stdout, sets $VAR to a top-level field of it, and checks that a numeric
// field of it is below MAX.
func cmdFake(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("fake does not support !")
	}
	n, set, below := 1, map[string]string{}, map[string]float64{}
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		var err error
		switch args[0] {
		case "-n":
			n, err = strconv.Atoi(args[1])
		case "-set":
			k, v, _ := strings.Cut(args[1], "=")
			set[k] = v
		case "-below":
			k, v, _ := strings.Cut(args[1], "=")
			below[k], err = strconv.ParseFloat(v, 64)
		default:
			ts.Fatalf("fake: unknown flag %s", args[0])
		}
		ts.Check(err)
		args = args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: fake [-n N] [-set VAR=FIELD] [-below FIELD=MAX] METHOD PATH [BODY]")
	}
	var body []byte
	for range n {
		var rd io.Reader
		if len(args) == 3 {
			rd = strings.NewReader(args[2])
		}
		req, err := http.NewRequest(args[0], fakesOf(ts).KQI.URL()+args[1], rd)
		ts.Check(err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		ts.Check(err)
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		ts.Check(err)
		if resp.StatusCode >= 400 {
			ts.Fatalf("fake %s %s: %s: %s", args[0], args[1], resp.Status, body)
		}
	}
	ts.Stdout().Write(append(body, '\n'))
	if len(set) == 0 && len(below) == 0 {
		return
	}
	var got map[string]any
	ts.Check(json.Unmarshal(body, &got))
	for name, field := range set {
		v, ok := got[field]
		if !ok {
			ts.Fatalf("fake: no field %q in %s", field, body)
		}
		ts.Setenv(name, fmt.Sprint(v))
	}
	for field, most := range below {
		v, ok := got[field].(float64)
		if !ok || v >= most {
			ts.Fatalf("fake: %s = %v, want below %v", field, got[field], most)
		}
	}
}
