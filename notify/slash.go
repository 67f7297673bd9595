package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Slash is a `/kamobot` command someone typed in Slack.
type Slash struct {
	Text      string
	UserID    string
	ChannelID string
}

// SlashOptions configure ServeSlash.
type SlashOptions struct {
	BotToken, AppToken string
	// APIURL is the Web API's base URL, ending in "/".
	APIURL string
	Log    *slog.Logger
}

// slashRetryMax caps the wait before ServeSlash opens a connection again
// after Slack refused one.
const slashRetryMax = 5 * time.Minute

// ServeSlash answers `/kamobot` over Socket Mode (no inbound port) until
// ctx ends: each command is acknowledged with answer's text, shown to the
// asker only (ephemeral). slack-go's socketmode reconnects after a dropped
// connection; when it gives up (Slack refused the app token, the network
// is down), ServeSlash waits and starts over, from a second doubling up to
// five minutes. Nothing here touches the notifications: a lost connection
// only makes /kamobot silent meanwhile. Tokens never reach the logs.
func ServeSlash(ctx context.Context, o SlashOptions, answer func(context.Context, Slash) string) {
	log := cmp.Or(o.Log, discard)
	client := NewHTTPClient(DefaultTimeout)
	wait := time.Second
	for ctx.Err() == nil {
		api := slack.New(o.BotToken, slack.OptionAPIURL(o.APIURL), slack.OptionHTTPClient(client),
			slack.OptionAppLevelToken(o.AppToken))
		sm := socketmode.New(api)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sm.RunContext(rctx) }()
		err := serveEvents(rctx, sm, done, log, answer, &wait)
		cancel()
		if ctx.Err() != nil {
			return
		}
		msg := "no error"
		if err != nil {
			msg = redactTokens(err.Error(), o.BotToken, o.AppToken)
		}
		log.Warn("the Socket Mode connection for /kamobot ended; opening another (notifications go on meanwhile)",
			"err", msg, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, slashRetryMax)
	}
}

// serveEvents handles the events of one socketmode client until it ends.
func serveEvents(ctx context.Context, sm *socketmode.Client, done <-chan error, log *slog.Logger,
	answer func(context.Context, Slash) string, wait *time.Duration) error {
	for {
		select {
		case err := <-done:
			return err
		case ev := <-sm.Events:
			switch ev.Type {
			case socketmode.EventTypeConnected:
				*wait = time.Second
				log.Debug("Socket Mode connected: /kamobot is answered")
			case socketmode.EventTypeInvalidAuth:
				log.Error("slack refused the app token for /kamobot: put a working xapp- token (connections:write) in slack.app_token_file")
			case socketmode.EventTypeSlashCommand:
				cmd, ok := ev.Data.(slack.SlashCommand)
				if !ok || ev.Request == nil {
					continue
				}
				text := answer(ctx, Slash{Text: cmd.Text, UserID: cmd.UserID, ChannelID: cmd.ChannelID})
				// The ack carries the answer: Slack shows it to the asker only.
				if err := sm.AckCtx(ctx, ev.Request.EnvelopeID, map[string]any{"response_type": "ephemeral", "text": text}); err != nil {
					log.Warn("could not answer /kamobot", "err", err.Error())
				}
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// GroupMembers lists the members of a Slack user group
// (usergroups.users.list, scope usergroups:read).
func GroupMembers(ctx context.Context, botToken, apiURL, group string) ([]string, error) {
	api := slack.New(botToken, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(NewHTTPClient(DefaultTimeout)))
	users, err := api.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			return nil, fmt.Errorf("usergroups.users.list %s: %s", group, se.Err)
		}
		return nil, fmt.Errorf("usergroups.users.list %s: %s", group, redactTokens(err.Error(), botToken))
	}
	return users, nil
}

func redactTokens(s string, tokens ...string) string {
	for _, t := range tokens {
		if t != "" {
			s = strings.ReplaceAll(s, t, "<token>")
		}
	}
	return s
}
