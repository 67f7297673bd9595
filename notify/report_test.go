package notify_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/report"
	"github.com/kamobot/kamobot/state"
)

// reportUsers are 12 users, Japanese names among them.
var reportUsers = []string{"alice", "bob", "carol", "dave", "tanaka", "suzuki", "佐藤", "高橋",
	"渡辺_研究員", "eve", "frank", "山本"}

// weeklyReports builds the reports of tenants tenants, each with every user
// of reportUsers running jobs of every kind over the week before Monday
// 2026-11-30 09:00 JST, and a few the week before.
func weeklyReports(tenants int) []report.Report {
	to := time.Date(2026, 11, 30, 9, 0, 0, 0, jst)
	from := to.AddDate(0, 0, -7)
	statuses := []string{"Completed", "Completed", "Failed", "Killed", "UserCanceled"}
	var runs []state.RunRecord
	var ts []report.Tenant
	for t := 1; t <= tenants; t++ {
		names := []string{"vision", "nlp-ja", "speech"}
		labels := []string{"Vision", "自然言語処理チーム", "Speech Lab"}
		ten := report.Tenant{ID: int64(t), Name: fmt.Sprintf("tenant-%d", t), Label: fmt.Sprintf("テナント %d", t)}
		if t <= len(names) {
			ten.Name, ten.Label = names[t-1], labels[t-1]
		}
		ts = append(ts, ten)
		id := int64(100 * t)
		for u, user := range reportUsers {
			for k, kind := range api.AllKinds() {
				if (u+k+t)%3 == 0 {
					continue
				}
				id++
				created := from.Add(time.Duration(u*11+k*5+t) * time.Hour)
				started := created.Add(time.Duration((u*7+k*3+t)%9*10) * time.Minute)
				ended := started.Add(time.Duration(1+(u+k*2+t)%6) * time.Hour)
				j := api.Job{Kind: kind, ID: id, DisplayID: id - int64(100*t), Name: fmt.Sprintf("%s-実験-%02d", user, k),
					CreatedBy: user, CreatedAt: created, StartedAt: started, CompletedAt: ended, GPU: 1 + (u+k)%4}
				if kind == api.KindPreprocessing {
					j.ParentID, j.DisplayID = 7, 0
				}
				runs = append(runs, state.NewRunRecord(ten.ID, j, statuses[(u+k)%len(statuses)], ended))
			}
			if u%4 == 0 { // the week before
				j := api.Job{Kind: api.KindTraining, ID: id + 1000, Name: "old", CreatedBy: user,
					CreatedAt: from.Add(-48 * time.Hour), StartedAt: from.Add(-47 * time.Hour), GPU: 2}
				runs = append(runs, state.NewRunRecord(ten.ID, j, "Completed", from.Add(-40*time.Hour)))
			}
		}
	}
	var out []report.Report
	for _, t := range ts {
		out = append(out, report.Build(runs, t, from, to, jst))
	}
	return out
}

// checkReportLimits asserts a report message keeps to the budgets and that
// Slack's limits, as the fake Slack checks them, take it.
func checkReportLimits(t *testing.T, p notify.Payload) {
	t.Helper()
	chars := 0
	for i, b := range p.Blocks {
		texts := append([]*notify.Text{b.Text}, append(b.Fields, b.Elements...)...)
		for _, x := range texts {
			if x == nil {
				continue
			}
			n := utf8.RuneCountInString(x.Text)
			chars += n
			if n > 3000 {
				t.Errorf("block %d: a text of %d characters (limit 3000)", i, n)
			}
		}
	}
	if len(p.Blocks) > 50 || chars > 8000 {
		t.Errorf("%d blocks, %d characters of block text; want at most 50 and 8000", len(p.Blocks), chars)
	}
	b, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := slackfake.Validate(b); err != nil {
		t.Errorf("Slack would refuse the report: %v", err)
	}
	t.Logf("%d blocks, %d characters of block text", len(p.Blocks), chars)
}

// TestWeeklyReportGolden: the weekly report of 3 tenants and 12 users is
// one message within 50 blocks and 8,000 characters of block text.
func TestWeeklyReportGolden(t *testing.T) {
	reps := weeklyReports(3)
	for _, r := range reps {
		if len(r.ByUser) != len(reportUsers) {
			t.Fatalf("%s: %d users in the report, want %d", r.Tenant.Name, len(r.ByUser), len(reportUsers))
		}
	}
	for _, lang := range []string{"ja", "en"} {
		o := options(lang)
		pls := notify.RenderWeeklyReport(reps, o)
		if len(pls) != 1 {
			t.Fatalf("%s: %d messages, want 1", lang, len(pls))
		}
		checkReportLimits(t, pls[0])
		golden(t, "weekly_report_"+lang, pls[0])
	}
}

// TestWeeklyReportSplitsTenants: many tenants on one webhook take several
// messages, each within the limits, no tenant lost or split.
func TestWeeklyReportSplitsTenants(t *testing.T) {
	reps := weeklyReports(20)
	pls := notify.RenderWeeklyReport(reps, options("ja"))
	if len(pls) < 2 {
		t.Fatalf("%d messages for 20 tenants, want several", len(pls))
	}
	dividers := 0
	for _, p := range pls {
		checkReportLimits(t, p)
		for _, b := range p.Blocks {
			if b.Type == "divider" {
				dividers++
			}
		}
	}
	if dividers != len(reps) {
		t.Fatalf("%d tenant sections in all, want %d", dividers, len(reps))
	}
}

// TestWeeklyReportHostileNames: a tenant label and a status with mentions,
// escapes and newlines are shown escaped on one line, in the fallback text
// as in the blocks: the report pings no one.
func TestWeeklyReportHostileNames(t *testing.T) {
	reps := weeklyReports(2)
	reps[0].Tenant.Label = "<!channel> a&b\nx"
	reps[1].Tenant.Label = "<!here|here> <@U12345>"
	reps[0].ByStatus[0].Name = "<!everyone>\nx"
	pls := notify.RenderWeeklyReport(reps, options("en"))
	if len(pls) != 1 {
		t.Fatalf("%d messages, want 1", len(pls))
	}
	checkPayload(t, pls[0])
	want := "&lt;!channel&gt; a&amp;b x"
	if !strings.Contains(pls[0].Text, want) {
		t.Errorf("fallback text %q; want the label as %q", pls[0].Text, want)
	}
	for _, s := range texts(pls[0]) {
		if strings.Contains(s, "a&amp;b\nx") || strings.Contains(s, "&gt;\nx") {
			t.Errorf("a name keeps its newline in %q", s)
		}
	}
}
