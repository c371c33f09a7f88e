package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/conduit-gw/conduit/internal/usage"
)

const dayMS = 24 * 60 * 60 * 1000

// groupExprs returns the SQL expressions that key a usage.GroupBy* group in usage_hourly and
// in request_logs. Days are grouped by integer day number (cheap) and formatted in Go.
func groupExprs(groupBy string) (rollup, raw string, err error) {
	switch groupBy {
	case usage.GroupByKey:
		return "key_id", "key_id", nil
	case usage.GroupByModel:
		return "alias", "alias", nil
	case usage.GroupByProvider:
		return "provider_id", "provider_id", nil
	case usage.GroupByDay: // floor(x / dayMS), also for times before 1970
		day := func(col string) string {
			return fmt.Sprintf("(%[1]s - (%[1]s %% %[2]d + %[2]d) %% %[2]d) / %[2]d", col, dayMS)
		}
		return day("hour"), day("time"), nil
	}
	return "", "", fmt.Errorf("store: summarize: unknown group_by %q", groupBy)
}

// summaryParts is how many concurrent scans the rollup part of a summary is split into.
var summaryParts = min(max(runtime.GOMAXPROCS(0), 1), readPoolSize-2)

// Summarize aggregates request logs with from <= time < to (zero bounds are open) by groupBy
// (usage.GroupByKey, GroupByModel, GroupByProvider or GroupByDay, the latter keyed by UTC date
// "2006-01-02"). Errors count rows with status >= 400. Day groups are in ascending date order,
// the others by cost descending (then key); the result is always a non-nil slice.
//
// The whole UTC hours inside [from, to) are read from the usage_hourly rollup and only the
// partial hours at the edges from request_logs, so requests, tokens, errors and cost are
// exact for any range (cost up to float rounding). P50/P95 are nearest-rank percentiles read
// from the merged latency histograms: the value reported is within histRelErr (1.96%) of the
// exact nearest-rank percentile (within 0.01 ms for latencies under 0.01 ms), see latency.go.
//
// The rollup hours (split in up to summaryParts ranges) and the edges are read concurrently on
// the read pool. The parts cover disjoint times, so a batch committed meanwhile is counted
// whole or not at all per part, never twice.
func (d *DB) Summarize(ctx context.Context, from, to time.Time, groupBy string) ([]usage.Group, error) {
	rollupExpr, rawExpr, err := groupExprs(groupBy)
	if err != nil {
		return nil, err
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = toMS(from)
	}
	if !to.IsZero() {
		hi = toMS(to)
	}
	if lo >= hi {
		return []usage.Group{}, nil
	}
	hlo, hhi := lo, hi // whole hours: [hlo, hhi)
	if lo != math.MinInt64 {
		hlo = ceilHour(lo)
	}
	if hi != math.MaxInt64 {
		hhi = floorHour(hi)
	}

	var parts []func(context.Context, summaryAcc) error
	raw := func(a, b int64) {
		parts = append(parts, func(ctx context.Context, acc summaryAcc) error {
			return d.summarizeLogs(ctx, rawExpr, a, b, acc)
		}, func(ctx context.Context, acc summaryAcc) error {
			return d.summarizeCacheLogs(ctx, rawExpr, a, b, acc)
		})
	}
	if hlo >= hhi {
		raw(lo, hi)
	} else {
		if lo < hlo {
			raw(lo, hlo)
		}
		if hhi < hi {
			raw(hhi, hi)
		}
		spans, err := d.rollupSpans(ctx, hlo, hhi, summaryParts)
		if err != nil {
			return nil, wrapErr("summarize", err)
		}
		parts = append(parts, func(ctx context.Context, acc summaryAcc) error {
			return d.summarizeCacheRollup(ctx, rollupExpr, hlo, hhi, acc)
		})
		for _, s := range spans {
			parts = append(parts, func(ctx context.Context, acc summaryAcc) error {
				return d.summarizeRollup(ctx, rollupExpr, s[0], s[1], acc)
			})
		}
	}
	acc, err := runParts(ctx, parts)
	if err != nil {
		return nil, wrapErr("summarize", err)
	}
	return summaryGroups(acc, groupBy)
}

// summaryGroups turns the accumulated groups into a summary's rows: percentiles and hit rate
// computed, day keys formatted, in the summary's order.
func summaryGroups(acc summaryAcc, groupBy string) ([]usage.Group, error) {
	out := make([]usage.Group, 0, len(acc))
	for _, a := range acc {
		g := a.g
		g.P50MS = histPercentile(a.hist[:], uint64(g.Requests), 50)
		g.P95MS = histPercentile(a.hist[:], uint64(g.Requests), 95)
		if g.Requests > 0 {
			g.HitRate = min(float64(g.CacheHits)/float64(g.Requests), 1)
		}
		out = append(out, g)
	}
	if groupBy == usage.GroupByDay {
		for i := range out {
			n, err := strconv.ParseInt(out[i].Key, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("store: summarize: day key %q: %w", out[i].Key, err)
			}
			out[i].Key = fromMS(n * dayMS).Format(time.DateOnly)
		}
		slices.SortFunc(out, func(a, b usage.Group) int { return cmp.Compare(a.Key, b.Key) })
		return out, nil
	}
	slices.SortFunc(out, func(a, b usage.Group) int {
		if c := cmp.Compare(b.Cost, a.Cost); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out, nil
}

// summaryAgg accumulates one group of a summary; hist is the dense latency histogram.
type summaryAgg struct {
	g    usage.Group
	hist [histBuckets]uint64
}

// summaryAcc maps a group key to its accumulator.
type summaryAcc map[string]*summaryAgg

// group returns the accumulator of key, creating it; looking up an existing one does not
// allocate.
func (s summaryAcc) group(key []byte) *summaryAgg {
	if a, ok := s[string(key)]; ok {
		return a
	}
	a := &summaryAgg{}
	a.g.Key = string(key)
	s[a.g.Key] = a
	return a
}

func (s summaryAcc) merge(o summaryAcc) {
	for k, b := range o {
		a, ok := s[k]
		if !ok {
			s[k] = b
			continue
		}
		a.g.Requests += b.g.Requests
		a.g.PromptTokens += b.g.PromptTokens
		a.g.CompletionTokens += b.g.CompletionTokens
		a.g.Cost += b.g.Cost
		a.g.Errors += b.g.Errors
		a.g.CacheHits += b.g.CacheHits
		a.g.Saved += b.g.Saved
		for i, n := range b.hist {
			a.hist[i] += n
		}
	}
}

// runParts runs every part concurrently, each into its own accumulator, and merges them. The
// first error cancels the others.
func runParts(ctx context.Context, parts []func(context.Context, summaryAcc) error) (summaryAcc, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	accs := make([]summaryAcc, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		accs[i] = summaryAcc{}
		wg.Go(func() {
			if errs[i] = part(ctx, accs[i]); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	acc := summaryAcc{}
	for _, a := range accs {
		acc.merge(a)
	}
	return acc, nil
}

// rollupSpans splits the hours [lo, hi) (either bound may be open: MinInt64 / MaxInt64) into
// at most n hour-aligned ranges of about the same length, clamped to the hours present in
// usage_hourly. It returns none when the rollup holds nothing in range.
func (d *DB) rollupSpans(ctx context.Context, lo, hi int64, n int) ([][2]int64, error) {
	var minH, maxH sql.NullInt64
	// Two subqueries: each is one b-tree seek, where MIN and MAX in one SELECT scan the table.
	if err := d.r.QueryRowContext(ctx, `SELECT (SELECT MIN(hour) FROM usage_hourly),
		(SELECT MAX(hour) FROM usage_hourly)`).Scan(&minH, &maxH); err != nil {
		return nil, err
	}
	if !minH.Valid {
		return nil, nil
	}
	lo, hi = max(lo, minH.Int64), min(hi, maxH.Int64+hourMS)
	if lo >= hi {
		return nil, nil
	}
	hours := (hi - lo) / hourMS // lo and hi are hour-aligned here
	n = int(min(int64(max(n, 1)), hours))
	spans := make([][2]int64, 0, n)
	for i := range int64(n) {
		a := lo + hours*i/int64(n)*hourMS
		b := lo + hours*(i+1)/int64(n)*hourMS
		spans = append(spans, [2]int64{a, b})
	}
	return spans, nil
}

// summarizeRollup adds the usage_hourly rows with lo <= hour < hi to acc, aggregated in SQLite
// by conduit_usage (PostgreSQL: in Go).
func (d *DB) summarizeRollup(ctx context.Context, expr string, lo, hi int64, acc summaryAcc) error {
	if d.dia.postgres {
		return d.pgSummarizeRollup(ctx, expr, lo, hi, acc)
	}
	return d.summarizeQuery(ctx, `SELECT conduit_usage(`+expr+`, stats) FROM usage_hourly
		WHERE hour >= ? AND hour < ?`, lo, hi, acc)
}

// summarizeLogs adds the request_logs rows with lo <= time < hi to acc, aggregated in SQLite
// by conduit_usage_logs (PostgreSQL: in Go).
func (d *DB) summarizeLogs(ctx context.Context, expr string, lo, hi int64, acc summaryAcc) error {
	if d.dia.postgres {
		return d.pgSummarizeLogs(ctx, expr, lo, hi, acc)
	}
	return d.summarizeQuery(ctx, `SELECT conduit_usage_logs(`+expr+`, prompt_tokens,
		completion_tokens, status, cost, latency_ms) FROM request_logs
		WHERE time >= ? AND time < ?`, lo, hi, acc)
}

func (d *DB) summarizeQuery(ctx context.Context, q string, lo, hi int64, acc summaryAcc) error {
	var blob []byte
	if err := d.r.QueryRowContext(ctx, q, lo, hi).Scan(&blob); err != nil {
		return err
	}
	return addSummary(acc, blob)
}

// KeySpend returns, for each key id in since, the cost of its successful requests (status
// < 400) at or after since[id]. Every key of since is in the result (0 when none). It is used
// at start to rebuild the in-memory spend counters.
//
// The whole hours come from the usage_hourly rollup (its spend column): on SQLite in one scan
// from the earliest since, summed per key by conduit_spend; the partial hour after a since that is not on an
// hour (budget periods start at midnight, so normally none) from request_logs. All in one read
// transaction.
func (d *DB) KeySpend(ctx context.Context, since map[string]time.Time) (map[string]float64, error) {
	out := make(map[string]float64, len(since))
	if len(since) == 0 {
		return out, nil
	}
	type keySince struct {
		id       string
		from, hr int64 // since in ms; the first whole hour
	}
	keys := make([]keySince, 0, len(since))
	hours := make(map[string]int64, len(since))
	minHour := int64(math.MaxInt64)
	for id, t := range since {
		out[id] = 0
		k := keySince{id, math.MinInt64, math.MinInt64}
		if !t.IsZero() {
			k.from = toMS(t)
			k.hr = ceilHour(k.from)
		}
		keys = append(keys, k)
		hours[id] = k.hr
		minHour = min(minHour, k.hr)
	}
	tx, err := d.r.BeginTx(ctx, d.dia.snapshot())
	if err != nil {
		return nil, wrapErr("key spend", err)
	}
	defer func() { _ = tx.Rollback() }()
	if d.dia.postgres {
		err = pgSpendSince(ctx, tx, hours, out)
	} else {
		err = sqliteSpendSince(ctx, tx, hours, minHour, out)
	}
	if err != nil {
		return nil, wrapErr("key spend", err)
	}
	var edge *sql.Stmt
	for _, k := range keys {
		if k.from == k.hr {
			continue
		}
		if edge == nil {
			if edge, err = tx.PrepareContext(ctx, `SELECT COALESCE(SUM(cost), 0) FROM request_logs
				WHERE key_id = ? AND time >= ? AND time < ? AND status < 400`); err != nil {
				return nil, wrapErr("key spend", err)
			}
			defer edge.Close()
		}
		var spend float64
		if err := edge.QueryRowContext(ctx, k.id, k.from, k.hr).Scan(&spend); err != nil {
			return nil, wrapErr("key spend "+k.id, err)
		}
		out[k.id] += spend
	}
	return out, nil
}

// Counts returns the number of rows of each main table, keyed providers, models, keys, costs
// and request_logs.
func (d *DB) Counts(ctx context.Context) (map[string]int64, error) {
	var p, m, k, c, l int64
	err := d.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM providers),
		(SELECT COUNT(*) FROM deployments),
		(SELECT COUNT(*) FROM virtual_keys),
		(SELECT COUNT(*) FROM model_costs),
		(SELECT COUNT(*) FROM request_logs)`).Scan(&p, &m, &k, &c, &l)
	if err != nil {
		return nil, wrapErr("counts", err)
	}
	return map[string]int64{"providers": p, "models": m, "keys": k, "costs": c, "request_logs": l}, nil
}

// sqliteSpendSince adds to out, per key of hours, the spend of its usage_hourly rows at or
// after hours[key], in one scan from minHour summed by conduit_spend.
func sqliteSpendSince(ctx context.Context, tx *txn, hours map[string]int64, minHour int64,
	out map[string]float64) error {
	list, err := json.Marshal(hours)
	if err != nil {
		return err
	}
	var sums []byte
	if err := tx.QueryRowContext(ctx, `SELECT conduit_spend(?, key_id, hour, spend)
		FROM usage_hourly WHERE hour >= ?`, string(list), minHour).Scan(&sums); err != nil {
		return err
	}
	return addSums(out, sums)
}
