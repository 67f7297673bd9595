package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/rogpeppe/go-internal/testscript"
)

// The scripts in testdata/script run the real kamobot binary against a
// fake KAMONOHASHI and a fake Slack started for each script.

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kamobot": func() {
			ctx, stop := signalContext()
			code := run(ctx, os.Args, os.Stdout, os.Stderr, os.Getenv)
			stop()
			os.Exit(code)
		},
	})
}

// scriptNow is the fixed time of the scripts: Wednesday 2026-11-25 10:00 in Tokyo.
var scriptNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("KAMOBOT_UPDATE_SCRIPTS") != "",
		Setup:               setupFakes,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"kqi":      cmdKQI,
			"slack":    cmdSlack,
			"exitcode": cmdExitCode,
		},
	})
}

type fakes struct {
	clock *scriptClock // the fake KAMONOHASHI's clock ("kqi clock")
	kqi   *kqifake.Server
	slack *slackfake.Server
	hook  string
	many  []int64 // jobs added by "kqi many"
}

func setupFakes(e *testscript.Env) error {
	clock := &scriptClock{at: scriptNow}
	kqi := kqifake.Demo(kqifake.Options{Now: clock.now})
	if err := kqi.Start("127.0.0.1:0"); err != nil {
		return err
	}
	slack, err := slackfake.New(slackfake.Options{})
	if err != nil {
		kqi.Close()
		return err
	}
	e.Defer(func() { kqi.Close(); slack.Close() })
	f := &fakes{clock: clock, kqi: kqi, slack: slack, hook: slack.NewHook()}
	e.Values["fakes"] = f
	for k, v := range map[string]string{
		"KAMOBOT_SERVER":        kqi.URL(),
		"KAMOBOT_USER":          "demo",
		"KAMOBOT_PASSWORD":      "demo",
		"KAMOBOT_SLACK_WEBHOOK": f.hook,
		"KAMOBOT_NOW":           scriptNow.Format(time.RFC3339),
		"KAMOBOT_CONFIG":        filepath.Join(e.WorkDir, "config.toml"),
		"XDG_CONFIG_HOME":       filepath.Join(e.WorkDir, ".config"),
		"XDG_STATE_HOME":        filepath.Join(e.WorkDir, ".state"),
		"KQI":                   kqi.URL(),
		"SLACK":                 slack.URL(),
		"HOOK":                  f.hook,
		"TZ":                    "Asia/Tokyo",
	} {
		e.Setenv(k, v)
	}
	return nil
}

func fakesOf(ts *testscript.TestScript) *fakes { return ts.Value("fakes").(*fakes) }

// kqi drives the fake KAMONOHASHI:
//
//	kqi add TENANT KIND NAME OWNER STATUS VAR   add a job; its id goes to $VAR
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
		if len(args) != 7 {
			ts.Fatalf("usage: kqi add TENANT KIND NAME OWNER STATUS VAR")
		}
		j, err := f.kqi.AddJob(kqifake.NewJob{Tenant: args[1], Kind: api.Kind(args[2]), Name: args[3],
			CreatedBy: args[4], Status: args[5], GPU: 2})
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
		ts.Check(f.kqi.SetStatus(api.Kind(args[1]), id, u))
	case "fault":
		status, err := strconv.Atoi(args[1])
		ts.Check(err)
		fl := kqifake.Faults{Status: status, Rate: 1}
		if len(args) > 2 {
			fl.Paths = args[2]
		}
		f.kqi.SetFaults(fl)
	case "many":
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		for i := range n {
			j, err := f.kqi.AddJob(kqifake.NewJob{Tenant: args[1], Kind: api.KindTraining,
				Name: fmt.Sprintf("sweep-%03d", i), CreatedBy: "alice", Status: args[3]})
			ts.Check(err)
			f.many = append(f.many, j.ID)
		}
	case "many-status":
		for _, id := range f.many {
			ts.Check(f.kqi.SetStatus(api.KindTraining, id, kqifake.StatusUpdate{Status: args[2]}))
		}
	case "clear":
		f.kqi.ClearFaults()
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
		got := len(f.slack.Messages())
		if (got == want) == neg {
			ts.Fatalf("slack messages: got %d, want %s%d", got, map[bool]string{true: "not ", false: ""}[neg], want)
		}
	case "count-at-most":
		most, err := strconv.Atoi(args[1])
		ts.Check(err)
		if got := len(f.slack.Messages()); got > most || got == 0 {
			ts.Fatalf("slack messages: got %d, want 1 to %d", got, most)
		}
	case "show":
		var b strings.Builder
		for _, m := range f.slack.Messages() {
			fmt.Fprintf(&b, "--- message %d\n%s\n", m.Seq, m.Readable)
			for _, u := range m.Unescaped() {
				fmt.Fprintf(&b, "UNESCAPED %s\n", u)
			}
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
		f.slack.Script(fl)
	case "hook":
		ts.Check(f.slack.SetHookState(f.hook, slackfake.HookState(args[1])))
	case "rate":
		if err := f.slack.CheckRate(slackfake.HookID(f.hook), 1, 1); err != nil {
			ts.Fatalf("%v", err)
		}
	case "gap":
		secs, err := strconv.ParseFloat(args[1], 64)
		ts.Check(err)
		at := f.slack.Attempts()
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

// scriptClock is the fake KAMONOHASHI's clock: scriptNow until "kqi clock".
type scriptClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *scriptClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

// cmdKQIPolite handles the kqi commands of the real-server behaviours:
//
//	kqi zone ZONE                      the server writes its times in ZONE
//	kqi clock DURATION                 the server's clock moves on
//	kqi deny TENANT MENU...            the account lacks those menus in TENANT
//	kqi lose TENANT                    the account demo loses TENANT
//	kqi seed TENANTS JOBS OPEN         a seeded history (account demo sees it)
//	kqi latency DURATION               every request takes that long
//	kqi stats FIELD OP N               a counter of GET /_fake/stats: OP is <=, == or >=
//	kqi reset-stats                    counters to zero
func cmdKQIPolite(ts *testscript.TestScript, f *fakes, args []string) bool {
	switch args[0] {
	case "zone":
		loc, err := time.LoadLocation(args[1])
		ts.Check(err)
		f.kqi.SetLocation(loc)
	case "clock":
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		f.clock.mu.Lock()
		f.clock.at = f.clock.at.Add(d)
		f.clock.mu.Unlock()
	case "deny":
		ts.Check(f.kqi.DenyMenus(args[1], args[2:]...))
	case "lose":
		ts.Check(f.kqi.RemoveTenant("demo", args[1]))
	case "seed":
		var n [3]int
		for i := range n {
			v, err := strconv.Atoi(args[1+i])
			ts.Check(err)
			n[i] = v
		}
		_, err := f.kqi.Seed(kqifake.SeedOptions{Tenants: n[0], JobsPerTenant: n[1], OpenPerTenant: n[2], Accounts: []string{"demo"}})
		ts.Check(err)
	case "latency":
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		f.kqi.SetFaults(kqifake.Faults{Latency: d})
	case "reset-stats":
		f.kqi.ResetStats()
	case "stats":
		if len(args) != 4 {
			ts.Fatalf("usage: kqi stats FIELD <=|==|>= N")
		}
		st := f.kqi.Stats()
		got, ok := map[string]int64{"max_in_flight": st.MaxInFlight, "logins": st.Logins, "token_requests": st.TokenRequests,
			"account_requests": st.AccountRequests, "list_requests": st.ListRequests, "requests": st.Requests}[args[1]]
		if !ok {
			ts.Fatalf("kqi stats: no counter %q", args[1])
		}
		want, err := strconv.ParseInt(args[3], 10, 64)
		ts.Check(err)
		if pass := map[string]bool{"<=": got <= want, "==": got == want, ">=": got >= want}[args[2]]; !pass {
			ts.Fatalf("kqi stats: %s is %d, want %s %d", args[1], got, args[2], want)
		}
		ts.Logf("%s = %d", args[1], got)
	default:
		return false
	}
	return true
}
