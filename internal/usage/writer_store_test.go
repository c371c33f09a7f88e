package usage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/store"
	"github.com/conduit-gw/conduit/internal/usage"
)

// TestWriterIntoStoreSustained drives the real Writer into a real SQLite store at a sustained
// 2,000 records/s for 5 s from several goroutines and checks that nothing was dropped or
// failed and that every record is in the database (and in the usage rollup) after Close.
func TestWriterIntoStoreSustained(t *testing.T) {
	if testing.Short() {
		t.Skip("sustained load test (5 s)")
	}
	const (
		producers = 8
		rate      = 2000 // records per second, all producers together
		duration  = 5 * time.Second
		tick      = 10 * time.Millisecond
	)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "conduit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })

	var (
		flushes, flushErrs atomic.Int64
		slowest            atomic.Int64
		maxDepth           atomic.Int64
	)
	w := usage.NewWriter(db, usage.WriterOptions{
		OnFlush: func(_ int, took time.Duration, err error) {
			flushes.Add(1)
			if err != nil {
				flushErrs.Add(1)
			}
			storeMax(&slowest, int64(took))
		},
	})

	sent := make([][]string, producers)
	start := time.Now()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(p), 1))
			tk := time.NewTicker(tick)
			defer tk.Stop()
			// Catch-up pacing: after each tick, send what this producer owes by now, so the
			// total is exactly rate·duration however the ticks are scheduled.
			total := rate * int(duration/time.Millisecond) / 1000 / producers
			for len(sent[p]) < total {
				<-tk.C
				owed := min(total, int(float64(total)*float64(time.Since(start))/float64(duration)))
				for len(sent[p]) < owed {
					r := realisticRecord(rng)
					if !w.Enqueue(r) {
						t.Errorf("producer %d: record %d dropped", p, len(sent[p]))
						return
					}
					sent[p] = append(sent[p], r.ID)
				}
				storeMax(&maxDepth, int64(w.Depth()))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	closeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	closeStart := time.Now()
	if err := w.Close(closeCtx); err != nil {
		t.Fatalf("Close: %v", err)
	}

	var want int
	for _, s := range sent {
		want += len(s)
	}
	t.Logf("%d records in %v (%.0f/s) by %d producers; %d flushes, slowest %v, max queue depth %d, close %v",
		want, elapsed.Round(time.Millisecond), float64(want)/elapsed.Seconds(), producers, flushes.Load(),
		time.Duration(slowest.Load()).Round(time.Millisecond), maxDepth.Load(), time.Since(closeStart).Round(time.Millisecond))
	if want != rate*int(duration/time.Second) {
		t.Fatalf("sent %d records, want %d", want, rate*int(duration/time.Second))
	}
	if w.Dropped() != 0 || w.Failed() != 0 || flushErrs.Load() != 0 || w.Written() != uint64(want) {
		t.Fatalf("dropped %d, failed %d (flush errors %d), written %d; want 0, 0, 0, %d",
			w.Dropped(), w.Failed(), flushErrs.Load(), w.Written(), want)
	}
	// The default queue holds 32 s of this load; the writer must not have needed a quarter.
	if d := maxDepth.Load(); d > 65536/4 {
		t.Errorf("queue depth reached %d: the writer does not keep up with %d records/s", d, rate)
	}

	// Every record is in request_logs.
	counts, err := db.Counts(ctx)
	if err != nil || counts["request_logs"] != int64(want) {
		t.Fatalf("Counts = %v, %v; want %d request_logs", counts, err, want)
	}
	stored := make(map[string]bool, want)
	before := ""
	for {
		page, err := db.ListLogs(ctx, usage.LogFilter{Limit: 1000, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			stored[r.ID] = true
		}
		if len(page) < 1000 {
			break
		}
		before = page[len(page)-1].ID
	}
	for p, s := range sent {
		for _, id := range s {
			if !stored[id] {
				t.Fatalf("producer %d: record %s not stored", p, id)
			}
		}
	}
	// And in the usage rollup.
	groups, err := db.Summarize(ctx, time.Time{}, time.Time{}, usage.GroupByKey)
	if err != nil {
		t.Fatal(err)
	}
	var rolled int64
	for _, g := range groups {
		rolled += g.Requests
	}
	if rolled != int64(want) {
		t.Errorf("usage summary counts %d requests, want %d", rolled, want)
	}
}

func storeMax(a *atomic.Int64, v int64) {
	for cur := a.Load(); v > cur && !a.CompareAndSwap(cur, v); cur = a.Load() {
	}
}

// realisticRecord is shaped like what the proxy logs: a few keys and models, mostly 200s,
// latencies of a few hundred ms to seconds, token counts and costs, now as the time, and an
// occasional body.
func realisticRecord(rng *rand.Rand) usage.Record {
	models := []struct{ alias, provider, model string }{
		{"gpt-4o", "prov_openai", "gpt-4o-2024-08-06"},
		{"gpt-4o-mini", "prov_openai", "gpt-4o-mini"},
		{"claude", "prov_anthropic", "claude-sonnet-4-5"},
		{"embed", "prov_azure", "text-embedding-3-small"},
	}
	m := models[rng.IntN(len(models))]
	r := usage.Record{
		ID:               ids.New("req"),
		Time:             time.Now(),
		KeyID:            fmt.Sprintf("vk_%02d", rng.IntN(12)),
		Endpoint:         "/v1/chat/completions",
		Alias:            m.alias,
		ProviderID:       m.provider,
		ProviderModel:    m.model,
		Status:           200,
		LatencyMS:        80 + rng.ExpFloat64()*900,
		TTFBMS:           40 + rng.ExpFloat64()*200,
		OverheadMS:       0.2 + rng.Float64(),
		PromptTokens:     20 + rng.IntN(4000),
		CompletionTokens: rng.IntN(1200),
		CachedTokens:     rng.IntN(2) * 512,
		Stream:           rng.IntN(2) == 0,
		Attempts:         1,
		ClientIP:         "10.1.2.3",
	}
	r.Cost = float64(r.PromptTokens)*2.5e-6 + float64(r.CompletionTokens)*1e-5
	switch x := rng.IntN(100); {
	case x < 3:
		r.Status, r.ErrorCode, r.ErrorMessage, r.Cost = 429, "rate_limited", "upstream rate limit", 0
		r.Attempts = 3
	case x < 5:
		r.Status, r.ErrorCode, r.ErrorMessage, r.Cost = 502, "upstream_error", "connection reset", 0
	}
	if m.alias == "embed" {
		r.Endpoint, r.CompletionTokens, r.Stream = "/v1/embeddings", 0, false
	}
	if rng.IntN(50) == 0 {
		r.RequestBody = []byte(`{"model":"` + m.alias + `","messages":[{"role":"user","content":"hello"}]}`)
		r.ResponseBody = []byte(`{"choices":[{"message":{"role":"assistant","content":"hi"}}]}`)
	}
	return r
}
