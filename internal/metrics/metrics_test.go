package metrics

import (
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/conduit-gw/conduit/internal/usage"
)

type sink struct{ n int }

func (s *sink) Enqueue(usage.Record) bool { s.n++; return true }

func TestObserve(t *testing.T) {
	next := &sink{}
	m := New(nil, next)
	ok := usage.Record{Endpoint: "chat/completions", Alias: "gpt", ProviderID: "prov_a", Status: 200,
		LatencyMS: 12, TTFBMS: 5, PromptTokens: 10, CompletionTokens: 4, CachedTokens: 2, Cost: 0.5}
	for range 3 {
		m.Enqueue(ok)
	}
	m.Enqueue(usage.Record{Endpoint: "chat/completions", Alias: "gpt", Status: 429, ErrorCode: "rate_limit_exceeded"})
	m.Enqueue(usage.Record{Endpoint: "chat/completions", Alias: "gpt", ProviderID: "prov_a", Status: 502, ErrorCode: "upstream_error"})
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"requests 200", testutil.ToFloat64(m.requests.WithLabelValues("chat/completions", "gpt", "prov_a", "200")), 3},
		{"requests 429", testutil.ToFloat64(m.requests.WithLabelValues("chat/completions", "gpt", "", "429")), 1},
		{"prompt tokens", testutil.ToFloat64(m.tokens.WithLabelValues("gpt", "prompt")), 30},
		{"completion tokens", testutil.ToFloat64(m.tokens.WithLabelValues("gpt", "completion")), 12},
		{"cached tokens", testutil.ToFloat64(m.tokens.WithLabelValues("gpt", "cached")), 6},
		{"cost", testutil.ToFloat64(m.cost.WithLabelValues("gpt")), 1.5},
		{"refused", testutil.ToFloat64(m.refused.WithLabelValues("rate_limit_exceeded")), 1},
		{"upstream errors", testutil.ToFloat64(m.upstreamEr.WithLabelValues("prov_a", "upstream_error")), 1},
		{"passed on", float64(next.n), 5},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(m.latency); n != 1 {
		t.Errorf("latency series = %d, want 1", n)
	}
}

// Past the series cache's bound every request is still counted.
func TestObserveBeyondCache(t *testing.T) {
	m := New(nil, &sink{})
	n := maxCachedSeries + 50
	for i := range n {
		r := usage.Record{Endpoint: "chat/completions", Alias: "m" + strconv.Itoa(i), Status: 404}
		m.Observe(r)
		m.Observe(r)
	}
	if got := m.nSeries.Load(); got != maxCachedSeries {
		t.Errorf("cached series = %d, want %d", got, maxCachedSeries)
	}
	last := "m" + strconv.Itoa(n-1)
	if v := testutil.ToFloat64(m.requests.WithLabelValues("chat/completions", last, "", "404")); v != 2 {
		t.Errorf("requests of an uncached series = %v, want 2", v)
	}
	if c := testutil.CollectAndCount(m.requests); c != n {
		t.Errorf("request series = %d, want %d", c, n)
	}
}

func BenchmarkObserve(b *testing.B) {
	m := New(nil, &sink{})
	r := usage.Record{Endpoint: "chat/completions", Alias: "gpt", ProviderID: "prov_a", Status: 200,
		LatencyMS: 12, PromptTokens: 10, CompletionTokens: 4, Cost: 0.5}
	for b.Loop() {
		m.Observe(r)
	}
}

func TestShedding(t *testing.T) {
	m := New(nil, &sink{})
	m.Shedding(func() uint64 { return 7 }, func() float64 { return 0.25 }, func() float64 { return 0.006 },
		func() float64 { return 64 })
	want := `
# HELP conduit_overload_limit Client API requests let in at a time while overloaded (the admission door's limit).
# TYPE conduit_overload_limit gauge
conduit_overload_limit 64
# HELP conduit_overload_refused_total Client API requests refused with 503 server_overloaded.
# TYPE conduit_overload_refused_total counter
conduit_overload_refused_total 7
# HELP conduit_overload_shed_ratio Overload level (0 to 1); above 0 client API requests past the concurrency limit are refused.
# TYPE conduit_overload_shed_ratio gauge
conduit_overload_shed_ratio 0.25
`
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(want),
		"conduit_overload_limit", "conduit_overload_refused_total", "conduit_overload_shed_ratio"); err != nil {
		t.Fatal(err)
	}
}
