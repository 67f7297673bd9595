// Package engine runs kamobot's pass, in the order the README tells it:
// the tenants to watch (tenants.go), fetch and diff (fetch.go, with the
// diff itself in package job), schedule and render into the outbox
// (schedule.go), save, deliver the outbox (deliver.go), save. `watch`,
// `demo` and `check` run passes through Loop.
package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// Pass runs kamobot's main job, one pass at a time: fetch, diff, schedule,
// render into the outbox, save, send, save. `watch` keeps one Pass across
// passes; `check` runs one.
type Pass struct {
	Cfg    *config.Config
	API    *api.Client
	Store  *state.Store
	Sender *notify.Sender
	// App posts to app channels (Slack app mode); nil without a bot token,
	// and set whenever Cfg has one.
	App *notify.App
	Log *slog.Logger
	Now func() time.Time
	// Pick chooses a phrase from a message set.
	Pick func(key string) string
	// Who names the process in the lock file ("watch", "check").
	Who string
	// LockWait is how long to wait for another kamobot to finish its pass.
	LockWait time.Duration
	// TenantsTTL is how long the list of visible tenants is reused (watch).
	TenantsTTL time.Duration
	// ReadEveryOther reads each kind of a tenant every other pass only
	// (job.KindCursor.PlanRested): `watch` below a minute, to keep the
	// server's load under half the old bot's.
	ReadEveryOther bool
	// readAll is set once a pass of this Pass has read every kind: the
	// first pass of a process reads them all, whatever ReadEveryOther.
	readAll bool

	tenants   TenantView
	tenantsAt time.Time
	// routes holds config.Route of every visible tenant, by id, computed
	// when the tenant list is read.
	routes map[int64]config.Route
}

// Options change how one pass runs.
type Options struct {
	// DryRun computes the messages and returns them without saving or sending.
	DryRun bool
	// At evaluates the pass as if it were that time (with DryRun).
	At time.Time
}

// Report says what a pass did.
type Report struct {
	Baselined   int // jobs recorded by a first listing
	Tenants     int // tenants fetched
	FailedFetch []string
	// LostTenants are tenants the account lost its role in during the pass
	// (skipped; the others are reported).
	LostTenants []string
	// DeniedKinds are "tenant/kind" the account lacks the menu permission
	// for (skipped alone; the tenant's other kinds are reported).
	DeniedKinds  []string
	Events       int // events worth a message
	Held         int // events held for the morning digest
	Queued       int // messages put in the outbox
	Sent         int // messages Slack accepted
	Pending      int // messages still in the outbox
	Dead         int // messages Slack refused for good
	DeadWebhooks []state.Hook
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
func (r Report) Quiet() bool {
	return r.Baselined == 0 && len(r.FailedFetch) == 0 && len(r.LostTenants) == 0 && len(r.DeniedKinds) == 0 && r.Events == 0 && r.Queued == 0 && r.Sent == 0 &&
		r.Dead == 0 && len(r.DeadWebhooks) == 0
}

// Errors a pass returns besides those of api and state; each leaves the
// state consistent. commands maps them to exit codes.
var (
	// ErrFetchFailed: some tenants could not be read (retry later).
	ErrFetchFailed = errors.New("some tenants could not be read; they are retried next pass")
	// ErrPending: some messages wait in the outbox (retry later).
	ErrPending = errors.New("some messages could not be delivered yet; they stay in the outbox")
	// ErrDeadWebhook: Slack refuses a webhook as a whole; a human must fix it.
	ErrDeadWebhook = errors.New("slack refused the webhook")
	// ErrNoTenant: the account sees no tenant the config watches.
	ErrNoTenant = errors.New("no tenant to watch")
	// ErrAccess: the account may not read some of what the config watches:
	// a kind whose menu permission it lacks in a tenant, or a tenant it
	// lost its role in during the pass. The rest was read and reported; a
	// human must grant the access or change the config (exit 77).
	ErrAccess = errors.New("the account may not read some watched jobs")
)

// Run runs one pass. The error is nil when all went well; otherwise it says
// what must be retried (nothing is lost) or what needs a human.
func (p *Pass) Run(ctx context.Context, o Options) (Report, error) {
	rep := Report{SendFailures: map[string]int{}}
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
		return rep, StateHint(err)
	}
	now := cmp.Or(o.At, p.Now())
	st.LastRun = state.RunInfo{Start: now}

	events, err := p.fetchAndDiff(ctx, st, now, &rep)
	if err != nil {
		// st may hold the cursors of tenants diffed before the failure,
		// whose events are dropped here: only the file as it was may be
		// saved (with the self-alert), and nothing when asked to stop.
		if !o.DryRun && ctx.Err() == nil {
			if clean, _, lerr := p.Store.Load(); lerr == nil {
				p.selfFailed(ctx, clean, now, err, &rep)
			}
		}
		return rep, err
	}
	// The endings, before filter drops those not posted: every ended run
	// counts in the weekly report.
	endings := slices.DeleteFunc(slices.Clone(events), func(e job.Event) bool { return !e.Type.IsEnding() })
	events = p.filter(events)
	p.enrich(ctx, events)
	p.recordRuns(ctx, st, endings, events)
	if !o.DryRun {
		// The client's tokens are kept for the next process (a `check`
		// from cron): a failure costs a login next time, nothing more.
		if err := p.API.SaveTokens(context.WithoutCancel(ctx)); err != nil {
			p.Log.Warn("cannot keep the KAMONOHASHI tokens for the next run; it logs in again", errAttr(err))
		}
	}
	events, first := p.team(st, events, now, &rep)
	first = append(p.selfPass(st, now, len(events), &rep), first...)
	rep.Events = len(events)
	msgs := slices.Concat(first, p.schedule(st, events, now, &rep), p.weeklyReports(st, now, &rep),
		p.boards(st, now)) // app channels' boards (board.go)
	for _, m := range msgs {
		rep.Messages = append(rep.Messages, st.Enqueue(m))
	}
	rep.Queued = len(msgs)
	if o.DryRun {
		rep.Messages = slices.Clone(st.Outbox)
		return rep, nil
	}
	crashPoint("after_fetch")
	// Said once, when a baseline is on disk: a pass that failed before
	// saving records nothing and says nothing.
	baselined := fresh && rep.Tenants > 0
	if len(st.Outbox) > 0 {
		// The outbox is on disk before anything is sent: a crash while
		// sending loses no message. A quiet pass saves once, at its end.
		if err := p.Store.Save(st); err != nil {
			return rep, err
		}
		p.logBaseline(baselined, rep)
		baselined = false
	}
	crashPoint("after_outbox_save")
	p.deliver(ctx, st, now, &rep)
	p.pinBoards(ctx, st)
	st.LastRun.End = p.Now()
	st.LastRun.OK = len(rep.FailedFetch) == 0 && rep.Pending == 0
	if err := p.Store.Save(st); err != nil {
		return rep, err
	}
	p.logBaseline(baselined, rep)
	switch {
	case len(rep.DeadWebhooks) > 0:
		return rep, deadHookError(st, rep)
	case len(rep.LostTenants) > 0 || len(rep.DeniedKinds) > 0:
		return rep, accessError(rep)
	case len(rep.FailedFetch) > 0:
		return rep, fmt.Errorf("%w: %v", ErrFetchFailed, rep.FailedFetch)
	case rep.Pending > 0:
		return rep, fmt.Errorf("%w (%d)", ErrPending, rep.Pending)
	}
	return rep, nil
}

// logBaseline says, when baselined, that the first pass recorded what runs
// now as the baseline.
func (p *Pass) logBaseline(baselined bool, rep Report) {
	if baselined {
		p.Log.Info("no state yet: recorded what runs now as the baseline; nothing that ended before is reported",
			"state", p.Store.Path(), "open_jobs", rep.Baselined, "tenants", rep.Tenants)
	}
}

// accessError names what the account may not read.
func accessError(rep Report) error {
	var parts []string
	if len(rep.LostTenants) > 0 {
		parts = append(parts, fmt.Sprintf("lost its role in tenant %s", strings.Join(rep.LostTenants, ", ")))
	}
	if len(rep.DeniedKinds) > 0 {
		parts = append(parts, fmt.Sprintf("lacks the menu permission for %s", strings.Join(rep.DeniedKinds, ", ")))
	}
	err := fmt.Errorf("%w: the account %s; everything else was read and reported", ErrAccess, strings.Join(parts, "; "))
	if len(rep.FailedFetch) > 0 {
		err = fmt.Errorf("%w; %w: %v", err, ErrFetchFailed, rep.FailedFetch)
	}
	return err
}

// StateHint adds the way out to a state file kamobot refuses to read.
func StateHint(err error) error {
	switch {
	case errors.Is(err, state.ErrCorrupt):
		return fmt.Errorf("%w; it was left as it is. Restore it from a backup, or start over with "+
			"`kamobot state reset --yes` (it is moved aside; jobs that end before the next pass are not reported)", err)
	case errors.Is(err, state.ErrNewer):
		return fmt.Errorf("%w; it was left as it is", err)
	}
	return err
}

func errAttr(err error) slog.Attr { return slog.String("err", fmt.Sprint(err)) }
