package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// DeliverGated is Sender.DeliverGated for the Web API: it makes the call,
// retrying a rate limit (after Slack's Retry-After, up to maxWait) and a
// temporary failure, and returns the last Result, the ts Slack gave and
// the calls made. A post (or reply) holds gate from its call until the
// caller recorded the answer (it returns with gate locked); an update is
// idempotent and is called without it (gate nil). Pacing and Retry-After
// waits happen outside the gate, so one channel's limit never holds up
// the other destinations.
func (a *App) DeliverGated(ctx context.Context, m AppMessage, gate sync.Locker, maxWait time.Duration) (Result, string, int) {
	var ts string
	r, n := deliver(ctx, gate, delivery{
		pacer: a.pacer, key: paceKey(m), host: a.host, maxWait: maxWait,
		attempts: 3, // then the outbox retries later
		send: func() (r Result) {
			r, ts = a.send(ctx, m)
			return r
		},
		delay: func(r Result, attempt int) time.Duration {
			if r.RetryAfter > 0 {
				return r.RetryAfter
			}
			return time.Duration(attempt) * time.Second
		},
		log: discard,
	})
	return r, ts, n
}

// Identity is what auth.test says of the bot token.
type Identity struct {
	// URL is the workspace's address, "https://team.slack.com/".
	URL    string
	Team   string
	TeamID string
	User   string
	UserID string
	// Scopes are the token's scopes (the X-OAuth-Scopes header), when
	// Slack sent them.
	Scopes []string
}

// AuthTest asks Slack who the bot token is.
func (a *App) AuthTest(ctx context.Context) (Identity, Result) {
	var r *slack.AuthTestResponse
	res := a.call(ctx, "auth.test", func() (err error) {
		r, err = a.api.AuthTestContext(ctx)
		return err
	})
	if res.Class != Delivered {
		return Identity{}, res
	}
	id := Identity{URL: r.URL, Team: r.Team, TeamID: r.TeamID, User: r.User, UserID: r.UserID}
	for s := range strings.SplitSeq(r.Header.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			id.Scopes = append(id.Scopes, s)
		}
	}
	return id, res
}

// AppMessageOf turns a rendered payload (as the outbox holds it) into a
// Web API message for channel.
func AppMessageOf(payload []byte, channel string) (AppMessage, error) {
	var doc struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(payload, &doc); err != nil {
		return AppMessage{}, fmt.Errorf("read the payload: %w", err)
	}
	m := AppMessage{Channel: channel, Text: doc.Text}
	if len(doc.Blocks) > 0 && string(doc.Blocks) != "null" {
		var bs slack.Blocks
		if err := bs.UnmarshalJSON(doc.Blocks); err != nil {
			return AppMessage{}, fmt.Errorf("read the payload's blocks: %w", err)
		}
		m.Blocks = bs.BlockSet
	}
	return m, nil
}

// Permalink is the address of the message ts in channel, built from the
// workspace address auth.test gives: https://team.slack.com/archives/
// <channel>/p<ts without its dot>. It is what chat.getPermalink answers
// for a message in a public or private channel, without one call per
// message; "" when the workspace address is unknown.
func Permalink(teamURL, channel, ts string) string {
	if teamURL == "" || channel == "" || ts == "" {
		return ""
	}
	return strings.TrimRight(teamURL, "/") + "/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

// ChannelInfo is what conversations.info says of a channel.
type ChannelInfo struct {
	Name     string
	IsMember bool
}

// Channel asks Slack about a channel (conversations.info).
func (a *App) Channel(ctx context.Context, id string) (ChannelInfo, Result) {
	var ch *slack.Channel
	res := a.call(ctx, "conversations.info", func() (err error) {
		ch, err = a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
		return err
	})
	if res.Class != Delivered {
		return ChannelInfo{}, res
	}
	return ChannelInfo{Name: ch.Name, IsMember: ch.IsMember}, res
}

// AppScopes are the bot token scopes kamobot's app mode uses: chat:write
// (post, update, reply), channels:read and groups:read (test-slack reads
// the channel: public or private), commands (/kamobot).
var AppScopes = []string{"chat:write", "channels:read", "groups:read", "commands"}

// GroupScope is the scope needed to check user-group members of
// slack.mute_allowed (usergroups.users.list).
const GroupScope = "usergroups:read"

// PinScope is the scope needed to pin a channel's board (pins.add); without
// it the board is updated in place all the same, unpinned.
const PinScope = "pins:write"
