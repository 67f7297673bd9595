// Package metrics holds what `kamobot watch --metrics-addr` serves: the
// Prometheus metrics of the watch loop (/metrics) and its health (/healthz,
// /livez). Everything lives in one private registry; nothing is global.
//
// No label ever holds a secret: API requests are labelled by their route
// template ("/api/v2/training/{id}"), Slack failures by class, passes by
// result.
package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Pass results, the values of the result label of kamobot_passes_total.
const (
	ResultOK            = "ok"
	ResultFailed        = "failed"
	ResultSkippedLocked = "skipped_locked"
)

// Options configure Metrics; `kamobot watch` checks its flags first.
type Options struct {
	// Version, Commit and GoVersion label kamobot_build_info.
	Version, Commit, GoVersion string
	// UnhealthyAfter is how many failed passes in a row make /healthz
	// answer 503 (1 or more).
	UnhealthyAfter int
	// Interval is the time between passes; it scales how long the loop
	// may go without a pass before it counts as stuck.
	Interval time.Duration
}

// Metrics collects what the watch loop does and serves it. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	passes         *prometheus.CounterVec
	passDuration   prometheus.Histogram
	lastSuccess    prometheus.Gauge
	failuresInRow  prometheus.Gauge
	apiRequests    *prometheus.CounterVec
	apiDuration    *prometheus.HistogramVec
	notifications  *prometheus.CounterVec
	sendFailures   *prometheus.CounterVec
	queued         prometheus.Counter
	outboxPending  prometheus.Gauge
	outboxOldest   prometheus.Gauge
	deadLetters    prometheus.Gauge
	webhookHealthy prometheus.Gauge
	stateWrites    prometheus.Counter
	tlsInsecure    prometheus.Gauge

	health health
}

// New returns Metrics with its own registry, holding kamobot's metrics and
// the Go runtime and process collectors.
func New(o Options) *Metrics {
	reg := prometheus.NewRegistry()
	f := promauto.With(reg)
	m := &Metrics{
		reg: reg,
		passes: f.NewCounterVec(prometheus.CounterOpts{Name: "kamobot_passes_total",
			Help: "Passes of the watch loop, by result: ok, failed (retried next pass), skipped_locked (another kamobot held the state)."}, []string{"result"}),
		passDuration: f.NewHistogram(prometheus.HistogramOpts{Name: "kamobot_pass_duration_seconds",
			Help:    "Time one pass took: fetch, diff, save, send.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}}),
		lastSuccess: f.NewGauge(prometheus.GaugeOpts{Name: "kamobot_last_successful_pass_timestamp_seconds",
			Help: "When the last pass that went all well ended (Unix time); 0 before the first."}),
		failuresInRow: f.NewGauge(prometheus.GaugeOpts{Name: "kamobot_pass_failures_in_a_row",
			Help: "Passes failed since the last one that went all well."}),
		apiRequests: f.NewCounterVec(prometheus.CounterOpts{Name: "kamobot_api_requests_total",
			Help: "KAMONOHASHI API requests, by method, route template and HTTP status (code=\"error\" when no answer came)."}, []string{"method", "route", "code"}),
		apiDuration: f.NewHistogramVec(prometheus.HistogramOpts{Name: "kamobot_api_request_duration_seconds",
			Help:    "Time a KAMONOHASHI API request took, answer body included, by route template.",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}}, []string{"route"}),
		notifications: f.NewCounterVec(prometheus.CounterOpts{Name: "kamobot_notifications_total",
			Help: "Slack messages that left the outbox, by result: delivered, or dead_letter (Slack refused the message for good)."}, []string{"result"}),
		sendFailures: f.NewCounterVec(prometheus.CounterOpts{Name: "kamobot_notification_failures_total",
			Help: "Deliveries Slack did not take, after the sender's own retries, by class: rate_limited, temporary, dead_webhook, permanent_message."}, []string{"class"}),
		queued: f.NewCounter(prometheus.CounterOpts{Name: "kamobot_notifications_queued_total",
			Help: "Slack messages put in the outbox."}),
		outboxPending: f.NewGauge(prometheus.GaugeOpts{Name: "kamobot_outbox_pending",
			Help: "Messages waiting in the outbox after the last pass."}),
		outboxOldest: f.NewGauge(prometheus.GaugeOpts{Name: "kamobot_outbox_oldest_age_seconds",
			Help: "Age of the oldest message waiting in the outbox after the last pass; 0 when none waits. Alert on it: messages are stuck."}),
		deadLetters: f.NewGauge(prometheus.GaugeOpts{Name: "kamobot_dead_letters",
			Help: "Messages kept in the dead letters of the state file (see `kamobot state show`)."}),
		webhookHealthy: f.NewGauge(prometheus.GaugeOpts{Name: "kamobot_webhook_healthy",
			Help: "1 unless Slack refused a webhook itself (revoked, archived channel) in the last pass that sent."}),
		stateWrites: f.NewCounter(prometheus.CounterOpts{Name: "kamobot_state_write_failures_total",
			Help: "Passes that failed because the state file could not be written."}),
		tlsInsecure: f.NewGauge(prometheus.GaugeOpts{Name: "kamobot_tls_insecure",
			Help: "1 when TLS certificate verification of the KAMONOHASHI server is turned off."}),
	}
	m.webhookHealthy.Set(1)
	bi := f.NewGaugeVec(prometheus.GaugeOpts{Name: "kamobot_build_info", Help: "Always 1; the labels name this build."},
		[]string{"version", "revision", "goversion"})
	bi.WithLabelValues(o.Version, o.Commit, o.GoVersion).Set(1)
	for _, r := range []string{ResultOK, ResultFailed, ResultSkippedLocked} {
		m.passes.WithLabelValues(r) // every result shows from the start, at 0
	}
	for _, r := range []string{"delivered", "dead_letter"} {
		m.notifications.WithLabelValues(r)
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.health = health{unhealthyAfter: o.UnhealthyAfter, interval: o.Interval, started: time.Now()}
	return m
}

// ObserveAPI records one KAMONOHASHI API exchange; it has the signature of
// api.Config.Observe. route is the route template; status is 0 when no
// answer came.
func (m *Metrics) ObserveAPI(method, route string, status int, d time.Duration) {
	code := "error"
	if status > 0 {
		code = strconv.Itoa(status)
	}
	m.apiRequests.WithLabelValues(method, route, code).Inc()
	m.apiDuration.WithLabelValues(route).Observe(d.Seconds())
}

// SetTLSInsecure records whether the KAMONOHASHI client skips certificate
// verification.
func (m *Metrics) SetTLSInsecure(insecure bool) { m.tlsInsecure.Set(b2f(insecure)) }

// SetInterval tells how often passes run (it may change on a reload).
func (m *Metrics) SetInterval(d time.Duration) {
	m.health.mu.Lock()
	m.health.interval = d
	m.health.mu.Unlock()
}

// Pass is what one pass did, as the metrics see it.
type Pass struct {
	// Result is ResultOK, ResultFailed or ResultSkippedLocked.
	Result   string
	Duration time.Duration
	// StateWriteFailed: the pass failed because the state could not be saved.
	StateWriteFailed bool

	Queued, Sent, Dead int
	// Failures counts the deliveries Slack did not take, by class name.
	Failures map[string]int

	// OutboxSeen: the pass got as far as sending, so the outbox figures
	// below describe the outbox after it; otherwise they are ignored.
	OutboxSeen    bool
	Pending       int
	OldestPending time.Time // zero when none is pending
	DeadLetters   int
	DeadWebhooks  int
}

// ObservePass records a pass that ended (a pass cut short by a stop is not
// recorded).
func (m *Metrics) ObservePass(p Pass) {
	now := time.Now()
	m.passes.WithLabelValues(p.Result).Inc()
	if p.Result != ResultSkippedLocked {
		m.passDuration.Observe(p.Duration.Seconds())
	}
	if p.StateWriteFailed {
		m.stateWrites.Inc()
	}
	m.queued.Add(float64(p.Queued))
	m.notifications.WithLabelValues("delivered").Add(float64(p.Sent))
	m.notifications.WithLabelValues("dead_letter").Add(float64(p.Dead))
	for class, n := range p.Failures {
		m.sendFailures.WithLabelValues(class).Add(float64(n))
	}
	if p.OutboxSeen {
		m.outboxPending.Set(float64(p.Pending))
		age := 0.0
		if !p.OldestPending.IsZero() {
			age = max(now.Sub(p.OldestPending).Seconds(), 0)
		}
		m.outboxOldest.Set(age)
		m.deadLetters.Set(float64(p.DeadLetters))
		m.webhookHealthy.Set(b2f(p.DeadWebhooks == 0))
	}

	h := &m.health
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastPass, h.lastResult = now, p.Result
	switch p.Result {
	case ResultOK:
		h.lastSuccess, h.failures = now, 0
		m.lastSuccess.Set(float64(now.UnixNano()) / 1e9)
	case ResultFailed:
		h.failures++
	}
	if p.OutboxSeen {
		h.pending, h.pendingKnown = p.Pending, true
	}
	m.failuresInRow.Set(float64(h.failures))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// health is what /healthz and /livez judge from.
type health struct {
	mu             sync.Mutex
	unhealthyAfter int
	interval       time.Duration
	started        time.Time
	lastPass       time.Time
	lastResult     string
	lastSuccess    time.Time
	failures       int
	pending        int
	pendingKnown   bool
}
