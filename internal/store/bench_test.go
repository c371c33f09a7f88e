package store

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/usage"
)

// benchRows is the table size for the read benchmarks: 100k by default,
// CONDUIT_BENCH_ROWS=1000000 for the full-size check.
func benchRows(b *testing.B) int {
	if s := os.Getenv("CONDUIT_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("CONDUIT_BENCH_ROWS: %v", err)
		}
		return n
	}
	return 100_000
}

// benchLogs makes n rows over 30 days, 50 keys, 10 aliases, 3 providers.
func benchLogs(n, offset int) []usage.Record {
	recs := make([]usage.Record, n)
	span := 30 * 24 * time.Hour
	for i := range recs {
		j := offset + i
		recs[i] = usage.Record{
			ID:            fmt.Sprintf("req_%09d", j),
			Time:          base.Add(time.Duration(j) * (span / 1_000_000)),
			KeyID:         fmt.Sprintf("key_%02d", j%50),
			Endpoint:      "/v1/chat/completions",
			Alias:         fmt.Sprintf("model-%d", j%10),
			ProviderID:    fmt.Sprintf("prov_%d", j%3),
			ProviderModel: "gpt-4o-mini",
			Status:        []int{200, 200, 200, 200, 200, 200, 200, 200, 429, 502}[j%10],
			LatencyMS:     float64(j%997) * 1.7, PromptTokens: 100 + j%400, CompletionTokens: j % 300,
			Cost: 0.0001 * float64(j%13), Stream: j%2 == 0, Attempts: 1, ClientIP: "10.0.0.1",
		}
	}
	return recs
}

func seed(b *testing.B, db *DB, n int) {
	b.Helper()
	const batch = 10_000
	for off := 0; off < n; off += batch {
		if err := db.InsertLogs(b.Context(), benchLogs(min(batch, n-off), off)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInsertLogs(b *testing.B) {
	for _, size := range []int{100, 1000, 5000} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			db := openTest(b)
			off := 0
			for b.Loop() {
				b.StopTimer()
				recs := benchLogs(size, off)
				off += size
				b.StartTimer()
				if err := db.InsertLogs(b.Context(), recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(off)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkReadLogs(b *testing.B) {
	n := benchRows(b)
	db := openTest(b)
	seed(b, db, n)
	mid := benchLogs(1, n/2)[0]
	ctx := b.Context()

	list := []struct {
		name string
		f    usage.LogFilter
	}{
		{"ListLogs/newest", usage.LogFilter{}},
		{"ListLogs/cursor", usage.LogFilter{Before: mid.ID}},
		{"ListLogs/key", usage.LogFilter{KeyID: "key_07", Before: mid.ID}},
		{"ListLogs/status", usage.LogFilter{Status: 502, Limit: 200}},
		{"ListLogs/key+status", usage.LogFilter{KeyID: "key_09", Status: 502}},
	}
	for _, tt := range list {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.ListLogs(ctx, tt.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	from, to := base, base.Add(31*24*time.Hour)
	for _, g := range []string{usage.GroupByKey, usage.GroupByModel, usage.GroupByProvider, usage.GroupByDay} {
		b.Run("Summarize/"+g, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.Summarize(ctx, from, to, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Summarize/day/last24h", func(b *testing.B) {
		end := base.Add(time.Duration(n) * (30 * 24 * time.Hour / 1_000_000))
		for b.Loop() {
			if _, err := db.Summarize(ctx, end.Add(-24*time.Hour), end, usage.GroupByDay); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("KeySpend/50keys", func(b *testing.B) {
		since := map[string]time.Time{}
		for i := range 50 {
			since[fmt.Sprintf("key_%02d", i)] = base.Add(24 * time.Hour)
		}
		for b.Loop() {
			if _, err := db.KeySpend(ctx, since); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Counts", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Counts(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
