package state

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// Mute holds a tenant's messages (or those about one kind of its jobs)
// for a while. The store's operations are here, so that `kamobot mute`
// and a Slack `/kamobot mute` change mutes the same way; a pass of
// `watch` or `check` honours them, announces them and ends them.
//
// A mute is named by the tenant as the user wrote it (a name, or an id in
// decimal) and the kind ("" for every kind).
type Mute struct {
	Tenant string    `json:"tenant"`
	Kind   api.Kind  `json:"kind,omitempty"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason,omitempty"`
	// By says who set it ("cli", or a Slack user ID).
	By string `json:"by,omitempty"`
	// Announced is set once the channel was told of the mute.
	Announced bool `json:"announced,omitempty"`
	// Ended is set when the mute was lifted before Until (unmute); the
	// next pass announces the end and releases what it held.
	Ended bool `json:"ended,omitempty"`
	// Held are the events the mute kept for the digest that follows its
	// end (with [watch] muted = "digest").
	Held []job.Event `json:"held,omitempty"`
}

// ErrMute: a mute cannot be set or lifted as asked.
var ErrMute = errors.New("mute")

// MaxMuteFor bounds how long one mute lasts: a forgotten mute must not
// silence a tenant for good.
const MaxMuteFor = 30 * 24 * time.Hour

// Over reports whether the mute no longer holds anything at now.
func (m *Mute) Over(now time.Time) bool { return m.Ended || !now.Before(m.Until) }

// Label names what the mute holds: "vision" or "vision/training".
func (m Mute) Label() string {
	if m.Kind == "" {
		return m.Tenant
	}
	return m.Tenant + "/" + string(m.Kind)
}

// SetMute adds a mute, or changes the mute already set on the same tenant
// and kind (its end, reason; what it holds is kept). It returns the mute
// as stored.
func (s *State) SetMute(m Mute, now time.Time) (Mute, error) {
	m.Tenant = strings.TrimSpace(m.Tenant)
	if m.Tenant == "" {
		return Mute{}, fmt.Errorf("%w: no tenant given", ErrMute)
	}
	name, err := s.mutedTenant(m.Tenant)
	if err != nil {
		return Mute{}, err
	}
	m.Tenant = name
	switch {
	case !m.Until.After(now):
		return Mute{}, fmt.Errorf("%w: %s is not in the future", ErrMute, m.Until.Format(time.RFC3339))
	case m.Until.Sub(now) > MaxMuteFor:
		return Mute{}, fmt.Errorf("%w: %s is more than 30 days away; mute for less, and again later if need be",
			ErrMute, m.Until.Format(time.RFC3339))
	}
	m.Since, m.Announced, m.Ended, m.Held = now, false, false, nil
	for i := range s.Mutes {
		old := &s.Mutes[i]
		if old.Tenant == m.Tenant && old.Kind == m.Kind && !old.Ended {
			old.Until, old.Reason, old.By, old.Announced = m.Until, m.Reason, m.By, false
			return *old, nil
		}
	}
	s.Mutes = append(s.Mutes, m)
	return m, nil
}

// Unmute lifts the mutes of tenant (and of kind, or all its kinds when
// kind is ""). They end at the next pass, which announces it and releases
// what they held. It returns the mutes lifted; none is an error.
func (s *State) Unmute(tenant string, kind api.Kind, now time.Time) ([]Mute, error) {
	if name, err := s.mutedTenant(strings.TrimSpace(tenant)); err == nil {
		tenant = name
	}
	var out []Mute
	for i := range s.Mutes {
		m := &s.Mutes[i]
		if m.Tenant != tenant || (kind != "" && m.Kind != kind) || m.Over(now) {
			continue
		}
		m.Ended = true
		out = append(out, *m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s is not muted", ErrMute, Mute{Tenant: tenant, Kind: kind}.Label())
	}
	return out, nil
}

// ActiveMutes lists the mutes holding at now, ending soonest first.
func (s *State) ActiveMutes(now time.Time) []Mute {
	out := slices.DeleteFunc(slices.Clone(s.Mutes), func(m Mute) bool { return m.Over(now) })
	slices.SortStableFunc(out, func(a, b Mute) int { return a.Until.Compare(b.Until) })
	return out
}

// MuteOf returns the mute holding the events of tenant t about kind k at
// now, or nil. The mute's tenant matches by name or by id (in decimal).
func (s *State) MuteOf(t job.TenantRef, k api.Kind, now time.Time) *Mute {
	for i := range s.Mutes {
		m := &s.Mutes[i]
		if !m.Over(now) && (m.Kind == "" || m.Kind == k) && (m.Tenant == t.Name || m.Tenant == api.FormatID(t.ID)) {
			return m
		}
	}
	return nil
}

// TakeEndedMutes removes the mutes over at now and returns them, with what
// they held: the pass announces each end and releases the events.
func (s *State) TakeEndedMutes(now time.Time) []Mute {
	var ended []Mute
	s.Mutes = slices.DeleteFunc(s.Mutes, func(m Mute) bool {
		if m.Over(now) {
			ended = append(ended, m)
			return true
		}
		return false
	})
	return ended
}

// mutedTenant names the tenant a user wrote (its name, display name or id,
// in any case) as mutes name it: by its name, which MuteOf matches. A
// tenant kamobot has not seen is refused, so that a typo never reads as a
// mute that holds nothing; before any pass, what was written is kept.
func (s *State) mutedTenant(written string) (string, error) {
	if len(s.Tenants) == 0 {
		return written, nil
	}
	var known []string
	for _, t := range s.Tenants {
		if strings.EqualFold(written, t.Name) || strings.EqualFold(written, t.DisplayName) || written == api.FormatID(t.ID) {
			return t.Name, nil
		}
		known = append(known, t.Name)
	}
	slices.Sort(known)
	return "", fmt.Errorf("%w: kamobot watches no tenant %q (it watches %s)", ErrMute, written, strings.Join(known, ", "))
}
