package notify

import "context"

// Deliver is DeliverGated without a gate: the tests' way to deliver one
// message, paced and retried.
func (s *Sender) Deliver(ctx context.Context, webhookURL string, payload []byte) (Result, int) {
	return s.DeliverGated(ctx, webhookURL, payload, nil)
}

// MethodTier returns the tier of a Web API method, and false for a method
// without one (chat.postMessage).
func MethodTier(method string) (Tier, bool) {
	t, ok := methodTiers[method]
	return t, ok
}
