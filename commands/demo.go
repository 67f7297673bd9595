package commands

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/urfave/cli/v2"
)

func newDemoCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run kamobot against a built-in fake KAMONOHASHI and a fake Slack, no account needed",
		UsageText: `kamobot demo [--duration D] [--lang ja|en] [--slack webhook|app]
kamobot demo --fake-only [--kamonohashi-addr ADDR] [--slack-addr ADDR]

The demo starts a fake KAMONOHASHI whose jobs start, end, fail and get
canceled every few seconds, a fake Slack, and kamobot's watch loop between
them, and prints each Slack message as a person would read it. With
--slack app it posts as a Slack app does (a bot token, the fake Web API):
one thread per job, its first message updated in place as the job goes.

--fake-only serves the two fakes (account demo, password demo) and prints
their addresses and the fake Slack's webhook, whole (it is no secret), for
trying kamobot or any KAMONOHASHI client by hand.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "fake-only", Usage: "only serve the fakes and print their URLs"},
			&cli.StringFlag{Name: "kamonohashi-addr", Value: "127.0.0.1:0", Usage: "listen address of the fake KAMONOHASHI"},
			&cli.StringFlag{Name: "slack-addr", Value: "127.0.0.1:0", Usage: "listen address of the fake Slack"},
			&cli.DurationFlag{Name: "duration", Usage: "stop after `D`", DefaultText: "run until Ctrl-C"},
			&cli.DurationFlag{Name: "interval", Value: 2 * time.Second, Usage: "time between passes"},
			&cli.StringFlag{Name: "lang", Value: "ja", Usage: "message language: ja or en"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the simulated activity", DefaultText: "random"},
			&cli.StringFlag{Name: "slack", Value: "webhook", Usage: "post through an incoming `webhook` or as an `app` (threads, updates)"},
		},
		Action: func(c *cli.Context) error {
			if lang := c.String("lang"); lang != "ja" && lang != "en" {
				return usageErrorf("--lang %q: use ja or en", lang)
			}
			if s := c.String("slack"); s != "webhook" && s != "app" {
				return usageErrorf("--slack %q: use webhook or app", s)
			}
			if c.Duration("interval") <= 0 {
				return usageErrorf("--interval must be positive")
			}
			return runDemo(c, d)
		},
	}
}

func runDemo(c *cli.Context, d *Deps) error {
	ctx := c.Context
	if dur := c.Duration("duration"); dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dur)
		defer cancel()
	}
	// The fake writes its times as the real server does, without an
	// offset, in the zone of a Japanese installation; the demo's config
	// says so (kamonohashi.timezone), as a user's must.
	zone, err := time.LoadLocation(demoZone)
	if err != nil {
		return fmt.Errorf("demo time zone: %w", err)
	}
	kqi := kqifake.Demo(kqifake.Options{Logger: d.log, Location: zone})
	if err := kqi.Start(c.String("kamonohashi-addr")); err != nil {
		return &ExitError{Code: ExitUnavailable, Err: fmt.Errorf("start the fake KAMONOHASHI: %w", err)}
	}
	defer kqi.Close()
	slack, err := slackfake.New(slackfake.Options{Addr: c.String("slack-addr")})
	if err != nil {
		return &ExitError{Code: ExitUnavailable, Err: fmt.Errorf("start the fake Slack: %w", err)}
	}
	defer slack.Close()
	hook := slack.NewHook()

	if c.Bool("fake-only") {
		// The fake's webhook is no secret: printed whole, unmasked, so
		// that it can be pasted into a config (test-slack then answers ok).
		fmt.Fprintf(d.rawStdout, "kamonohashi %s\nslack %s\nwebhook %s\n", kqi.URL(), slack.URL(), hook)
		fmt.Fprintf(d.Stderr, "the fake KAMONOHASHI takes account demo, password demo; its times are in %s: "+
			"set kamonohashi.timezone = %q; the webhook is the fake Slack's, no secret. Ctrl-C to stop\n", demoZone, demoZone)
		<-ctx.Done()
		return nil
	}

	dir, err := os.MkdirTemp("", "kamobot-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	slackKeys := fmt.Sprintf("webhook = %q", hook)
	if c.String("slack") == "app" {
		// Posts as a Slack app, through the fake Web API: a thread per
		// job, its parent updated in place. The fake's bot token is no secret either.
		slack.AddToken(slackfake.Token{Token: demoBotToken})
		slack.AddChannel(slackfake.Channel{ID: demoChannel, Name: "ml-jobs"})
		slackKeys = fmt.Sprintf("bot_token = %q\nchannel = %q\napi_url = %q", demoBotToken, demoChannel, slack.URL()+"/api/")
	}
	cfg, err := demoConfig(dir, kqi.URL(), slackKeys, c.String("lang"))
	if err != nil {
		return err
	}
	d.statePath = filepath.Join(dir, "state.json") // and the tokens beside it
	pass, err := d.NewPass(cfg, "demo")
	if err != nil {
		return err
	}
	pass.Store.WrittenBy, pass.TenantsTTL = "kamobot demo", time.Hour
	// The pass logs warnings only, unless --log-level was given: the demo
	// tells what it does in its own words. (setup checked the format.)
	if !lookup(c, "log-level").IsSet("log-level") {
		pass.Log, _ = newLogger(d.Stderr, "warn", lookup(c, "log-format").String("log-format"))
	}

	fmt.Fprintf(d.Stdout, "kamobot demo: fake KAMONOHASHI at %s (demo/demo), fake Slack at %s\n", kqi.URL(), slack.URL())
	fmt.Fprintf(d.Stdout, "jobs start, end and fail every few seconds; kamobot posts what it notices. Ctrl-C to stop.\n\n")

	var wg sync.WaitGroup
	wg.Go(func() {
		simulate(ctx, kqi, rand.New(rand.NewPCG(cmp.Or(c.Uint64("seed"), uint64(time.Now().UnixNano())), 1)))
	})
	wg.Go(func() { printSlack(ctx, d, slack) })
	err = engine.Loop{
		Pass:     func() *engine.Pass { return pass },
		Interval: func() time.Duration { return c.Duration("interval") },
		After: func(rep engine.Report, err error) error {
			if err != nil && ctx.Err() == nil {
				pass.Log.Warn("pass failed; the next one retries", errAttr(err))
			} else if rep.Baselined > 0 {
				fmt.Fprintf(d.Stdout, "· first pass: %d open jobs recorded as the baseline (nothing old is reported)\n\n", rep.Baselined)
			}
			return nil
		},
	}.Run(ctx)
	wg.Wait()
	fmt.Fprintf(d.Stdout, "\ndemo over: %s posted to the fake Slack\n", plural(slack.Stats().Accepted, "message", "messages"))
	return err
}

const (
	// The demo's app (--slack app): the fake Slack's bot token and channel.
	demoBotToken = "xoxb-0-demo-fake-slack-bot"
	demoChannel  = "C0DEMOJOBS"
	// demoZone is the zone the demo's fake server writes its times in, and
	// the demo's kamonohashi.timezone.
	demoZone = "Asia/Tokyo"
)

// demoConfig writes a config for the demo: quick alerts so that every kind
// of message shows up within a minute or two.
// slackKeys are the [slack] keys of the destination (a webhook, or a bot
// token and channel).
func demoConfig(dir, server, slackKeys, lang string) (*config.Config, error) {
	path := filepath.Join(dir, "config.toml")
	body := fmt.Sprintf(`[kamonohashi]
server = %q
user = "demo"
password = "demo"
timezone = %q

[slack]
%s
language = %q

[watch]
interval = "5s"
notify = ["completed", "killed", "failed", "canceled", "trouble", "stuck_pending", "long_running", "started"]
stuck_pending_after = "1m"
long_running_after = "90s"
summary_after_silence = "1m"

[owners]
alice = "U0ALICE01"
`, server, demoZone, slackKeys, lang)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return nil, err
	}
	cfg, _, err := config.Load(path, func(string) string { return "" })
	return cfg, err
}

// simulate moves the fake's jobs along like a busy team would.
func simulate(ctx context.Context, kqi *kqifake.Server, rnd *rand.Rand) {
	tenants := []string{"vision", "nlp-ja", "speech"}
	owners := []string{"alice", "bob", "佐藤", "chen"}
	names := []string{"resnet50-finetune", "bert-ja-pretrain", "学習ジョブ-日本語要約", "whisper-small-eval",
		"yolo-v8-sweep", "tokenizer-build", "推論バッチ-夜間", "notebook-eda"}
	kinds := []api.Kind{api.KindTraining, api.KindTraining, api.KindTraining, api.KindInference, api.KindNotebook}
	type live struct {
		kind api.Kind
		id   int64
		st   string
	}
	// The open jobs the demo starts with move too: the first message comes
	// within seconds, not after a new job has queued and started.
	var jobs []live
	for _, t := range tenants {
		for _, k := range []api.Kind{api.KindTraining, api.KindInference, api.KindNotebook} {
			open, _ := kqi.Jobs(t, k) // a tenant the demo lacks has none
			for _, j := range open {
				if api.StatusPhase(j.Status) != api.PhaseClosed {
					jobs = append(jobs, live{k, j.ID, j.Status})
				}
			}
		}
	}
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(1500+rnd.IntN(2500)) * time.Millisecond):
		}
		switch r := rnd.IntN(10); {
		case r < 3 || len(jobs) == 0:
			k := kinds[rnd.IntN(len(kinds))]
			j, err := kqi.AddJob(kqifake.NewJob{Tenant: tenants[rnd.IntN(len(tenants))], Kind: k,
				Name: names[rnd.IntN(len(names))], CreatedBy: owners[rnd.IntN(len(owners))], GPU: 1 + rnd.IntN(4)})
			if err == nil {
				jobs = append(jobs, live{k, j.ID, "Pending"})
			}
		default:
			i := rnd.IntN(len(jobs))
			j := &jobs[i]
			next := "Running"
			u := kqifake.StatusUpdate{}
			if j.st != "Pending" {
				switch r := rnd.IntN(20); {
				case r < 11:
					next = "Completed"
				case r < 14:
					next = "Failed"
					u.ConditionNote = "Error: exit code 1"
					u.LogSummary = "Traceback (most recent call last):\n  File \"train.py\", line 88, in <module>\n    loss.backward()\nRuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
				case r < 16:
					next = "UserCanceled"
				case r < 17:
					next = "Killed"
				case r < 18 && j.st == "Running":
					next = "OOMKilled"
				default:
					continue // still running
				}
			}
			u.Status = next
			if err := kqi.SetStatus(j.kind, j.id, u); err != nil {
				continue
			}
			j.st = next
			if api.StatusPhase(next) == api.PhaseClosed {
				jobs = append(jobs[:i], jobs[i+1:]...)
			}
		}
	}
}

// printSlack prints every message the fake Slack receives, as people read it.
func printSlack(ctx context.Context, d *Deps, slack *slackfake.Server) {
	seen := 0
	for {
		msgs := slack.Messages()
		for _, m := range msgs[seen:] {
			text := strings.TrimSpace(notify.TextView(m.Payload))
			where := ""
			switch {
			case m.Method == "chat.update":
				where = " · update of " + m.TS
			case m.ThreadTS != "" && m.ReplyBroadcast:
				where = " · in thread " + m.ThreadTS + ", also in the channel"
			case m.ThreadTS != "":
				where = " · in thread " + m.ThreadTS
			case m.Method != "":
				where = " · ts " + m.TS
			}
			fmt.Fprintf(d.Stdout, "┌─ Slack %s%s\n│ %s\n└─\n\n", m.At.Local().Format("15:04:05 MST"), where,
				strings.ReplaceAll(text, "\n", "\n│ "))
		}
		seen = len(msgs)
		select {
		case <-ctx.Done():
			return
		case <-time.After(300 * time.Millisecond):
		}
	}
}
