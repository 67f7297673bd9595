package slackfake

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Fault is one scripted answer, used instead of the normal one for the next
// Count requests to a hook (or to any hook).
type Fault struct {
	// Hook limits the fault to one hook ("T…/B…" id or hook URL); empty
	// means any hook. Hook faults are used before global ones.
	Hook string `json:"hook,omitempty"`
	// Status is the HTTP status to answer, e.g. 500, 503, 429, 200, 202.
	Status int `json:"status,omitempty"`
	// Body is the body to answer. Empty means Slack's body for the status:
	// rollup_error for 500, an HTML page for 502/503/504, a rate_limited
	// JSON object for 429 with RetryAfter (message_limit_exceeded without),
	// the usual error strings for 400/403/404/410, nothing for 2xx.
	Body string `json:"body,omitempty"`
	// Header adds response headers (e.g. an HTTP-date Retry-After).
	Header map[string]string `json:"headers,omitempty"`
	// RetryAfter, when positive, sets the Retry-After header in seconds.
	RetryAfter int `json:"retry_after,omitempty"`
	// Hang holds the request until the client gives up (or the server closes).
	Hang bool `json:"hang,omitempty"`
	// Reset reads the request, records the message as posted if it is
	// valid, then resets the connection: Slack posted, the client sees an
	// error (the duplicate case).
	Reset bool `json:"reset,omitempty"`
	// Delay waits this long before answering.
	Delay time.Duration `json:"-"`
	// DelayMS is Delay in milliseconds, for the HTTP control API.
	DelayMS int `json:"delay_ms,omitempty"`
	// Deliver records the message as posted before answering with the fault.
	Deliver bool `json:"deliver,omitempty"`
	// Count is how many requests the fault answers: 0 means once, a
	// negative count means every request until ClearFaults.
	Count int `json:"count,omitempty"`
}

// Script queues faults, in order. Faults for one hook are used before
// global faults.
func (s *Server) Script(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		f.Count = cmp.Or(f.Count, 1)
		f.Delay = cmp.Or(f.Delay, time.Duration(f.DelayMS)*time.Millisecond)
		f.Hook = cmp.Or(HookID(f.Hook), f.Hook)
		s.faults = append(s.faults, f)
	}
}

// ClearFaults drops every scripted fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// nextFault takes the fault for a request to hook id, if any: the first for
// this hook, else the first for any hook. It must be called with s.mu held.
func (s *Server) nextFault(id string) (Fault, bool) {
	i := slices.IndexFunc(s.faults, func(f Fault) bool { return f.Hook == id })
	if i < 0 {
		i = slices.IndexFunc(s.faults, func(f Fault) bool { return f.Hook == "" })
	}
	if i < 0 {
		return Fault{}, false
	}
	f := s.faults[i]
	s.faults = countDown(s.faults, i, &s.faults[i].Count)
	return f, true
}

// countDown uses faults[i], whose count is *count, once: a positive count
// goes down and the fault is dropped at zero; a negative one never runs out.
func countDown[T any](faults []T, i int, count *int) []T {
	if *count > 0 {
		*count--
		if *count == 0 {
			return slices.Delete(faults, i, i+1)
		}
	}
	return faults
}

// answer is a response to write.
type answer struct {
	status int
	body   string
	header http.Header
}

// faultAnswer is the response a status fault gives.
func faultAnswer(f Fault) answer {
	a := answer{status: cmp.Or(f.Status, http.StatusInternalServerError), body: f.Body, header: http.Header{}}
	if f.RetryAfter > 0 {
		a.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	for k, v := range f.Header {
		a.header.Set(k, v)
	}
	switch {
	case a.body != "":
	case a.status == 429 && f.RetryAfter > 0:
		a.body = rateLimitedBody(f.RetryAfter)
	case a.status >= 502 && a.status <= 504:
		a.body = "<html><head><title>" + strconv.Itoa(a.status) + " " + http.StatusText(a.status) +
			"</title></head><body><h1>" + http.StatusText(a.status) + "</h1></body></html>"
	default:
		a.body = errorBodies[a.status]
	}
	return a
}

// errorBodies are Slack's bodies for the other error statuses.
var errorBodies = map[int]string{400: "invalid_payload", 403: "invalid_token", 404: "no_service",
	410: "channel_is_archived", 429: "message_limit_exceeded", 500: "rollup_error"}

func rateLimitedBody(seconds int) string {
	return `{"retry_after":` + strconv.Itoa(seconds) + `,"ok":false,"error":"rate_limited"}`
}

// RateLimit configures the per-hook token bucket.
type RateLimit struct {
	Enabled bool    `json:"rate_limit"`
	Rate    float64 `json:"rate,omitempty"`  // tokens per second; default 1
	Burst   int     `json:"burst,omitempty"` // bucket size; default 5
}

func (r RateLimit) normal() RateLimit {
	if r.Rate <= 0 {
		r.Rate = 1
	}
	if r.Burst <= 0 {
		r.Burst = 5
	}
	return r
}

// SetRateLimit turns the per-hook token bucket on or off. Buckets start full.
func (s *Server) SetRateLimit(r RateLimit) {
	s.mu.Lock()
	s.rate = r.normal()
	s.buckets = map[string]bucket{}
	s.mu.Unlock()
}

// take spends a token of hook id's bucket. When the bucket is empty it
// returns the whole seconds until the next token. It must be called with
// s.mu held.
func (s *Server) take(id string, now time.Time) (ok bool, retryAfter int) {
	if !s.rate.Enabled {
		return true, 0
	}
	b := s.buckets[id]
	ok, retryAfter = b.take(now, s.rate.Rate, s.rate.Burst)
	s.buckets[id] = b
	return ok, retryAfter
}

// bucket is a token bucket; it starts full.
type bucket struct {
	tokens float64
	last   time.Time // zero before the first take
}

// take spends a token at now, with rate tokens a second and at most burst.
// When the bucket is empty it returns the whole seconds until the next token.
func (b *bucket) take(now time.Time, rate float64, burst int) (ok bool, retryAfter int) {
	if b.last.IsZero() {
		b.tokens = float64(burst)
	} else if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+el*rate)
	}
	b.last = now
	if b.tokens >= 1-1e-9 { // a whole token, give or take float rounding
		b.tokens--
		return true, 0
	}
	return false, max(1, int(math.Ceil((1-b.tokens)/rate)))
}
