package store

import (
	"github.com/conduit-gw/conduit/internal/testsvc"

	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/usage"
)

// Read benchmarks share one seeded database per process:
//
//	CONDUIT_BENCH_ROWS=1000000 go test -run '^$' -bench 'Summarize|ListLogs|KeySpend' ./internal/store/
//
// benchRows is its size: 100k rows by default, CONDUIT_BENCH_ROWS for the full-size check.
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

// benchSpan is the time the bench rows cover: 1M rows over 30 days, one every 2.592 s.
const benchSpan = 30 * 24 * time.Hour

// benchLogs makes n rows over 30 days, 50 keys, 10 aliases, 3 providers.
func benchLogs(n, offset int) []usage.Record {
	recs := make([]usage.Record, n)
	for i := range recs {
		j := offset + i
		recs[i] = usage.Record{
			ID:            fmt.Sprintf("req_%09d", j),
			Time:          base.Add(time.Duration(j) * (benchSpan / 1_000_000)),
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

func seed(tb testing.TB, db *DB, n int) {
	tb.Helper()
	const batch = 10_000
	for off := 0; off < n; off += batch {
		if err := db.InsertLogs(context.Background(), benchLogs(min(batch, n-off), off)); err != nil {
			tb.Fatal(err)
		}
	}
}

var benchDB struct {
	sync.Mutex
	db  *DB
	dir string
	n   int
}

// seededDB returns the shared read-benchmark database with benchRows rows, seeding it on first
// use. TestMain closes and removes it.
func seededDB(b *testing.B) (*DB, int) {
	n := benchRows(b)
	benchDB.Lock()
	defer benchDB.Unlock()
	if benchDB.db != nil && benchDB.n == n {
		return benchDB.db, n
	}
	closeBenchDB()
	dir, err := os.MkdirTemp("", "conduit-bench-")
	if err != nil {
		b.Fatal(err)
	}
	db, err := Open(context.Background(), filepath.Join(dir, "conduit.db"))
	if err != nil {
		b.Fatal(err)
	}
	benchDB.db, benchDB.dir, benchDB.n = db, dir, n
	start := time.Now()
	seed(b, db, n)
	b.Logf("seeded %d rows in %v", n, time.Since(start))
	return db, n
}

func closeBenchDB() {
	if benchDB.db != nil {
		_ = benchDB.db.Close()
		_ = os.RemoveAll(benchDB.dir)
		benchDB.db = nil
	}
}

func TestMain(m *testing.M) {
	code := testsvc.Main(m)
	closeBenchDB()
	os.Exit(code)
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

func BenchmarkListLogs(b *testing.B) {
	db, n := seededDB(b)
	mid := benchLogs(1, n/2)[0]
	list := []struct {
		name string
		f    usage.LogFilter
	}{
		{"newest", usage.LogFilter{}},
		{"cursor", usage.LogFilter{Before: mid.ID}},
		{"key", usage.LogFilter{KeyID: "key_07", Before: mid.ID}},
		{"status", usage.LogFilter{Status: 502, Limit: 200}},
		{"status-ok", usage.LogFilter{Status: 200, Limit: 200}},
		{"key+status", usage.LogFilter{KeyID: "key_09", Status: 502}},
	}
	for _, tt := range list {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.ListLogs(b.Context(), tt.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchEnd is the end of the seeded rows' time span.
func benchEnd(n int) time.Time { return base.Add(time.Duration(n) * (benchSpan / 1_000_000)) }

func BenchmarkSummarize(b *testing.B) {
	db, n := seededDB(b)
	end := benchEnd(n)
	ranges := []struct {
		name     string
		from, to time.Time
	}{
		{"30d", end.Add(-30 * 24 * time.Hour), end},
		{"1d", end.Add(-24 * time.Hour), end},
		// Partial hours at both ends: read from request_logs.
		{"30d-unaligned", end.Add(-30*24*time.Hour + 17*time.Minute), end.Add(-23 * time.Minute)},
	}
	for _, g := range []string{usage.GroupByKey, usage.GroupByModel, usage.GroupByProvider, usage.GroupByDay} {
		for _, r := range ranges {
			b.Run(g+"/"+r.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := db.Summarize(b.Context(), r.from, r.to, g); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkKeySpend(b *testing.B) {
	db, _ := seededDB(b)
	for _, tt := range []struct {
		name string
		from time.Time
	}{
		{"50keys", base.Add(24 * time.Hour)},
		{"50keys-unaligned", base.Add(24*time.Hour + 17*time.Minute)},
		{"50keys-total", time.Time{}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			since := map[string]time.Time{}
			for i := range 50 {
				since[fmt.Sprintf("key_%02d", i)] = tt.from
			}
			for b.Loop() {
				if _, err := db.KeySpend(b.Context(), since); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCounts(b *testing.B) {
	db, _ := seededDB(b)
	for b.Loop() {
		if _, err := db.Counts(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
