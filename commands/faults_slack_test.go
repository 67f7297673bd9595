package commands

// The fault tests of Slack and of the state file: see faults_test.go for
// the world they run in and what they check after every pass.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamobot/kamobot/engine"
	"github.com/kamobot/kamobot/internal/testkit"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
	"github.com/kamobot/kamobot/state"
)

func mustHookState(t *testing.T, w *world, s slackfake.HookState) {
	t.Helper()
	if err := w.slack.SetHookState(w.hook, s); err != nil {
		t.Fatal(err)
	}
}

// TestSlackFaults: Slack does not take a message. It stays in the outbox,
// is retried when due, and arrives once (twice at most when Slack may have
// posted it before the connection broke). What Slack said is logged, short.
func TestSlackFaults(t *testing.T) {
	notOK := strings.Repeat("not ok, says a proxy ", 40) // 840 bytes
	for _, tc := range []struct {
		name  string
		opts  worldOptions
		fault slackfake.Fault
		log   string        // the warning, with what Slack said
		wait  time.Duration // until the retry is due
		most  int           // reports of the ending at most
	}{
		{name: "429 with Retry-After", fault: slackfake.Fault{Status: 429, RetryAfter: 120},
			log: `slack did not take the message; retrying later.* slack_error=rate_limited status=429`, wait: 2 * time.Minute, most: 1},
		{name: "429 without Retry-After", fault: slackfake.Fault{Status: 429, Count: 2},
			log: `slack did not take the message; retrying later.* slack_error=message_limit_exceeded status=429`, most: 1},
		{name: "503 HTML page", fault: slackfake.Fault{Status: 503, Count: 2},
			log: `slack did not take the message; retrying later.* slack_error="<html>.*status=503`, most: 1},
		{name: "hang", opts: worldOptions{slackTimeout: 200 * time.Millisecond}, fault: slackfake.Fault{Hang: true, Count: 2},
			log: `slack did not take the message; retrying later.* slack_error="" status=0`, most: 1},
		{name: "connection reset after Slack posted", fault: slackfake.Fault{Reset: true},
			log: `slack post failed, retrying.*result.class=temporary`, most: 2},
		{name: "200 with another body", fault: slackfake.Fault{Status: 200, Body: notOK, Count: 2},
			log: `slack did not take the message; retrying later.* slack_error="not ok, says a proxy .{100,200}…" status=200`, most: 1},
		{name: "202 empty", fault: slackfake.Fault{Status: 202, Count: 2},
			log: `slack did not take the message; retrying later.* status=202`, most: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.opts)
			a := w.add("vision", "slack-fault-job")
			w.mustPass()
			w.end(a, "Completed")
			w.slack.Script(tc.fault)
			_, err := w.pass()
			w.wantLog(tc.log)
			if err != nil {
				if code := ExitCode(err); code != ExitTempFail {
					t.Fatalf("pass: exit %d (%v), want 75", code, err)
				}
				if n := len(w.load().Outbox); n != 1 {
					t.Fatalf("outbox %d, want the message kept", n)
				}
				w.clock.Add(tc.wait)
				w.mustPass()
			}
			got := w.reported()[a]
			if got < 1 || got > tc.most {
				t.Errorf("reported %d times, want 1 to %d", got, tc.most)
			}
			if n := len(w.load().Outbox); n != 0 {
				t.Errorf("outbox %d after delivery, want 0", n)
			}
		})
	}
}

// TestSlackDeadWebhook: Slack refuses the webhook as a whole. The message
// stays in the outbox, the pass exits 69, and the webhook is tried again
// later, one message at a time, less and less often (1m doubling to 1h).
// After a day kamobot stops trying it and logs one ERROR saying what to
// do; a new webhook URL or `kamobot state retry` brings it back at once.
func TestSlackDeadWebhook(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(w *world)
		code  string
	}{
		{"no_service", func(w *world) { mustHookState(t, w, slackfake.HookDisabled) }, "no_service"},
		{"invalid_token 403", func(w *world) { mustHookState(t, w, slackfake.HookRevoked) }, "invalid_token"},
		{"invalid_token 400", func(w *world) {
			w.slack.Script(slackfake.Fault{Hook: w.hook, Status: 400, Body: "invalid_token", Count: -1})
		}, "invalid_token"},
		{"channel_is_archived", func(w *world) { mustHookState(t, w, slackfake.HookArchived) }, "channel_is_archived"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, worldOptions{})
			a := w.add("vision", "dead-hook-"+tc.code)
			w.mustPass()
			w.end(a, "Killed")
			tc.setup(w)
			w.failPass(ExitUnavailable)
			w.wantLog(`level=ERROR msg="slack refused the webhook; messages kept in the outbox until it is fixed" .*slack_error=` + tc.code)
			st := w.load()
			dh := st.DeadHooks[state.DefaultHook]
			if len(st.Outbox) != 1 || dh == nil || dh.Fingerprint != notify.Fingerprint(w.hook) || dh.Attempts != 1 {
				t.Fatalf("outbox %d, dead hook %+v", len(st.Outbox), dh)
			}
			// The webhook is fixed in the config: tried at once.
			w.env["KAMOBOT_SLACK_WEBHOOK"] = w.slack.HookURL("T0FAULTS", "B0NEWHOOK", canaryHook+"new")
			w.build()
			w.mustPass()
			w.wantLog(`the webhook Slack refused has a new URL`)
			w.wantReported(a)
			if st := w.load(); len(st.DeadHooks) != 0 || len(st.Outbox) != 0 {
				t.Errorf("after delivery: dead hooks %v, outbox %d", st.DeadHooks, len(st.Outbox))
			}
		})
	}
}

// TestSlackDeadWebhookGivesUp follows a dead webhook for 26 hours, a pass
// every 10 minutes.
func TestSlackDeadWebhookGivesUp(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.step = 10 * time.Minute
	a := w.add("vision", "gives-up")
	w.mustPass()
	w.end(a, "Killed")
	mustHookState(t, w, slackfake.HookDisabled)
	start := w.clock.Now()
	var tries []time.Duration // when the webhook was tried, from start
	for w.clock.Now().Sub(start) < 26*time.Hour {
		at, before := w.clock.Now().Sub(start), len(w.slack.Attempts())
		w.failPass(ExitUnavailable) // every pass while the webhook is dead
		switch n := len(w.slack.Attempts()) - before; n {
		case 0:
		case 1:
			tries = append(tries, at)
		default:
			t.Fatalf("%d attempts in one pass, want at most one", n)
		}
	}
	for i := 1; i < len(tries); i++ {
		gap, want := tries[i]-tries[i-1], min(engine.DeadHookFirstDelay<<min(i-1, 10), engine.DeadHookMaxDelay) // 1m doubling to 1h
		if gap < want || gap > want+w.step {
			t.Errorf("try %d came %s after the one before, want %s (passes every %s)", i+1, gap, want, w.step)
		}
	}
	if last := tries[len(tries)-1]; last < engine.DeadHookGiveUp || last > engine.DeadHookGiveUp+engine.DeadHookMaxDelay {
		t.Errorf("last try at %s, want just after %s", last, engine.DeadHookGiveUp)
	}
	if n := strings.Count(w.logs.String(), "kamobot stops trying it"); n != 1 {
		t.Errorf("the ERROR saying kamobot gives up was logged %d times, want once", n)
	}
	w.wantLog(`level=ERROR msg="slack has refused this webhook for 1d.*kamobot stops trying it.*kamobot state retry`)
	t.Logf("a dead webhook was tried %d times over %s: %v", len(tries), tries[len(tries)-1], tries)

	// Working again under the same URL: not tried until told.
	mustHookState(t, w, slackfake.HookActive)
	_, err := w.pass()
	if ExitCode(err) != ExitUnavailable || !strings.Contains(err.Error(), "kamobot state retry") {
		t.Fatalf("pass after giving up: %v, want exit 69 saying what to do", err)
	}
	w.wantReported()
	var out, errOut testkit.SyncBuffer
	d := NewDeps(BuildInfo{Version: "test"}, &out, &errOut, func(k string) string { return w.env[k] })
	if err := NewApp(d).Run([]string{"kamobot", "--state", w.p.Store.Path(), "state", "retry"}); err != nil {
		t.Fatalf("state retry: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "webhook default was no longer tried: tried again at the next pass") {
		t.Errorf("state retry said:\n%s", out.String())
	}
	w.mustPass()
	w.wantReported(a)
}

// TestStateWriteFailures: the state cannot be written (a full disk, a
// read-only or missing directory). The pass exits 74 and sends nothing it
// could not record first; once the state can be written, every ending is
// reported, a message posted but not marked sent at most twice.
func TestStateWriteFailures(t *testing.T) {
	// enospc fails the from-th state write and every one after it.
	enospc := func(from int) func() error {
		n := 0
		return func() error {
			n++
			if n >= from {
				return syscall.ENOSPC
			}
			return nil
		}
	}
	t.Run("full disk when the outbox is saved", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		a := w.add("vision", "unsaved-ending")
		w.mustPass()
		w.end(a, "Completed")
		before := w.stateBytes()
		w.p.Store.BeforeRename = enospc(1)
		_, err := w.pass()
		if ExitCode(err) != ExitIOErr || !strings.Contains(err.Error(), "no space left on device") {
			t.Fatalf("pass: %v, want exit 74 naming the cause", err)
		}
		w.wantReported()
		if !slices.Equal(before, w.stateBytes()) {
			t.Errorf("the state file changed")
		}
		w.p.Store.BeforeRename = nil
		w.mustPass()
		w.wantReported(a)
	})
	t.Run("full disk when a sent message is marked", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		a, b := w.add("vision", "first"), w.add("vision", "second")
		w.mustPass()
		w.end(a, "Completed")
		w.slack.Script(slackfake.Fault{Status: 503, Count: 2})
		w.failPass(ExitTempFail) // the first message waits in the outbox
		w.end(b, "Killed")
		w.p.Store.BeforeRename = enospc(2) // the outbox is saved, then nothing
		_, err := w.pass()
		if ExitCode(err) != ExitIOErr {
			t.Fatalf("pass: %v, want exit 74", err)
		}
		w.wantLog(`cannot save the state after sending; the message may be sent again; the rest wait in the outbox`)
		if got := w.reported(); got[a] != 1 || got[b] != 0 {
			t.Errorf("reported %v; want the first message sent and the second held back", got)
		}
		w.p.Store.BeforeRename = nil
		w.mustPass()
		if got := w.reported(); got[a] != 2 || got[b] != 1 {
			t.Errorf("reported %v; want the first once again (posted, not marked), the second once", got)
		}
	})
	t.Run("state directory is a regular file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := state.Open(filepath.Join(file, "kamobot", "state.json"))
		if ExitCode(err) != ExitIOErr || !strings.Contains(err.Error(), "not a directory") {
			t.Fatalf("open: %v, want exit 74 naming the cause", err)
		}
	})
	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only directories; the cases above stop root too")
		}
		w := newWorld(t, worldOptions{})
		a := w.add("vision", "read-only")
		w.mustPass()
		w.end(a, "Completed")
		dir := filepath.Dir(w.p.Store.Path())
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		w.failPass(ExitIOErr)
		w.wantReported()
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		w.mustPass()
		w.wantReported(a)
	})
}

// TestSlackRefusesOneMessage: Slack refuses one message for good
// (invalid_blocks). It goes to the dead letters with Slack's answer, logged
// once at ERROR, and the message queued behind it still goes in the same
// pass.
func TestSlackRefusesOneMessage(t *testing.T) {
	w := newWorld(t, worldOptions{})
	a := w.add("vision", "poison-job")
	b := w.add("vision", "behind-the-poison")
	w.mustPass()
	// The first message waits in the outbox (Slack 500), the second joins it.
	w.end(a, "Killed")
	w.slack.Script(slackfake.Fault{Status: 500, Count: 2})
	w.failPass(ExitTempFail)
	w.clock.Add(time.Minute) // both due
	w.end(b, "Completed")
	w.slack.Script(slackfake.Fault{Status: 400, Body: "invalid_blocks"})
	rep := w.mustPass()
	if rep.Dead != 1 || rep.Sent != 1 {
		t.Fatalf("pass: %d dead, %d sent; want 1 and 1\nlogs:\n%s", rep.Dead, rep.Sent, w.logs)
	}
	w.wantLog(`level=ERROR msg="slack refused the message for good; kept in the dead letters".* slack_error=invalid_blocks status=400`)
	if n := strings.Count(w.logs.String(), "refused the message for good"); n != 1 {
		t.Errorf("the refusal is logged %d times, want once", n)
	}
	st := w.load()
	if len(st.Outbox) != 0 || len(st.DeadLetters) != 1 || st.DeadLetters[0].LastError != "invalid_blocks" {
		t.Fatalf("outbox %d, dead letters %+v", len(st.Outbox), st.DeadLetters)
	}
	w.wantReported(b)
	w.mustPass()
	w.wantReported(b) // the dead letter is not sent again
}
