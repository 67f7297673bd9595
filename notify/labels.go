package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// labels are the fixed words of the messages in one language. Phrases,
// which users can replace, come from RenderOptions.Phrase instead.
type labels struct {
	// title names an event type as a heading ("Completed"), and lower-cased
	// in a list of counts.
	title map[job.EventType]string
	kinds map[api.Kind]string
	// said is what a greeting or a team message says without a phrase, by
	// phrase key.
	said map[string]string

	tenant, kindLabel, owner, status, duration, queued, runningFor, waitingFor, node, gpus string
	reason, logTail, noName, none, gone                                                    string

	openLog       string // the link to the job's log in the web UI
	unmarked      string // notes an ending KAMONOHASHI did not record (Event.Unmarked)
	unmarkedShort string // unmarked in a batch or digest line
	thread        string // the link to a job's thread (app mode)
	unknownNote   string // explains a state_unknown alert

	units     [4]string                       // day, hour, minute and second suffixes
	unitSep   string                          // between two units
	listSep   string                          // between counts: ", " / "・"
	countItem func(n int, word string) string // one count: "2 completed" / "完了2"

	jobsEnded   func(n int) string // header of a batch of endings
	jobsUpdated func(n int) string // header of a mixed batch
	more        func(n int) string // "…and N more"
	moreTenants func(tenants, jobs int) string

	summaryTitle func(n int) string
	summaryNone  string
	digestTitle  func(since string) string
	digestNone   string
	digestCount  func(n int) string
	asOf         func(t string) string

	team   teamLabels
	report reportLabels
}

// teamLabels are the words of the team messages (team.go).
type teamLabels struct {
	until, by, held, since, allKinds, stuckFor, troubleFor string
	runs, failed, what, lastError, caughtUp, downFor       string
}

// reportLabels are the words of the weekly report (report.go).
type reportLabels struct {
	title, runs, gpuHours, byKind, byStatus, byUser, waits, costly, others, none, prev string
	runsN                                                                              func(n int) string
}

var english = labels{
	title: map[job.EventType]string{
		job.EventCompleted: "Completed", job.EventFailed: "Failed", job.EventKilled: "Killed",
		job.EventCanceled: "Canceled", job.EventTrouble: "In trouble", job.EventStuckPending: "Stuck in queue",
		job.EventLongRunning: "Long running", job.EventStarted: "Started", job.EventDeleted: "Gone",
		job.EventStateUnknown: "State unknown",
	},
	kinds: map[api.Kind]string{
		api.KindTraining: "Training", api.KindInference: "Inference",
		api.KindNotebook: "Notebook", api.KindPreprocessing: "Preprocessing",
	},
	said: map[string]string{
		GreetingEnter: "Good morning! Watching the jobs today.", GreetingLeave: "That's it for today. See you tomorrow!",
		GreetingLeaveFriday: "That's it for the week. Have a good weekend!", GreetingLeaveQuiet: "A quiet day: no job ended today.",
		KeyMuteSet: "Muted", KeyMuteEnded: "Mute ended", KeyReminder: "Reminder", KeyFailing: "Failing repeatedly",
		KeySelfDown: "KAMONOHASHI unreadable", KeySelfUp: "KAMONOHASHI readable again", KeyHookDead: "Webhook refused",
	},
	tenant: "Tenant", kindLabel: "Kind", owner: "Owner", status: "Status", duration: "Duration",
	queued: "Queued", runningFor: "Running for", waitingFor: "Waiting for", node: "Node", gpus: "GPUs",
	reason: "Reason", logTail: "Log tail", noName: "(no name)", none: "—", gone: "gone", openLog: "Open the log",
	unmarked: "Note: the job's container ended well (Kubernetes phase Succeeded), but KAMONOHASHI did not mark " +
		"the job complete: its final completion call never arrived. The web UI does not show it as Completed.",
	unmarkedShort: "not marked complete in KAMONOHASHI",
	thread:        "thread",
	unknownNote:   "Kubernetes cannot tell the state of the job's pod (phase Unknown): its node may be unreachable.",
	units:         [4]string{"d", "h", "m", "s"},
	unitSep:       " ",
	listSep:       ", ",
	countItem:     func(n int, w string) string { return fmt.Sprintf("%d %s", n, w) },
	jobsEnded:     func(n int) string { return fmt.Sprintf("%d jobs ended", n) },
	jobsUpdated:   func(n int) string { return fmt.Sprintf("%d job updates", n) },
	more:          func(n int) string { return fmt.Sprintf("…and %d more", n) },
	moreTenants:   func(t, j int) string { return fmt.Sprintf("…and %d more tenants (%d jobs)", t, j) },
	summaryTitle:  func(n int) string { return fmt.Sprintf("Jobs running now: %d", n) },
	summaryNone:   "No job is running.",
	digestTitle:   func(since string) string { return "While you were away (since " + since + ")" },
	digestNone:    "Nothing happened.",
	digestCount:   func(n int) string { return fmt.Sprintf("%d jobs", n) },
	asOf:          func(t string) string { return "as of " + t },
	team: teamLabels{
		until: "Until", by: "By", held: "Held", since: "Since", allKinds: "all kinds", stuckFor: "Waiting for",
		troubleFor: "In trouble for", runs: "Runs", failed: "%[1]d failures within %[2]s", what: "What failed",
		lastError: "Last error", caughtUp: "Caught up", downFor: "Down for",
	},
	report: reportLabels{title: "Weekly report", runs: "Runs", gpuHours: "GPU-hours", byKind: "Runs by kind",
		byStatus: "Ended by status", byUser: "GPU-hours by user", waits: "Longest queue waits",
		costly: "Costliest runs", others: "others", none: "nothing ran", prev: "vs the week before",
		runsN: func(n int) string { return fmt.Sprintf("%d runs", n) }},
}

var japanese = labels{
	// Japanese needs no plural: a title serves in counts as it is.
	title: map[job.EventType]string{
		job.EventCompleted: "完了", job.EventFailed: "失敗", job.EventKilled: "強制終了",
		job.EventCanceled: "キャンセル", job.EventTrouble: "異常", job.EventStuckPending: "待機が長い",
		job.EventLongRunning: "長時間実行", job.EventStarted: "開始", job.EventDeleted: "消失",
		job.EventStateUnknown: "状態不明",
	},
	kinds: map[api.Kind]string{
		api.KindTraining: "学習", api.KindInference: "推論",
		api.KindNotebook: "ノートブック", api.KindPreprocessing: "前処理",
	},
	said: map[string]string{
		GreetingEnter: "おはようございます。今日もジョブを見守ります。", GreetingLeave: "今日はここまで。おつかれさまでした。",
		GreetingLeaveFriday: "今週もおつかれさまでした。よい週末を。", GreetingLeaveQuiet: "今日は終わったジョブがない、静かな一日でした。",
		KeyMuteSet: "ミュート", KeyMuteEnded: "ミュート終了", KeyReminder: "リマインド", KeyFailing: "失敗の繰り返し",
		KeySelfDown: "KAMONOHASHI 読み取り不可", KeySelfUp: "KAMONOHASHI 読み取り再開", KeyHookDead: "Webhook 拒否",
	},
	tenant: "テナント", kindLabel: "種別", owner: "担当", status: "状態", duration: "所要時間",
	queued: "待ち時間", runningFor: "経過時間", waitingFor: "待機時間", node: "ノード", gpus: "GPU",
	reason: "理由", logTail: "ログ末尾", noName: "(名前なし)", none: "—", gone: "消失", openLog: "ログを開く",
	unmarked: "注意: コンテナは正常に終了しました(Kubernetes の phase が Succeeded)が、最後の完了処理が届かず、" +
		"KAMONOHASHI はこのジョブを完了にしていません。Web UI では Completed と表示されません。",
	unmarkedShort: "KAMONOHASHI 上は未完了",
	thread:        "スレッド",
	unknownNote:   "Kubernetes がこのジョブの Pod の状態を把握できていません(phase Unknown)。ノードに到達できない可能性があります。",
	units:         [4]string{"日", "時間", "分", "秒"},
	unitSep:       "",
	listSep:       "・",
	countItem:     func(n int, w string) string { return fmt.Sprintf("%s%d", w, n) },
	jobsEnded:     func(n int) string { return fmt.Sprintf("ジョブ%d件が終了", n) },
	jobsUpdated:   func(n int) string { return fmt.Sprintf("ジョブの更新%d件", n) },
	more:          func(n int) string { return fmt.Sprintf("…ほか%d件", n) },
	moreTenants:   func(t, j int) string { return fmt.Sprintf("…ほか%dテナント(%d件)", t, j) },
	summaryTitle:  func(n int) string { return fmt.Sprintf("実行中のジョブ: %d件", n) },
	summaryNone:   "実行中のジョブはありません。",
	digestTitle:   func(since string) string { return "留守中のできごと (" + since + " から)" },
	digestNone:    "何もありませんでした。",
	digestCount:   func(n int) string { return fmt.Sprintf("%d件", n) },
	asOf:          func(t string) string { return t + " 時点" },
	team: teamLabels{
		until: "終了予定", by: "設定者", held: "保留", since: "開始", allKinds: "全種別", stuckFor: "待ち時間",
		troubleFor: "異常の継続", runs: "実行", failed: "%[2]s以内に%[1]d回失敗", what: "失敗した処理",
		lastError: "最後のエラー", caughtUp: "追いついた件数", downFor: "停止時間",
	},
	report: reportLabels{title: "週間レポート", runs: "実行数", gpuHours: "GPU時間", byKind: "種類別の実行数",
		byStatus: "終了ステータス", byUser: "ユーザー別 GPU時間", waits: "キュー待ちの長いジョブ",
		costly: "GPU時間の多いジョブ", others: "その他", none: "実行なし", prev: "前週比",
		runsN: func(n int) string { return fmt.Sprintf("%d件", n) }},
}

// labelsFor returns the labels of a language: "en", else Japanese.
func labelsFor(lang string) *labels {
	if strings.EqualFold(lang, "en") {
		return &english
	}
	return &japanese
}

// Duration formats d with its two largest units, as people say it:
// "45s", "12m 5s", "2h 13m", "3d 4h" (Japanese: "2時間13分").
func Duration(d time.Duration, lang string) string {
	l := labelsFor(lang)
	secs := max(int64(d/time.Second), 0)
	parts := [4]int64{secs / 86400, secs % 86400 / 3600, secs % 3600 / 60, secs % 60}
	for i := range 3 {
		if parts[i] > 0 {
			s := fmt.Sprintf("%d%s", parts[i], l.units[i])
			if parts[i+1] > 0 {
				s += l.unitSep + fmt.Sprintf("%d%s", parts[i+1], l.units[i+1])
			}
			return s
		}
	}
	return fmt.Sprintf("%d%s", parts[3], l.units[3])
}

// emoji per event type, shown before titles.
var emoji = map[job.EventType]string{
	job.EventCompleted:    ":white_check_mark:",
	job.EventFailed:       ":x:",
	job.EventKilled:       ":octagonal_sign:",
	job.EventCanceled:     ":no_entry_sign:",
	job.EventTrouble:      ":warning:",
	job.EventStuckPending: ":hourglass_flowing_sand:",
	job.EventLongRunning:  ":stopwatch:",
	job.EventStarted:      ":arrow_forward:",
	job.EventDeleted:      ":wastebasket:",
	job.EventStateUnknown: ":grey_question:",
}

// greetingEmoji per greeting kind.
var greetingEmoji = map[string]string{
	"enter":        ":sunny:",
	"leave":        ":wave:",
	"leave_friday": ":tada:",
	"leave_quiet":  ":zzz:",
}
