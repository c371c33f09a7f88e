// Package metrics exposes Conduit's Prometheus metrics, observed from the same usage records
// that go to the request log.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/conduit-gw/conduit/internal/usage"
)

// Queue is the usage writer as metrics see it.
type Queue interface {
	Depth() int
	Dropped() uint64
	Written() uint64
}

// UsageLog is where records go after being observed.
type UsageLog interface {
	Enqueue(usage.Record) bool
}

// Metrics holds the collectors of one process (its own registry, no globals).
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	overhead   prometheus.Histogram
	ttfb       *prometheus.HistogramVec
	tokens     *prometheus.CounterVec
	cost       *prometheus.CounterVec
	upstreamEr *prometheus.CounterVec
	refused    *prometheus.CounterVec
	failover   *prometheus.CounterVec
	next       UsageLog
	series     sync.Map // seriesKey → *series
	nSeries    atomic.Int64
}

// maxCachedSeries bounds the series cache: past it (aliases are client input on unknown-model
// errors) label lookups are done per request instead.
const maxCachedSeries = 4096

// seriesKey is the labels of one request's metrics.
type seriesKey struct {
	endpoint, alias, provider string
	status                    int
}

// series is the metrics of one seriesKey, looked up once: a request then costs one map read
// instead of a label hash and lookup per metric.
type series struct {
	requests, prompt, completion, cached, cost prometheus.Counter
	latency, ttfb                              prometheus.Observer
}

func (m *Metrics) seriesOf(r *usage.Record) *series {
	k := seriesKey{r.Endpoint, r.Alias, r.ProviderID, r.Status}
	if s, ok := m.series.Load(k); ok {
		return s.(*series)
	}
	s := &series{
		requests:   m.requests.WithLabelValues(r.Endpoint, r.Alias, r.ProviderID, strconv.Itoa(r.Status)),
		latency:    m.latency.WithLabelValues(r.Endpoint),
		ttfb:       m.ttfb.WithLabelValues(r.Endpoint),
		prompt:     m.tokens.WithLabelValues(r.Alias, "prompt"),
		completion: m.tokens.WithLabelValues(r.Alias, "completion"),
		cached:     m.tokens.WithLabelValues(r.Alias, "cached"),
		cost:       m.cost.WithLabelValues(r.Alias),
	}
	if m.nSeries.Load() < maxCachedSeries {
		if _, loaded := m.series.LoadOrStore(k, s); !loaded {
			m.nSeries.Add(1)
		}
	}
	return s
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
}

// New registers every collector. q may be nil until the usage writer exists.
func New(q Queue, next UsageLog) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), next: next}
	m.requests = counterVec("conduit_requests_total",
		"Client API requests by endpoint, alias, provider and HTTP status.",
		"endpoint", "alias", "provider", "status")
	m.latency = histogramVec("conduit_request_duration_seconds", "Total request latency.",
		[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}, "endpoint")
	m.ttfb = histogramVec("conduit_time_to_first_byte_seconds", "Time to the first byte of the answer.",
		[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}, "endpoint")
	m.overhead = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "conduit_overhead_seconds", Help: "Time spent inside Conduit per request, upstream excluded.",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05},
	})
	m.tokens = counterVec("conduit_tokens_total", "Tokens by alias and kind (prompt, completion, cached).",
		"alias", "kind")
	m.cost = counterVec("conduit_cost_usd_total", "Spend in USD by alias.", "alias")
	m.upstreamEr = counterVec("conduit_upstream_errors_total",
		"Failed requests by provider and error code.", "provider", "code")
	m.refused = counterVec("conduit_refused_total",
		"Requests refused before the upstream call, by reason.", "code")
	m.failover = counterVec("conduit_stream_events_total",
		"Stream events of note by provider: skipped (malformed, passed over), continued (an answer cut mid-stream continued on another deployment).",
		"provider", "event")
	m.reg.MustRegister(m.requests, m.latency, m.ttfb, m.overhead, m.tokens, m.cost, m.upstreamEr, m.refused, m.failover,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if q != nil {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "conduit_usage_queue_depth",
				Help: "Request log records waiting to be written."}, func() float64 { return float64(q.Depth()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "conduit_usage_dropped_total",
				Help: "Request log records dropped because the queue was full."}, func() float64 { return float64(q.Dropped()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "conduit_usage_written_total",
				Help: "Request log records written."}, func() float64 { return float64(q.Written()) }),
		)
	}
	return m
}

// Shedding registers the load shedding gauges: requests refused for overload so far, the
// overload level now, and the scheduling latency that drives it.
func (m *Metrics) Shedding(refused func() uint64, share, schedLatency, limit func() float64) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "conduit_overload_refused_total",
			Help: "Client API requests refused with 503 server_overloaded."}, func() float64 { return float64(refused()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "conduit_overload_shed_ratio",
			Help: "Overload level (0 to 1); above 0 client API requests past the concurrency limit are refused."}, share),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "conduit_scheduler_latency_seconds",
			Help: "90th percentile of Go scheduling latency over the last 25 ms (the overload signal)."}, schedLatency),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "conduit_overload_limit",
			Help: "Client API requests let in at a time while overloaded (the admission door's limit)."}, limit),
	)
}

// UsageFailed registers the count of request log rows that could not be stored (a full disk,
// a broken database).
func (m *Metrics) UsageFailed(failed func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "conduit_usage_failed_total",
		Help: "Request log records that could not be written to the database."}, func() float64 { return float64(failed()) }))
}

// AuthThrottle registers the failed-authentication counters: failures counted, requests
// refused from blocked addresses, and blocks.
func (m *Metrics) AuthThrottle(failures, refused, blocks func() uint64) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "conduit_auth_failures_total",
			Help: "Failed authentications (wrong master key, unknown virtual key)."}, func() float64 { return float64(failures()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "conduit_auth_throttled_total",
			Help: "Requests refused with 429 because their address sent too many wrong keys."}, func() float64 { return float64(refused()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "conduit_auth_blocks_total",
			Help: "Times a client address was blocked for failed authentications."}, func() float64 { return float64(blocks()) }),
	)
}

// Enqueue observes a finished request and passes its record on.
func (m *Metrics) Enqueue(r usage.Record) bool {
	m.Observe(r)
	return m.next.Enqueue(r)
}

// Observe records one finished request.
func (m *Metrics) Observe(r usage.Record) {
	s := m.seriesOf(&r)
	s.requests.Inc()
	s.latency.Observe(r.LatencyMS / 1000)
	if r.TTFBMS > 0 {
		s.ttfb.Observe(r.TTFBMS / 1000)
	}
	m.overhead.Observe(r.OverheadMS / 1000)
	if r.PromptTokens > 0 {
		s.prompt.Add(float64(r.PromptTokens))
	}
	if r.CompletionTokens > 0 {
		s.completion.Add(float64(r.CompletionTokens))
	}
	if r.CachedTokens > 0 {
		s.cached.Add(float64(r.CachedTokens))
	}
	if r.Cost > 0 {
		s.cost.Add(r.Cost)
	}
	for i := range r.AttemptLog { // only requests that did not go smoothly have one
		a := &r.AttemptLog[i]
		if a.SkippedEvents > 0 {
			m.failover.WithLabelValues(a.ProviderID, "skipped").Add(float64(a.SkippedEvents))
		}
		if a.Continuation != nil {
			m.failover.WithLabelValues(a.ProviderID, "continued").Inc()
		}
	}
	if r.Status >= 400 {
		if r.ProviderID != "" && r.Status >= 500 {
			m.upstreamEr.WithLabelValues(r.ProviderID, r.ErrorCode).Inc()
		} else {
			m.refused.WithLabelValues(r.ErrorCode).Inc()
		}
	}
}

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
