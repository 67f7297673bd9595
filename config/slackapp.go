package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/kamobot/kamobot/job"
)

// Environment and credentials of the Slack app are in load.go beside the
// webhook's: KAMOBOT_SLACK_BOT_TOKEN(_FILE), KAMOBOT_SLACK_APP_TOKEN(_FILE),
// and the systemd credentials slack-bot-token and slack-app-token.

// DefaultSlackAPIURL is the Slack Web API kamobot talks to by default.
const DefaultSlackAPIURL = "https://slack.com/api/"

// SlackApp is [slack]'s app part: a bot token turns the destinations that
// have a channel (the default one, or a tenant's) from webhooks into an
// app, which posts one thread per job and updates messages in place; an
// app token adds `/kamobot` over Socket Mode.
type SlackApp struct {
	// BotToken is the xoxb- token; empty when no app is configured.
	BotToken Secret
	// BotTokenSource says where BotToken came from, for display.
	BotTokenSource string
	// AppToken is the xapp- token for Socket Mode; empty turns /kamobot off.
	AppToken Secret
	// AppTokenSource says where AppToken came from, for display.
	AppTokenSource string
	// Channel is the default channel ID; empty means the default
	// destination is the webhook (if any).
	Channel string
	// APIURL is the Web API's base URL, ending in "/".
	APIURL string
	// Broadcast lists the event types whose thread reply is also shown in
	// the channel (reply_broadcast); default failed and trouble.
	Broadcast []job.EventType
	// MuteAllowed lists the Slack user (U…/W…) and user-group (S…) IDs
	// who may use /kamobot mute; empty means nobody.
	MuteAllowed []string
	// Board keeps one message in each app channel that lists the jobs
	// open now, updated in place when it changes, pinned when the app
	// may pin (pins:write).
	Board bool
}

// Enabled reports whether a bot token is configured.
func (a SlackApp) Enabled() bool { return !a.BotToken.IsZero() }

// Broadcasts reports whether replies of events of type ev are broadcast.
func (a SlackApp) Broadcasts(ev job.EventType) bool { return slices.Contains(a.Broadcast, ev) }

// MayMute reports whether the user, a member of groups, may mute.
func (a SlackApp) MayMute(user string, groups []string) bool {
	return slices.ContainsFunc(a.MuteAllowed, func(id string) bool { return id == user || slices.Contains(groups, id) })
}

// defaultBroadcast are the events whose replies are broadcast by default.
var defaultBroadcast = []job.EventType{"failed", "trouble"}

var (
	channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)
	slackIDPattern   = regexp.MustCompile(`^[UWS][A-Z0-9]{6,}$`)
)

// channelID checks a channel ID ("C0123456789"); a name is refused with
// the way to find the ID.
func (c *checker) channelID(p, s string) string {
	s = strings.TrimSpace(s)
	if !channelIDPattern.MatchString(s) {
		c.errorf(p, "%q is not a channel ID: want the ID (C0123456789), shown at the bottom of the channel's details in Slack, not its name", s)
		return ""
	}
	return s
}

// checkToken returns the check of a token, read from anywhere: it has the
// wanted prefix. The error never shows the token.
func checkToken(prefix, what string) func(Secret) error {
	return func(s Secret) error {
		v := s.Reveal()
		if !strings.HasPrefix(v, prefix) || strings.ContainsAny(v, " \t") {
			return fmt.Errorf("the %s is not a Slack %s… token: copy it from the app's settings (OAuth & Permissions for the bot token, Basic Information → App-Level Tokens for the app token)", what, prefix)
		}
		return nil
	}
}

// slackApp checks [slack]'s app keys.
func (c *checker) slackApp(f *slackFile) {
	a := &c.cfg.Slack.App
	c.botToken = c.secretRef("slack", "bot_token", f.BotToken, f.BotTokenFile, checkToken("xoxb-", "bot token"))
	c.appToken = c.secretRef("slack", "app_token", f.AppToken, f.AppTokenFile, checkToken("xapp-", "app token"))
	if f.Channel != "" {
		a.Channel = c.channelID("slack.channel", f.Channel)
	}
	a.APIURL = DefaultSlackAPIURL
	if s := strings.TrimSpace(f.APIURL); s != "" {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			c.errorf("slack.api_url", "not an http(s) URL (the default is %s)", DefaultSlackAPIURL)
		} else {
			a.APIURL = strings.TrimRight(s, "/") + "/"
		}
	}
	a.Broadcast = c.events("slack.broadcast", f.Broadcast, defaultBroadcast)
	a.Board = f.Board
	for i, id := range f.MuteAllowed {
		if !slackIDPattern.MatchString(strings.TrimSpace(id)) {
			c.errorf(elem("slack.mute_allowed", i), "%q is not a Slack user (U…) or user-group (S…) ID", id)
			continue
		}
		a.MuteAllowed = append(a.MuteAllowed, strings.TrimSpace(id))
	}
}

// resolveAppTokens reads the bot and app tokens, once the environment has
// had its say, and checks a channel has a token to post with.
func (c *checker) resolveAppTokens() {
	a := &c.cfg.Slack.App
	a.BotToken, a.BotTokenSource = c.resolveSecret(CredentialBotToken, EnvSlackBotTokenFile, EnvSlackBotToken, c.botToken)
	a.AppToken, a.AppTokenSource = c.resolveSecret(CredentialAppToken, EnvSlackAppTokenFile, EnvSlackAppToken, c.appToken)
	channels := a.Channel != "" || slices.ContainsFunc(c.cfg.Tenants, func(t Tenant) bool { return t.Channel != "" })
	switch {
	case channels && a.BotToken.IsZero() && a.BotTokenSource == "":
		c.errorf("slack.bot_token_file", "a channel is set but no bot token: set slack.bot_token_file (an xoxb- token), %s or %s", EnvSlackBotTokenFile, EnvSlackBotToken)
	case !a.BotToken.IsZero() && !channels:
		c.errorf("slack.channel", "a bot token is set but no channel to post in: set slack.channel (or a channel per [[tenant]])")
	case a.Board && a.BotToken.IsZero() && a.BotTokenSource == "":
		c.errorf("slack.board", "a board is a message the app updates in place: set slack.bot_token_file and slack.channel, or remove board")
	case !a.AppToken.IsZero() && a.BotToken.IsZero() && a.BotTokenSource == "":
		c.errorf("slack.app_token_file", "an app token is set without a bot token: /kamobot answers as the bot; set slack.bot_token_file too")
	}
}
