package commands

import (
	"context"
	"sync"

	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/state"
)

// startSlash answers `/kamobot` over Socket Mode while watch runs, when an
// app token is configured; it returns the desk (to follow config reloads)
// and a stop function, or nil and a no-op without an app token. It runs
// beside the passes and never holds them up: a lost connection only makes
// /kamobot silent until it is back.
func startSlash(ctx context.Context, d *Deps, cfg *config.Config, store *state.Store) (*engine.Desk, func()) {
	app := cfg.Slack.App
	if app.AppToken.IsZero() || app.BotToken.IsZero() {
		return nil, func() {}
	}
	// Its own Store (its own lock file descriptor): `/kamobot mute` then
	// waits for a pass in progress rather than share its lock.
	own, err := state.Open(store.Path())
	if err != nil {
		d.log.Warn("not answering /kamobot: cannot open the state", "err", err)
		return nil, func() {}
	}
	own.WrittenBy, own.Now = store.WrittenBy, store.Now
	desk := engine.NewDesk(cfg, own, d.Now)
	bot, api := app.BotToken.Reveal(), app.APIURL
	desk.Groups = func(ctx context.Context, group string) ([]string, error) {
		return notify.GroupMembers(ctx, bot, api, group)
	}
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		notify.ServeSlash(sctx, notify.SlashOptions{BotToken: bot, AppToken: app.AppToken.Reveal(), APIURL: api,
			Log: d.log.With("part", "slash")}, desk.Answer)
	})
	d.log.Info("answering /kamobot over Socket Mode")
	return desk, func() { cancel(); wg.Wait() }
}
