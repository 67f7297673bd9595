package notify

import (
	"context"
	"log/slog"
	"time"
)

// Deliver sends one message, paced per webhook, and retries it in process
// while the answer is RateLimited or Temporary: at most Retry.Attempts sends,
// waiting Slack's Retry-After or an exponential backoff with full jitter.
// It stops at once on Delivered, PermanentMessage or DeadWebhook, when ctx
// ends, and when the next wait would exceed Retry.MaxWait (the outbox waits
// instead). It returns the last Result and the number of sends made.
//
// A Temporary result may hide a message Slack did post (a timeout after the
// request went out), so a retry can duplicate it: kamobot prefers a
// duplicate to a lost message.
func (s *Sender) Deliver(ctx context.Context, webhookURL string, payload []byte) (Result, int) {
	var r Result
	for attempt := 1; ; attempt++ {
		if err := s.pacer.Wait(ctx, webhookURL); err != nil {
			if attempt == 1 {
				r = transportFailure(host(webhookURL), err)
			}
			return r, attempt - 1
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
	}
}

// RetryDelay is how long to wait before sending again after attempt sends
// ended in r: Slack's Retry-After when it gave one, else the policy's
// backoff. The outbox can use it for its next attempt time.
func (s *Sender) RetryDelay(r Result, attempt int) time.Duration {
	if r.Class == RateLimited && r.RetryAfter > 0 {
		return r.RetryAfter
	}
	return s.retry.Backoff(attempt, s.random)
}
