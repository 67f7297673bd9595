package slackfake

import "github.com/kamobot/kamobot/notify"

// How Slack reads mrkdwn is kamobot's own knowledge (package notify reads
// it for `check --dry-run` and `demo`); the fake shows its messages the
// same way.
type (
	View = notify.View
	Link = notify.Link
	Flaw = notify.Flaw
)
