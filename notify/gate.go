package notify

import (
	"context"
	"log/slog"
	"sync"
)

// DeliverGated is Deliver for a caller that promises at most one message
// whose answer is not yet recorded, across every webhook: the pacing
// waits happen outside gate, each send inside it. It returns with gate
// locked; the caller records the answer (and saves it) before unlocking.
// While a RateLimited answer waits for its retry the gate is let go (Slack
// did not post the message); after a Temporary one it is kept, since Slack
// may have posted it. A nil gate makes it Deliver.
func (s *Sender) DeliverGated(ctx context.Context, webhookURL string, payload []byte, gate sync.Locker) (Result, int) {
	if gate == nil {
		gate = noGate{}
	}
	var r Result
	held := false
	for attempt := 1; ; attempt++ {
		if err := s.pacer.Wait(ctx, webhookURL); err != nil {
			if attempt == 1 {
				r = transportFailure(host(webhookURL), err)
			}
			if !held {
				gate.Lock()
			}
			return r, attempt - 1
		}
		if !held {
			gate.Lock()
			held = true
		}
		r = s.Send(ctx, webhookURL, payload)
		// The next send waits a full interval from the end of this one, so
		// that a slow answer cannot bring two arrivals closer than that.
		s.pacer.Hold(webhookURL, s.pacer.interval)
		if !r.Class.Retryable() || attempt >= s.retry.Attempts || ctx.Err() != nil {
			return r, attempt
		}
		wait := s.RetryDelay(r, attempt)
		if wait > s.retry.MaxWait {
			s.log.LogAttrs(ctx, slog.LevelWarn, "slack post failed, leaving the retry to the outbox",
				slog.String("webhook", Redact(webhookURL)), slog.Any("result", r),
				slog.Int("attempt", attempt), slog.Duration("wait", wait))
			return r, attempt
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "slack post failed, retrying",
			slog.String("webhook", Redact(webhookURL)), slog.Any("result", r),
			slog.Int("attempt", attempt), slog.Duration("wait", wait))
		s.pacer.Hold(webhookURL, wait)
		if r.Class == RateLimited {
			gate.Unlock() // not posted: others may send while this one waits
			held = false
		}
	}
}

type noGate struct{}

func (noGate) Lock()   {}
func (noGate) Unlock() {}
