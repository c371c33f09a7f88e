package store

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/usage"
)

// streamLogs makes n rows like those of streamed chat requests at 10,000 requests/s from t0:
// time-ordered ids, one key, alias and provider; every 100th row failed (a full row).
func streamLogs(n int, t0 time.Time) []usage.Record {
	recs := make([]usage.Record, n)
	for i := range recs {
		at := t0.Add(time.Duration(i) * 100 * time.Microsecond)
		recs[i] = usage.Record{
			ID: ids.NewTimed("req", at), Time: at, KeyID: "key_01JF3YV8Q4ZP7WQ5T2M3K9D6XH",
			Endpoint: "/v1/chat/completions", Alias: "bench", ProviderID: "prov_01JF3YTZ0A8M4S6N2B7C5D9E1F",
			ProviderModel: "gpt-4o-mini", Status: 200, LatencyMS: 2.25 + float64(i%37)*0.013,
			TTFBMS: 1.1 + float64(i%17)*0.007, OverheadMS: 0.21 + float64(i%7)*0.003,
			PromptTokens: 12 + i%5, CompletionTokens: 40 + i%23, Cost: 0.0000123 * float64(1+i%9),
			Stream: true, Attempts: 1, ClientIP: "127.0.0.1",
		}
		if i%100 == 99 {
			recs[i].Status, recs[i].ErrorCode = 429, "rate_limit_exceeded"
			recs[i].ErrorMessage = "upstream: 429 Too Many Requests"
			recs[i].Cost, recs[i].CompletionTokens = 0, 0
		}
	}
	return recs
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkInsertLogsStream inserts batches of streamed-chat rows, as the usage writer forms
// them at 10,000 requests/s (1,000 rows, its BatchSize), into a file-backed WAL database
// already holding 100,000 such rows; cpu-ns/row is the process's CPU time per row.
func BenchmarkInsertLogsStream(b *testing.B) {
	for _, size := range []int{1000, 200, 3000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			db := openTest(b)
			t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			for range 100 {
				if err := db.InsertLogs(b.Context(), streamLogs(1000, t0)); err != nil {
					b.Fatal(err)
				}
				t0 = t0.Add(100 * time.Millisecond)
			}
			var cpu time.Duration
			rows := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				recs := streamLogs(size, t0)
				t0 = t0.Add(time.Duration(size) * 100 * time.Microsecond)
				c0 := cpuNow()
				b.StartTimer()
				if err := db.InsertLogs(b.Context(), recs); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cpu += cpuNow() - c0
				rows += size
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(rows), "cpu-ns/row")
		})
	}
}
