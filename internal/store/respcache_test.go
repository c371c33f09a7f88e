package store

import (
	"math"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/usage"
)

func TestCacheHitsSummarized(t *testing.T) { eachEngine(t, testCacheHitsSummarized) }

// Cache hits and their savings are summed from the rollup (whole hours) and the log edges.
func testCacheHitsSummarized(t *testing.T, openTest opener) {
	db := openTest(t)
	h := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	rec := func(id string, at time.Duration, hit bool, cost, saved float64) usage.Record {
		return usage.Record{ID: id, Time: h.Add(at), KeyID: "key_a", Alias: "gpt", ProviderID: "p", Status: 200,
			Cost: cost, CacheHit: hit, Saved: saved}
	}
	if err := db.InsertLogs(t.Context(), []usage.Record{
		rec("r1", 30*time.Minute, true, 0, 0.5),  // edge before the whole hours
		rec("r2", 40*time.Minute, false, 0.5, 0), // a miss
		rec("r3", 90*time.Minute, true, 0, 1),    // inside a whole hour: from the rollup
		rec("r4", 130*time.Minute, true, 0, 0.25),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Summarize(t.Context(), h.Add(15*time.Minute), h.Add(140*time.Minute), usage.GroupByKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Requests != 4 || got[0].CacheHits != 3 || got[0].HitRate != 0.75 ||
		math.Abs(got[0].Saved-1.75) > 1e-9 || math.Abs(got[0].Cost-0.5) > 1e-9 {
		t.Errorf("summary = %+v, want 4 requests, 3 hits (0.75), saved 1.75, cost 0.5", got)
	}
	logs, err := db.ListLogs(t.Context(), usage.LogFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range logs {
		if l.ID == "r3" && (!l.CacheHit || l.Saved != 1) {
			t.Errorf("log r3: cache_hit %v saved %v", l.CacheHit, l.Saved)
		}
	}
}

func TestResponseCacheRows(t *testing.T) { eachEngine(t, testResponseCacheRows) }

func testResponseCacheRows(t *testing.T, openTest opener) {
	db := openTest(t)
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	row := func(k string, used, ttl time.Duration) CacheRow {
		return CacheRow{Key: k, Value: []byte("v-" + k), Used: now.Add(used), Expires: now.Add(ttl)}
	}
	if err := db.WriteCache(t.Context(), []CacheRow{row("a", 0, time.Hour), row("b", time.Second, time.Hour),
		row("c", 2*time.Second, time.Minute), row("d", 3*time.Second, -time.Second)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.WriteCache(t.Context(), []CacheRow{row("a", 4*time.Second, time.Hour)}, []string{"b"}); err != nil {
		t.Fatal(err)
	}
	keys := func(limit int) []string {
		rows, err := db.LoadCache(t.Context(), now, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.Key+":"+string(r.Value))
		}
		return out
	}
	if got := keys(10); len(got) != 2 || got[0] != "a:v-a" || got[1] != "c:v-c" {
		t.Errorf("loaded %v, want a (most recently used) then c; b deleted, d expired", got)
	}
	if got := keys(1); len(got) != 1 {
		t.Errorf("limit 1 loaded %v", got)
	}
	if err := db.PruneCache(t.Context(), now, 1); err != nil {
		t.Fatal(err)
	}
	if got := keys(10); len(got) != 1 || got[0] != "a:v-a" {
		t.Errorf("after pruning to 1: %v", got)
	}
}
