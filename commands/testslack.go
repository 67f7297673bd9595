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
		labels := map[string]bool{}
		for _, t := range cfg.Tenants {
			if tenantEntryIs(t, tenant) {
				labels[t.Label()] = true
			}
		}
		hooks = slices.DeleteFunc(hooks, func(h config.Webhook) bool { return h.Tenant == "" || !labels[h.Tenant] })
		if len(hooks) == 0 && !cfg.Slack.App.Enabled() {
			return usageErrorf("no [[tenant]] entry %q with its own webhook", tenant)
		}
	}
	payload, err := sampleMessage(cfg, d.Now()).JSON()
	if err != nil {
		return err
	}
	failed := 0
	if cfg.Slack.App.Enabled() && webhookFile == "" {
		// App mode: the bot token and each channel (testSlackApp).
		n, err := testSlackApp(ctx, d, cfg, tenant, payload)
		if err != nil && !(tenant != "" && len(hooks) > 0) {
			return err
		}
		failed += n
	}
	if len(hooks) == 0 && !cfg.Slack.App.Enabled() {
		return cfg.RequireSlack()
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

// tenantEntryIs reports whether a --tenant argument names this [[tenant]]
// entry: by its name, its id ("3") or its label ("id 3").
func tenantEntryIs(t config.Tenant, arg string) bool {
	if arg == t.Label() || (t.Name != "" && arg == t.Name) {
		return true
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	return err == nil && t.ID != 0 && t.ID == id
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

// testSlackApp checks the Slack app (app mode): auth.test (the bot, the
// workspace, the scopes it has against those kamobot needs), then in each
// configured channel (only tenant's, when given) conversations.info, a
// sample post (payload), an update of it in place and a reply in its
// thread. It prints each answer and returns how many checks failed.
func testSlackApp(ctx context.Context, d *Deps, cfg *config.Config, tenant string, payload []byte) (failed int, err error) {
	app := cfg.Slack.App
	var order []string           // the channels, as the config names them first
	who := map[string][]string{} // channel → who posts there
	add := func(ch, what string) {
		if ch != "" {
			if who[ch] == nil {
				order = append(order, ch)
			}
			who[ch] = append(who[ch], what)
		}
	}
	if tenant == "" {
		add(app.Channel, "default")
	}
	for _, t := range cfg.Tenants {
		if tenant == "" || tenantEntryIs(t, tenant) {
			add(t.Channel, "tenant "+t.Label())
		}
	}
	if tenant != "" && len(order) == 0 {
		return 0, usageErrorf("no [[tenant]] entry %q with its own channel", tenant)
	}
	a := d.App(cfg)
	out := d.Stdout
	id, res := a.AuthTest(ctx)
	if !res.OK() {
		fmt.Fprintf(out, "auth.test → %s\n", appAnswer(res))
		return 1, nil
	}
	fmt.Fprintf(out, "auth.test → ok: bot %s (%s) in %s (%s), %s\n", id.User, id.UserID, id.Team, id.TeamID, id.URL)
	need := slices.Clone(notify.AppScopes)
	if slices.ContainsFunc(app.MuteAllowed, func(g string) bool { return strings.HasPrefix(g, "S") }) {
		need = append(need, notify.GroupScope)
	}
	if app.Board {
		need = append(need, notify.PinScope) // to pin the board; it is updated unpinned without it
	}
	missing := slices.DeleteFunc(slices.Clone(need), func(s string) bool { return slices.Contains(id.Scopes, s) })
	switch {
	case id.Scopes == nil:
		fmt.Fprintf(out, "  scopes: Slack did not list them; kamobot needs %s\n", strings.Join(need, ", "))
	case len(missing) > 0:
		failed++
		fmt.Fprintf(out, "  scopes: %s; MISSING %s: add them from deploy/slack-app-manifest.yaml and reinstall the app\n",
			strings.Join(id.Scopes, ", "), strings.Join(missing, ", "))
	default:
		fmt.Fprintf(out, "  scopes: %s (all that kamobot needs: %s)\n", strings.Join(id.Scopes, ", "), strings.Join(need, ", "))
	}
	for _, ch := range order {
		fmt.Fprintf(out, "channel %s (%s):\n", ch, strings.Join(who[ch], ", "))
		info, res := a.Channel(ctx, ch)
		if res.OK() {
			member := "the bot is a member"
			if !info.IsMember {
				member = "the bot is NOT a member: /invite @" + id.User + " there (posts to a public channel still work with chat:write.public only)"
			}
			fmt.Fprintf(out, "  conversations.info → ok: #%s, %s\n", info.Name, member)
		} else {
			fmt.Fprintf(out, "  conversations.info → %s\n", appAnswer(res))
		}
		m, err := notify.AppMessageOf(payload, ch)
		if err != nil {
			return failed, err
		}
		res, ts := a.Send(ctx, m)
		fmt.Fprintf(out, "  chat.postMessage → %s\n", appAnswerTS(res, ts))
		if !res.OK() {
			failed++
			continue
		}
		upd := m
		upd.TS, upd.Text = ts, "✏️ "+m.Text
		res, _ = a.Send(ctx, upd)
		fmt.Fprintf(out, "  chat.update of %s → %s\n", ts, appAnswer(res))
		if !res.OK() {
			failed++
		}
		reply := notify.AppMessage{Channel: ch, ThreadTS: ts, Text: "🧵 kamobot test-slack: a reply in the thread"}
		res, rts := a.Send(ctx, reply)
		fmt.Fprintf(out, "  reply in thread %s → %s\n", ts, appAnswerTS(res, rts))
		if !res.OK() {
			failed++
		}
	}
	if !app.AppToken.IsZero() {
		fmt.Fprintln(out, "app token set: `kamobot watch` answers /kamobot over Socket Mode")
	} else {
		fmt.Fprintln(out, "no app token: /kamobot is off (everything else works); set slack.app_token_file to turn it on")
	}
	return failed, nil
}

// appAnswer is a Web API answer for a person: ok, or the error and what
// to do about it.
func appAnswer(res notify.Result) string {
	if res.OK() {
		return "ok"
	}
	s := fmt.Sprintf("%s (%s)", res.Class, res.Code)
	if res.Code == "" {
		s = fmt.Sprintf("%s (HTTP %d)", res.Class, res.Status)
		if res.Err != nil {
			s = fmt.Sprintf("%s: %v", res.Class, res.Err)
		}
	}
	if fix := notify.AppFix(res.Code); fix != "" {
		s += ": " + fix
	}
	return s
}

func appAnswerTS(res notify.Result, ts string) string {
	if res.OK() {
		return "ok, ts " + ts
	}
	return appAnswer(res)
}
