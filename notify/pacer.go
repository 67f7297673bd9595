package notify

import (
	"cmp"
	"context"
	"strings"
	"sync"
	"time"
)

// Tier is a rate: Burst calls at once, then one every Every. Slack's Web
// API methods have tiers of about so many calls a minute per workspace,
// short bursts tolerated (https://api.slack.com/apis/rate-limits).
type Tier struct {
	Every time.Duration
	Burst int
}

// The tiers of the methods app mode calls.
var (
	Tier2 = Tier{Every: time.Minute / 20, Burst: 3}
	Tier3 = Tier{Every: time.Minute / 50, Burst: 5}
	Tier4 = Tier{Every: time.Minute / 100, Burst: 10}
)

// methodTiers is the tier of each tiered method app mode calls.
var methodTiers = map[string]Tier{
	"auth.test":          Tier4,
	"chat.update":        Tier3,
	"conversations.info": Tier3,
	"pins.add":           Tier2,
}

// Pacer paces calls per key (a webhook, a channel, a Web API method): a
// token bucket per key, its tier's Burst calls at once, then one every
// Every; Hold keeps a key back, e.g. for Slack's Retry-After. Keys are
// kept as hashes, so a Pacer never holds a webhook URL. It is safe for
// concurrent use.
type Pacer struct {
	tier  func(key string) Tier
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu      sync.Mutex
	buckets map[string]*bucket // by hashURL(key)
}

type bucket struct {
	tier   Tier
	tokens float64
	at     time.Time // when tokens was counted; later than now while held
}

// NewPacer returns a Pacer allowing one message per interval per webhook
// (Slack asks for one a second). A nil now or sleep means the real clock.
func NewPacer(interval time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	return newPacer(func(string) Tier { return Tier{Every: interval, Burst: 1} }, now, sleep)
}

// NewTierPacer returns the Pacer of the Web API calls of one workspace
// (one bot token), keyed by method: each by its tier, Tier2 for one not
// listed. chat.postMessage has a limit of its own, one a second per
// channel: its key is "chat.postMessage:<channel>".
func NewTierPacer(now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	return newPacer(func(key string) Tier {
		if strings.HasPrefix(key, "chat.postMessage:") {
			return Tier{Every: time.Second, Burst: 1}
		}
		return cmp.Or(methodTiers[key], Tier2)
	}, now, sleep)
}

func newPacer(tier func(string) Tier, now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepContext
	}
	return &Pacer{tier: tier, now: now, sleep: sleep, buckets: map[string]*bucket{}}
}

// bucketOf returns the key's bucket, its tokens counted at now (full at
// first). It must be called with p.mu held.
func (p *Pacer) bucketOf(key string, now time.Time) *bucket {
	h := hashURL(key)
	b := p.buckets[h]
	if b == nil {
		tier := p.tier(key)
		b = &bucket{tier: tier, tokens: float64(tier.Burst), at: now}
		p.buckets[h] = b
	}
	b.refill(now)
	return b
}

// refill counts the tokens come back since they were last counted.
func (b *bucket) refill(now time.Time) {
	if !now.After(b.at) {
		return
	}
	tokens := float64(b.tier.Burst)
	if b.tier.Every > 0 {
		tokens = min(tokens, b.tokens+float64(now.Sub(b.at))/float64(b.tier.Every))
	}
	b.tokens, b.at = tokens, now
}

// ready is when the bucket's next call may go: now, or later.
func (b *bucket) ready(now time.Time) time.Time {
	switch {
	case b.at.After(now):
		return b.at
	case b.tokens >= 1 || b.tier.Every <= 0:
		return now
	}
	return now.Add(max(time.Duration((1-b.tokens)*float64(b.tier.Every)), time.Millisecond))
}

// Wait waits until key may be called, then takes its turn. Concurrent
// callers for one key go one at a time, in no set order. It returns ctx's
// error if ctx ends first. The sleep function must let the now function's
// time pass.
func (p *Pacer) Wait(ctx context.Context, key string) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.mu.Lock()
		now := p.now()
		b := p.bucketOf(key, now)
		ready := b.ready(now)
		if !ready.After(now) {
			b.tokens--
			p.prune(now)
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		if err := p.sleep(ctx, ready.Sub(now)); err != nil {
			return err
		}
	}
}

// Hold keeps every call for key back for d from now (Slack's
// Retry-After); then one call may go, and the rate applies. It never lets
// a call go sooner than it could without it.
func (p *Pacer) Hold(key string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	b := p.bucketOf(key, now)
	if until := now.Add(d); until.After(b.ready(now)) {
		b.tokens, b.at = 1, until
	}
}

// prune forgets the buckets at rest (full, not held), once the map grows:
// a new one is the same. It must be called with p.mu held.
func (p *Pacer) prune(now time.Time) {
	if len(p.buckets) < 64 {
		return
	}
	for h, b := range p.buckets {
		b.refill(now)
		if !b.at.After(now) && b.tokens >= float64(b.tier.Burst) {
			delete(p.buckets, h)
		}
	}
}
