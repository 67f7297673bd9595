package notify_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
)

// FuzzEscape checks that escaped text is always literal in Slack: nothing
// unescaped, and what a person sees is exactly the input (or, for
// EscapeLimit, a prefix of it followed by "…").
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "<!channel>&<@U1>", "&amp;&lt;&gt;", "a <b> c", "<https://x|y>", "\xff<\x00>"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		v := notify.Inspect(notify.Escape(s))
		if len(v.Unescaped) > 0 || len(v.Links)+len(v.Users)+len(v.Specials)+len(v.Subteams) > 0 {
			t.Fatalf("Escape(%q) = %q is not literal: %+v", s, notify.Escape(s), v)
		}
		if v.Text != s {
			t.Fatalf("Escape(%q) shows %q", s, v.Text)
		}
		n = n % 300
		if n < 0 {
			n = -n
		}
		cut := notify.EscapeLimit(s, n)
		if utf8.RuneCountInString(cut) > n {
			t.Fatalf("EscapeLimit(%q, %d) = %q is too long", s, n, cut)
		}
		cv := notify.Inspect(cut)
		if len(cv.Unescaped) > 0 {
			t.Fatalf("EscapeLimit(%q, %d) = %q leaves %v unescaped", s, n, cut, cv.Unescaped)
		}
		if !strings.HasPrefix(s, strings.TrimSuffix(cv.Text, "…")) {
			t.Fatalf("EscapeLimit(%q, %d) shows %q, not a prefix", s, n, cv.Text)
		}
	})
}

// FuzzRender renders every kind of message from arbitrary values and checks
// that Slack (the fake's validator) accepts each payload within kamobot's
// budgets, that nothing is left unescaped, that nothing but the configured
// targets is mentioned, and that a short job name is shown literally.
func FuzzRender(f *testing.F) {
	f.Add("resnet50", "alice", "vision", "OOMKilled", "line 1\nline 2", "Running", "完了カモ", "en")
	f.Add("<!channel>&<@U1>", "<@U999>", "<!here>", "<https://evil|x>", "```\n<!everyone>", "<b>", "&amp;", "ja")
	f.Fuzz(func(t *testing.T, name, owner, tenant, note, logText, from, phrase, lang string) {
		j := api.Job{Kind: api.KindTraining, ID: 42, Name: name, CreatedBy: owner, Status: "Failed",
			CreatedAt: at(9, 0), StartedAt: at(9, 5), CompletedAt: at(10, 0), Node: tenant, GPU: 1,
			ConditionNote: note, LogSummary: logText}
		ten := job.TenantRef{ID: 1, Name: tenant}
		var events []job.Event
		for _, typ := range job.AllEventTypes() {
			events = append(events, job.Event{Type: typ, Tenant: ten, Job: j, From: from, To: note, At: fixedAt})
		}
		o := options(lang)
		o.Phrase = func(string) string { return phrase }
		allowed := []string{"U01ABCDEF", "U02GHIJKL"}

		var payloads []notify.Payload
		for _, e := range events {
			payloads = append(payloads, notify.RenderEvents([]job.Event{e}, o)...)
		}
		payloads = append(payloads, notify.RenderEvents(events, o)...)
		payloads = append(payloads,
			notify.RenderDigest(events, fixedAt, o),
			notify.RenderSummary(notify.Summary{Tenants: []notify.TenantSummary{{Tenant: ten,
				Counts: map[api.Kind]int{api.KindTraining: 1}, Longest: []api.Job{j}}}}, o),
			notify.RenderGreeting(notify.GreetingLeave, phrase, o, note, name))
		for _, p := range payloads {
			checkPayload(t, p, allowed...)
		}

		// A short, printable name arrives literally in the job message.
		if shown := strings.TrimSpace(name); shown != "" && utf8.ValidString(name) &&
			utf8.RuneCountInString(name) <= 80 && strings.IndexFunc(name, unicode.IsControl) < 0 &&
			!strings.ContainsAny(name, "\u2028\u2029") {
			first := notify.RenderEvents(events[:1], o)[0]
			if got := notify.Readable(first.Blocks[1].Text.Text); !strings.Contains(got, shown) {
				t.Fatalf("job name %q shows as %q", name, got)
			}
		}
	})
}
