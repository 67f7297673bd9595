package job

import (
	"maps"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
)

// A kind read every other pass alternates, whatever the tenant; every
// definition is read on the passes that read; a status awaiting
// confirmation, or no baseline yet, reads every pass.
func TestPlanRestedEveryOtherPass(t *testing.T) {
	c := &KindCursor{Baselined: true, MaxID: 4, Open: map[string]*Tracked{
		"preprocessing/3/1": {ID: 1, ParentID: 3, Status: "Running"},
	}, Defs: map[int64]*DefCursor{
		1: {LastActivity: t0.Add(-time.Hour)},
		2: {LastActivity: t0.Add(-48 * time.Hour)},
		3: {LastActivity: t0.Add(-48 * time.Hour)},
	}}
	for _, tenant := range []int64{1, 2} {
		var rests int
		seen := map[int64]int{}
		for pass := range 4 {
			c.Passes = int64(pass)
			p := c.PlanRested(api.KindPreprocessing, t0, tenant)
			if p.Rest {
				rests++
				continue
			}
			for _, id := range p.Defs {
				seen[id]++
			}
			if len(p.Far) != 0 {
				t.Errorf("tenant %d pass %d: far %v, want none (its definition is read)", tenant, pass, p.Far)
			}
		}
		if want := map[int64]int{1: 2, 2: 2, 3: 2}; rests != 2 || !maps.Equal(seen, want) {
			t.Errorf("tenant %d: %d rests in 4 passes, reads %v; want 2 and %v", tenant, rests, seen, want)
		}
	}
	c.Open["preprocessing/3/1"].Confirm = "None"
	for pass := range 2 {
		c.Passes = int64(pass)
		if c.PlanRested(api.KindPreprocessing, t0, 1).Rest {
			t.Errorf("pass %d rests with a status awaiting confirmation", pass)
		}
	}
	var fresh *KindCursor
	if p := fresh.PlanRested(api.KindTraining, t0, 1); p.Rest || !p.Full {
		t.Errorf("no cursor yet: %+v, want a full listing", p)
	}
}
