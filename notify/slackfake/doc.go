// Package slackfake is a fake Slack incoming-webhook server for tests, the
// demo and shell scripts. It answers the way Slack does (see
// shared/notes/slack-webhook.md §9):
//
//   - POST /services/T…/B…/<secret> posts a message; other methods get 405,
//     other paths 404 no_service. Any such path is an active hook unless
//     Options.Strict is set; hooks can be registered, disabled (404
//     no_service), revoked (403 invalid_token) or archived (410
//     channel_is_archived).
//   - Bodies are JSON, or form-encoded with payload=. Bad JSON or a
//     non-object is 400 invalid_payload, a message with no text, blocks or
//     attachments 400 no_text, bad blocks 400 invalid_blocks (blocks not an
//     array: invalid_blocks_format), a long text 400 msg_too_long, more
//     than 8,000 characters of text in all blocks together 400
//     msg_blocks_too_long (Limits.MaxBlocksChars). Unknown fields are
//     accepted.
//   - Success is 200 with Content-Type text/html and the body "ok", with no
//     newline.
//   - A per-hook token bucket (off by default) answers 429 with
//     Retry-After and {"retry_after":N,"ok":false,"error":"rate_limited"}.
//   - Scripted faults, per hook or global, replace the next answers: any
//     status and body, hangs, connection resets after the request is read.
//
// Every accepted message is recorded with its hook id ("T…/B…", never the
// secret), arrival time, raw body, decoded payload and a readable view; every
// request is recorded with the status answered. The /_fake/ control API
// exposes the same over HTTP.
//
// Only <, > and & are control characters in Slack mrkdwn; Readable and
// Inspect show a text as a person would see it and flag the ones that were
// not escaped.
package slackfake
