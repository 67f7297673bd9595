package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// The team features of a pass, between the diff and the schedule: the
// kamobot: words of each job (job/control.go), mutes (state/mute.go),
// reminders about jobs still stuck or in trouble, jobs failing
// repeatedly, and a webhook Slack refuses told through the default one.
// kamobot's watch over its own access to KAMONOHASHI is selfFailed and
// selfPass, called by Run.

// team applies the team features to the events of a pass. It returns the
// events left for the schedule and the messages to post first.
func (p *Pass) team(st *state.State, events []job.Event, now time.Time, rep *Report) ([]job.Event, []state.Message) {
	events = p.applyControl(events)
	failing := p.failing(st, events, now)
	mutes := p.muteNotices(st, now)
	events = p.holdMuted(st, events, now, rep)
	return events, slices.Concat(mutes, p.reminders(st, now, rep), failing, p.deadHookNotices(st, now))
}

// applyControl drops the events of jobs whose memo or tags say
// kamobot:quiet, and warns about kamobot: words it does not understand.
func (p *Pass) applyControl(events []job.Event) []job.Event {
	return slices.DeleteFunc(events, func(e job.Event) bool {
		c := job.ControlOf(e.Job)
		if len(c.Invalid) > 0 {
			p.Log.Warn("ignored words in a job's memo or tags: want kamobot:quiet, kamobot:loud or kamobot:mention=U…/S… (a Slack user or user group ID)",
				"tenant", e.Tenant.Name, "job", e.Job.Key(), "words", strings.Join(c.Invalid, " "))
		}
		if c.Quiet {
			p.Log.Debug("kamobot:quiet in the job's memo or tags: no message", "tenant", e.Tenant.Name,
				"job", e.Job.Key(), "event", e.Type)
		}
		return c.Quiet
	})
}

// tenantRef finds a watched tenant by name or decimal id; a mute of a
// tenant not visible now keeps the name it was given.
func (p *Pass) tenantRef(name string) job.TenantRef {
	for _, t := range p.tenants.Watched {
		if t.Name == name || api.FormatID(t.ID) == name {
			return job.TenantRef{ID: t.ID, Name: t.Name, DisplayName: t.DisplayName}
		}
	}
	return job.TenantRef{Name: name}
}

// muteNotices announces the mutes set since the last pass, and ends the
// mutes that are over: each end is announced, and what it held goes to the
// digest (the schedule posts it at once in office hours, else in the
// morning) or is dropped, as [watch] muted says.
func (p *Pass) muteNotices(st *state.State, now time.Time) []state.Message {
	// notice is the message of a mute set, or ended, in its tenant's channel.
	notice := func(m state.Mute, ended bool) state.Message {
		t := p.tenantRef(m.Tenant)
		pl := notify.RenderMute(notify.MuteNotice{Tenant: t, Kind: m.Kind, Since: m.Since, Until: m.Until,
			Reason: m.Reason, By: m.By, Ended: ended, Held: len(m.Held)}, p.renderOptions(now, nil))
		return newMessage(p.destOf(t.ID).hook, "mute", pl, now)
	}
	var msgs []state.Message
	for i := range st.Mutes {
		m := &st.Mutes[i]
		if m.Announced || m.Over(now) {
			continue
		}
		m.Announced = true
		msgs = append(msgs, notice(*m, false))
	}
	for _, m := range st.TakeEndedMutes(now) {
		if m.Announced {
			msgs = append(msgs, notice(m, true))
		}
		if len(m.Held) > 0 && len(st.Held) == 0 {
			st.Day.DigestSince = m.Since
		}
		st.Held = append(st.Held, m.Held...)
		p.Log.Info("mute ended", "tenant", m.Tenant, "kind", m.Kind, "held", len(m.Held))
	}
	return msgs
}

// holdMuted takes the events a mute covers out of the pass: kept in the
// mute for the digest at its end, or dropped.
func (p *Pass) holdMuted(st *state.State, events []job.Event, now time.Time, rep *Report) []job.Event {
	return slices.DeleteFunc(events, func(e job.Event) bool {
		m := st.MuteOf(e.Tenant, e.Job.Kind, now)
		if m == nil {
			return false
		}
		if p.Cfg.Watch.Team.Muted == config.MutedDrop {
			p.Log.Info("muted: event dropped as configured", "tenant", e.Tenant.Name, "job", e.Job.Key(), "event", e.Type)
			return true
		}
		if e.Type.IsEnding() {
			st.Day.Endings++
		}
		m.Held = append(m.Held, e)
		rep.Held++
		return true
	})
}

// reminders reminds of the jobs still stuck pending, Unknown or in
// trouble once their alert was posted: at each step of [watch] remind
// (from when the wait or trouble began), one reminder per step, also
// across restarts (Tracked.Reminded). After an absence the steps missed
// are skipped, not all sent at once. Only tenants read in this pass count:
// a stale status reminds of nothing.
func (p *Pass) reminders(st *state.State, now time.Time, rep *Report) []state.Message {
	team := p.Cfg.Watch.Team
	if len(team.Remind) == 0 {
		return nil
	}
	open := p.Cfg.Schedule.Open(now)
	var msgs []state.Message
	for _, t := range p.tenants.Watched {
		if slices.Contains(rep.FailedFetch, t.Name) || slices.Contains(rep.LostTenants, t.Name) {
			continue // a stale status reminds of nothing
		}
		ts := st.Tenant(t.ID, t.Name, t.DisplayName) // made by fetchAndDiff
		ref := ts.Ref()
		for _, k := range slices.Sorted(maps.Keys(ts.Kinds)) {
			c := ts.Kinds[k]
			for _, key := range slices.Sorted(maps.Keys(c.Open)) {
				tr := c.Open[key]
				alert, from, ok := tr.Waiting()
				if !ok {
					tr.Reminded = 0
					continue
				}
				j := tr.Job(k)
				ctl := job.ControlOf(j)
				if ctl.Quiet || !slices.Contains(p.routes[t.ID].Notify, alert) || st.MuteOf(ref, k, now) != nil ||
					(!open && !ctl.Loud) {
					continue
				}
				due := tr.Reminded
				for {
					at, ok := team.RemindAt(due)
					if !ok || now.Sub(from) < at {
						break
					}
					due++
				}
				if due == tr.Reminded {
					continue
				}
				tr.Reminded = due
				e := job.Event{Type: alert, Tenant: ref, Job: j, From: tr.Status, To: tr.Status, At: now}
				pl := notify.RenderReminder(e, from, due, p.renderOptions(now, p.mentionsOf([]job.Event{e})))
				msgs = append(msgs, newMessage(p.destOf(t.ID).hook, "reminder", pl, now))
			}
		}
	}
	return msgs
}

// failing records the failures among events and posts one "failing
// repeatedly" message for a job name of a tenant (or, by = "series", one
// owner's series of names: failingGroup) that failed
// failing_repeatedly.count times within its window, mentioning the
// tenant's escalate IDs; one per group and window.
func (p *Pass) failing(st *state.State, events []job.Event, now time.Time) []state.Message {
	team := p.Cfg.Watch.Team
	if team.FailingCount == 0 {
		return nil
	}
	var names []string
	for _, e := range events {
		if e.Type != job.EventFailed {
			continue
		}
		st.Team.RecordFailure(state.Failure{Tenant: e.Tenant.ID, Kind: e.Job.Kind, ID: e.Job.ID, ParentID: e.Job.ParentID,
			Name: e.Job.Name, Owner: e.Job.CreatedBy, At: now}, team.FailingWithin)
		if key, _ := failingGroup(team.FailingBy, e.Tenant.ID, e.Job.Name, e.Job.CreatedBy); !slices.Contains(names, key) {
			names = append(names, key)
		}
	}
	var msgs []state.Message
	for _, key := range names {
		if _, sent := st.Team.FailingSent[key]; sent {
			continue
		}
		var runs []notify.FailedRun
		var tenant int64
		var name string
		for _, f := range st.Team.Failures {
			if k, label := failingGroup(team.FailingBy, f.Tenant, f.Name, f.Owner); k == key && now.Sub(f.At) <= team.FailingWithin {
				tenant, name = f.Tenant, label
				runs = append(runs, notify.FailedRun{At: f.At, Job: api.Job{Kind: f.Kind, ID: f.ID, ParentID: f.ParentID,
					Name: f.Name, CreatedBy: f.Owner}})
			}
		}
		if len(runs) < team.FailingCount {
			continue
		}
		ref := p.refOf(st, tenant)
		if st.MuteOf(ref, runs[len(runs)-1].Job.Kind, now) != nil {
			continue // told once the mute is over and the name fails again
		}
		if st.Team.FailingSent == nil {
			st.Team.FailingSent = map[string]time.Time{}
		}
		st.Team.FailingSent[key] = now
		pl := notify.RenderFailing(ref, name, runs, team.FailingWithin, mentionIDs(p.routes[tenant].Escalate),
			p.renderOptions(now, nil))
		msgs = append(msgs, newMessage(p.destOf(tenant).hook, "failing", pl, now))
		p.Log.Info("a job keeps failing", "tenant", ref.Name, "name", name, "failures", len(runs))
	}
	return msgs
}

// failingGroup is the group a failed run counts in, and the name the
// message shows for it. by = "name": the tenant and the exact job name
// ("<tenant id>/<name>", as before). by = "series": the tenant, the owner
// and the name without its trailing run number or date
// ("<tenant id>/~<owner>/<stem>", shown as "<stem>…"), so "resnet-run-12"
// and "resnet-run-13" of one owner count together.
func failingGroup(by string, tenant int64, name, owner string) (key, label string) {
	if by != config.FailingBySeries {
		return api.FormatID(tenant) + "/" + name, name
	}
	stem := seriesStem(name)
	label = name
	if stem != name {
		label = stem + "…"
	}
	return api.FormatID(tenant) + "/~" + owner + "/" + stem, label
}

// trailingRun matches what ends a name of a series: numbers (a run
// number, a date, a time) each after a separator. A number stuck to a
// word ("resnet50", "run12") is part of the name.
var trailingRun = regexp.MustCompile(`([-_.:/ #]+[0-9]+)+[-_.:/ #]*$`)

// seriesStem is name without its trailing run number or date:
// "resnet-run-12" → "resnet-run", "exp_2026-11-25_3" → "exp". The stem
// keeps no separator at its end; a name whose stem would hold no letter
// ("2026-11-25") is kept whole.
func seriesStem(name string) string {
	stem := trailingRun.ReplaceAllString(name, "")
	if !strings.ContainsFunc(stem, unicode.IsLetter) {
		return name
	}
	return stem
}

// refOf names tenant id as the state knows it.
func (p *Pass) refOf(st *state.State, id int64) job.TenantRef {
	if ts := st.Tenants[api.FormatID(id)]; ts != nil {
		return ts.Ref()
	}
	return job.TenantRef{ID: id}
}

// deadHookNotices tells, through the default webhook, of a tenant's
// webhook Slack refuses as a whole: once while it stays refused.
func (p *Pass) deadHookNotices(st *state.State, now time.Time) []state.Message {
	self := &st.Team.Self
	self.DeadHooksTold = slices.DeleteFunc(self.DeadHooksTold, func(h state.Hook) bool { return st.DeadHooks[h] == nil })
	if st.DeadHooks[state.DefaultHook] != nil || p.Cfg.Slack.Webhook.IsZero() {
		return nil
	}
	var msgs []state.Message
	for _, h := range slices.Sorted(maps.Keys(st.DeadHooks)) {
		if slices.Contains(self.DeadHooksTold, h) || p.destOfHook(h).url == p.Cfg.Slack.Webhook {
			continue
		}
		d := st.DeadHooks[h]
		self.DeadHooksTold = append(self.DeadHooksTold, h)
		name := h.String()
		if ref := p.refOf(st, int64(h)); ref.Name != "" {
			name = fmt.Sprintf("%s (%s)", h, ref.Label())
		}
		pl := notify.RenderDeadHook(name, d.Since, d.LastError, p.renderOptions(now, nil))
		msgs = append(msgs, newMessage(state.DefaultHook, "self", pl, now))
	}
	return msgs
}

// selfNote records a pass that could not reach KAMONOHASHI, or whose
// login it refused (or that read no tenant at all); once that has lasted
// self_alert_after it returns the message that tells the default channel,
// once per outage.
func (p *Pass) selfNote(st *state.State, now time.Time, err error) []state.Message {
	after := p.Cfg.Watch.Team.SelfAlertAfter
	what := selfTrouble(err)
	if after == 0 || what == "" {
		return nil
	}
	self := &st.Team.Self
	if self.FailingSince.IsZero() {
		self.FailingSince = now
	}
	self.LastError = err.Error()
	if self.Alerted || now.Sub(self.FailingSince) < after {
		return nil
	}
	self.Alerted = true
	p.Log.Warn("KAMONOHASHI has failed for a while: the channel is told", "since", self.FailingSince, errAttr(err))
	pl := notify.RenderSelf(notify.SelfNotice{What: what, Since: self.FailingSince, Error: self.LastError},
		p.renderOptions(now, nil))
	return []state.Message{newMessage(state.DefaultHook, "self", pl, now)}
}

// selfFailed is selfNote for a pass that stopped before its diff: the
// state is saved and the outbox sent, as a pass would. It is called with
// the lock held and the state loaded.
func (p *Pass) selfFailed(ctx context.Context, st *state.State, now time.Time, err error, rep *Report) {
	before := st.Team.Self
	for _, m := range p.selfNote(st, now, err) {
		st.Enqueue(m)
	}
	after := st.Team.Self
	if after.FailingSince.Equal(before.FailingSince) && after.Alerted == before.Alerted && len(st.Outbox) == 0 {
		return // nothing new to record: the lock holder's file stays as it is
	}
	if err := p.Store.Save(st); err != nil {
		p.Log.Warn("cannot record KAMONOHASHI's failure in the state", errAttr(err))
		return
	}
	if len(st.Outbox) > 0 {
		p.deliver(ctx, st, now, rep)
		if err := p.Store.Save(st); err != nil {
			p.Log.Warn("cannot save the state after sending", errAttr(err))
		}
	}
}

// selfPass runs selfNote after a pass that got to its diff but read no
// tenant at all. After one that read some, it ends an outage recorded by
// selfNote: the channel hears that KAMONOHASHI works again, with the
// events this pass caught up, when it was told of the outage.
func (p *Pass) selfPass(st *state.State, now time.Time, caughtUp int, rep *Report) []state.Message {
	if len(rep.FailedFetch) > 0 && rep.Tenants == 0 {
		return p.selfNote(st, now, fmt.Errorf("%w: %v", ErrFetchFailed, rep.FailedFetch))
	}
	self := &st.Team.Self
	since, alerted, last := self.FailingSince, self.Alerted, self.LastError
	self.FailingSince, self.Alerted, self.LastError = time.Time{}, false, ""
	if since.IsZero() || !alerted {
		return nil // no outage, or one the channel was not told of
	}
	p.Log.Info("KAMONOHASHI works again", "since", since, "caught_up", caughtUp)
	pl := notify.RenderSelf(notify.SelfNotice{Up: true, Since: since, CaughtUp: caughtUp, Error: last}, p.renderOptions(now, nil))
	return []state.Message{newMessage(state.DefaultHook, "self", pl, now)}
}

// selfTrouble names what keeps kamobot from reading KAMONOHASHI at all
// (unreachable, its login refused, no tenant read), or is "" when err is
// not such trouble.
func selfTrouble(err error) string {
	switch {
	case errors.Is(err, api.ErrUnauthorized):
		return "login refused"
	case errors.Is(err, api.ErrUnreachable):
		return "KAMONOHASHI unreachable"
	case errors.Is(err, ErrFetchFailed):
		return "every tenant failed to be read"
	}
	return ""
}
