package notify_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const goldenDir = "testdata/golden"

// encodeGolden writes v as the golden files are: indented, <>& kept as is,
// with a final newline.
func encodeGolden(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// golden compares v, encoded, with testdata/golden/<name>.json byte for byte,
// or rewrites the file with -update.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got := encodeGolden(t, v)
	path := filepath.Join(goldenDir, name+".json")
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./notify -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	var g, w any
	_ = json.Unmarshal(got, &g)
	_ = json.Unmarshal(want, &w)
	t.Errorf("%s differs from the golden file (-want +got):\n%s\n(run go test ./notify -update and review the diff)",
		path, cmp.Diff(w, g))
}

// goldenCases renders every message type in one language.
func goldenCases(lang string) map[string]any {
	o := options(lang)
	cases := map[string]any{}
	for name, e := range fixtureEvents() {
		cases[name] = notify.RenderEvents([]job.Event{e}, o)[0]
	}
	cases["batch_5"] = notify.RenderEvents(batchOf5(), o)
	cases["batch_200"] = notify.RenderEvents(manyEvents(200), o)
	shared := o
	shared.Mentions = nil
	shared.TenantMentions = map[int64][]string{vision.ID: {"U0VISION"}, nlp.ID: {"U0NLP", "S0NLPTEAM"}}
	cases["batch_shared_webhook"] = notify.RenderEvents(sharedBatch(), shared)
	for _, kind := range []string{notify.GreetingEnter, notify.GreetingLeave, notify.GreetingLeaveFriday, notify.GreetingLeaveQuiet} {
		var extra []string
		if kind == notify.GreetingLeave || kind == notify.GreetingLeaveFriday {
			extra = []string{map[string]string{"ja": "今日終わったジョブ: 5件 (失敗1)", "en": "Jobs ended today: 5 (1 failed)"}[lang]}
		}
		cases["greeting_"+kind] = notify.RenderGreeting(kind, "", o, extra...)
	}
	cases["summary"] = notify.RenderSummary(fixtureSummary(), o)
	cases["digest"] = notify.RenderDigest(digestEvents(), at(18, 0).AddDate(0, 0, -1), o)
	cases["weekly_report"] = notify.RenderWeeklyReport(weeklyReports(3), o)[0] // report_test.go
	maps.Copy(cases, teamCases(o))                                             // team_test.go
	return cases
}

func TestGolden(t *testing.T) {
	for _, lang := range []string{"ja", "en"} {
		cases := goldenCases(lang)
		names := make([]string, 0, len(cases))
		for name := range cases {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			t.Run(name+"_"+lang, func(t *testing.T) {
				golden(t, name+"_"+lang, cases[name])
			})
		}
	}
}

// goldenPayloads reads every payload of every golden file.
func goldenPayloads(t *testing.T) map[string][]json.RawMessage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	out := map[string][]json.RawMessage{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var list []json.RawMessage
		if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
			if err := json.Unmarshal(b, &list); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		} else {
			list = []json.RawMessage{b}
		}
		out[filepath.Base(f)] = list
	}
	return out
}

// TestGoldenPayloadsAcceptedBySlack posts every golden payload to the fake
// Slack through the real sender: all must be accepted, with nothing left
// unescaped and no special mention.
func TestGoldenPayloadsAcceptedBySlack(t *testing.T) {
	fake := slackfake.NewTest(t) // Slack's limits, and 8,000 characters of block text in all
	s := notify.NewSender(notify.SenderOptions{})
	total := 0
	for name, payloads := range goldenPayloads(t) {
		hook := fake.NewHook()
		for i, p := range payloads {
			total++
			r := s.Send(t.Context(), hook, p)
			if !r.OK() {
				t.Errorf("%s payload %d: %v", name, i, r.Err)
				continue
			}
			var decoded notify.Payload
			if err := json.Unmarshal(p, &decoded); err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(decoded.Text); n > notify.MaxTextLen {
				t.Errorf("%s payload %d: text has %d characters", name, i, n)
			}
			if strings.TrimSpace(decoded.Text) == "" {
				t.Errorf("%s payload %d: empty text fallback", name, i)
			}
		}
	}
	if got := len(fake.Messages()); got != total {
		t.Errorf("fake recorded %d messages, want %d", got, total)
	}
	fake.AssertNoUnescaped(t)
	fake.AssertNoSpecialMention(t)
	if total < 48 {
		t.Errorf("only %d golden payloads", total)
	}
}

// TestGoldenFilesAreAllUsed catches golden files left over from renamed cases.
func TestGoldenFilesAreAllUsed(t *testing.T) {
	want := map[string]bool{}
	for _, lang := range []string{"ja", "en"} {
		for name := range goldenCases(lang) {
			want[name+"_"+lang+".json"] = true
		}
	}
	for name := range goldenPayloads(t) {
		if !want[name] {
			t.Errorf("golden file %s is not produced by any case", name)
		}
	}
	if len(want) != 58 {
		t.Errorf("%d golden cases, want 58 (29 message types × 2 languages)", len(want))
	}
}

// TestGoldenBlockTextTotal: every golden payload, and each part of the
// 200-job batch, the shared-webhook batch and the summary by name, keeps
// its block text within 8,000 characters (Slack refuses about 11,300 as
// msg_blocks_too_long).
func TestGoldenBlockTextTotal(t *testing.T) {
	const limit = 8000
	all := goldenPayloads(t)
	for _, lang := range []string{"ja", "en"} {
		for _, name := range []string{"batch_200", "batch_shared_webhook", "summary"} {
			if len(all[name+"_"+lang+".json"]) == 0 {
				t.Errorf("no golden %s_%s", name, lang)
			}
		}
	}
	for name, payloads := range all {
		for i, raw := range payloads {
			var p notify.Payload
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if n := blockChars(p); n > limit {
				t.Errorf("%s part %d: %d characters of block text, want ≤ %d", name, i, n, limit)
			}
		}
	}
	if n := len(all["batch_200_ja.json"]); n < 2 {
		t.Errorf("the 200-job batch is %d part(s): the test no longer shows a split", n)
	}
}
