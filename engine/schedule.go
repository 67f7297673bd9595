package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// greetingGrace: the morning greeting is skipped when kamobot first runs
// this long after office hours opened (a restart at 15:00 says no "good
// morning"); the digest of what happened overnight is posted anyway.
const greetingGrace = time.Hour

// schedule decides what to post now: the events (or hold them for the
// digest outside office hours), greetings, the digest, the summary. It
// renders the messages; the caller puts them in the outbox.
func (p *Pass) schedule(st *state.State, events []job.Event, now time.Time, rep *Report) []state.Message {
	sch := p.Cfg.Schedule
	today := config.DateOf(now.In(sch.Location()))
	if st.Day.Date != today.String() {
		st.Day = state.DayState{Date: today.String(), LastPostAt: st.Day.LastPostAt, DigestSince: st.Day.DigestSince}
	}
	if st.Day.LastPostAt.IsZero() || st.Day.LastPostAt.After(now) {
		st.Day.LastPostAt = now // nothing posted yet: silence starts now
	}
	open := sch.Open(now)
	var send []job.Event
	for _, e := range events {
		if e.Type.IsEnding() {
			st.Day.Endings++
		}
		if open || job.ControlOf(e.Job).Loud { // kamobot:loud in the job's memo: at once
			send = append(send, e)
			continue
		}
		switch sch.OutsideHours(e.Type) {
		case config.HoldSend:
			send = append(send, e)
		case config.HoldDigest:
			if len(st.Held) == 0 {
				st.Day.DigestSince = now
			}
			st.Held = append(st.Held, e)
			rep.Held++
		default:
			p.Log.Info("outside office hours: event dropped as configured", "tenant", e.Tenant.Name,
				"job", e.Job.Key(), "event", e.Type)
		}
	}

	var msgs []state.Message
	start, _, workday := sch.Window(today)
	if open && sch.Greetings() && !st.Day.Entered {
		st.Day.Entered = true
		if workday && now.Sub(start) < greetingGrace {
			msgs = append(msgs, p.greeting(notify.GreetingEnter, now))
		}
	}
	if open && len(st.Held) > 0 {
		msgs = append(msgs, p.digests(st, st.Held, st.Day.DigestSince, now)...)
		st.Held, st.Day.DigestSince = nil, time.Time{}
	}
	msgs = append(msgs, p.eventMessages(st, send, now)...)
	if silence := p.Cfg.Watch.SummaryAfterSilence; open && silence > 0 && len(msgs) == 0 &&
		now.Sub(st.Day.LastPostAt) >= silence {
		msgs = append(msgs, p.summaries(st, now)...)
	}
	if !open && sch.Greetings() && st.Day.Entered && !st.Day.Left && workday && now.After(start) {
		st.Day.Left = true
		kind := notify.GreetingLeave
		switch {
		case sch.IsLastWorkingDay(now):
			kind = notify.GreetingLeaveFriday
		case st.Day.Endings == 0:
			kind = notify.GreetingLeaveQuiet
		}
		msgs = append(msgs, p.greeting(kind, now))
	}
	if len(msgs) > 0 {
		st.Day.LastPostAt = now
	}
	return msgs
}

// filter keeps the events each tenant's config asks to post: of its
// types, and an ending only of a job that left a stage [watch] notify_from
// names.
func (p *Pass) filter(events []job.Event) []job.Event {
	return slices.DeleteFunc(events, func(e job.Event) bool {
		return !slices.Contains(p.routes[e.Tenant.ID].Notify, e.Type) || (e.Type.IsEnding() &&
			e.Type != job.EventDeleted && e.From != "" && !p.Cfg.Watch.NotifiesFrom(lifeStage(e.From)))
	})
}

// lifeStage names where a status stands for the notify_from rule: a job
// queued under any name is "Pending", one alive in trouble was "Running".
func lifeStage(status string) string {
	switch api.StatusPhase(status) {
	case api.PhaseTrouble:
		return "Running"
	case api.PhaseOpen:
		if status == "Running" || status == "Opened" {
			return status
		}
		return "Pending"
	}
	return status
}

func (p *Pass) renderOptions(now time.Time, mentions map[int64][]string) notify.RenderOptions {
	owners := map[string]string{}
	for user, m := range p.Cfg.Owners {
		owners[user] = string(m)
	}
	return notify.RenderOptions{
		Server:   p.Cfg.Kamonohashi.Server,
		Location: p.Cfg.Schedule.Location(),
		Now:      now,
		Lang:     p.Cfg.Slack.Language,
		Phrase:   p.Pick,
		Owners:   owners,
		// Each tenant's mentions head its own section of a batch, never a
		// message that also holds other tenants' jobs.
		TenantMentions: mentions,
	}
}

// mentionsOf gives the mentions of each tenant in events.
func (p *Pass) mentionsOf(events []job.Event) map[int64][]string {
	out := map[int64][]string{}
	for _, e := range events {
		out[e.Tenant.ID] = mentionIDs(p.routes[e.Tenant.ID].Mention)
	}
	return out
}

// mentionIDs are the Slack IDs of ms.
func mentionIDs(ms []config.Mention) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, string(m))
	}
	return ids
}

// byHook groups events by the webhook they go to, keeping their order.
func (p *Pass) byHook(events []job.Event) ([]state.Hook, map[state.Hook][]job.Event) {
	return groupBy(events, func(e job.Event) state.Hook { return p.destOf(e.Tenant.ID).hook })
}

// groupBy groups xs by key, keeping their order; keys are in the order
// they first appear.
func groupBy[K comparable, V any](xs []V, key func(V) K) (keys []K, groups map[K][]V) {
	groups = map[K][]V{}
	for _, x := range xs {
		k := key(x)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], x)
	}
	return keys, groups
}

// eventMessages renders the events: one message per webhook for the pass,
// split only where Slack's limits demand it.
func (p *Pass) eventMessages(st *state.State, events []job.Event, now time.Time) []state.Message {
	hooks, groups := p.byHook(events)
	var msgs []state.Message
	for _, h := range hooks {
		evs := groups[h]
		if to := p.destOfHook(h); to.app() {
			msgs = append(msgs, p.appEvents(st, to, evs, now)...) // a thread per job (app.go)
			continue
		}
		for _, pl := range notify.RenderEvents(evs, p.renderOptions(now, p.mentionsOf(evs))) {
			msgs = append(msgs, newMessage(h, "events", pl, now))
		}
	}
	return msgs
}

func (p *Pass) digests(st *state.State, held []job.Event, since, now time.Time) []state.Message {
	hooks, groups := p.byHook(held)
	var msgs []state.Message
	for _, h := range hooks {
		evs := groups[h]
		o := p.renderOptions(now, p.mentionsOf(evs))
		o.ThreadLink = p.threadLink(st)
		pl := notify.RenderDigest(evs, since, o)
		msgs = append(msgs, newMessage(h, "digest", pl, now))
	}
	return msgs
}

// greeting goes to every webhook in use, once.
func (p *Pass) greeting(kind string, now time.Time) state.Message {
	pl := notify.RenderGreeting(kind, p.Pick(kind), p.renderOptions(now, nil))
	return newMessage(state.DefaultHook, kind, pl, now)
}

// summaries tells what is running, per webhook, when something is.
func (p *Pass) summaries(st *state.State, now time.Time) []state.Message {
	var tenants []notify.TenantSummary
	for _, t := range p.tenants.Watched {
		ts := st.Tenant(t.ID, t.Name, t.DisplayName) // made by fetchAndDiff
		ref := ts.Ref()
		ten := notify.TenantSummary{Tenant: ref, Counts: map[api.Kind]int{}}
		for k, c := range ts.Kinds {
			for _, tr := range c.Open {
				if tr.Status != "Running" {
					continue
				}
				ten.Counts[k]++
				j := tr.Job(k)
				j.StartedAt = tr.Since()
				ten.Longest = append(ten.Longest, j)
			}
		}
		if len(ten.Longest) == 0 {
			continue
		}
		slices.SortFunc(ten.Longest, func(a, b api.Job) int { return a.StartedAt.Compare(b.StartedAt) })
		tenants = append(tenants, ten)
	}
	hooks, per := groupBy(tenants, func(t notify.TenantSummary) state.Hook { return p.destOf(t.Tenant.ID).hook })
	var msgs []state.Message
	for _, h := range hooks {
		pl := notify.RenderSummary(notify.Summary{Tenants: per[h]}, p.renderOptions(now, nil))
		msgs = append(msgs, newMessage(h, "summary", pl, now))
	}
	return msgs
}

// newMessage puts a rendered payload in a message: its JSON is what Slack
// gets, byte for byte.
func newMessage(hook state.Hook, kind string, pl notify.Payload, now time.Time) state.Message {
	b, err := pl.JSON()
	if err != nil {
		panic(fmt.Sprintf("encode payload: %v", err)) // a payload is plain data: cannot fail
	}
	// The summary is one readable line for `state show`.
	return state.Message{Hook: hook, Kind: kind, Payload: b, Summary: notify.Truncate(pl.Text, 120), Created: now}
}
