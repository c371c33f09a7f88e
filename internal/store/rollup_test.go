package store

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/conduit-gw/conduit/internal/usage"
)

// rollupLogs makes n records over span from start: 7 keys, 4 aliases, 3 providers, ~15%
// errors, latencies spread log-uniformly over 0.001 ms..2 min (plus exact zeros), from a fixed
// seed. IDs are "<prefix>_<i>".
func rollupLogs(prefix string, n int, start time.Time, span time.Duration, seed uint64) []usage.Record {
	rng := rand.New(rand.NewPCG(seed, 42))
	recs := make([]usage.Record, n)
	for i := range recs {
		status := 200
		switch x := rng.IntN(100); {
		case x < 5:
			status = 429
		case x < 10:
			status = 500
		case x < 15:
			status = 400
		}
		lat := math.Exp(rng.Float64()*math.Log(1.2e8)) / 1000 // 0.001 ms .. 120 s
		if rng.IntN(50) == 0 {
			lat = 0
		}
		recs[i] = usage.Record{
			ID:               fmt.Sprintf("%s_%06d", prefix, i),
			Time:             start.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Millisecond),
			KeyID:            fmt.Sprintf("key_%d", rng.IntN(7)),
			Endpoint:         "/v1/chat/completions",
			Alias:            []string{"gpt-4o", "claude", "llama", "embed"}[rng.IntN(4)],
			ProviderID:       fmt.Sprintf("prov_%d", rng.IntN(3)),
			ProviderModel:    "m",
			Status:           status,
			LatencyMS:        lat,
			PromptTokens:     rng.IntN(5000),
			CompletionTokens: rng.IntN(2000),
			Cost:             rng.Float64() / 100,
			Attempts:         1,
		}
	}
	return recs
}

// rawRow is one request_logs row, as far as summaries are concerned.
type rawRow struct {
	time                  time.Time
	key, alias, prov      string
	status, prompt, compl int64
	lat, cost             float64
}

func readRaw(t *testing.T, db *DB) []rawRow {
	t.Helper()
	rows, err := db.r.QueryContext(t.Context(), `SELECT time, key_id, alias, provider_id, status,
		latency_ms, prompt_tokens, completion_tokens, cost FROM request_logs`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := collect(rows, func(s scanner) (rawRow, error) {
		var (
			r  rawRow
			ms int64
		)
		err := s.Scan(&ms, &r.key, &r.alias, &r.prov, &r.status, &r.lat, &r.prompt, &r.compl, &r.cost)
		r.time = fromMS(ms)
		return r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rawSummary computes a summary straight from request_logs rows, the way Summarize did before
// the rollup: exact nearest-rank percentiles. Groups are in key order.
func rawSummary(raw []rawRow, from, to time.Time, groupBy string) []usage.Group {
	groups := map[string]*usage.Group{}
	lats := map[string][]float64{}
	for _, r := range raw {
		if !from.IsZero() && r.time.Before(from) || !to.IsZero() && !r.time.Before(to) {
			continue
		}
		k := map[string]string{usage.GroupByKey: r.key, usage.GroupByModel: r.alias,
			usage.GroupByProvider: r.prov, usage.GroupByDay: r.time.Format(time.DateOnly)}[groupBy]
		g := groups[k]
		if g == nil {
			g = &usage.Group{Key: k}
			groups[k] = g
		}
		g.Requests++
		g.PromptTokens += r.prompt
		g.CompletionTokens += r.compl
		g.Cost += r.cost
		if r.status >= 400 {
			g.Errors++
		}
		lats[k] = append(lats[k], r.lat)
	}
	out := make([]usage.Group, 0, len(groups))
	for k, g := range groups {
		slices.Sort(lats[k])
		g.P50MS, g.P95MS = nearestRank(lats[k], 50), nearestRank(lats[k], 95)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b usage.Group) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// checkSummary compares Summarize with rawSummary over the rows of raw (nil: read them):
// counts and tokens exactly, cost to 1e-9 relative, percentiles within the histogram error
// bound.
func checkSummary(t *testing.T, db *DB, raw []rawRow, from, to time.Time, groupBy string) {
	t.Helper()
	if raw == nil {
		raw = readRaw(t, db)
	}
	got, err := db.Summarize(t.Context(), from, to, groupBy)
	if err != nil {
		t.Fatal(err)
	}
	want := rawSummary(raw, from, to, groupBy)
	slices.SortFunc(got, func(a, b usage.Group) int { return cmp.Compare(a.Key, b.Key) })
	if len(got) != len(want) {
		t.Fatalf("%s [%v, %v): %d groups, want %d\ngot  %+v\nwant %+v", groupBy, from, to,
			len(got), len(want), got, want)
	}
	for i, g := range got {
		w := want[i]
		if g.Key != w.Key || g.Requests != w.Requests || g.PromptTokens != w.PromptTokens ||
			g.CompletionTokens != w.CompletionTokens || g.Errors != w.Errors ||
			math.Abs(g.Cost-w.Cost) > 1e-9*max(1, w.Cost) ||
			!withinHistErr(g.P50MS, w.P50MS) || !withinHistErr(g.P95MS, w.P95MS) {
			t.Errorf("%s [%v, %v) group %q:\ngot  %+v\nwant %+v", groupBy, from, to, w.Key, g, w)
		}
	}
}

// insertBatches stores recs in batches of varying size, re-sending some batches and some
// overlapping ranges as a retrying writer would.
func insertBatches(t *testing.T, db *DB, recs []usage.Record, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := 0; i < len(recs); {
		n := min(1+rng.IntN(700), len(recs)-i)
		batch := recs[i : i+n]
		if err := db.InsertLogs(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
		switch rng.IntN(4) {
		case 0: // the same batch again
			if err := db.InsertLogs(t.Context(), batch); err != nil {
				t.Fatal(err)
			}
		case 1: // the tail of this batch with rows of the next one (and a duplicate inside)
			j := min(i+n+50, len(recs))
			again := append(slices.Clone(recs[i+n/2:j]), recs[i])
			if err := db.InsertLogs(t.Context(), again); err != nil {
				t.Fatal(err)
			}
		}
		i += n
	}
}

// rollupRows returns usage_hourly ordered by primary key, with the stats decoded.
type rollupRow struct {
	hour                          int64
	key, alias, prov              string
	requests, prompt, compl, errs int64
	cost, spend                   float64
	stats                         usageStats
}

func readRollup(t *testing.T, db *DB) []rollupRow {
	t.Helper()
	rows, err := db.r.QueryContext(t.Context(), `SELECT hour, key_id, alias, provider_id, requests,
		prompt_tokens, completion_tokens, errors, cost, spend, stats FROM usage_hourly
		ORDER BY hour, key_id, alias, provider_id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := collect(rows, func(s scanner) (rollupRow, error) {
		var (
			r    rollupRow
			blob []byte
		)
		if err := s.Scan(&r.hour, &r.key, &r.alias, &r.prov, &r.requests, &r.prompt, &r.compl,
			&r.errs, &r.cost, &r.spend, &blob); err != nil {
			return r, err
		}
		return r, decodeStats(&r.stats, blob)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkRollupExact checks usage_hourly against a rebuild from request_logs (rebuildRollup over
// all time) and that the packed stats agree with the plain columns.
func checkRollupExact(t *testing.T, db *DB) {
	t.Helper()
	got := readRollup(t, db)
	for _, r := range got {
		var n uint64
		for _, b := range r.stats.bins {
			n += b.n
		}
		if int64(n) != r.requests || r.stats.prompt != r.prompt || r.stats.completion != r.compl ||
			r.stats.errors != r.errs || math.Abs(r.stats.cost-r.cost) > 1e-9*max(1, r.cost) {
			t.Fatalf("stats of %d %s/%s/%s disagree with the columns: %+v", r.hour, r.key, r.alias,
				r.prov, r)
		}
	}
	// Rebuild in a transaction that is rolled back.
	tx, err := db.w.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	q := `SELECT hour, key_id, alias, provider_id, requests, prompt_tokens, completion_tokens,
		errors, cost, spend, stats FROM usage_hourly ORDER BY hour, key_id, alias, provider_id`
	if _, err := tx.ExecContext(t.Context(), `DELETE FROM usage_hourly`); err != nil {
		t.Fatal(err)
	}
	if err := db.rebuildRollup(t.Context(), tx, math.MinInt64, math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	want, err := collect(rows, func(s scanner) (rollupRow, error) {
		var (
			r    rollupRow
			blob []byte
		)
		if err := s.Scan(&r.hour, &r.key, &r.alias, &r.prov, &r.requests, &r.prompt, &r.compl,
			&r.errs, &r.cost, &r.spend, &blob); err != nil {
			return r, err
		}
		return r, decodeStats(&r.stats, blob)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("usage_hourly has %d rows, a rebuild from request_logs %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.hour != w.hour || g.key != w.key || g.alias != w.alias || g.prov != w.prov ||
			g.requests != w.requests || g.prompt != w.prompt || g.compl != w.compl || g.errs != w.errs ||
			math.Abs(g.cost-w.cost) > 1e-9*max(1, w.cost) || math.Abs(g.spend-w.spend) > 1e-9*max(1, w.spend) ||
			!slices.Equal(g.stats.bins, w.stats.bins) {
			t.Fatalf("usage_hourly row %d:\ngot  %+v\nwant %+v (rebuilt from request_logs)", i, g, w)
		}
	}
}

// TestRollupMatchesRaw: summaries read from the rollup (plus raw edges) equal summaries
// computed from the raw rows, for every group_by, over aligned and unaligned ranges, with
// retried and overlapping batches.
func TestRollupMatchesRaw(t *testing.T) { eachEngine(t, testRollupMatchesRaw) }

func testRollupMatchesRaw(t *testing.T, openTest opener) {
	db := openTest(t)
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	recs := rollupLogs("req", 4000, start.Add(-90*time.Minute), 3*24*time.Hour, 1)
	insertBatches(t, db, recs, 2)

	counts, err := db.Counts(t.Context())
	if err != nil || counts["request_logs"] != int64(len(recs)) {
		t.Fatalf("Counts = %v, %v; want %d request_logs", counts, err, len(recs))
	}
	checkRollupExact(t, db)
	raw := readRaw(t, db)

	ranges := []struct {
		name     string
		from, to time.Time
	}{
		{"unbounded", time.Time{}, time.Time{}},
		{"day", start, start.AddDate(0, 0, 1)},
		{"two days", start, start.AddDate(0, 0, 2)},
		{"partial hours both ends", start.Add(17*time.Minute + 123*time.Millisecond), start.Add(41*time.Hour + 29*time.Minute)},
		{"open start, partial end", time.Time{}, start.Add(5*time.Hour + 1*time.Millisecond)},
		{"partial start, open end", start.Add(30*time.Hour - time.Millisecond), time.Time{}},
		{"inside one hour", start.Add(3*time.Hour + 5*time.Minute), start.Add(3*time.Hour + 55*time.Minute)},
		{"two partial hours", start.Add(3*time.Hour + 30*time.Minute), start.Add(4*time.Hour + 30*time.Minute)},
		{"empty", start.AddDate(1, 0, 0), start.AddDate(1, 0, 1)},
	}
	for _, g := range []string{usage.GroupByKey, usage.GroupByModel, usage.GroupByProvider, usage.GroupByDay} {
		for _, r := range ranges {
			t.Run(g+"/"+r.name, func(t *testing.T) { checkSummary(t, db, raw, r.from, r.to, g) })
		}
	}

	// KeySpend: whole hours from the rollup, the partial first hour from the logs.
	since := map[string]time.Time{"key_0": {}, "key_1": start, "key_2": start.Add(90*time.Minute + 7*time.Second),
		"key_3": start.Add(70 * time.Hour), "key_none": start}
	got, err := db.KeySpend(t.Context(), since)
	if err != nil {
		t.Fatal(err)
	}
	for id, from := range since {
		var want float64
		for _, r := range recs {
			if r.KeyID == id && r.Status < 400 && !r.Time.Before(from) {
				want += r.Cost
			}
		}
		if math.Abs(got[id]-want) > 1e-9*max(1, want) {
			t.Errorf("KeySpend[%s] = %v, want %v", id, got[id], want)
		}
	}
}

// TestRollupRetriedBatch: a batch stored twice, or partly again, is counted once.
func TestRollupRetriedBatch(t *testing.T) { eachEngine(t, testRollupRetriedBatch) }

func testRollupRetriedBatch(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	start := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	recs := rollupLogs("r", 1000, start, 2*time.Hour, 3)
	for range 3 {
		if err := db.InsertLogs(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	more := rollupLogs("m", 200, start, 2*time.Hour, 4)
	if err := db.InsertLogs(ctx, append(append(slices.Clone(recs[500:]), more...), more[0])); err != nil {
		t.Fatal(err)
	}
	var rolled, logged int64
	if err := db.r.QueryRowContext(ctx, `SELECT (SELECT SUM(requests) FROM usage_hourly),
		(SELECT COUNT(*) FROM request_logs)`).Scan(&rolled, &logged); err != nil {
		t.Fatal(err)
	}
	if rolled != 1200 || logged != 1200 {
		t.Fatalf("rollup counts %d requests, request_logs %d; want 1200", rolled, logged)
	}
	checkRollupExact(t, db)
	for _, g := range []string{usage.GroupByKey, usage.GroupByDay} {
		checkSummary(t, db, nil, start, start.Add(2*time.Hour), g)
	}
	// A batch whose rollup cannot be written stores nothing at all.
	bad := rollupLogs("bad", 10, start, time.Hour, 5)
	if _, err := db.w.ExecContext(ctx, `UPDATE usage_hourly SET stats = ? WHERE hour = ?`,
		[]byte{0xff}, floorHour(toMS(bad[0].Time))); err != nil {
		t.Fatal(err)
	}
	if err := db.InsertLogs(ctx, bad); err == nil {
		t.Fatal("InsertLogs with a corrupt rollup row succeeded")
	}
	if _, err := db.GetLog(ctx, bad[0].ID); err == nil {
		t.Error("log rows of a failed batch were committed")
	}
}

// TestPruneLogsPrunesRollup: hours before the cutoff leave the rollup, the hour the cutoff
// falls in is rebuilt from the rows left, and summaries still match the raw rows.
func TestPruneLogsPrunesRollup(t *testing.T) { eachEngine(t, testPruneLogsPrunesRollup) }

func testPruneLogsPrunesRollup(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	recs := rollupLogs("p", 2500, start, 10*time.Hour, 6)
	if err := db.InsertLogs(ctx, recs); err != nil {
		t.Fatal(err)
	}
	cut := start.Add(4*time.Hour + 20*time.Minute)
	var older int64
	for _, r := range recs {
		if r.Time.Before(cut) {
			older++
		}
	}
	n, err := db.PruneLogs(ctx, cut)
	if err != nil || n != older {
		t.Fatalf("PruneLogs = %d, %v; want %d", n, err, older)
	}
	var oldHours, boundary int64
	if err := db.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM usage_hourly WHERE hour < ?),
		(SELECT COALESCE(SUM(requests), 0) FROM usage_hourly WHERE hour = ?)`,
		toMS(start.Add(4*time.Hour)), toMS(start.Add(4*time.Hour))).Scan(&oldHours, &boundary); err != nil {
		t.Fatal(err)
	}
	var left int64
	for _, r := range recs {
		if !r.Time.Before(cut) && r.Time.Before(start.Add(5*time.Hour)) {
			left++
		}
	}
	if oldHours != 0 || boundary != left {
		t.Errorf("after prune: %d rollup rows before the cutoff hour, boundary hour counts %d (want 0, %d)",
			oldHours, boundary, left)
	}
	checkRollupExact(t, db)
	for _, g := range []string{usage.GroupByKey, usage.GroupByModel, usage.GroupByProvider, usage.GroupByDay} {
		raw := readRaw(t, db)
		checkSummary(t, db, raw, time.Time{}, time.Time{}, g)
		checkSummary(t, db, raw, start, start.Add(6*time.Hour), g)
	}
	if n, err := db.PruneLogs(ctx, cut); err != nil || n != 0 {
		t.Errorf("second PruneLogs = %d, %v; want 0", n, err)
	}
	checkRollupExact(t, db)
	// An hour-aligned cutoff needs no rebuild.
	if _, err := db.PruneLogs(ctx, start.Add(7*time.Hour)); err != nil {
		t.Fatal(err)
	}
	checkRollupExact(t, db)
	checkSummary(t, db, nil, time.Time{}, time.Time{}, usage.GroupByKey)
}

// TestMigrationBackfillsRollup: a database that has request logs from before migration 00003
// gets them rolled up when it is opened.
func TestMigrationBackfillsRollup(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conduit.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	recs := rollupLogs("b", 2000, start, 30*time.Hour, 8)
	if err := db.InsertLogs(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// Back to schema version 2 (no rollup) through the migrations' own Down sections.
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.w.raw, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	checkRollupExact(t, db)
	var rolled int64
	if err := db.r.QueryRowContext(ctx, `SELECT SUM(requests) FROM usage_hourly`).Scan(&rolled); err != nil ||
		rolled != int64(len(recs)) {
		t.Fatalf("backfilled rollup counts %d requests (%v), want %d", rolled, err, len(recs))
	}
	for _, g := range []string{usage.GroupByKey, usage.GroupByDay} {
		checkSummary(t, db, nil, start.Add(10*time.Minute), start.Add(29*time.Hour+50*time.Minute), g)
	}
}

func TestHistogram(t *testing.T) {
	// Every value is reported within histRelErr (or histMinMS for the lowest bucket).
	rng := rand.New(rand.NewPCG(9, 9))
	for range 200_000 {
		v := math.Exp(rng.Float64()*math.Log(1e12)) / 1e4 // 1e-4 .. 1e8 ms
		got := histValues[histBucket(v)]
		if !withinHistErr(got, v) {
			t.Fatalf("%v ms reported as %v (bucket %d)", v, got, histBucket(v))
		}
	}
	for _, v := range []float64{0, -1, math.NaN(), histMinMS} {
		if b := histBucket(v); b != 0 {
			t.Errorf("histBucket(%v) = %d, want 0", v, b)
		}
	}
	if b := histBucket(math.Inf(1)); b != histBuckets-1 {
		t.Errorf("histBucket(+Inf) = %d, want %d", b, histBuckets-1)
	}

	// Encoding round trip, merge, dense add.
	a := binsOf([]uint16{5, 3, 5, 599, 0, 5})
	b := binsOf([]uint16{3, 4})
	if want := []histBin{{0, 1}, {3, 1}, {5, 3}, {599, 1}}; !slices.Equal(a, want) {
		t.Fatalf("binsOf = %v, want %v", a, want)
	}
	m := mergeBins(a, b)
	if want := []histBin{{0, 1}, {3, 2}, {4, 1}, {5, 3}, {599, 1}}; !slices.Equal(m, want) {
		t.Fatalf("mergeBins = %v, want %v", m, want)
	}
	enc := appendHist(nil, m)
	dec, err := decodeHist(nil, enc)
	if err != nil || !slices.Equal(dec, m) {
		t.Fatalf("decodeHist = %v, %v; want %v", dec, err, m)
	}
	var dense [histBuckets]uint64
	if n, err := addHist(dense[:], enc); err != nil || n != 8 || dense[5] != 3 || dense[599] != 1 {
		t.Fatalf("addHist = %d, %v", n, err)
	}
	if got := appendDenseHist(nil, dense[:]); !slices.Equal(got, enc) {
		t.Errorf("appendDenseHist = %x, want %x", got, enc)
	}
	for _, bad := range [][]byte{{0x80}, {1}, {0xd8, 0x04, 1}} { // truncated varint, no count, bucket 600
		if _, err := decodeHist(nil, bad); err == nil {
			t.Errorf("decodeHist(%x) accepted", bad)
		}
		if _, err := addHist(dense[:], bad); err == nil {
			t.Errorf("addHist(%x) accepted", bad)
		}
	}

	// Nearest rank over the histogram: 1..100 ms.
	var h [histBuckets]uint64
	for i := 1; i <= 100; i++ {
		h[histBucket(float64(i))]++
	}
	if p50, p95 := histPercentile(h[:], 100, 50), histPercentile(h[:], 100, 95); !withinHistErr(p50, 50) ||
		!withinHistErr(p95, 95) {
		t.Errorf("p50, p95 = %v, %v; want ~50, ~95", p50, p95)
	}
	if got := histPercentile(h[:], 0, 50); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}

	// Stats round trip and merge.
	s1 := usageStats{prompt: 10, completion: 20, errors: 1, cost: 0.5, bins: a}
	s2 := usageStats{prompt: 1, completion: 2, errors: 0, cost: 0.25, bins: b}
	merged, err := mergeStats(appendStats(nil, &s1), appendStats(nil, &s2))
	if err != nil {
		t.Fatal(err)
	}
	var got usageStats
	if err := decodeStats(&got, merged); err != nil || got.prompt != 11 || got.completion != 22 ||
		got.errors != 1 || got.cost != 0.75 || !slices.Equal(got.bins, m) {
		t.Errorf("merged stats = %+v, %v", got, err)
	}
	if merged, err := mergeStats(nil, appendStats(nil, &s2)); err != nil || decodeStats(&got, merged) != nil ||
		got.prompt != 1 || !slices.Equal(got.bins, b) {
		t.Errorf("merge with empty = %+v, %v", got, err)
	}
	if _, err := mergeStats([]byte{1, 2}, nil); err == nil {
		t.Error("mergeStats accepted a truncated value")
	}
}

func TestFloorCeilHour(t *testing.T) {
	for _, tt := range []struct{ in, floor, ceil int64 }{
		{0, 0, 0}, {1, 0, hourMS}, {hourMS, hourMS, hourMS}, {hourMS + 1, hourMS, 2 * hourMS},
		{-1, -hourMS, 0}, {-hourMS, -hourMS, -hourMS},
	} {
		if f, c := floorHour(tt.in), ceilHour(tt.in); f != tt.floor || c != tt.ceil {
			t.Errorf("floorHour, ceilHour(%d) = %d, %d; want %d, %d", tt.in, f, c, tt.floor, tt.ceil)
		}
	}
}
