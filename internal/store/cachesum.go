package store

import (
	"context"
	"fmt"
)

// Cache hits and the cost they saved are not in the packed stats: a summary reads them with
// one grouped query per part from the partial indexes of migration 00012 (rows with a hit
// only), so while no response cache is on these queries find nothing and cost a seek.

// summarizeCacheRollup adds the cache hits of the usage_hourly rows with lo <= hour < hi to
// acc.
func (d *DB) summarizeCacheRollup(ctx context.Context, expr string, lo, hi int64, acc summaryAcc) error {
	return d.summarizeCache(ctx, `SELECT `+expr+`, SUM(cache_hits), SUM(saved) FROM usage_hourly
		WHERE cache_hits > 0 AND hour >= ? AND hour < ? GROUP BY 1`, lo, hi, acc)
}

// summarizeCacheLogs adds the cache hits of the request_logs rows with lo <= time < hi to acc.
func (d *DB) summarizeCacheLogs(ctx context.Context, expr string, lo, hi int64, acc summaryAcc) error {
	hit := "cache_hit = 1"
	if d.dia.postgres {
		hit = "cache_hit"
	}
	return d.summarizeCache(ctx, `SELECT `+expr+`, COUNT(*), SUM(saved) FROM request_logs
		WHERE `+hit+` AND time >= ? AND time < ? GROUP BY 1`, lo, hi, acc)
}

func (d *DB) summarizeCache(ctx context.Context, q string, lo, hi int64, acc summaryAcc) error {
	rows, err := d.r.QueryContext(ctx, q, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		key   any
		hits  int64
		saved float64
	)
	for rows.Next() {
		if err := rows.Scan(&key, &hits, &saved); err != nil {
			return err
		}
		k, err := groupKey(key)
		if err != nil {
			return fmt.Errorf("cache hits: %w", err)
		}
		g := acc.group([]byte(k))
		g.g.CacheHits += hits
		g.g.Saved += saved
	}
	return rows.Err()
}
