package main

import (
	"strconv"
	"sync"
	"time"

	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/rogpeppe/go-internal/testscript"
)

// scriptClock is the fake KAMONOHASHI's clock: demoNow until "kqi clock".
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
		f.KQI.SetLocation(loc)
	case "clock":
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		f.clock.mu.Lock()
		f.clock.at = f.clock.at.Add(d)
		f.clock.mu.Unlock()
	case "deny":
		ts.Check(f.KQI.DenyMenus(args[1], args[2:]...))
	case "lose":
		ts.Check(f.KQI.RemoveTenant("demo", args[1]))
	case "seed":
		var n [3]int
		for i := range n {
			v, err := strconv.Atoi(args[1+i])
			ts.Check(err)
			n[i] = v
		}
		_, err := f.KQI.Seed(kqifake.SeedOptions{Tenants: n[0], JobsPerTenant: n[1], OpenPerTenant: n[2], Accounts: []string{"demo"}})
		ts.Check(err)
	case "latency":
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		f.KQI.SetFaults(kqifake.Faults{Latency: d})
	case "reset-stats":
		f.KQI.ResetStats()
	case "stats":
		if len(args) != 4 {
			ts.Fatalf("usage: kqi stats FIELD <=|==|>= N")
		}
		st := f.KQI.Stats()
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
