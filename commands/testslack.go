package commands

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/urfave/cli/v2"
)

func newTestSlackCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "test-slack",
		Usage: "post a sample message to each configured webhook and show Slack's answer",
		UsageText: `kamobot test-slack [--tenant T] [--webhook-file F]

Exit 0 only if every webhook answered ok.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "tenant", Aliases: []string{"t"}, Usage: "only the webhook of this tenant entry (name or id)"},
			&cli.StringFlag{Name: "webhook-file", Usage: "post to the webhook URL in this file instead (mode 0600)"},
		},
		Action: func(c *cli.Context) error {
			return runTestSlack(c.Context, d, c.String("tenant"), c.String("webhook-file"))
		},
	}
}

func runTestSlack(ctx context.Context, d *Deps, tenant, webhookFile string) error {
	cfg, err := d.Config()
	if err != nil {
		return err
	}
	hooks := cfg.Webhooks()
	if webhookFile != "" {
		u, err := config.ReadSecretFile(webhookFile)
		if err != nil {
			return err
		}
		d.Redactor.Add(u.Reveal())
		hooks = []config.Webhook{{URL: u, Source: webhookFile}}
	} else if tenant != "" {
		hooks = slices.DeleteFunc(hooks, func(h config.Webhook) bool { return h.Tenant != tenant })
		if len(hooks) == 0 && !cfg.Slack.App.Enabled() {
			return usageErrorf("no [[tenant]] entry %q with its own webhook", tenant)
		}
	}
	failed := 0
	if cfg.Slack.App.Enabled() && webhookFile == "" {
		// App mode: the bot token and each channel (testslack_app.go).
		n, err := testSlackApp(ctx, d, cfg, tenant)
		if err != nil && !(tenant != "" && len(hooks) > 0) {
			return err
		}
		failed += n
	}
	if len(hooks) == 0 && !cfg.Slack.App.Enabled() {
		return cfg.RequireSlack()
	}
	payload, err := sampleMessage(cfg, d.Now()).JSON()
	if err != nil {
		return err
	}
	s := d.Sender()
	for _, h := range hooks {
		res := s.Send(ctx, h.URL.Reveal(), payload)
		answer := "ok"
		if !res.OK() {
			failed++
			answer = fmt.Sprintf("%s (HTTP %d: %s)", res.Class, res.Status, slackAnswer(res.Status, res.Code))
			if res.Status == 0 && res.Err != nil {
				answer = fmt.Sprintf("%s: %v", res.Class, res.Err)
			}
		}
		fmt.Fprintf(d.Stdout, "%s → %s\n", h.Describe(), answer)
	}
	if failed > 0 {
		return &ExitError{Code: ExitUnavailable, Err: fmt.Errorf("%d checks of Slack did not answer ok", failed)}
	}
	return nil
}

// sampleMessage is a job message like the real ones, clearly marked as a test.
func sampleMessage(cfg *config.Config, now time.Time) notify.Payload {
	host, _ := os.Hostname()
	ev := job.Event{
		Type:   job.EventCompleted,
		Tenant: job.TenantRef{ID: 1, Name: "sample-tenant"},
		Job: api.Job{Kind: api.KindTraining, ID: 1234, Name: "kamobot-test-message", Status: "Completed",
			CreatedBy: cfg.Kamonohashi.User, CreatedAt: now.Add(-2 * time.Hour), StartedAt: now.Add(-110 * time.Minute),
			CompletedAt: now, Node: "gpu-node-1", GPU: 1, Detailed: true},
		From: "Running", To: "Completed", At: now,
	}
	o := notify.RenderOptions{Server: cfg.Kamonohashi.Server, Location: cfg.Schedule.Location(), Now: now,
		Lang: cfg.Slack.Language, Phrase: func(k string) string { return cfg.Messages.Pick(k, nil) }}
	pl := notify.RenderEvents([]job.Event{ev}, o)[0]
	mark := fmt.Sprintf("🧪 TEST from kamobot test-slack on %s: not a real job", strings.TrimSpace(host))
	if cfg.Slack.Language == "ja" {
		mark = fmt.Sprintf("🧪 テスト: %s の kamobot test-slack からの送信です (実際のジョブではありません)", strings.TrimSpace(host))
	}
	pl.Text = mark + "\n" + pl.Text
	pl.Blocks = append([]notify.Block{notify.Context(notify.Escape(mark))}, pl.Blocks...)
	return pl
}

// slackAnswer is what Slack said, without repeating the status: a bare
// server's "404 page not found" body is "page not found" after "HTTP 404".
func slackAnswer(status int, code string) string {
	code = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(code), strconv.Itoa(status)))
	if code == "" {
		return strings.ToLower(http.StatusText(status))
	}
	return code
}
