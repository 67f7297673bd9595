package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
)

// sharedOptions: vision and nlp share a webhook, each with its own
// mentions, and no message-wide mention.
func sharedOptions(lang string) notify.RenderOptions {
	o := options(lang)
	o.Mentions = nil
	o.TenantMentions = map[int64][]string{vision.ID: {"U0VISION"}, nlp.ID: {"U0NLP", "S0NLPTEAM"}}
	return o
}

// sharedBatch is four endings of two tenants, interleaved as a pass finds them.
func sharedBatch() []job.Event {
	ev := fixtureEvents()
	return []job.Event{ev["job_completed"], ev["job_killed"], ev["job_failed"], ev["job_canceled"]}
}

// On a webhook shared by two tenants, each tenant's mentions head that
// tenant's own section, and nothing is mentioned at the head of the batch.
func TestSharedWebhookMentionsGoWithTheirTenant(t *testing.T) {
	parts := notify.RenderEvents(sharedBatch(), sharedOptions("en"))
	if len(parts) != 1 {
		t.Fatalf("%d parts, want 1", len(parts))
	}
	p := parts[0]
	checkPayload(t, p, "U0VISION", "U0NLP", "U02GHIJKL")
	var sections []string
	for _, b := range p.Blocks[1:] {
		if b.Type == "section" {
			sections = append(sections, b.Text.Text)
		}
	}
	// vision's heading, its two jobs, then nlp's heading and its two
	// jobs: no section of mentions alone at the head.
	want := []struct{ has, hasNot string }{
		{"*Vision チーム*  <@U0VISION>", "U0NLP"},
		{"resnet50-finetune #123", "U0VISION"},
		{"bert-large", "U0VISION"},
		{"*nlp*  <@U0NLP> <!subteam^S0NLPTEAM>", "U0VISION"},
		{"batch-infer #56", "U0NLP"},
		{"jupyter-carol #7", "U0NLP"},
	}
	if len(sections) != len(want) {
		t.Fatalf("%d sections, want %d:\n%s", len(sections), len(want), strings.Join(sections, "\n---\n"))
	}
	for i, w := range want {
		if !strings.Contains(sections[i], w.has) || strings.Contains(sections[i], w.hasNot) {
			t.Errorf("section %d = %q, want %q in it and not %q", i, sections[i], w.has, w.hasNot)
		}
	}
	// The text fallback, which notifications show, carries the same.
	if !strings.HasPrefix(p.Text, ":bell: ") || !strings.Contains(p.Text, "\nVision チーム: <@U0VISION>\n") ||
		!strings.Contains(p.Text, "\nnlp: <@U0NLP> <!subteam^S0NLPTEAM>\n") {
		t.Errorf("text fallback:\n%s", p.Text)
	}
	// One tenant's jobs alone: its mentions open the message.
	ev := fixtureEvents()
	for _, evs := range [][]job.Event{{ev["job_killed"]}, {ev["job_killed"], ev["job_canceled"]}} {
		p := notify.RenderEvents(evs, sharedOptions("en"))[0]
		if !strings.HasPrefix(p.Text, "<@U0NLP> <!subteam^S0NLPTEAM> ") || strings.Contains(p.Text, "U0VISION") {
			t.Errorf("%d nlp events: text = %q, want nlp's mentions first", len(evs), p.Text)
		}
	}
}

// A tenant whose jobs run on into the next part is named again there,
// without a second ping.
func TestSharedBatchSplitMentionsOnce(t *testing.T) {
	events := manyEvents(200)
	o := sharedOptions("en")
	o.TenantMentions[speech.ID] = []string{"U0SPEECH"}
	parts := notify.RenderEvents(events, withoutOwners(o))
	count := map[string]int{}
	for _, p := range parts {
		checkPayload(t, p, "U0VISION", "U0NLP", "U0SPEECH")
		for _, b := range p.Blocks {
			if b.Text != nil {
				for _, u := range notify.Inspect(b.Text.Text).Users {
					count[u]++
				}
			}
		}
	}
	for _, u := range []string{"U0VISION", "U0NLP", "U0SPEECH"} {
		if count[u] != 1 {
			t.Errorf("%s mentioned in %d blocks, want 1", u, count[u])
		}
	}
}

// A batch's phrase speaks for all its jobs or is not said: a mixed batch
// has none (not the phrase of its most serious event as a footer); a
// batch of endings of one kind has that kind's phrase under its header.
func TestBatchPhrase(t *testing.T) {
	o := options("en")
	all := func(p notify.Payload) string { return strings.Join(texts(p), "\n") }
	mixed := notify.RenderEvents(batchOf5(), o)[0]
	for key, phrase := range testPhrases["en"] {
		if strings.Contains(all(mixed), phrase) {
			t.Errorf("a mixed batch says the %s phrase %q", key, phrase)
		}
	}
	if foot := mixed.Blocks[len(mixed.Blocks)-1]; foot.Type != "context" || foot.Elements[0].Text != "2026-11-24 15:04 JST" {
		t.Errorf("footer = %+v, want the time alone", foot)
	}
	var done []job.Event
	for _, e := range manyEvents(9) {
		if e.Type == job.EventCompleted {
			done = append(done, e)
		}
	}
	p := notify.RenderEvents(done, o)[0]
	if intro := p.Blocks[2]; intro.Type != "context" || intro.Elements[0].Text != testPhrases["en"]["completed"] {
		t.Errorf("a batch of completions: block 2 = %+v, want the completed phrase", intro)
	}
	if strings.Count(all(p), testPhrases["en"]["completed"]) != 1 {
		t.Errorf("the phrase is said more than once:\n%s", all(p))
	}
}

// A stuck job says how long it has waited, in a batch, its text and a
// digest, as the single message does.
func TestStuckPendingSaysHowLong(t *testing.T) {
	ev := fixtureEvents()
	o := options("en")
	stuck := ev["job_stuck_pending"] // created 14:00, event at 15:04:05
	long := ev["job_long_running"]   // the same tenant
	p := notify.RenderEvents([]job.Event{stuck, long}, o)[0]
	if !strings.Contains(p.Blocks[2].Text.Text, "Waiting for 1h 4m") {
		t.Errorf("batch section: %q", p.Blocks[2].Text.Text)
	}
	if !strings.Contains(p.Text, "whisper-large #126 (speech) Stuck in queue · Waiting for 1h 4m") {
		t.Errorf("batch text: %q", p.Text)
	}
	d := notify.RenderDigest([]job.Event{stuck}, fixedAt.Add(-time.Hour), o)
	if got := strings.Join(texts(d), "\n"); !strings.Contains(got, "Stuck in queue · Waiting for 1h 4m") {
		t.Errorf("digest:\n%s", got)
	}
}

// A long-running alert and then the ending of the same job: the ending
// alone is listed, in a digest and in a batch, and counted once.
func TestEndingSupersedesAlert(t *testing.T) {
	ev := fixtureEvents()
	long := ev["job_long_running"]
	long.At = fixedAt.Add(-6 * time.Hour)
	end := long
	end.Type, end.From, end.To, end.At = job.EventCompleted, "Running", "Completed", fixedAt
	end.Job.Status, end.Job.CompletedAt = "Completed", fixedAt
	other := ev["job_stuck_pending"] // another job's alert stays
	events := []job.Event{long, other, end}
	o := options("en")
	d := notify.RenderDigest(events, fixedAt.Add(-12*time.Hour), o)
	all := strings.Join(texts(d), "\n")
	if strings.Contains(all, "Long running") || strings.Count(all, "wav2vec-pretrain #127") != 1 {
		t.Errorf("digest lists the alert or the job twice:\n%s", all)
	}
	if !strings.Contains(d.Text, "2 jobs: 1 completed, 1 stuck in queue") {
		t.Errorf("digest counts: %q", d.Text)
	}
	b := notify.RenderEvents(events, o)[0]
	if all := strings.Join(texts(b), "\n"); strings.Contains(all, "Long running") || !strings.Contains(b.Blocks[0].Text.Text, "2 job updates") {
		t.Errorf("batch keeps the superseded alert:\n%s", all)
	}
	// An alert alone, or after the ending (a rerun), is kept.
	if n := len(notify.RenderEvents([]job.Event{long}, o)); n != 1 {
		t.Errorf("a lone alert gave %d payloads", n)
	}
}

// Failures link the job's log in the web UI (web-pages/src/router: the
// job's address and /log, preprocessing runs included); endings that went
// well do not.
func TestFailuresLinkTheLog(t *testing.T) {
	ev := fixtureEvents()
	pre := ev["job_started"] // a preprocessing run: #3/40
	pre.Type, pre.To, pre.Job.Status = job.EventFailed, "Failed", "Failed"
	tests := []struct {
		e    job.Event
		want string
	}{
		{ev["job_failed"], server + "/#/training/124/log"},
		{ev["job_killed"], server + "/#/inference/56/log"},
		{ev["job_trouble"], server + "/#/training/125/log"},
		{pre, server + "/#/preprocessingHistory/3/40/log"},
	}
	o := options("en")
	for _, tt := range tests {
		p := notify.RenderEvents([]job.Event{tt.e}, o)[0]
		if !hasLink(p, tt.want, "Open the log") {
			t.Errorf("%s %s: no link to %s:\n%s", tt.e.Type, tt.e.Job.Name, tt.want, strings.Join(texts(p), "\n"))
		}
		b := notify.RenderEvents([]job.Event{tt.e, ev["job_completed"]}, o)[0]
		if !hasLink(b, tt.want, "Open the log") {
			t.Errorf("batch with %s %s: no link to %s", tt.e.Type, tt.e.Job.Name, tt.want)
		}
	}
	for _, name := range []string{"job_completed", "job_canceled", "job_started"} {
		p := notify.RenderEvents([]job.Event{ev[name]}, o)[0]
		if strings.Contains(strings.Join(texts(p), "\n"), "/log|") {
			t.Errorf("%s links a log", name)
		}
	}
}

func hasLink(p notify.Payload, url, label string) bool {
	for _, s := range texts(p)[1:] {
		for _, l := range notify.Inspect(s).Links {
			if l.URL == url && l.Label == label {
				return true
			}
		}
	}
	return false
}

// The job's number is the web UI's (the id; displayId is shown nowhere
// there), the same in a message, a batch, a digest and a summary, and it
// is a link to the job.
func TestJobNumberIsTheWebUIs(t *testing.T) {
	e := fixtureEvents()["job_completed"]
	e.Job.DisplayID = 9 // the list's displayId: never shown
	o := options("en")
	const label = "resnet50-finetune #123"
	url := server + "/#/training/123"
	sum := notify.Summary{Tenants: []notify.TenantSummary{{Tenant: vision,
		Counts: map[api.Kind]int{api.KindTraining: 1}, Longest: []api.Job{e.Job}}}}
	for name, p := range map[string]notify.Payload{
		"single":  notify.RenderEvents([]job.Event{e}, o)[0],
		"batch":   notify.RenderEvents([]job.Event{e, fixtureEvents()["job_failed"]}, o)[0],
		"digest":  notify.RenderDigest([]job.Event{e}, fixedAt.Add(-time.Hour), o),
		"summary": notify.RenderSummary(sum, o),
	} {
		if !hasLink(p, url, label) {
			t.Errorf("%s: no link %q to %s:\n%s", name, label, url, strings.Join(texts(p), "\n"))
		}
		if all := strings.Join(texts(p), "\n"); strings.Contains(all, "#9") {
			t.Errorf("%s shows the displayId:\n%s", name, all)
		}
	}
}
