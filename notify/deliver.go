package notify

import (
	"context"
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
	return s.DeliverGated(ctx, webhookURL, payload, nil)
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
