package notify

import (
	"context"
	"sync"
	"time"
)

// Pacer spaces the messages to each webhook: at most one per interval (one
// per second, as Slack asks), and none while the webhook is held after a
// 429 or a failure. Webhooks are keyed by a hash of their URL, so the Pacer
// never holds a URL. It is safe for concurrent use.
type Pacer struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error

	mu   sync.Mutex
	next map[string]time.Time // earliest time of the next send, by URL hash
}

// NewPacer returns a Pacer allowing one message per interval per webhook.
// A nil now or sleep means the real clock.
func NewPacer(interval time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepContext
	}
	return &Pacer{interval: interval, now: now, sleep: sleep, next: map[string]time.Time{}}
}

// Wait waits until a webhook may be sent to, then takes the slot: the next
// send to it waits at least one interval from now. Concurrent callers for
// one webhook go one at a time, in no set order. It returns ctx's error if
// ctx ends first. The sleep function must let the now function's time pass.
func (p *Pacer) Wait(ctx context.Context, webhookURL string) error {
	key := hashURL(webhookURL)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.mu.Lock()
		now := p.now()
		next, held := p.next[key]
		if !held || !next.After(now) {
			p.next[key] = now.Add(p.interval)
			p.prune(now)
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		if err := p.sleep(ctx, next.Sub(now)); err != nil {
			return err
		}
	}
}

// Hold keeps every send to a webhook back for d from now, e.g. after Slack
// asked to retry after d.
func (p *Pacer) Hold(webhookURL string, d time.Duration) {
	key := hashURL(webhookURL)
	p.mu.Lock()
	defer p.mu.Unlock()
	until := p.now().Add(d)
	if until.After(p.next[key]) {
		p.next[key] = until
	}
}

// prune forgets webhooks whose slot has passed, once the map grows. It must
// be called with p.mu held.
func (p *Pacer) prune(now time.Time) {
	if len(p.next) < 64 {
		return
	}
	for k, t := range p.next {
		if t.Before(now) {
			delete(p.next, k)
		}
	}
}
