package state

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

func TestMuteLifecycle(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	st := New()
	vision := job.TenantRef{ID: 3, Name: "vision"}
	if _, err := st.SetMute(Mute{Tenant: "vision", Until: now.Add(time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetMute(Mute{Tenant: "3", Kind: api.KindNotebook, Until: now.Add(2 * time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if st.MuteOf(vision, api.KindTraining, now) == nil || st.MuteOf(job.TenantRef{ID: 4, Name: "nlp"}, api.KindTraining, now) != nil {
		t.Error("MuteOf: wrong tenant matched")
	}
	// Set again: one mute, a later end.
	if _, err := st.SetMute(Mute{Tenant: "vision", Until: now.Add(3 * time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if got := len(st.ActiveMutes(now)); got != 2 {
		t.Fatalf("active mutes: %d, want 2", got)
	}
	if ended := st.TakeEndedMutes(now.Add(2 * time.Hour)); len(ended) != 1 || ended[0].Kind != api.KindNotebook {
		t.Fatalf("ended at +2h: %+v, want the notebook mute", ended)
	}
	if _, err := st.Unmute("vision", "", now.Add(150*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st.MuteOf(vision, api.KindTraining, now.Add(150*time.Minute)) != nil {
		t.Error("unmuted, still muting")
	}
	if ended := st.TakeEndedMutes(now.Add(150 * time.Minute)); len(ended) != 1 || len(st.Mutes) != 0 {
		t.Errorf("after unmute: ended %d, left %d", len(ended), len(st.Mutes))
	}
	for _, m := range []Mute{{Tenant: "", Until: now.Add(time.Hour)}, {Tenant: "x", Until: now}, {Tenant: "x", Until: now.Add(31 * 24 * time.Hour)}} {
		if _, err := st.SetMute(m, now); !errors.Is(err, ErrMute) {
			t.Errorf("SetMute(%+v): %v, want ErrMute", m, err)
		}
	}
	if _, err := st.Unmute("nobody", "", now); !errors.Is(err, ErrMute) {
		t.Errorf("Unmute of nothing: %v", err)
	}
}

// TestMuteNamesATenantKamobotWatches: a mute is stored under the tenant's
// name whatever the user wrote (any case, its display name, its id), so
// that it holds that tenant's events; a tenant kamobot does not watch is
// refused rather than muted to no effect.
func TestMuteNamesATenantKamobotWatches(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	st := New()
	st.Tenant(1, "vision", "Vision Lab")
	for _, written := range []string{"VISION", "vision lab", "1"} {
		m, err := st.SetMute(Mute{Tenant: written, Until: now.Add(time.Hour)}, now)
		if err != nil || m.Tenant != "vision" {
			t.Errorf("mute %q: stored %q, %v; want vision", written, m.Tenant, err)
		}
	}
	if got := st.MuteOf(job.TenantRef{ID: 1, Name: "vision"}, api.KindTraining, now); got == nil {
		t.Error("the mute holds nothing for tenant vision")
	}
	if _, err := st.SetMute(Mute{Tenant: "visoin", Until: now.Add(time.Hour)}, now); !errors.Is(err, ErrMute) ||
		!strings.Contains(err.Error(), `no tenant "visoin" (it watches vision)`) {
		t.Errorf("unknown tenant: %v", err)
	}
	if _, err := st.Unmute("Vision Lab", "", now); err != nil {
		t.Errorf("unmute by display name: %v", err)
	}
}
