package store

import (
	"context"
	"time"
)

// CacheRow is one response cache entry as stored (internal/respcache encodes Value).
type CacheRow struct {
	Key     string
	Value   []byte
	Expires time.Time
	Used    time.Time
}

func scanCacheRow(s scanner) (CacheRow, error) {
	var (
		r             CacheRow
		expires, used int64
	)
	err := s.Scan(&r.Key, &r.Value, &expires, &used)
	r.Expires, r.Used = fromMS(expires), fromMS(used)
	return r, err
}

// LoadCache returns the entries that have not expired at now, most recently used first, at
// most limit of them.
func (d *DB) LoadCache(ctx context.Context, now time.Time, limit int) ([]CacheRow, error) {
	return queryAll(ctx, d.r, "load response cache", `SELECT key, value, expires_at, used_at
		FROM response_cache WHERE expires_at > ? ORDER BY used_at DESC LIMIT ?`, scanCacheRow,
		toMS(now), limit)
}

// WriteCache stores put (replacing entries of the same keys) and deletes the keys of del, in
// one transaction.
func (d *DB) WriteCache(ctx context.Context, put []CacheRow, del []string) error {
	return d.inTx(ctx, "write response cache", func(tx *txn) error {
		for _, k := range del {
			if _, err := tx.ExecContext(ctx, `DELETE FROM response_cache WHERE key = ?`, k); err != nil {
				return err
			}
		}
		for _, r := range put {
			if _, err := tx.ExecContext(ctx, `INSERT INTO response_cache (key, value, expires_at, used_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value,
			expires_at = excluded.expires_at, used_at = excluded.used_at`,
				r.Key, r.Value, toMS(r.Expires), toMS(r.Used)); err != nil {
				return err
			}
		}
		return nil
	})
}

// PruneCache deletes the entries expired at now and all but the keep most recently used.
func (d *DB) PruneCache(ctx context.Context, now time.Time, keep int) error {
	return d.exec(ctx, "prune response cache", `DELETE FROM response_cache WHERE expires_at <= ? OR key NOT IN
		(SELECT key FROM response_cache ORDER BY used_at DESC LIMIT ?)`, toMS(now), keep)
}
