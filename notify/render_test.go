package notify_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// strictLimits are kamobot's own budgets, tighter than Slack's.
var strictLimits = slackfake.Limits{MaxText: notify.MaxTextLen, MaxBlocksChars: notify.MaxBlocksChars}

// texts lists the top-level text and every text object of a payload.
func texts(p notify.Payload) []string {
	out := []string{p.Text}
	for _, b := range p.Blocks {
		if b.Text != nil {
			out = append(out, b.Text.Text)
		}
		for _, f := range b.Fields {
			out = append(out, f.Text)
		}
		for _, e := range b.Elements {
			out = append(out, e.Text)
		}
	}
	return out
}

// checkPayload asserts that Slack (the fake's validator) would accept p
// within kamobot's budgets, that nothing in it is left unescaped, that it
// mentions only allowedUsers and no @here/@channel, and that every link
// points at the server.
func checkPayload(t testing.TB, p notify.Payload, allowedUsers ...string) {
	t.Helper()
	b, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := strictLimits.Validate(b); err != nil {
		t.Fatalf("payload refused: %v\n%s", err, b)
	}
	for _, s := range texts(p) {
		v := notify.Inspect(s)
		if len(v.Unescaped) > 0 {
			t.Errorf("unescaped %v in %q", v.Unescaped, s)
		}
		if len(v.Specials) > 0 {
			t.Errorf("special mention %v in %q", v.Specials, s)
		}
		for _, u := range v.Users {
			if !slices.Contains(allowedUsers, u) {
				t.Errorf("unexpected mention of %s in %q", u, s)
			}
		}
		for _, l := range v.Links {
			if !strings.HasPrefix(l.URL, server+"/#/") {
				t.Errorf("unexpected link %q in %q", l.URL, s)
			}
		}
	}
}

func TestInjectionArrivesAsLiteralText(t *testing.T) {
	const evil = "<!channel>&<@U1>"
	e := fixtureEvents()["job_failed"]
	e.Job.Name = evil
	e.Job.CreatedBy = "<@U999> &lt;b&gt;"
	e.Job.ConditionNote = "<https://evil.example|click> <!here>"
	e.Job.LogSummary = "``` <!everyone> ```\n&amp; <#C1>"
	e.Tenant = job.TenantRef{ID: 9, Name: "<!subteam^S1>"}
	e.From = "<b>"

	o := options("en")
	o.Mentions = nil
	o.Owners = nil
	payloads := slices.Concat(
		notify.RenderEvents([]job.Event{e}, o),
		notify.RenderEvents([]job.Event{e, e}, o),
		[]notify.Payload{
			notify.RenderDigest([]job.Event{e}, fixedAt.Add(-time.Hour), o),
			notify.RenderSummary(notify.Summary{Tenants: []notify.TenantSummary{{Tenant: e.Tenant,
				Counts: map[api.Kind]int{api.KindTraining: 1}, Longest: []api.Job{e.Job}}}}, o),
			notify.RenderGreeting(notify.GreetingEnter, "<!channel> & <@U1>", o, "<!here>"),
		},
	)
	fake := slackfake.NewTest(t)
	hook := fake.NewHook()
	s := notify.NewSender(notify.SenderOptions{})
	for i, p := range payloads {
		checkPayload(t, p)
		b, err := p.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if r := s.Send(t.Context(), hook, b); !r.OK() {
			t.Fatalf("payload %d: %v", i, r.Err)
		}
	}
	fake.AssertNoUnescaped(t)
	fake.AssertNoSpecialMention(t)
	for _, m := range fake.Messages() {
		for _, v := range m.Views() {
			if len(v.Users) > 0 || len(v.Subteams) > 0 || len(v.Channels) > 0 {
				t.Errorf("message %d mentions %v %v %v", m.Seq, v.Users, v.Subteams, v.Channels)
			}
		}
	}
	msgs := fake.Messages()
	for _, i := range []int{0, 1, 2, 3} {
		if !strings.Contains(msgs[i].Readable, evil) {
			t.Errorf("message %d does not show the job name literally:\n%s", i, msgs[i].Readable)
		}
	}
	if !strings.Contains(msgs[0].Readable, "<https://evil.example|click> <!here>") {
		t.Errorf("the reason is not literal:\n%s", msgs[0].Readable)
	}
	if !strings.Contains(msgs[4].Readable, "<!channel> & <@U1>") {
		t.Errorf("the greeting phrase is not literal:\n%s", msgs[4].Readable)
	}
}

func TestMentionPolicy(t *testing.T) {
	e := fixtureEvents()["job_completed"]
	o := options("en")
	o.Mentions = []string{"U0AAA", "<@W0BBB>", "@S0CCC", "subteam^S0DDD", "here", "U0AAA", "alice", " "}
	p := notify.RenderEvents([]job.Event{e}, o)[0]
	want := "<@U0AAA> <@W0BBB> <!subteam^S0CCC> <!subteam^S0DDD> <!here> @alice"
	if first := strings.SplitN(p.Blocks[1].Text.Text, "\n", 2)[0]; first != want {
		t.Errorf("mentions line = %q, want %q", first, want)
	}
	if !strings.HasPrefix(p.Text, want+" ") {
		t.Errorf("text fallback does not start with the mentions: %q", p.Text)
	}
	// A batch mentions once, in its first part only.
	parts := notify.RenderEvents(manyEvents(120), o)
	for i, part := range parts {
		n := strings.Count(part.Text, "<@U0AAA>")
		for _, s := range texts(part)[1:] {
			n += strings.Count(s, "<@U0AAA>")
		}
		if want := map[bool]int{true: 2, false: 0}[i == 0]; n != want {
			t.Errorf("part %d mentions U0AAA %d times, want %d", i, n, want)
		}
	}
	// Greetings, summaries and digests mention no one.
	for _, p := range []notify.Payload{
		notify.RenderGreeting(notify.GreetingLeave, "", o),
		notify.RenderSummary(fixtureSummary(), o), // owners mapped, and still not pinged
		notify.RenderDigest(digestEvents(), fixedAt, withoutOwners(o)),
	} {
		for _, s := range texts(p) {
			if v := notify.Inspect(s); len(v.Users)+len(v.Subteams)+len(v.Specials) > 0 {
				t.Errorf("mention in %q", s)
			}
		}
	}
}

func withoutOwners(o notify.RenderOptions) notify.RenderOptions {
	o.Owners = nil
	return o
}

func TestOwnerMention(t *testing.T) {
	e := fixtureEvents()["job_completed"]
	o := options("en")
	o.Owners = map[string]string{"alice": "U02GHIJKL", "bob": "not-an-id"}
	if p := notify.RenderEvents([]job.Event{e}, o)[0]; !strings.Contains(p.Text, "Owner <@U02GHIJKL>") {
		t.Errorf("mapped owner not mentioned: %q", p.Text)
	}
	e.Job.CreatedBy = "bob"
	if p := notify.RenderEvents([]job.Event{e}, o)[0]; !strings.Contains(p.Text, "Owner bob") {
		t.Errorf("owner with a bad Slack id should be shown by name: %q", p.Text)
	}
}

// 200 endings over three tenants sharing a webhook: every job once, each
// tenant's jobs together and in order under the tenant's heading, every
// part within 8,000 characters of block text and 50 blocks, and full
// (the next job would not fit).
func TestManyEventsUseFewestPayloads(t *testing.T) {
	o := options("ja")
	events := manyEvents(200)
	parts := notify.RenderEvents(events, o)
	allowed := []string{"U01ABCDEF", "U02GHIJKL"}
	var want []string // job labels in the order a reader meets them
	for _, ten := range []job.TenantRef{vision, nlp, speech} {
		for i, e := range events {
			if e.Tenant == ten {
				want = append(want, fmt.Sprintf("|sweep-lr-%03d #%d>", i, 1000+i))
			}
		}
	}
	next := 0
	for i, p := range parts {
		checkPayload(t, p, allowed...)
		if n := blockChars(p); n > 8000 {
			t.Errorf("part %d: %d characters of block text, want ≤ 8,000", i, n)
		}
		var firstJob string
		for _, b := range p.Blocks {
			if b.Type != "section" || b.Text == nil || !strings.Contains(b.Text.Text, "|sweep-lr-") {
				continue
			}
			if firstJob == "" {
				firstJob = b.Text.Text
			}
			if next >= len(want) || !strings.Contains(b.Text.Text, want[next]) {
				t.Fatalf("part %d: job section out of order, want %s in %q", i, want[min(next, len(want)-1)], b.Text.Text)
			}
			next++
		}
		if i == 0 {
			continue
		}
		// The part before is full: this part's first job would break the
		// block limit or the character budget there.
		prev := parts[i-1]
		if len(prev.Blocks) < notify.MaxBlocks && blockChars(prev)+utf8.RuneCountInString(firstJob) <= notify.MaxBlocksChars {
			t.Errorf("part %d has %d blocks and %d characters: room for one more job", i-1, len(prev.Blocks), blockChars(prev))
		}
	}
	if next != 200 {
		t.Errorf("%d job sections over all parts, want 200", next)
	}
	if len(parts) != 5 {
		t.Errorf("%d parts, want 5", len(parts))
	}
	if !strings.Contains(parts[4].Blocks[0].Text.Text, "(5/5)") {
		t.Errorf("last header = %q, want a part number", parts[4].Blocks[0].Text.Text)
	}
}

// blockChars counts the characters of text in a payload's blocks.
func blockChars(p notify.Payload) int {
	n := 0
	for _, s := range texts(p)[1:] {
		n += utf8.RuneCountInString(s)
	}
	return n
}

func TestLongValuesStayWithinLimits(t *testing.T) {
	huge := strings.Repeat("&<>あ", 3000)
	e := fixtureEvents()["job_failed"]
	e.Job.Name = huge
	e.Job.CreatedBy = huge
	e.Job.ConditionNote = huge
	e.Job.LogSummary = strings.Repeat(huge+"\n", 5)
	e.Job.Node = huge
	e.Tenant.DisplayName = huge
	e.From, e.To = huge, huge
	o := options("en")
	o.Mentions = slices.Repeat([]string{"U0AAAAAAAAAAAAAAA"}, 100)
	phrase := func(string) string { return huge }
	o.Phrase = phrase
	allowed := []string{"U0AAAAAAAAAAAAAAA"}
	for _, p := range notify.RenderEvents([]job.Event{e}, o) {
		checkPayload(t, p, allowed...)
		if h := p.Blocks[0].Text.Text; utf8.RuneCountInString(h) > notify.MaxHeaderText || !strings.HasSuffix(h, "…") {
			t.Errorf("header %d characters, want ≤ %d and cut", utf8.RuneCountInString(h), notify.MaxHeaderText)
		}
	}
	for _, p := range notify.RenderEvents(slices.Repeat([]job.Event{e}, 60), o) {
		checkPayload(t, p, allowed...)
	}
	checkPayload(t, notify.RenderDigest(slices.Repeat([]job.Event{e}, 60), fixedAt, o))
	checkPayload(t, notify.RenderGreeting(notify.GreetingEnter, huge, o, huge, huge))
	sum := notify.Summary{}
	for i := range 120 {
		ten := job.TenantRef{ID: int64(i), Name: fmt.Sprintf("%s-%d", huge, i)}
		sum.Tenants = append(sum.Tenants, notify.TenantSummary{Tenant: ten,
			Counts: map[api.Kind]int{api.KindTraining: 2}, Longest: slices.Repeat([]api.Job{e.Job}, 8)})
	}
	p := notify.RenderSummary(sum, withoutOwners(o))
	checkPayload(t, p)
	if last := p.Blocks[len(p.Blocks)-2].Text.Text; !strings.Contains(last, "more tenants") {
		t.Errorf("summary of 120 tenants does not end with the rest counted: %q", last)
	}
}

func TestDigestCapsTenants(t *testing.T) {
	var events []job.Event
	for i := range 1000 {
		e := manyEvents(1)[0]
		e.Tenant = job.TenantRef{ID: int64(i % 80), Name: fmt.Sprintf("tenant-%02d", i%80)}
		events = append(events, e)
	}
	o := withoutOwners(options("en"))
	p := notify.RenderDigest(events, fixedAt.Add(-12*time.Hour), o)
	checkPayload(t, p)
	if last := p.Blocks[len(p.Blocks)-2].Text.Text; !strings.HasPrefix(last, "…and ") || !strings.Contains(last, "more tenants") {
		t.Errorf("last section = %q, want the rest counted", last)
	}
	if !strings.HasPrefix(p.Text, "While you were away (since 11/24 03:04 JST) — 1000 jobs: 1000 completed") {
		t.Errorf("text = %q", p.Text)
	}
}

func TestRenderEdgeCases(t *testing.T) {
	if got := notify.RenderEvents(nil, options("ja")); got != nil {
		t.Errorf("RenderEvents(nil) = %v, want nil", got)
	}

	e := fixtureEvents()["job_completed"]
	o := options("")
	o.Server = ""
	p := notify.RenderEvents([]job.Event{e}, o)[0]
	checkPayload(t, p, "U01ABCDEF", "U02GHIJKL")
	if !strings.Contains(p.Text, "完了") {
		t.Errorf("default language is not Japanese: %q", p.Text)
	}
	if strings.Contains(p.Blocks[1].Text.Text, "<http") || !strings.Contains(p.Blocks[1].Text.Text, "*resnet50-finetune #123*") {
		t.Errorf("without a server the job should be named, not linked: %q", p.Blocks[1].Text.Text)
	}

	o = options("en")
	o.Server = server + "/#/"
	if p := notify.RenderEvents([]job.Event{e}, o)[0]; !strings.Contains(p.Text, "<"+server+"/#/training/123|") {
		t.Errorf("a pasted \"/#/\" server gives a broken link: %q", p.Text)
	}

	var keys []string
	o.Phrase = func(k string) string { keys = append(keys, k); return "" }
	odd := e
	odd.Type = "rebooted"
	odd.Job.Name = "  "
	p = notify.RenderEvents([]job.Event{odd}, o)[0]
	checkPayload(t, p, "U01ABCDEF", "U02GHIJKL")
	if !strings.HasPrefix(p.Blocks[0].Text.Text, ":grey_question: rebooted: (no name)") {
		t.Errorf("unknown event header = %q", p.Blocks[0].Text.Text)
	}
	if !slices.Equal(keys, []string{"unknown"}) {
		t.Errorf("phrase keys = %v, want [unknown]", keys)
	}

	empty := notify.RenderSummary(notify.Summary{}, o)
	checkPayload(t, empty)
	if empty.Blocks[1].Text.Text != "No job is running." {
		t.Errorf("empty summary = %q", empty.Blocks[1].Text.Text)
	}
	nothing := notify.RenderDigest(nil, time.Time{}, o)
	checkPayload(t, nothing)
}

func TestDuration(t *testing.T) {
	tests := []struct {
		d      time.Duration
		en, ja string
	}{
		{-time.Second, "0s", "0秒"},
		{0, "0s", "0秒"},
		{45 * time.Second, "45s", "45秒"},
		{12*time.Minute + 5*time.Second, "12m 5s", "12分5秒"},
		{10 * time.Minute, "10m", "10分"},
		{2*time.Hour + 13*time.Minute + 59*time.Second, "2h 13m", "2時間13分"},
		{2 * time.Hour, "2h", "2時間"},
		{2*time.Hour + 30*time.Second, "2h", "2時間"},
		{3*24*time.Hour + 4*time.Hour + 5*time.Minute, "3d 4h", "3日4時間"},
		{400 * 24 * time.Hour, "400d", "400日"},
	}
	for _, tt := range tests {
		if got := notify.Duration(tt.d, "en"); got != tt.en {
			t.Errorf("Duration(%v, en) = %q, want %q", tt.d, got, tt.en)
		}
		if got := notify.Duration(tt.d, "ja"); got != tt.ja {
			t.Errorf("Duration(%v, ja) = %q, want %q", tt.d, got, tt.ja)
		}
	}
}

func TestEscapeAndTruncate(t *testing.T) {
	if got := notify.Escape("a & <b> &amp;"); got != "a &amp; &lt;b&gt; &amp;amp;" {
		t.Errorf("Escape = %q", got)
	}
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello!", 5, "hell…"},
		{"あいうえお", 3, "あい…"},
		{"a\xffb", 5, "a\uFFFDb"},
		{"abc", 0, ""},
	} {
		if got := notify.Truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"a&b", 7, "a&amp;b"},
		{"a&b", 6, "a…"}, // never "a&amp…" nor "a&am…"
		{"<<", 8, "&lt;&lt;"},
		{"<<<", 8, "&lt;…"},
		{"xyz", 2, "x…"},
		{"日本語テキスト", 4, "日本語…"},
	} {
		if got := notify.EscapeLimit(tt.in, tt.n); got != tt.want {
			t.Errorf("EscapeLimit(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
