package state

import (
	"strconv"
	"time"
)

// Op is the Web API call an app-mode message makes.
type Op string

const (
	// OpPost posts a message in the channel (chat.postMessage). When the
	// message names a thread, the ts Slack answers becomes that thread's
	// parent. The empty Op of a webhook message is a post too.
	OpPost Op = "post"
	// OpUpdate replaces the thread's parent in place (chat.update). It is
	// idempotent: sent again after a crash, it changes nothing more.
	OpUpdate Op = "update"
	// OpReply posts in the thread (chat.postMessage with thread_ts), and
	// in the channel too when Broadcast is set.
	OpReply Op = "reply"
)

// Thread is a job's thread in an app channel: the ts of its parent
// message, once Slack gave it.
type Thread struct {
	Channel string `json:"channel"`
	// TS is the parent's ts; empty while the parent waits in the outbox.
	TS      string    `json:"ts,omitempty"`
	Created time.Time `json:"created"`
	// Last is the last event of the job queued to the thread.
	Last time.Time `json:"last"`
}

// ThreadKey names the thread of a job: its tenant, kind and key
// ("<tenant id>/<kind>/<id>").
func ThreadKey(tenant int64, jobKey string) string {
	return strconv.FormatInt(tenant, 10) + "/" + jobKey
}

// ThreadKeep is how long a thread is remembered after its last event:
// later events of the job (a re-run is a new job) start a new thread.
const ThreadKeep = 14 * 24 * time.Hour

// PruneThreads forgets threads whose last event is older than ThreadKeep,
// of jobs no longer open, that no message in the outbox still needs: a
// training that runs for weeks keeps its thread to its end.
func (s *State) PruneThreads(now time.Time) {
	if len(s.Threads) == 0 {
		return
	}
	used := map[string]bool{}
	for _, m := range s.Outbox {
		used[m.Thread] = true
	}
	for _, t := range s.Tenants {
		for _, c := range t.Kinds {
			if c == nil {
				continue
			}
			for key := range c.Open {
				used[ThreadKey(t.ID, key)] = true
			}
		}
	}
	for k, t := range s.Threads {
		if !used[k] && now.Sub(t.Last) > ThreadKeep {
			delete(s.Threads, k)
		}
	}
}

// Board is the board of an app channel: one message listing the jobs
// open now, updated in place when it changes. Its ts is kept as a
// thread's (BoardKey), so that posting and updating it go through the
// outbox as a job's parent does.
type Board struct {
	// Hash is that of the board last queued; an equal one queues nothing.
	Hash string `json:"hash"`
	// Pinned is set once pins.add took the board.
	Pinned bool `json:"pinned,omitempty"`
	// PinRefused is Slack's reason not to pin it (missing_scope,
	// not_pinnable, ...), given at PinRefusedAt to the bot token whose
	// fingerprint is PinToken. It is tried again once a day, or at once
	// with another token; the refusal is logged once per token.
	PinRefused   string    `json:"pin_refused,omitempty"`
	PinRefusedAt time.Time `json:"pin_refused_at,omitzero"`
	PinToken     string    `json:"pin_token,omitempty"`
}

// PinRetry is how long a board whose pin Slack refused waits before it is
// tried again with the same bot token (a scope or a workspace setting may
// have changed meanwhile).
const PinRetry = 24 * time.Hour

// BoardKey names the board of channel among the threads.
func BoardKey(channel string) string { return "board/" + channel }
