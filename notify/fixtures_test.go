package notify_test

import (
	"fmt"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
)

// Fixed fixtures: every golden file is rendered from these.
var (
	jst     = time.FixedZone("JST", 9*60*60)
	fixedAt = time.Date(2026, 11, 24, 15, 4, 5, 0, jst)
	server  = "https://kamonohashi.example.com"

	vision = job.TenantRef{ID: 3, Name: "vision", DisplayName: "Vision チーム"}
	nlp    = job.TenantRef{ID: 4, Name: "nlp"}
	speech = job.TenantRef{ID: 5, Name: "speech"}
)

// testPhrases stand in for the random message sets: one fixed phrase per key.
var testPhrases = map[string]map[string]string{
	"ja": {
		"completed": "完了カモ", "failed": "失敗したカモ...", "killed": "止まってしまったカモ...",
		"canceled": "誰かが途中で止めたカモ", "trouble": "調子が悪いカモ...", "stuck_pending": "順番待ちが長いカモ",
		"long_running": "まだ走ってるカモ", "started": "始まったカモ", "deleted": "いなくなったカモ",
		"unknown": "よくわからないカモ...", "state_unknown": "連絡が取れないカモ...", "enter": "おはようカモ", "leave": "今日もお疲れ様カモ",
		"leave_friday": "よい週末をカモ", "leave_quiet": "静かな一日だったカモ", "summary": "みんながんばってるカモ",
		"digest": "留守中のまとめカモ", "mute_set": "しばらく静かにするカモ", "mute_ended": "また話すカモ",
		"reminder": "まだ気になるカモ...", "failing_repeatedly": "何度も転んでるカモ!", "self_down": "KAMONOHASHI が見えないカモ...",
		"self_up": "KAMONOHASHI がまた見えるカモ", "webhook_dead": "Webhook が閉じてるカモ...",
	},
	"en": {
		"completed": "Done, nicely.", "failed": "That one fell over...", "killed": "Stopped in its tracks...",
		"canceled": "Someone stopped it.", "trouble": "Something is off...", "stuck_pending": "Still waiting in line.",
		"long_running": "Still going strong.", "started": "Off it goes.", "deleted": "It vanished.",
		"unknown": "Not sure what happened...", "state_unknown": "Lost touch with it...", "enter": "Morning! On watch.", "leave": "Good work today!",
		"leave_friday": "Have a great weekend!", "leave_quiet": "A quiet day.", "summary": "Here is what runs.",
		"digest": "Here is what you missed.", "mute_set": "Going quiet for a bit.", "mute_ended": "Talking again.",
		"reminder": "Still on my mind...", "failing_repeatedly": "It keeps tripping up!", "self_down": "Cannot see KAMONOHASHI...",
		"self_up": "KAMONOHASHI is back in sight.", "webhook_dead": "A webhook is shut...",
	},
}

func options(lang string) notify.RenderOptions {
	return notify.RenderOptions{
		Server:   server,
		Location: jst,
		Now:      fixedAt,
		Lang:     lang,
		Phrase:   func(key string) string { return testPhrases[lang][key] },
		Mentions: []string{"U01ABCDEF", "S02GROUP"},
		Owners:   map[string]string{"alice": "U02GHIJKL"},
	}
}

func at(h, m int) time.Time { return time.Date(2026, 11, 24, h, m, 0, 0, jst) }

const failLog = "Epoch 12/100\n" +
	"loss=0.231 acc=0.91\n" +
	"Traceback (most recent call last):\n" +
	"  File \"train.py\", line 88, in <module>\n" +
	"    model.fit(x[\"a\"] < 3 && y > 2)\n" +
	"RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (```fenced```)\n"

// fixtureEvents are the single-event cases, by golden name.
func fixtureEvents() map[string]job.Event {
	return map[string]job.Event{
		"job_completed": {Type: job.EventCompleted, Tenant: vision, From: "Running", To: "Completed", At: fixedAt,
			Job: api.Job{Kind: api.KindTraining, ID: 123, Name: "resnet50-finetune", Status: "Completed", CreatedBy: "alice",
				CreatedAt: at(11, 50), StartedAt: at(12, 0), CompletedAt: at(14, 13), Node: "gpu-node-01", GPU: 2, Detailed: true}},
		"job_failed": {Type: job.EventFailed, Tenant: vision, From: "Running", To: "Failed", At: fixedAt,
			Job: api.Job{Kind: api.KindTraining, ID: 124, Name: "bert-large <v2> & co", Status: "Failed", CreatedBy: "bob",
				CreatedAt: at(9, 0), StartedAt: at(9, 0).Add(45 * time.Second), CompletedAt: at(15, 2),
				Node: "gpu-node-02", GPU: 8, ConditionNote: "OOMKilled: container exceeded its memory limit",
				LogSummary: failLog, Detailed: true}},
		"job_killed": {Type: job.EventKilled, Tenant: nlp, From: "Running", To: "Killed", At: fixedAt,
			Job: api.Job{Kind: api.KindInference, ID: 56, Name: "batch-infer", Status: "Killed", CreatedBy: "alice",
				CreatedAt: at(14, 0), StartedAt: at(14, 1), CompletedAt: at(15, 3), ConditionNote: "Killed by an administrator",
				LogSummary: "step 400/1000\nreceived SIGTERM\n", Detailed: true}},
		"job_canceled": {Type: job.EventCanceled, Tenant: nlp, From: "Running", To: "UserCanceled", At: fixedAt,
			Job: api.Job{Kind: api.KindNotebook, ID: 7, Name: "jupyter-carol", Status: "UserCanceled", CreatedBy: "carol",
				CreatedAt: at(10, 0), StartedAt: at(10, 0).Add(30 * time.Second), CompletedAt: at(15, 0)}},
		"job_trouble": {Type: job.EventTrouble, Tenant: vision, From: "Running", To: "OOMKilled", At: fixedAt,
			Job: api.Job{Kind: api.KindTraining, ID: 125, Name: "yolo-sweep-7", Status: "OOMKilled", CreatedBy: "alice",
				CreatedAt: at(13, 0), StartedAt: at(13, 5), Node: "gpu-node-03", GPU: 1,
				ConditionNote: "The container was killed: it used more memory than its limit.",
				LogSummary:    "Epoch 3/50\nKilled\n", Detailed: true}},
		"job_trouble_error": {Type: job.EventTrouble, Tenant: vision, From: "Running", To: "Error", At: fixedAt,
			Job: api.Job{Kind: api.KindTraining, ID: 129, Name: "timm-sweep", Status: "Error", CreatedBy: "alice",
				CreatedAt: at(13, 0), StartedAt: at(13, 5), Node: "gpu-node-03", GPU: 1,
				ConditionNote: "The pod failed: a container exited with a non-zero code.",
				LogSummary:    "ImportError: No module named 'timm'\n", Detailed: true}},
		"job_completed_unmarked": {Type: job.EventCompleted, Tenant: vision, From: "Running", To: "Succeeded", At: fixedAt,
			Job: api.Job{Kind: api.KindTraining, ID: 130, Name: "resnet50-no-complete", Status: "Succeeded", CreatedBy: "alice",
				CreatedAt: at(11, 50), StartedAt: at(12, 0), Node: "gpu-node-01", GPU: 2, Detailed: true}},
		"job_state_unknown": {Type: job.EventStateUnknown, Tenant: speech, From: "Unknown", To: "Unknown", At: fixedAt,
			Job: api.Job{Kind: api.KindInference, ID: 131, Name: "asr-batch", Status: "Unknown", CreatedBy: "dave",
				CreatedAt: at(12, 0), StartedAt: at(12, 2), GPU: 1}},
		"job_stuck_pending": {Type: job.EventStuckPending, Tenant: speech, From: "Pending", To: "Pending", At: fixedAt,
			Job: api.Job{Kind: api.KindTraining, ID: 126, Name: "whisper-large", Status: "Pending", CreatedBy: "dave",
				CreatedAt: at(14, 0), GPU: 4, ConditionNote: "0/4 nodes are available: 4 Insufficient nvidia.com/gpu."}},
		"job_long_running": {Type: job.EventLongRunning, Tenant: speech, From: "Running", To: "Running", At: fixedAt,
			Job: api.Job{Kind: api.KindTraining, ID: 127, Name: "wav2vec-pretrain", Status: "Running", CreatedBy: "alice",
				CreatedAt: at(10, 0).AddDate(0, 0, -3), StartedAt: at(10, 30).AddDate(0, 0, -3), Node: "gpu-node-04", GPU: 8}},
		"job_started": {Type: job.EventStarted, Tenant: vision, From: "Pending", To: "Running", At: fixedAt,
			Job: api.Job{Kind: api.KindPreprocessing, ParentID: 3, ID: 40, Name: "resize-images", Status: "Running",
				CreatedBy: "erin", CreatedAt: at(14, 50), StartedAt: at(15, 3), Node: "cpu-node-01"}},
		"job_deleted": {Type: job.EventDeleted, Tenant: nlp, From: "Running", To: "Running", At: fixedAt,
			Job: api.Job{Kind: api.KindTraining, ID: 128, Name: "gpt-tiny", Status: "Running", CreatedBy: "bob",
				CreatedAt: at(8, 0), StartedAt: at(8, 5)}},
	}
}

// batchOf5 mixes outcomes, kinds and tenants.
func batchOf5() []job.Event {
	ev := fixtureEvents()
	return []job.Event{ev["job_completed"], ev["job_failed"], ev["job_killed"], ev["job_started"], ev["job_canceled"]}
}

// manyEvents returns n generated endings: every fourth one failed.
func manyEvents(n int) []job.Event {
	tenants := []job.TenantRef{vision, nlp, speech}
	owners := []string{"alice", "bob", "carol"}
	out := make([]job.Event, n)
	for i := range out {
		typ, to := job.EventCompleted, "Completed"
		note := ""
		if i%4 == 3 {
			typ, to, note = job.EventFailed, "Failed", "Error: exit code 1"
		}
		out[i] = job.Event{Type: typ, Tenant: tenants[i%3], From: "Running", To: to, At: fixedAt,
			Job: api.Job{Kind: api.KindTraining, ID: int64(1000 + i), Name: fmt.Sprintf("sweep-lr-%03d", i),
				Status: to, CreatedBy: owners[i%3], CreatedAt: at(10, 0), StartedAt: at(10, i%60),
				CompletedAt: at(14, i%60), ConditionNote: note}}
	}
	return out
}

func fixtureSummary() notify.Summary {
	ev := fixtureEvents()
	return notify.Summary{Tenants: []notify.TenantSummary{
		{Tenant: vision, Counts: map[api.Kind]int{api.KindTraining: 4, api.KindNotebook: 2},
			Longest: []api.Job{ev["job_long_running"].Job, ev["job_trouble"].Job}},
		{Tenant: nlp, Counts: map[api.Kind]int{api.KindInference: 1}, Longest: []api.Job{ev["job_deleted"].Job}},
		{Tenant: speech, Counts: map[api.Kind]int{}},
	}}
}

// digestEvents: 14 events over three tenants, 12 in one, to show the cap.
func digestEvents() []job.Event {
	ev := fixtureEvents()
	out := []job.Event{ev["job_failed"], ev["job_killed"]}
	for _, e := range manyEvents(12) {
		e.Tenant = speech
		out = append(out, e)
	}
	return out
}
