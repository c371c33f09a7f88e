package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL: several instances share one database. One pool serves reads and writes; every
// write is a statement or a short transaction, so concurrent writers from any instance are
// safe: ids are unique keys, the usage rollup is upserted with row locks (pgFlushRollup).

const pgPoolSize = 16

// OpenPostgres connects to the PostgreSQL database at dsn (a postgres:// URL or a key=value
// connection string, as pgx reads them) and migrates it to the latest schema. Instances
// starting together migrate one at a time (an advisory lock).
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil { // pgconn's error shows the connection string with the password masked
		return nil, fmt.Errorf("store: database URL: %w", err)
	}
	where := fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	dia := &dialect{postgres: true}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(pgPoolSize)
	pool.SetMaxIdleConns(pgPoolSize / 2)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("store: cannot reach PostgreSQL at %s: %w", where, err)
	}
	if err := migrate(ctx, pool, dia); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("store: %s: %w", where, err)
	}
	c := newConn(pool, dia)
	d := &DB{dia: dia, path: where, w: c, r: c}
	if err := errors.Join(d.inserts.prepare(ctx, c, "log insert", pgInsertLogsSQL),
		d.responses.prepare(ctx, c, "response upsert", putResponsesSQL)); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("store: %s: %w", where, err)
	}
	return d, nil
}

// pgSize returns the size of the database in bytes, 0 if it does not answer.
func (d *DB) pgSize() int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var n int64
	if err := d.r.QueryRowContext(ctx,
		`SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
		return 0
	}
	return n
}

// pgError maps PostgreSQL constraint violations onto the package sentinels (nil otherwise).
func pgError(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case "23505": // unique_violation
		return ErrConflict
	case "23503": // foreign_key_violation
		return ErrForeignKey
	}
	return nil
}

// pgInsertLogsSQL inserts n rows, skipping ids that exist, and returns the ids it inserted.
func pgInsertLogsSQL(n int) string {
	return multiRowInsert(`INSERT`, insertLogCols, logColCount, n) + ` ON CONFLICT (id) DO NOTHING RETURNING id`
}

// pgInsertLogRows inserts the log rows of a batch and adds those actually inserted (not the
// ids that existed: a retried batch) to rollup.
func (d *DB) pgInsertLogRows(ctx context.Context, tx *txn, recs []usagePending, rollup rollupBatch) error {
	stmts := d.inserts.in(ctx, tx)
	args := make([]any, 0, logColCount*min(len(recs), chunkSizes[0]))
	inserted := make(map[string]bool, len(recs))
	for off := 0; off < len(recs); {
		stmt, n := stmts.next(len(recs) - off)
		args = args[:0]
		for i := off; i < off+n; i++ {
			args = appendLogArgs(args, recs[i], true)
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			inserted[id] = true
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i := off; i < off+n; i++ {
			if inserted[recs[i].id] { // once: an id repeated in the batch is inserted once
				delete(inserted, recs[i].id)
				rollup.addRecord(recs[i].ms, recs[i].r)
			}
		}
		off += n
	}
	return nil
}

// pgFlushRollup adds the batch to usage_hourly. The totals are added by the upsert itself;
// the packed stats (a histogram PostgreSQL cannot merge) are read back by the same statement
// under the row lock it took, merged in Go and written by a second one. Rows are upserted in
// primary-key order, so writers of overlapping batches lock in the same order.
func (d *DB) pgFlushRollup(ctx context.Context, tx *txn, b rollupBatch) error {
	if len(b) == 0 {
		return nil
	}
	keys := sortedRollupKeys(b)
	n := len(keys)
	var (
		hours                         = make([]int64, n)
		keyIDs, aliases, provs        = make([]string, n), make([]string, n), make([]string, n)
		requests, prompt, compl, errs = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		cost, spend, saved            = make([]float64, n), make([]float64, n), make([]float64, n)
		hits                          = make([]int64, n)
		mine                          = make(map[rollupKey][]byte, n)
		merged                        = make([][]byte, n)
		index                         = make(map[rollupKey]int, n)
	)
	for i, k := range keys {
		a := b[k]
		hours[i], keyIDs[i], aliases[i], provs[i] = k.hour, k.keyID, k.alias, k.provider
		requests[i], prompt[i], compl[i], errs[i] = a.requests, a.prompt, a.completion, a.errors
		cost[i], spend[i], saved[i], hits[i] = a.cost, a.spend, a.saved, a.hits
		mine[k] = appendStats(nil, &usageStats{prompt: a.prompt, completion: a.completion,
			errors: a.errors, cost: a.cost, bins: binsOf(a.lat)})
		index[k] = i
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO usage_hourly AS u (hour, key_id, alias,
			provider_id, requests, prompt_tokens, completion_tokens, cost, spend, errors,
			cache_hits, saved)
		SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[],
			?::bigint[], ?::bigint[], ?::float8[], ?::float8[], ?::bigint[], ?::bigint[],
			?::float8[])
		ON CONFLICT (hour, key_id, alias, provider_id) DO UPDATE SET
			requests = u.requests + excluded.requests,
			prompt_tokens = u.prompt_tokens + excluded.prompt_tokens,
			completion_tokens = u.completion_tokens + excluded.completion_tokens,
			cost = u.cost + excluded.cost,
			spend = u.spend + excluded.spend,
			errors = u.errors + excluded.errors,
			cache_hits = u.cache_hits + excluded.cache_hits,
			saved = u.saved + excluded.saved
		RETURNING hour, key_id, alias, provider_id, stats`,
		hours, keyIDs, aliases, provs, requests, prompt, compl, cost, spend, errs, hits, saved)
	if err != nil {
		return err
	}
	for rows.Next() {
		var (
			k   rollupKey
			old []byte
		)
		if err := rows.Scan(&k.hour, &k.keyID, &k.alias, &k.provider, &old); err != nil {
			rows.Close()
			return err
		}
		m, err := mergeStats(old, mine[k])
		if err != nil {
			rows.Close()
			return fmt.Errorf("merge stats of hour %d: %w", k.hour, err)
		}
		merged[index[k]] = m
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, k := range keys {
		if merged[i] == nil {
			return fmt.Errorf("usage rollup: hour %d of %q not returned by the upsert", k.hour, k.keyID)
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE usage_hourly AS u SET stats = v.stats
		FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::bytea[])
			AS v (hour, key_id, alias, provider_id, stats)
		WHERE u.hour = v.hour AND u.key_id = v.key_id AND u.alias = v.alias
			AND u.provider_id = v.provider_id`, hours, keyIDs, aliases, provs, merged)
	return err
}

// sortedRollupKeys returns the groups of b in primary-key order.
func sortedRollupKeys(b rollupBatch) []rollupKey {
	keys := make([]rollupKey, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y rollupKey) int {
		return cmp.Or(cmp.Compare(x.hour, y.hour), cmp.Compare(x.keyID, y.keyID),
			cmp.Compare(x.alias, y.alias), cmp.Compare(x.provider, y.provider))
	})
	return keys
}

// pgRebuildRollup is rebuildRollup on PostgreSQL: the rows are aggregated in Go.
func (d *DB) pgRebuildRollup(ctx context.Context, tx *txn, lo, hi int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT time, key_id, alias, provider_id, status,
		latency_ms, prompt_tokens, completion_tokens, cost, cache_hit, saved FROM request_logs
		WHERE time >= ? AND time < ?`, lo, hi)
	if err != nil {
		return err
	}
	b := rollupBatch{}
	for rows.Next() {
		var (
			ts, prompt, compl  int64
			keyID, alias, prov string
			status             int
			latency, cost      float64
			hit                bool
			saved              float64
		)
		if err := rows.Scan(&ts, &keyID, &alias, &prov, &status, &latency, &prompt, &compl,
			&cost, &hit, &saved); err != nil {
			rows.Close()
			return err
		}
		b.add(ts, keyID, alias, prov, status, latency, prompt, compl, cost, hit, saved)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return d.pgFlushRollup(ctx, tx, b)
}

// groupKey returns the summary key of a scanned group value (text, or a day number).
func groupKey(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("group key: unexpected %T", v)
}

// pgSummarizeRollup is summarizeRollup on PostgreSQL.
func (d *DB) pgSummarizeRollup(ctx context.Context, expr string, lo, hi int64, acc summaryAcc) error {
	rows, err := d.r.QueryContext(ctx, `SELECT `+expr+`, stats FROM usage_hourly
		WHERE hour >= ? AND hour < ?`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		key   any
		stats []byte
	)
	for rows.Next() {
		if err := rows.Scan(&key, &stats); err != nil {
			return err
		}
		k, err := groupKey(key)
		if err != nil {
			return err
		}
		if err := acc.group([]byte(k)).addStats(stats); err != nil {
			return err
		}
	}
	return rows.Err()
}

// pgSummarizeLogs is summarizeLogs on PostgreSQL.
func (d *DB) pgSummarizeLogs(ctx context.Context, expr string, lo, hi int64, acc summaryAcc) error {
	rows, err := d.r.QueryContext(ctx, `SELECT `+expr+`, prompt_tokens, completion_tokens,
		status, cost, latency_ms FROM request_logs WHERE time >= ? AND time < ?`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		key                   any
		prompt, compl, status int64
		cost, latency         float64
	)
	for rows.Next() {
		if err := rows.Scan(&key, &prompt, &compl, &status, &cost, &latency); err != nil {
			return err
		}
		k, err := groupKey(key)
		if err != nil {
			return err
		}
		acc.group([]byte(k)).addLog(prompt, compl, status, cost, latency)
	}
	return rows.Err()
}

// pgSpendSince adds to out, per key of hours, the spend of its usage_hourly rows at or after
// hours[key].
func pgSpendSince(ctx context.Context, tx *txn, hours map[string]int64, out map[string]float64) error {
	ids := make([]string, 0, len(hours))
	from := make([]int64, 0, len(hours))
	for id, h := range hours {
		ids, from = append(ids, id), append(from, h)
	}
	rows, err := tx.QueryContext(ctx, `SELECT u.key_id, SUM(u.spend) FROM usage_hourly AS u
		JOIN unnest(?::text[], ?::bigint[]) AS s (key_id, hour)
			ON u.key_id = s.key_id AND u.hour >= s.hour
		GROUP BY u.key_id`, ids, from)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id  string
			sum float64
		)
		if err := rows.Scan(&id, &sum); err != nil {
			return err
		}
		out[id] += sum
	}
	return rows.Err()
}
