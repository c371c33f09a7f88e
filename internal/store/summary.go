package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/conduit-gw/conduit/internal/usage"
)

const dayMS = 24 * 60 * 60 * 1000

// groupColumn maps a usage.GroupBy* value to the SQL expression that keys the group.
// Days are grouped by integer day number (cheap) and formatted in Go.
func groupColumn(groupBy string) (string, error) {
	switch groupBy {
	case usage.GroupByKey:
		return "key_id", nil
	case usage.GroupByModel:
		return "alias", nil
	case usage.GroupByProvider:
		return "provider_id", nil
	case usage.GroupByDay:
		return "time / " + strconv.Itoa(dayMS), nil
	}
	return "", fmt.Errorf("store: summarize: unknown group_by %q", groupBy)
}

// Summarize aggregates request logs with from <= time < to (zero bounds are open) by groupBy
// (usage.GroupByKey, GroupByModel, GroupByProvider or GroupByDay, the latter keyed by UTC date
// "2006-01-02"). Errors count rows with status >= 400. P50/P95 are nearest-rank percentiles
// of latency_ms over every row of the group. Day groups are in ascending date order, the others
// by cost descending (then key).
//
// The totals (aggregated by SQLite) and the latencies (sorted in Go) are read concurrently on
// two read connections; the result is always a non-nil slice.
func (d *DB) Summarize(ctx context.Context, from, to time.Time, groupBy string) ([]usage.Group, error) {
	col, err := groupColumn(groupBy)
	if err != nil {
		return nil, err
	}
	conds, args := timeRange(from, to)
	where := whereClause(conds)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type latResult struct {
		lat map[string][]float64
		err error
	}
	latCh := make(chan latResult, 1)
	go func() {
		lat, err := d.latencies(ctx, col, where, args)
		if err != nil {
			cancel()
		}
		latCh <- latResult{lat, err}
	}()
	out, aggErr := d.totals(ctx, col, where, args)
	if aggErr != nil {
		cancel()
	}
	lr := <-latCh
	if aggErr != nil {
		return nil, wrapErr("summarize", aggErr)
	}
	if lr.err != nil {
		return nil, wrapErr("summarize latencies", lr.err)
	}

	for i := range out {
		s := lr.lat[out[i].Key]
		slices.Sort(s)
		out[i].P50MS, out[i].P95MS = nearestRank(s, 50), nearestRank(s, 95)
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

// totals aggregates everything but the percentiles, one row per group.
func (d *DB) totals(ctx context.Context, col, where string, args []any) ([]usage.Group, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT `+col+`, COUNT(*), TOTAL(prompt_tokens),
		TOTAL(completion_tokens), TOTAL(cost), TOTAL(status >= 400)
		FROM request_logs`+where+` GROUP BY 1`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s scanner) (usage.Group, error) {
		var (
			g                   usage.Group
			prompt, compl, errs float64
		)
		err := s.Scan(&g.Key, &g.Requests, &prompt, &compl, &g.Cost, &errs)
		g.PromptTokens, g.CompletionTokens, g.Errors = int64(prompt), int64(compl), int64(errs)
		return g, err
	})
}

// latencies returns the latency_ms values of each group, unsorted. Rows committed between
// this scan and the totals query only shift the percentiles by those rows, never break them.
func (d *DB) latencies(ctx context.Context, col, where string, args []any) (map[string][]float64, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT `+col+`, latency_ms FROM request_logs`+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Pointer values: the per-row lookup m[string(raw)] does not allocate, an assignment would.
	groups := map[string]*[]float64{}
	var (
		key sql.RawBytes
		ms  float64
	)
	for rows.Next() {
		if err := rows.Scan(&key, &ms); err != nil {
			return nil, err
		}
		if p, ok := groups[string(key)]; ok {
			*p = append(*p, ms)
		} else {
			s := append(make([]float64, 0, 1024), ms)
			groups[string(key)] = &s
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	lat := make(map[string][]float64, len(groups))
	for k, p := range groups {
		lat[k] = *p
	}
	return lat, nil
}

// nearestRank returns the p-th percentile of sorted s: the smallest value such that at least
// p% of the values are <= it. It returns 0 for an empty slice.
func nearestRank(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// KeySpend returns, for each key id in since, the cost of its successful requests (status
// < 400) at or after since[id]. Every key of since is in the result (0 when none). It is used
// at start to rebuild the in-memory spend counters.
func (d *DB) KeySpend(ctx context.Context, since map[string]time.Time) (map[string]float64, error) {
	out := make(map[string]float64, len(since))
	if len(since) == 0 {
		return out, nil
	}
	tx, err := d.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, wrapErr("key spend", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PrepareContext(ctx, `SELECT TOTAL(cost) FROM request_logs
		WHERE key_id = ? AND time >= ? AND status < 400`)
	if err != nil {
		return nil, wrapErr("key spend", err)
	}
	defer stmt.Close()
	for id, t := range since {
		var (
			spend float64
			from  int64 = math.MinInt64
		)
		if !t.IsZero() {
			from = toMS(t)
		}
		if err := stmt.QueryRowContext(ctx, id, from).Scan(&spend); err != nil {
			return nil, wrapErr("key spend "+id, err)
		}
		out[id] = spend
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
