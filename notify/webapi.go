package notify

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/slack-go/slack"
)

// App posts through the Slack Web API with a bot token (app mode): a
// message, an update of one in place, or a reply in a thread. Answers are
// classified as webhook answers are (see Class), so that the outbox treats
// both alike. Its errors never hold the token. It is safe for concurrent use.
type App struct {
	api   *slack.Client
	token string
	host  string
	pacer *Pacer // NewTierPacer's: by method for the workspace, posts by channel
}

// AppOptions configure an App.
type AppOptions struct {
	// APIURL is the Web API's base URL, ending in "/".
	APIURL string
	// Now and Sleep are the clock, for pacing; default the real one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewApp returns an App posting with the bot token.
func NewApp(token string, o AppOptions) *App {
	return &App{
		api:   slack.New(token, slack.OptionAPIURL(o.APIURL), slack.OptionHTTPClient(NewHTTPClient(DefaultTimeout))),
		token: token,
		host:  host(o.APIURL),
		pacer: NewTierPacer(o.Now, o.Sleep),
	}
}

// AppMessage is one Web API call: a post (TS empty; in ThreadTS's thread
// when set) or an update of the message TS.
type AppMessage struct {
	Channel   string
	TS        string
	ThreadTS  string
	Broadcast bool
	Text      string
	Blocks    []slack.Block
}

// Send makes the call once, paced (chat.postMessage one a second per
// channel, chat.update by its tier for the workspace), and returns its
// Result and the ts of the message posted or updated.
func (a *App) Send(ctx context.Context, m AppMessage) (Result, string) {
	if err := a.pacer.Wait(ctx, paceKey(m)); err != nil {
		return transportFailure(a.host, err), ""
	}
	return a.send(ctx, m)
}

// paceKey is the Pacer key of m's call: chat.update (by its tier), or
// its channel's posts.
func paceKey(m AppMessage) string {
	if m.TS != "" {
		return "chat.update"
	}
	return "chat.postMessage:" + m.Channel
}

// send makes m's call, now.
func (a *App) send(ctx context.Context, m AppMessage) (Result, string) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	var ts string
	var err error
	if m.TS != "" {
		_, ts, _, err = a.api.UpdateMessageContext(ctx, m.Channel, m.TS, opts...)
	} else {
		if m.ThreadTS != "" {
			opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
			if m.Broadcast {
				opts = append(opts, slack.MsgOptionBroadcast())
			}
		}
		_, ts, err = a.api.PostMessageContext(ctx, m.Channel, opts...)
	}
	if err == nil {
		return Result{Class: Delivered, Status: http.StatusOK}, ts
	}
	return a.classify(err), ""
}

// call waits for the tiered method's turn, makes the call and, when
// Slack answers ratelimited, holds the method for its Retry-After.
func (a *App) call(ctx context.Context, method string, do func() error) Result {
	if err := a.pacer.Wait(ctx, method); err != nil {
		return transportFailure(a.host, err)
	}
	err := do()
	if err == nil {
		return Result{Class: Delivered, Status: http.StatusOK}
	}
	r := a.classify(err)
	if r.Class == RateLimited {
		a.pacer.Hold(method, r.RetryAfter)
	}
	return r
}

// Pin pins the message ts in channel (pins.add). Slack's already_pinned
// is taken as done.
func (a *App) Pin(ctx context.Context, channel, ts string) Result {
	r := a.call(ctx, "pins.add", func() error {
		return a.api.AddPinContext(ctx, channel, slack.NewRefToMessage(channel, ts))
	})
	if r.Code == "already_pinned" {
		return Result{Class: Delivered, Status: http.StatusOK}
	}
	return r
}

// Web API errors by what they mean for the message and the destination.
var (
	appDeadErrors = map[string]string{
		"invalid_auth":     "the bot token is not valid: put a working xoxb- token in slack.bot_token_file",
		"not_authed":       "no bot token was sent: set slack.bot_token_file",
		"token_revoked":    "the bot token was revoked: reinstall the app and put its new xoxb- token in slack.bot_token_file",
		"token_expired":    "the bot token expired: put a new xoxb- token in slack.bot_token_file",
		"account_inactive": "the app's bot user is deactivated: reinstall the app in the workspace",
		"missing_scope":    "the app lacks a scope: add it from deploy/slack-app-manifest.yaml and reinstall the app",
		"channel_not_found": "the channel does not exist or the bot cannot see it: check the channel ID, " +
			"and /invite the app to a private channel",
		"not_in_channel":          "the bot is not in the channel: /invite @kamobot there",
		"is_archived":             "the channel is archived: unarchive it or set another channel",
		"team_access_not_granted": "the app is not installed in this workspace: install it",
	}
	// Any other code is permanent for that message (msg_too_long,
	// msg_blocks_too_long, invalid_blocks, message_not_found, ...).
	appTemporaryErrors = []string{"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ekm_access_denied"}
)

// AppFix returns what to do about a Web API error code that makes the
// destination dead, or "".
func AppFix(code string) string { return appDeadErrors[code] }

// classify turns a slack-go error into a Result; the token never reaches
// the error kept.
func (a *App) classify(err error) Result {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	fail := func(c Class, status int, code string) Result {
		return Result{Class: c, Status: status, Code: code, Err: &Error{Class: c, Host: a.host, Status: status, Code: code}}
	}
	switch {
	case errors.As(err, &rl):
		r := fail(RateLimited, http.StatusTooManyRequests, "ratelimited")
		r.RetryAfter = min(rl.RetryAfter, DefaultMaxRetryAfter)
		return r
	case errors.As(err, &sc):
		if sc.Code < 500 && sc.Code != http.StatusTooManyRequests {
			return fail(DeadWebhook, sc.Code, "")
		}
		return fail(Temporary, sc.Code, "")
	case errors.As(err, &se) || slackErrorCode.MatchString(err.Error()):
		code := cmp.Or(se.Err, err.Error())
		switch {
		case appDeadErrors[code] != "":
			return fail(DeadWebhook, http.StatusOK, code)
		case slices.Contains(appTemporaryErrors, code):
			return fail(Temporary, http.StatusOK, code)
		}
		return fail(PermanentMessage, http.StatusOK, code)
	}
	return transportFailure(a.host, errors.New(redactTokens(err.Error(), a.token)))
}

// slackErrorCode is how slack-go reports {"ok":false,"error":...}: the
// bare error code as the error's text.
var slackErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)
