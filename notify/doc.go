// Package notify turns kamobot's events into Slack messages and posts them
// to incoming webhooks.
//
// # Rendering
//
// RenderEvents, RenderGreeting, RenderSummary and RenderDigest are pure:
// they take events (or a summary) and RenderOptions and return Payloads,
// Block Kit blocks plus a text fallback for notifications and screen
// readers. Every value that comes from KAMONOHASHI or from users (job,
// user and tenant names, statuses, condition notes, logs, phrases) is cut
// to a budget and escaped for mrkdwn (Escape), so a job named
// "<!channel>" is shown, not obeyed. Payloads stay inside Slack's limits
// (MaxBlocks, MaxSectionText, MaxHeaderText, ...) and kamobot's tighter
// budgets (MaxTextLen, MaxBlocksChars); many events are split into as few
// payloads as those allow.
//
// Jobs are numbered and linked as the web UI shows them (jobID); a
// failure (failed, killed, in trouble) also links the job's log page.
//
// Job messages mention whom RenderOptions names (Mentions, TenantMentions,
// Owners), a batch split in parts each target once; greetings, summaries
// and digests mention no one (a summary names owners without pinging them).
//
// A batch reads as one message: a header counting what happened, each
// tenant's jobs together, a phrase only when every event is of one kind,
// and the time. An ending supersedes an earlier alert about the same job
// (in a batch and a digest). Each part keeps its block text within
// MaxBlocksChars (8,000).
//
// Encode a Payload with Payload.JSON before storing it in the outbox.
//
// # Sending
//
// Sender.Send posts one payload once and classifies Slack's answer into a
// Result: Delivered (2xx and exactly "ok"), RateLimited (429, with
// Retry-After), Temporary (5xx, timeouts, connection errors, other 2xx
// bodies), PermanentMessage (Slack refused this message) or DeadWebhook (the
// webhook is gone or refused). Slack's error string decides before the
// status: a 500 whose body is action_prohibited is a dead webhook, not a
// temporary failure retried forever. Sender.DeliverGated adds pacing (at
// most one message per second per webhook, see Pacer) and a few in-process
// retries; the persistent outbox owns the long waits, using
// Sender.RetryDelay.
//
// The webhook URL is a secret: it never appears in a Result, an error or a
// log line. Errors name the host only; logs use Redact and Fingerprint.
package notify
