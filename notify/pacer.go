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

// Wait takes the next send slot for a webhook and waits for it. It returns
// ctx's error if ctx ends first; the slot is then lost, which only makes
// the next send wait longer.
func (p *Pacer) Wait(ctx context.Context, webhookURL string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key := hashURL(webhookURL)
	p.mu.Lock()
	now := p.now()
	slot := now
	if n, ok := p.next[key]; ok && n.After(now) {
		slot = n
	}
	p.next[key] = slot.Add(p.interval)
	p.prune(now)
	p.mu.Unlock()
	return p.sleep(ctx, slot.Sub(now))
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
		if !t.After(now) {
			delete(p.next, k)
		}
	}
}
