package notify

import (
	"context"
	"sync"
	"time"
)

// Tier is a Slack Web API rate-limit tier: about PerMinute calls a minute
// per workspace, with short bursts tolerated
// (https://api.slack.com/apis/rate-limits).
type Tier struct {
	Name      string
	PerMinute int
	// Burst is how many calls may go at once before the rate applies.
	Burst int
}

// The tiers of the methods app mode calls. chat.postMessage has a limit
// of its own (one a second per channel) and is paced by a Pacer.
var (
	Tier2 = Tier{Name: "tier 2", PerMinute: 20, Burst: 3}
	Tier3 = Tier{Name: "tier 3", PerMinute: 50, Burst: 5}
	Tier4 = Tier{Name: "tier 4", PerMinute: 100, Burst: 10}
)

// methodTiers is the tier of each tiered method app mode calls.
var methodTiers = map[string]Tier{
	"auth.test":          Tier4,
	"chat.update":        Tier3,
	"conversations.info": Tier3,
	"pins.add":           Tier2,
}

// MethodTier returns the tier of a Web API method, and false for a method
// without one (chat.postMessage).
func MethodTier(method string) (Tier, bool) {
	t, ok := methodTiers[method]
	return t, ok
}

// TierPacer paces the tiered Web API calls of one workspace (one bot
// token): a token bucket per method, Burst calls at once, then one every
// minute/PerMinute; Hold keeps a method back after Slack's Retry-After.
// It is safe for concurrent use.
type TierPacer struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tier   Tier
	tokens float64
	at     time.Time // when tokens was counted
	held   time.Time // no call before this (Retry-After)
}

// NewTierPacer returns a TierPacer on the clock given; nil means the real
// one.
func NewTierPacer(now func() time.Time, sleep func(context.Context, time.Duration) error) *TierPacer {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepContext
	}
	return &TierPacer{now: now, sleep: sleep, buckets: map[string]*bucket{}}
}

// bucketOf returns the method's bucket, full at first. It must be called
// with t.mu held.
func (t *TierPacer) bucketOf(method string, now time.Time) *bucket {
	b := t.buckets[method]
	if b == nil {
		tier, ok := methodTiers[method]
		if !ok {
			tier = Tier2 // an unknown method: the cautious tier
		}
		b = &bucket{tier: tier, tokens: float64(tier.Burst), at: now}
		t.buckets[method] = b
	}
	return b
}

// every is the time one call's token takes to come back.
func (tr Tier) every() time.Duration { return time.Minute / time.Duration(tr.PerMinute) }

// Wait waits until the method may be called, then takes its token. It
// returns ctx's error if ctx ends first.
func (t *TierPacer) Wait(ctx context.Context, method string) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		t.mu.Lock()
		now := t.now()
		b := t.bucketOf(method, now)
		if now.After(b.at) {
			b.tokens = min(float64(b.tier.Burst), b.tokens+float64(now.Sub(b.at))/float64(b.tier.every()))
			b.at = now
		}
		var wait time.Duration
		switch {
		case b.held.After(now):
			wait = b.held.Sub(now)
		case b.tokens >= 1:
			b.tokens--
			t.mu.Unlock()
			return nil
		default:
			wait = time.Duration((1 - b.tokens) * float64(b.tier.every()))
			wait = max(wait, time.Millisecond)
		}
		t.mu.Unlock()
		if err := t.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Hold keeps every call of the method back for d from now (Slack's
// Retry-After); then one call may go, and the rate applies.
func (t *TierPacer) Hold(method string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	b := t.bucketOf(method, now)
	if until := now.Add(d); until.After(b.held) {
		b.held = until
		b.tokens, b.at = 1, until
	}
}
