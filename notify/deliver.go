package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DeliverGated sends one message, paced per webhook, and retries it in
// process while the answer is RateLimited or Temporary: at most
// Retry.Attempts sends, waiting Slack's Retry-After or an exponential
// backoff with full jitter. It stops at once on Delivered,
// PermanentMessage or DeadWebhook, when ctx ends, and when the next wait
// would exceed Retry.MaxWait (the outbox waits instead). It returns the
// last Result and the number of sends made.
//
// A Temporary result may hide a message Slack did post (a timeout after the
// request went out), so a retry can duplicate it: kamobot prefers a
// duplicate to a lost message.
//
// The caller promises at most one message whose answer is not yet
// recorded, across every webhook: the pacing waits happen outside gate,
// each send inside it. It returns with gate locked; the caller records the
// answer (and saves it) before unlocking. While a RateLimited answer waits
// for its retry the gate is let go (Slack did not post the message); after
// a Temporary one it is kept, since Slack may have posted it. A nil gate
// is no gate.
func (s *Sender) DeliverGated(ctx context.Context, webhookURL string, payload []byte, gate sync.Locker) (Result, int) {
	return deliver(ctx, gate, delivery{
		pacer: s.o.Pacer, key: webhookURL, host: host(webhookURL),
		attempts: s.o.Retry.Attempts, maxWait: s.o.Retry.MaxWait,
		send: func() Result {
			r := s.Send(ctx, webhookURL, payload)
			// The next send waits a full interval from the end of this one, so
			// that a slow answer cannot bring two arrivals closer than that.
			s.o.Pacer.Hold(webhookURL, s.o.Pacer.tier(webhookURL).Every)
			return r
		},
		delay: s.RetryDelay,
		log:   s.o.Logger, dest: slog.String("webhook", Redact(webhookURL)),
	})
}

// RetryDelay is how long to wait before sending again after attempt sends
// ended in r: Slack's Retry-After when it gave one, else the policy's
// backoff. The outbox can use it for its next attempt time.
func (s *Sender) RetryDelay(r Result, attempt int) time.Duration {
	if r.Class == RateLimited && r.RetryAfter > 0 {
		return r.RetryAfter
	}
	return s.o.Retry.Backoff(attempt, s.o.Random)
}

// delivery is one message on its way, for deliver: the Pacer and key of
// its destination, the most sends and the longest wait in process, one
// send, and the wait before the next.
type delivery struct {
	pacer    *Pacer
	key      string
	host     string
	attempts int
	maxWait  time.Duration
	send     func() Result
	delay    func(r Result, attempt int) time.Duration
	log      *slog.Logger // told of each retry
	dest     slog.Attr    // names the destination in the log, never by a secret
}

// deliver is the loop of the webhook's and the Web API's DeliverGated.
func deliver(ctx context.Context, gate sync.Locker, d delivery) (Result, int) {
	if gate == nil {
		gate = new(sync.Mutex) // no one else's: no gate
	}
	var r Result
	held := false
	for attempt := 1; ; attempt++ {
		if err := d.pacer.Wait(ctx, d.key); err != nil {
			if attempt == 1 {
				r = transportFailure(d.host, err)
			}
			if !held {
				gate.Lock() // the caller unlocks after recording
			}
			return r, attempt - 1
		}
		if !held {
			gate.Lock()
			held = true
		}
		r = d.send()
		if !r.Class.Retryable() || attempt >= d.attempts || ctx.Err() != nil {
			return r, attempt
		}
		wait := d.delay(r, attempt)
		msg := "slack post failed, retrying"
		if wait > d.maxWait {
			msg = "slack post failed, leaving the retry to the outbox"
		}
		d.log.LogAttrs(ctx, slog.LevelWarn, msg, d.dest, slog.Any("result", r),
			slog.Int("attempt", attempt), slog.Duration("wait", wait))
		if wait > d.maxWait {
			return r, attempt
		}
		d.pacer.Hold(d.key, wait)
		if r.Class == RateLimited {
			gate.Unlock() // not posted: others may send while this one waits
			held = false
		}
	}
}
