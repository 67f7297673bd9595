package notify_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kamobot/kamobot/job"
	"github.com/kamobot/kamobot/notify"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// clockedSender returns a fake and a Sender sharing one injected clock, so
// the fake's arrival times are the sender's notion of time.
func clockedSender(t *testing.T, random float64, retry notify.RetryPolicy) (*slackfake.Server, *notify.Sender, *testClock) {
	t.Helper()
	clock := newClock()
	fake := slackfake.NewTest(t, slackfake.Options{Now: clock.Now})
	s := notify.NewSender(notify.SenderOptions{
		Now:    clock.Now,
		Sleep:  clock.Sleep,
		Random: func() float64 { return random },
		Retry:  retry,
	})
	return fake, s, clock
}

// gaps returns the time between consecutive requests to a hook.
func gaps(fake *slackfake.Server, hook string) []time.Duration {
	id := slackfake.HookID(hook)
	var out []time.Duration
	var last time.Time
	for _, a := range fake.Attempts() {
		if a.Hook != id {
			continue
		}
		if !last.IsZero() {
			out = append(out, a.At.Sub(last))
		}
		last = a.At
	}
	return out
}

func TestDeliverRetriesTemporaryWithBackoff(t *testing.T) {
	fake, s, _ := clockedSender(t, 1, notify.RetryPolicy{Attempts: 4, Base: time.Second, Cap: 3 * time.Second})
	hook := fake.NewHook()
	fake.Script(slackfake.Fault{Status: 500, Count: 3})
	r, n := s.Deliver(t.Context(), hook, []byte(okPayload))
	if !r.OK() || n != 4 {
		t.Fatalf("Deliver = %v after %d sends, want delivered after 4", r.Class, n)
	}
	// Random 1 gives the full exponential: 1s, 2s, then the 3s cap.
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	if diff := cmp.Diff(want, gaps(fake, hook)); diff != "" {
		t.Errorf("gaps between sends (-want +got):\n%s", diff)
	}
}

func TestDeliverJitterNeverBeatsThePacer(t *testing.T) {
	fake, s, _ := clockedSender(t, 0, notify.RetryPolicy{Attempts: 3})
	hook := fake.NewHook()
	fake.Script(slackfake.Fault{Status: 503, Count: 2})
	if r, n := s.Deliver(t.Context(), hook, []byte(okPayload)); !r.OK() || n != 3 {
		t.Fatalf("Deliver = %v after %d sends", r.Class, n)
	}
	// Full jitter drew 0, but the webhook still gets at most one request a second.
	if diff := cmp.Diff([]time.Duration{time.Second, time.Second}, gaps(fake, hook)); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
}

func TestDeliverHonoursRetryAfter(t *testing.T) {
	fake, s, _ := clockedSender(t, 1, notify.RetryPolicy{})
	hook := fake.NewHook()
	fake.Script(slackfake.Fault{Status: 429, RetryAfter: 2})
	r, n := s.Deliver(t.Context(), hook, []byte(okPayload))
	if !r.OK() || n != 2 {
		t.Fatalf("Deliver = %v after %d sends, want delivered after 2", r.Class, n)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second}, gaps(fake, hook)); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
	// The hold applies to the next message too: Retry-After is per webhook.
	fake.Script(slackfake.Fault{Status: 429, RetryAfter: 5})
	if r, _ := s.Deliver(t.Context(), hook, []byte(okPayload)); !r.OK() {
		t.Fatalf("second Deliver: %v", r.Class)
	}
	g := gaps(fake, hook)
	if got := g[len(g)-1]; got != 5*time.Second {
		t.Errorf("wait after Retry-After: 5 = %v", got)
	}
}

func TestDeliverLeavesLongWaitsToTheOutbox(t *testing.T) {
	fake, s, clock := clockedSender(t, 1, notify.RetryPolicy{MaxWait: 30 * time.Second})
	hook := fake.NewHook()
	fake.Script(slackfake.Fault{Status: 429, RetryAfter: 120})
	start := clock.Now()
	r, n := s.Deliver(t.Context(), hook, []byte(okPayload))
	if r.Class != notify.RateLimited || n != 1 || r.RetryAfter != 2*time.Minute {
		t.Fatalf("Deliver = %v after %d sends, retry %v; want rate limited after 1, 2m", r.Class, n, r.RetryAfter)
	}
	if el := clock.Now().Sub(start); el != 0 {
		t.Errorf("Deliver waited %v", el)
	}
	if d := s.RetryDelay(r, n); d != 2*time.Minute {
		t.Errorf("RetryDelay = %v, want 2m", d)
	}
}

func TestDeliverStopsAtOnce(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault slackfake.Fault
		want  notify.Class
	}{
		{"permanent", slackfake.Fault{Status: 400, Body: "invalid_blocks", Count: -1}, notify.PermanentMessage},
		{"dead", slackfake.Fault{Status: 404, Body: "no_service", Count: -1}, notify.DeadWebhook},
		{"archived", slackfake.Fault{Status: 410, Count: -1}, notify.DeadWebhook},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake, s, _ := clockedSender(t, 1, notify.RetryPolicy{Attempts: 5})
			hook := fake.NewHook()
			fake.Script(tt.fault)
			r, n := s.Deliver(t.Context(), hook, []byte(okPayload))
			if r.Class != tt.want || n != 1 || len(fake.Attempts()) != 1 {
				t.Errorf("Deliver = %v after %d sends (%d requests), want %v after 1", r.Class, n, len(fake.Attempts()), tt.want)
			}
		})
	}
}

func TestDeliverGivesUpAfterAttempts(t *testing.T) {
	fake, s, _ := clockedSender(t, 0.5, notify.RetryPolicy{Attempts: 3})
	hook := fake.NewHook()
	fake.Script(slackfake.Fault{Status: 500, Count: -1})
	r, n := s.Deliver(t.Context(), hook, []byte(okPayload))
	if r.Class != notify.Temporary || n != 3 || r.Code != "rollup_error" {
		t.Errorf("Deliver = %v %q after %d sends, want temporary rollup_error after 3", r.Class, r.Code, n)
	}
}

func TestDeliverEndsWhenContextEnds(t *testing.T) {
	fake := slackfake.NewTest(t)
	hook := fake.NewHook()
	fake.Script(slackfake.Fault{Status: 429, RetryAfter: 20})
	s := notify.NewSender(notify.SenderOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, n := s.Deliver(ctx, hook, []byte(okPayload))
	if el := time.Since(start); el > time.Second {
		t.Errorf("Deliver took %v after the context ended", el)
	}
	if r.Class != notify.RateLimited || n != 1 {
		t.Errorf("Deliver = %v after %d sends, want the 429 after 1", r.Class, n)
	}

	canceled, cancel2 := context.WithCancel(t.Context())
	cancel2()
	if r, n := s.Deliver(canceled, hook, []byte(okPayload)); r.Class != notify.Temporary || n != 0 || r.Err == nil {
		t.Errorf("canceled Deliver = %v after %d sends, want temporary after 0", r.Class, n)
	}
}

func TestPacerOnePerSecondPerWebhook(t *testing.T) {
	fake, s, _ := clockedSender(t, 1, notify.RetryPolicy{})
	a, b := fake.NewHook(), fake.NewHook()
	for i := range 5 {
		for _, h := range []string{a, b} {
			if r, _ := s.Deliver(t.Context(), h, []byte(fmt.Sprintf(`{"text":"%d"}`, i))); !r.OK() {
				t.Fatalf("Deliver: %v", r.Err)
			}
		}
	}
	for _, h := range []string{a, b} {
		for i, g := range gaps(fake, h) {
			if g < time.Second {
				t.Errorf("hook %s: gap %d is %v, want at least 1s", slackfake.HookID(h), i, g)
			}
		}
		fake.AssertRateNeverExceeded(t, h, 1, 1)
	}
	// Two webhooks are paced apart, not together: 5 messages each take 4s, not 9s.
	msgs := fake.Messages()
	if el := msgs[len(msgs)-1].At.Sub(msgs[0].At); el != 4*time.Second {
		t.Errorf("10 messages to 2 hooks took %v, want 4s", el)
	}
}

func TestPacerConcurrentRealTime(t *testing.T) {
	fake := slackfake.NewTest(t)
	hook := fake.NewHook()
	const interval = 100 * time.Millisecond
	s := notify.NewSender(notify.SenderOptions{Pacer: notify.NewPacer(interval, nil, nil)})
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			if r, _ := s.Deliver(t.Context(), hook, []byte(fmt.Sprintf(`{"text":"%d"}`, i))); !r.OK() {
				t.Error(r.Err)
			}
		})
	}
	wg.Wait()
	// Arrival times carry the scheduler's jitter: allow one interval of it.
	msgs := fake.Messages()
	if span := msgs[len(msgs)-1].At.Sub(msgs[0].At); span < 3*interval {
		t.Errorf("5 messages arrived within %v, want about %v", span, 4*interval)
	}
}

// TestPacerConcurrentExact runs concurrent waiters in a synctest bubble,
// where time is exact: each webhook lets one through per interval.
func TestPacerConcurrentExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := notify.NewPacer(time.Second, nil, nil)
		hooks := []string{"https://hooks.slack.com/services/T1/B1/a", "https://hooks.slack.com/services/T1/B2/b"}
		start := time.Now()
		var mu sync.Mutex
		got := map[string][]time.Duration{}
		var wg sync.WaitGroup
		for i := range 10 {
			h := hooks[i%2]
			wg.Go(func() {
				if err := p.Wait(t.Context(), h); err != nil {
					t.Error(err)
				}
				mu.Lock()
				got[h] = append(got[h], time.Since(start))
				mu.Unlock()
			})
		}
		wg.Wait()
		want := []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second}
		for _, h := range hooks {
			slices.Sort(got[h])
			if diff := cmp.Diff(want, got[h]); diff != "" {
				t.Errorf("%s: pass times (-want +got):\n%s", h, diff)
			}
		}
		p.Hold(hooks[0], 10*time.Second)
		before := time.Now()
		if err := p.Wait(t.Context(), hooks[0]); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(before); waited != 10*time.Second {
			t.Errorf("after Hold(10s), Wait took %v", waited)
		}
	})
}

func TestPacerWaitEndsWithContext(t *testing.T) {
	p := notify.NewPacer(time.Hour, nil, nil)
	const u = "https://hooks.slack.com/services/T1/B1/x"
	if err := p.Wait(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx, u); err == nil {
		t.Error("second Wait within the hour returned nil")
	}
}

func TestBackoff(t *testing.T) {
	p := notify.RetryPolicy{Base: time.Second, Cap: 30 * time.Second}
	one := func() float64 { return 1 }
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i, w := range want {
		if got := p.Backoff(i+1, one); got != w*time.Second {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w*time.Second)
		}
	}
	if got := p.Backoff(100, one); got != 30*time.Second {
		t.Errorf("Backoff(100) = %v, want the cap", got)
	}
	if got := p.Backoff(3, func() float64 { return 0.25 }); got != time.Second {
		t.Errorf("Backoff(3) with jitter 0.25 = %v, want 1s", got)
	}
}

// TestPacedDeliveryNeverHitsSlackRateLimit renders 20 job messages and
// delivers them one by one to a fake that rate limits like Slack (1/s, no
// burst): pacing alone keeps every request within the limit.
func TestPacedDeliveryNeverHitsSlackRateLimit(t *testing.T) {
	clock := newClock()
	fake := slackfake.NewTest(t, slackfake.Options{Now: clock.Now,
		RateLimit: slackfake.RateLimit{Enabled: true, Rate: 1, Burst: 1}})
	hook := fake.NewHook()
	s := notify.NewSender(notify.SenderOptions{Now: clock.Now, Sleep: clock.Sleep})
	for _, e := range manyEvents(20) {
		p := notify.RenderEvents([]job.Event{e}, options("ja"))[0]
		b, err := p.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if r, n := s.Deliver(t.Context(), hook, b); !r.OK() || n != 1 {
			t.Fatalf("Deliver = %v after %d sends: %v", r.Class, n, r.Err)
		}
	}
	if st := fake.Stats(); st.RateLimited != 0 || st.Accepted != 20 {
		t.Errorf("stats = %+v, want 20 accepted and no 429", st)
	}
	fake.AssertRateNeverExceeded(t, hook, 1, 1)
}

// TestUnpacedDeliveryWaitsForSlackRetryAfter turns pacing off: the fake's
// token bucket answers 429 with Retry-After, and Deliver waits exactly that.
func TestUnpacedDeliveryWaitsForSlackRetryAfter(t *testing.T) {
	clock := newClock()
	fake := slackfake.NewTest(t, slackfake.Options{Now: clock.Now,
		RateLimit: slackfake.RateLimit{Enabled: true, Rate: 0.5, Burst: 1}})
	hook := fake.NewHook()
	s := notify.NewSender(notify.SenderOptions{Now: clock.Now, Sleep: clock.Sleep,
		Pacer: notify.NewPacer(0, clock.Now, clock.Sleep)})
	for i := range 3 {
		if r, _ := s.Deliver(t.Context(), hook, []byte(okPayload)); !r.OK() {
			t.Fatalf("message %d: %v", i, r.Err)
		}
	}
	if st := fake.Stats(); st.RateLimited != 2 || st.Accepted != 3 {
		t.Errorf("stats = %+v, want 3 accepted after two 429s", st)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second, 2 * time.Second}, clock.Slept()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}
