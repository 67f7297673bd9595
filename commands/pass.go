package commands

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
	"golang.org/x/sync/errgroup"
)

// Pass runs kamobot's main job, one pass at a time: fetch, diff, schedule,
// render into the outbox, save, send, save. `watch` keeps one Pass across
// passes; `check` runs one.
type Pass struct {
	Cfg    *config.Config
	API    jobsAPI
	Store  *state.Store
	Sender *notify.Sender
	Log    *slog.Logger
	Now    func() time.Time
	// Pick chooses a phrase from a message set.
	Pick func(key string) string
	// Who names the process in the lock file ("watch", "check").
	Who string
	// LockWait is how long to wait for another kamobot to finish its pass.
	LockWait time.Duration
	// Concurrency bounds the requests in flight at once (default
	// fetchConcurrency while fetching, 8 while reading details of events).
	Concurrency int
	// TenantsTTL is how long the list of visible tenants is reused (watch).
	TenantsTTL time.Duration

	tenants   tenantView
	tenantsAt time.Time
	warned    bool
	// warnedVanished: tenants that left the account were warned about
	// since the tenant list was last read.
	warnedVanished bool
}

// PassOptions change how one pass runs.
type PassOptions struct {
	// DryRun computes the messages and returns them without saving or sending.
	DryRun bool
	// At evaluates the pass as if it were that time (with DryRun).
	At time.Time
}

// PassReport says what a pass did.
type PassReport struct {
	Baselined    int // jobs recorded by a first listing
	Tenants      int // tenants fetched
	FailedFetch  []string
	Events       int // events worth a message
	Held         int // events held for the morning digest
	Queued       int // messages put in the outbox
	Sent         int // messages Slack accepted
	Pending      int // messages still in the outbox
	Dead         int // messages Slack refused for good
	DeadWebhooks []string
	// Messages are the messages queued (all of them, for a dry run).
	Messages []state.Message

	// Sending is true once the pass got as far as sending; OldestPending
	// and DeadLetters (and Pending) then describe the outbox after it.
	Sending       bool
	OldestPending time.Time // when the oldest message still in the outbox was queued
	DeadLetters   int       // messages kept in the dead letters
	// SendFailures counts the deliveries Slack did not take, by class
	// (rate_limited, temporary, dead_webhook, permanent_message).
	SendFailures map[string]int
}

// Quiet reports whether nothing worth an info log line happened.
func (r PassReport) Quiet() bool {
	return r.Baselined == 0 && len(r.FailedFetch) == 0 && r.Events == 0 && r.Queued == 0 && r.Sent == 0 &&
		r.Dead == 0 && len(r.DeadWebhooks) == 0
}

// Errors a pass reports; each leaves the state consistent.
var (
	errFetchFailed = errors.New("some tenants could not be read; they are retried next pass")
	errPending     = errors.New("some messages could not be delivered yet; they stay in the outbox")
)

// Run runs one pass. The error is nil when all went well; otherwise it says
// what must be retried (nothing is lost) or what needs a human.
func (p *Pass) Run(ctx context.Context, o PassOptions) (PassReport, error) {
	var rep PassReport
	if !o.DryRun {
		installStoreHooks(p.Store)
		unlock, err := p.Store.Lock(ctx, cmp.Or(p.LockWait, 10*time.Second), p.Who)
		if err != nil {
			return rep, err
		}
		defer unlock()
	}
	st, fresh, err := p.Store.Load()
	if err != nil {
		return rep, stateHint(err)
	}
	now := p.Now()
	if !o.At.IsZero() {
		now = o.At
	}
	if fresh && !o.DryRun {
		p.Log.Info("no state yet: recording what runs now as the baseline; nothing that ended before is reported",
			"state", p.Store.Path())
	}
	st.LastRun = state.RunInfo{Start: now}

	events, err := p.fetchAndDiff(ctx, st, now, &rep)
	if err != nil {
		return rep, err
	}
	events = p.filter(events)
	p.enrich(ctx, events)
	rep.Events = len(events)
	msgs := p.schedule(st, events, now, &rep)
	for _, m := range msgs {
		rep.Messages = append(rep.Messages, st.Enqueue(m))
	}
	rep.Queued = len(msgs)
	if o.DryRun {
		rep.Messages = slices.Clone(st.Outbox)
		return rep, nil
	}
	crashPoint("after_fetch")
	if err := p.Store.Save(st); err != nil {
		return rep, err
	}
	crashPoint("after_outbox_save")
	p.send(ctx, st, now, &rep)
	st.LastRun.End = p.Now()
	st.LastRun.OK = len(rep.FailedFetch) == 0 && rep.Pending == 0
	if err := p.Store.Save(st); err != nil {
		return rep, err
	}
	switch {
	case len(rep.DeadWebhooks) > 0:
		return rep, deadHookError(st, rep)
	case len(rep.FailedFetch) > 0:
		return rep, &ExitError{Code: ExitTempFail, Err: fmt.Errorf("%w: %v", errFetchFailed, rep.FailedFetch)}
	case rep.Pending > 0:
		return rep, &ExitError{Code: ExitTempFail, Err: fmt.Errorf("%w (%d)", errPending, rep.Pending)}
	}
	return rep, nil
}

// fetchAndDiff fetches every watched tenant (concurrently, bounded) and
// diffs what came back. A tenant whose fetch failed keeps its old state.
func (p *Pass) fetchAndDiff(ctx context.Context, st *state.State, now time.Time, rep *PassReport) ([]state.Event, error) {
	v, err := p.watchedTenants(ctx, now)
	if err != nil {
		return nil, err
	}
	// Every (tenant, kind) is fetched concurrently under one bound; a
	// tenant whose fetch of any kind failed is skipped as a whole.
	type job struct {
		tenant int
		kind   api.Kind
		plan   state.Plan
	}
	p.warnVanished(st, v)
	var jobs []job
	for i, t := range v.Watched {
		ts := st.Tenant(t.ID, t.Name, t.DisplayName)
		for _, k := range p.Cfg.Route(t.ID, t.Name).Kinds {
			jobs = append(jobs, job{i, k, ts.Kinds[k].Plan(k, now)})
		}
	}
	fetched := make([]state.Fetched, len(jobs))
	// The bound is on requests, not on (tenant, kind) fetches: far re-reads
	// and preprocessing histories run under it too. As many fetches are
	// under way as requests may be in flight; more would only wait.
	lim := newLimiter(cmp.Or(p.Concurrency, fetchConcurrency))
	errs := newLimiter(cap(lim)).goEach(ctx, len(jobs), func(n int) (err error) {
		j := jobs[n]
		fetched[n], err = fetchKind(ctx, p.API, lim, v.Watched[j.tenant].ID, j.kind, j.plan)
		return err
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	type result struct {
		tenant  api.Tenant
		fetched []state.Fetched
		err     error
	}
	results := make([]result, len(v.Watched))
	for i, t := range v.Watched {
		results[i].tenant = t
	}
	for n, j := range jobs {
		r := &results[j.tenant]
		if errs[n] != nil && r.err == nil {
			r.err = fmt.Errorf("%s jobs: %w", j.kind, errs[n])
		}
		r.fetched = append(r.fetched, fetched[n])
	}
	opts := state.DiffOptions{StuckPendingAfter: p.Cfg.Watch.StuckPendingAfter, LongRunningAfter: p.Cfg.Watch.LongRunningAfter}
	var events []state.Event
	for _, r := range results {
		if r.err != nil {
			p.Log.Warn("cannot read tenant; skipped this pass, nothing inferred", "tenant", r.tenant.Name, errAttr(r.err))
			rep.FailedFetch = append(rep.FailedFetch, r.tenant.Name)
			continue
		}
		rep.Tenants++
		ts := st.Tenant(r.tenant.ID, r.tenant.Name, r.tenant.DisplayName)
		for _, f := range r.fetched {
			prev := ts.Kinds[f.Kind]
			next, evs := state.Diff(prev, f, ts.Ref(), opts, now)
			if prev == nil || !prev.Baselined {
				rep.Baselined += len(next.Open)
			}
			ts.Kinds[f.Kind] = next
			events = append(events, evs...)
		}
	}
	return events, nil
}

// watchedTenants returns the tenants to watch, asking the server at most
// once per TenantsTTL.
func (p *Pass) watchedTenants(ctx context.Context, now time.Time) (tenantView, error) {
	if p.tenantsAt.IsZero() || now.Sub(p.tenantsAt) >= p.TenantsTTL || now.Before(p.tenantsAt) {
		v, err := resolveTenants(ctx, p.Cfg, p.API)
		if err != nil {
			return tenantView{}, err
		}
		p.tenants, p.tenantsAt = v, now
		p.warned, p.warnedVanished = false, false
	}
	if err := p.tenants.missingError(); err != nil && !p.warned {
		p.Log.Warn(err.Error())
		p.warned = true
	}
	if len(p.tenants.Watched) == 0 {
		return p.tenants, &ExitError{Code: ExitConfig, Err: fmt.Errorf("no tenant to watch: %w",
			cmp.Or(p.tenants.missingError(), errors.New("the account sees no tenant")))}
	}
	return p.tenants, nil
}

// warnVanished says, once per reading of the tenant list, which tenants
// kamobot tracks open jobs of but the account no longer sees. Their jobs
// are kept as they were and nothing is inferred; they are reported if the
// tenant comes back.
func (p *Pass) warnVanished(st *state.State, v tenantView) {
	if p.warnedVanished {
		return
	}
	p.warnedVanished = true
	for _, id := range slices.Sorted(maps.Keys(st.Tenants)) {
		ts := st.Tenants[id]
		if slices.ContainsFunc(v.Visible, func(t api.Tenant) bool { return t.ID == ts.ID }) {
			continue
		}
		open := 0
		for _, kc := range ts.Kinds {
			open += len(kc.Open)
		}
		if open > 0 {
			p.Log.Warn("a tenant with open jobs is no longer visible to this account; its jobs are kept, "+
				"and reported if it comes back", "tenant", ts.Name, "tenant_id", ts.ID, "open_jobs", open)
		}
	}
}

// filter keeps the events each tenant's config asks to post.
func (p *Pass) filter(events []state.Event) []state.Event {
	return slices.DeleteFunc(events, func(e state.Event) bool {
		r := p.Cfg.Route(e.Tenant.ID, e.Tenant.Name)
		if !slices.Contains(r.Notify, e.Type) {
			return true
		}
		if e.Type.IsEnding() && e.Type != state.EventDeleted && e.From != "" {
			return !p.Cfg.Watch.NotifiesFrom(lifeStage(e.From))
		}
		return false
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

// enrich reads the details of the jobs events are about (duration, node,
// GPUs, the reason of a failure). A detail that cannot be read leaves the
// event as it is: the message is still worth sending.
func (p *Pass) enrich(ctx context.Context, events []state.Event) {
	var g errgroup.Group
	g.SetLimit(cmp.Or(p.Concurrency, 8))
	for i := range events {
		e := &events[i]
		if e.Job.Detailed || e.Type == state.EventDeleted {
			continue
		}
		g.Go(func() error {
			j, err := p.API.Detail(ctx, e.Tenant.ID, e.Job.Kind, e.Job.ParentID, e.Job.ID)
			if err != nil {
				p.Log.Debug("cannot read job details", "tenant", e.Tenant.Name, "job", e.Job.Key(), errAttr(err))
				return nil
			}
			if j.Status != e.To { // the job moved on since the list: keep the status the event is about
				j.Status = e.To
			}
			e.Job = j
			return nil
		})
	}
	_ = g.Wait()
}

// hookFor names the webhook a tenant's messages go to.
func (p *Pass) hookFor(t state.TenantRef) string {
	r := p.Cfg.Route(t.ID, t.Name)
	if r.Tenant != nil && !r.Tenant.Webhook.IsZero() {
		return "tenant:" + strconv.FormatInt(t.ID, 10)
	}
	return defaultHook
}

const defaultHook = "default"

// hookURL resolves a hook name to its URL in the current config, through
// the same routing as new messages: a tenant hook that is no longer
// configured falls back to the default webhook.
func (p *Pass) hookURL(hook string) config.Secret {
	if id, ok := strings.CutPrefix(hook, "tenant:"); ok {
		for _, t := range p.tenants.Visible {
			if api.FormatID(t.ID) == id {
				return p.Cfg.Route(t.ID, t.Name).Webhook
			}
		}
	}
	return p.Cfg.Slack.Webhook
}

// send delivers the outbox: per webhook in order, at most one message a
// second, marking each message sent (and saving) as soon as Slack says ok.
// A message that must wait keeps the ones behind it waiting (per webhook),
// so that messages arrive in order.
func (p *Pass) send(ctx context.Context, st *state.State, now time.Time, rep *PassReport) {
	byHook := map[string][]int64{}
	var hooks []string
	for _, m := range st.Outbox {
		if _, ok := byHook[m.Hook]; !ok {
			hooks = append(hooks, m.Hook)
		}
		byHook[m.Hook] = append(byHook[m.Hook], m.Seq)
	}
	var mu sync.Mutex // guards st and rep: webhooks are sent to concurrently
	var wg sync.WaitGroup
	for _, hook := range hooks {
		wg.Go(func() {
			url := p.hookURL(hook)
			mu.Lock()
			hold := p.holdDeadHook(st, hook, url, now, rep)
			mu.Unlock()
			if hold {
				return // refused by Slack: waiting, or given up
			}
			for _, seq := range byHook[hook] {
				if ctx.Err() != nil {
					return // stopping: what is left stays in the outbox
				}
				mu.Lock()
				i := slices.IndexFunc(st.Outbox, func(m state.Message) bool { return m.Seq == seq })
				var m state.Message
				if i >= 0 {
					m = st.Outbox[i]
				}
				mu.Unlock()
				if i < 0 {
					continue // no longer in the outbox
				}
				if waiting(m.NextAttempt, now, maxMessageWait) {
					return // backing off; the ones behind wait too
				}
				if url.IsZero() {
					p.Log.Error("no webhook configured for these messages; they stay in the outbox", "hook", hook)
					return
				}
				// A send in flight is finished even when asked to stop, so its
				// answer can be recorded; it is bounded by the sender's timeout.
				res, tries := p.Sender.Deliver(context.WithoutCancel(ctx), url.Reveal(), m.Payload)
				if res.Class == notify.Delivered {
					crashPoint("after_post_before_mark")
				}
				mu.Lock()
				stop := p.record(st, hook, url, m, res, tries, rep)
				if err := p.Store.Save(st); err != nil {
					// Sending on would post messages that cannot be marked sent.
					p.Log.Error("cannot save the state after sending; the message may be sent again; "+
						"the rest wait in the outbox", errAttr(err))
					stop = true
				}
				mu.Unlock()
				if stop {
					return
				}
			}
		})
	}
	wg.Wait()
	rep.Pending = len(st.Outbox)
	rep.Sending = true
	rep.DeadLetters = len(st.DeadLetters)
	for _, m := range st.Outbox {
		if rep.OldestPending.IsZero() || m.Created.Before(rep.OldestPending) {
			rep.OldestPending = m.Created
		}
	}
}

// record applies one delivery result to the state; it returns true when
// this webhook must not be sent to again in this pass.
func (p *Pass) record(st *state.State, hook string, url config.Secret, m state.Message, res notify.Result, tries int, rep *PassReport) bool {
	log := p.Log.With("hook", hook, "message", m.Seq, "kind", m.Kind)
	switch res.Class {
	case notify.Delivered, notify.PermanentMessage, notify.RateLimited:
		p.clearDead(st, hook, log) // Slack knows the webhook
	}
	if res.Class != notify.Delivered {
		if rep.SendFailures == nil {
			rep.SendFailures = map[string]int{}
		}
		rep.SendFailures[res.Class.String()]++
	}
	switch res.Class {
	case notify.Delivered:
		st.MarkSent(m.Seq)
		st.Day.LastPostAt = p.Now()
		rep.Sent++
		log.Debug("sent", "summary", m.Summary)
		return false
	case notify.PermanentMessage:
		st.Bury(m.Seq, res.Code)
		rep.Dead++
		log.Error("slack refused the message for good; kept in the dead letters", "slack_error", res.Code,
			"status", res.Status, "summary", m.Summary)
		return false
	}
	i := slices.IndexFunc(st.Outbox, func(x state.Message) bool { return x.Seq == m.Seq })
	if i < 0 {
		return true
	}
	o := &st.Outbox[i]
	o.Attempts += max(tries, 1)
	o.LastError = fmt.Sprintf("%s %d %s", res.Class, res.Status, res.Code)
	if res.Class == notify.DeadWebhook {
		// Tried again later, one message, with a growing delay; given up
		// after a day (see deadhook.go).
		rep.DeadWebhooks = append(rep.DeadWebhooks, hook)
		p.markDead(st, hook, url, res, log)
		return true
	}
	o.NextAttempt = p.Now().Add(p.Sender.RetryDelay(res, o.Attempts))
	log.Warn("slack did not take the message; retrying later", "slack_error", res.Code, "status", res.Status,
		"attempts", o.Attempts, "next_attempt", o.NextAttempt.Format(time.RFC3339))
	return true
}

// payloadSummary is one readable line for `state show`.
func payloadSummary(pl notify.Payload) string {
	s := pl.Text
	if r := []rune(s); len(r) > 120 {
		s = string(r[:119]) + "…"
	}
	return s
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode payload: %v", err)) // a payload is plain data: cannot fail
	}
	return b
}

// stateHint adds the way out to a state file kamobot refuses to read.
func stateHint(err error) error {
	switch {
	case errors.Is(err, state.ErrCorrupt):
		return fmt.Errorf("%w; it was left as it is. Restore it from a backup, or start over with "+
			"`kamobot state reset --yes` (it is moved aside; jobs that end before the next pass are not reported)", err)
	case errors.Is(err, state.ErrNewer):
		return fmt.Errorf("%w; it was left as it is", err)
	}
	return err
}
