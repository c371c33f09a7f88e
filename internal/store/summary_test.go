package store

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/usage"
)

func TestNearestRank(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	tests := []struct {
		name     string
		in       []float64
		p50, p95 float64
	}{
		{"empty", nil, 0, 0},
		{"one", []float64{7}, 7, 7},
		{"four", []float64{10, 20, 30, 40}, 20, 40},
		{"1..100", hundred, 50, 95},
		{"1..20", hundred[:20], 10, 19},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nearestRank(tt.in, 50); got != tt.p50 {
				t.Errorf("p50 = %v, want %v", got, tt.p50)
			}
			if got := nearestRank(tt.in, 95); got != tt.p95 {
				t.Errorf("p95 = %v, want %v", got, tt.p95)
			}
		})
	}
}

// summaryFixture: key_a has 100 requests on day 1 with latencies 100..1 ms (two errors);
// key_b has 4 requests on day 2 with latencies 40,10,30,20 ms. An old row is outside the range.
func summaryFixture(t *testing.T, openTest opener) (*DB, time.Time, time.Time) {
	t.Helper()
	db := openTest(t)
	day1 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	var recs []usage.Record
	for i := range 100 {
		r := usage.Record{ID: "a" + time.Duration(i).String(), Time: day1.Add(time.Duration(i) * time.Minute),
			KeyID: "key_a", Alias: "gpt", ProviderID: "prov_1", Status: 200, LatencyMS: float64(100 - i),
			PromptTokens: 10, CompletionTokens: 5, Cost: 0.01}
		if i < 2 {
			r.Status, r.Cost = 500, 0
		}
		recs = append(recs, r)
	}
	for i, lat := range []float64{40, 10, 30, 20} {
		recs = append(recs, usage.Record{ID: "b" + time.Duration(i).String(), Time: day2.Add(time.Hour),
			KeyID: "key_b", Alias: "claude", ProviderID: "prov_2", Status: 200, LatencyMS: lat,
			PromptTokens: 100, CompletionTokens: 50, Cost: 1})
	}
	recs = append(recs, usage.Record{ID: "old", Time: day1.Add(-time.Hour), KeyID: "key_a", Alias: "gpt",
		ProviderID: "prov_1", Status: 200, LatencyMS: 9999, Cost: 50})
	if err := db.InsertLogs(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	return db, day1, day2.AddDate(0, 0, 1)
}

func TestSummarize(t *testing.T) { eachEngine(t, testSummarize) }

func testSummarize(t *testing.T, openTest opener) {
	db, from, to := summaryFixture(t, openTest)
	a := usage.Group{Requests: 100, PromptTokens: 1000, CompletionTokens: 500, Cost: 0.98, Errors: 2, P50MS: 50, P95MS: 95}
	b := usage.Group{Requests: 4, PromptTokens: 400, CompletionTokens: 200, Cost: 4, P50MS: 20, P95MS: 40}
	named := func(g usage.Group, k string) usage.Group { g.Key = k; return g }
	tests := []struct {
		groupBy string
		want    []usage.Group
	}{
		{usage.GroupByKey, []usage.Group{named(b, "key_b"), named(a, "key_a")}},
		{usage.GroupByModel, []usage.Group{named(b, "claude"), named(a, "gpt")}},
		{usage.GroupByProvider, []usage.Group{named(b, "prov_2"), named(a, "prov_1")}},
		{usage.GroupByDay, []usage.Group{named(a, "2025-05-01"), named(b, "2025-05-02")}},
	}
	for _, tt := range tests {
		t.Run(tt.groupBy, func(t *testing.T) {
			got, err := db.Summarize(t.Context(), from, to, tt.groupBy)
			if err != nil {
				t.Fatal(err)
			}
			// Percentiles come from the latency histograms: within histRelErr of the exact
			// nearest-rank values (latency.go); everything else is exact.
			for i := range got {
				got[i].Cost = math.Round(got[i].Cost*1e9) / 1e9
				if i < len(tt.want) {
					for _, p := range []struct{ got, want *float64 }{
						{&got[i].P50MS, &tt.want[i].P50MS}, {&got[i].P95MS, &tt.want[i].P95MS},
					} {
						if withinHistErr(*p.got, *p.want) {
							*p.got = *p.want
						}
					}
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := db.Summarize(t.Context(), from, to, "bogus"); err == nil {
		t.Error("unknown group_by accepted")
	}
	all, err := db.Summarize(t.Context(), time.Time{}, time.Time{}, usage.GroupByKey)
	if err != nil || len(all) != 2 || all[0].Key != "key_a" || all[0].Requests != 101 {
		t.Errorf("unbounded summary = %+v, %v", all, err)
	}
	empty, err := db.Summarize(t.Context(), to, to.AddDate(0, 0, 1), usage.GroupByDay)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("empty range = %#v, %v; want empty non-nil", empty, err)
	}
}

func TestKeySpend(t *testing.T) { eachEngine(t, testKeySpend) }

func testKeySpend(t *testing.T, openTest opener) {
	db, from, _ := summaryFixture(t, openTest)
	tests := []struct {
		name  string
		since map[string]time.Time
		want  map[string]float64
	}{
		{"range", map[string]time.Time{"key_a": from, "key_b": from}, map[string]float64{"key_a": 0.98, "key_b": 4}},
		{"total", map[string]time.Time{"key_a": {}}, map[string]float64{"key_a": 50.98}},
		{"later", map[string]time.Time{"key_a": from.Add(50 * time.Minute)}, map[string]float64{"key_a": 0.5}},
		{"unknown key", map[string]time.Time{"key_z": from}, map[string]float64{"key_z": 0}},
		{"none", map[string]time.Time{}, map[string]float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.KeySpend(t.Context(), tt.since)
			if err != nil {
				t.Fatal(err)
			}
			for k := range got {
				got[k] = math.Round(got[k]*1e9) / 1e9
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCounts(t *testing.T) { eachEngine(t, testCounts) }

func testCounts(t *testing.T, openTest opener) {
	db, _, _ := summaryFixture(t, openTest)
	got, err := db.Counts(t.Context())
	want := map[string]int64{"providers": 0, "models": 0, "keys": 0, "costs": 0, "request_logs": 105}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Counts = %v, %v; want %v", got, err, want)
	}
}

// nearestRank returns the p-th percentile of sorted s: the smallest value such that at least
// p% of the values are <= it. It returns 0 for an empty slice. (The exact reference the
// histogram percentiles of Summarize are checked against.)
func nearestRank(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// withinHistErr reports whether a percentile read from a latency histogram is within the
// histogram's error bound of the exact value: histRelErr relative, or histMinMS absolute for
// the lowest bucket (plus float rounding).
func withinHistErr(got, exact float64) bool {
	d := math.Abs(got - exact)
	return d <= histRelErr*exact*(1+1e-9) || d <= histMinMS
}
