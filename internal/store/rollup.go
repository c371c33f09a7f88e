package store

import (
	"context"
	"strings"

	"github.com/conduit-gw/conduit/internal/usage"
)

// The usage_hourly rollup (migration 00003) holds one row per (UTC hour, key_id, alias,
// provider_id) with the request, token, cost, spend and error totals of the request_logs rows
// of that hour, and the same totals packed with a latency histogram in its stats column
// (stats.go, latency.go). It is kept exact:
//
//   - InsertLogs aggregates the rows it actually inserted (RowsAffected 1, not the ids it
//     skipped) in Go and upserts one row per group, in its own transaction, so a retried batch
//     is not counted twice and a failed one not at all;
//   - PruneLogs deletes the hours that end at or before its cutoff and rebuilds the hour the
//     cutoff falls in from the log rows left;
//   - migration 00003 backfilled it from the logs of an upgraded database.

const hourMS = 60 * 60 * 1000

// floorHour returns the start of the hour holding ms.
func floorHour(ms int64) int64 {
	h := ms / hourMS * hourMS
	if h > ms {
		h -= hourMS
	}
	return h
}

// ceilHour returns the first hour start at or after ms.
func ceilHour(ms int64) int64 {
	h := floorHour(ms)
	if h < ms {
		h += hourMS
	}
	return h
}

type rollupKey struct {
	hour                   int64
	keyID, alias, provider string
}

type rollupAgg struct {
	requests, prompt, completion, errors, hits int64
	cost, spend, saved                         float64
	lat                                        []uint16 // one bucket index per request
}

// rollupBatch aggregates log rows in Go so that a batch costs one upsert per group (and about
// one statement per 64 groups).
type rollupBatch map[rollupKey]*rollupAgg

func (b rollupBatch) add(ts int64, keyID, alias, provider string, status int,
	latencyMS float64, prompt, completion int64, cost float64, hit bool, saved float64) {
	b.agg(rollupKey{floorHour(ts), keyID, alias, provider}).add(status, latencyMS, prompt,
		completion, cost, hit, saved)
}

// agg returns the totals of k, new ones on its first row.
func (b rollupBatch) agg(k rollupKey) *rollupAgg {
	a := b[k]
	if a == nil {
		a = &rollupAgg{}
		b[k] = a
	}
	return a
}

func (a *rollupAgg) add(status int, latencyMS float64, prompt, completion int64, cost float64,
	hit bool, saved float64) {
	a.requests++
	a.prompt += prompt
	a.completion += completion
	a.cost += cost
	a.saved += saved
	if hit {
		a.hits++
	}
	if status >= 400 {
		a.errors++
	} else {
		a.spend += cost
	}
	a.lat = append(a.lat, uint16(histBucket(latencyMS)))
}

func (b rollupBatch) addRecord(ts int64, r *usage.Record) {
	b.agg(rollupKey{floorHour(ts), r.KeyID, r.Alias, r.ProviderID}).addRecord(r)
}

func (a *rollupAgg) addRecord(r *usage.Record) {
	a.add(r.Status, r.LatencyMS, int64(r.PromptTokens), int64(r.CompletionTokens), r.Cost,
		r.CacheHit, r.Saved)
}

// addRows adds rows; a run of rows of one hour, key, alias and provider (a group's, in
// order) looks its totals up once.
func (b rollupBatch) addRows(rows []usagePending) {
	var (
		k rollupKey
		a *rollupAgg
	)
	for _, p := range rows {
		r := p.r
		if rk := (rollupKey{floorHour(p.ms), r.KeyID, r.Alias, r.ProviderID}); a == nil || rk != k {
			k, a = rk, b.agg(rk)
		}
		a.addRecord(r)
	}
}

// rollupCols is the number of parameters of one group in rollupUpsertSQL.
const rollupCols = 13

// rollupUpsertSQL returns the statement adding n groups of a batch (rollupCols parameters
// each); conduit_stats_merge (udf.go) sums the packed stats.
func rollupUpsertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO usage_hourly (hour, key_id, alias, provider_id, requests,
		prompt_tokens, completion_tokens, cost, spend, errors, stats, cache_hits, saved) VALUES `)
	writeValues(&b, n, rollupCols)
	b.WriteString(`
		ON CONFLICT (hour, key_id, alias, provider_id) DO UPDATE SET
			requests = requests + excluded.requests,
			prompt_tokens = prompt_tokens + excluded.prompt_tokens,
			completion_tokens = completion_tokens + excluded.completion_tokens,
			cost = cost + excluded.cost,
			spend = spend + excluded.spend,
			errors = errors + excluded.errors,
			stats = conduit_stats_merge(stats, excluded.stats),
			cache_hits = cache_hits + excluded.cache_hits,
			saved = saved + excluded.saved`)
	return b.String()
}

// flush adds the batch to usage_hourly inside tx, in primary-key order, with as few of the
// prepared upserts as the chunk sizes allow.
func (b rollupBatch) flush(ctx context.Context, tx *txn, upserts *chunked) error {
	if len(b) == 0 {
		return nil
	}
	keys := sortedRollupKeys(b)
	var (
		stmts = upserts.in(ctx, tx)
		args  = make([]any, 0, rollupCols*min(len(keys), chunkSizes[0]))
	)
	for len(keys) > 0 {
		stmt, n := stmts.next(len(keys))
		args = args[:0]
		for _, k := range keys[:n] {
			a := b[k]
			stats := appendStats(nil, &usageStats{prompt: a.prompt, completion: a.completion,
				errors: a.errors, cost: a.cost, bins: binsOf(a.lat)})
			args = append(args, k.hour, k.keyID, k.alias, k.provider, a.requests, a.prompt,
				a.completion, a.cost, a.spend, a.errors, stats, a.hits, a.saved)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// rollupHourSQL rolls up the log rows of [?, ?) (whole hours) on SQLite. It is the backfill of
// migration 00003 restricted to a time range; keep the two in step.
const rollupHourSQL = `INSERT INTO usage_hourly (hour, key_id, alias, provider_id, requests,
		prompt_tokens, completion_tokens, cost, spend, errors, stats, cache_hits, saved)
	SELECT time - (time % 3600000 + 3600000) % 3600000, key_id, alias, provider_id, COUNT(*),
		SUM(prompt_tokens), SUM(completion_tokens), TOTAL(cost),
		TOTAL(CASE WHEN status < 400 THEN cost ELSE 0 END), SUM(status >= 400),
		conduit_stats(prompt_tokens, completion_tokens, status, cost, latency_ms),
		SUM(cache_hit), TOTAL(saved)
	FROM request_logs WHERE time >= ? AND time < ?
	GROUP BY 1, 2, 3, 4`

// rebuildRollup rolls up the log rows of [lo, hi) (whole hours, whose usage_hourly rows are
// gone) into usage_hourly.
func (d *DB) rebuildRollup(ctx context.Context, tx *txn, lo, hi int64) error {
	if d.dia.postgres {
		return d.pgRebuildRollup(ctx, tx, lo, hi)
	}
	_, err := tx.ExecContext(ctx, rollupHourSQL, lo, hi)
	return err
}

// pruneRollup deletes the usage_hourly hours that end at or before cut and, when cut falls
// inside an hour whose rollup no longer matches its log rows, rebuilds that hour from them.
func (d *DB) pruneRollup(ctx context.Context, cut int64) error {
	return d.inTx(ctx, "prune usage rollup", func(tx *txn) error {
		h := floorHour(cut)
		if _, err := tx.ExecContext(ctx, `DELETE FROM usage_hourly WHERE hour < ?`, h); err != nil {
			return err
		}
		if h >= cut {
			return nil
		}
		var rolled, logged int64
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COALESCE(SUM(requests), 0) FROM usage_hourly WHERE hour = ?),
			(SELECT COUNT(*) FROM request_logs WHERE time >= ? AND time < ?)`,
			h, h, h+hourMS).Scan(&rolled, &logged); err != nil {
			return err
		}
		if rolled == logged {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM usage_hourly WHERE hour = ?`, h); err != nil {
			return err
		}
		return d.rebuildRollup(ctx, tx, h, h+hourMS)
	})
}
