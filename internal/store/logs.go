package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/conduit-gw/conduit/internal/usage"
)

// logCols are the columns of a row as scanLog reads them.
const logCols = `id, time, key_id, endpoint, alias, provider_id, provider_model, status,
	error_code, error_message, latency_ms, ttfb_ms, overhead_ms, prompt_tokens,
	completion_tokens, cached_tokens, cost, stream, estimated, attempts, client_ip, attempt_log, cache_hit, saved,
	trace_id`

func scanLog(s scanner) (usage.Record, error) {
	var (
		r          usage.Record
		ms         int64
		attemptLog string
	)
	err := s.Scan(&r.ID, &ms, &r.KeyID, &r.Endpoint, &r.Alias, &r.ProviderID, &r.ProviderModel,
		&r.Status, &r.ErrorCode, &r.ErrorMessage, &r.LatencyMS, &r.TTFBMS, &r.OverheadMS,
		&r.PromptTokens, &r.CompletionTokens, &r.CachedTokens, &r.Cost, &r.Stream, &r.Estimated,
		&r.Attempts, &r.ClientIP, &attemptLog, &r.CacheHit, &r.Saved, &r.TraceID)
	r.Time = fromMS(ms)
	if err == nil && attemptLog != "" {
		if jerr := json.Unmarshal([]byte(attemptLog), &r.AttemptLog); jerr != nil {
			return r, fmt.Errorf("log %s: attempt_log: %w", r.ID, jerr)
		}
	}
	return r, err
}

// GetLog returns one request log row or ErrNotFound.
func (d *DB) GetLog(ctx context.Context, id string) (usage.Record, error) {
	r, err := scanLog(d.r.QueryRowContext(ctx,
		`SELECT `+logCols+` FROM request_logs WHERE id = ?`, id))
	if err != nil {
		return usage.Record{}, wrapErr("get log", err)
	}
	return r, nil
}

// ListLogs returns request log rows newest first (time DESC, id DESC).
//
// f.Before is a cursor: the id of the last row of the previous page; only rows strictly older
// than it in (time, id) order are returned. An unknown cursor gives ErrNotFound. From is
// inclusive, To exclusive. Limit defaults to 50 and is capped at 1000.
func (d *DB) ListLogs(ctx context.Context, f usage.LogFilter) ([]usage.Record, error) {
	var (
		where []string
		args  []any
	)
	if f.Before != "" {
		var (
			ms int64
			id string
		)
		err := d.r.QueryRowContext(ctx, `SELECT time, id FROM request_logs WHERE id = ?`,
			f.Before).Scan(&ms, &id)
		if err != nil {
			return nil, wrapErr("list logs: cursor "+f.Before, err)
		}
		where = append(where, "(time, id) < (?, ?)")
		args = append(args, ms, id)
	}
	for _, eq := range []struct{ col, v string }{
		{"id", f.ID}, {"key_id", f.KeyID}, {"alias", f.Alias}, {"provider_id", f.ProviderID},
	} {
		if eq.v != "" {
			where = append(where, eq.col+" = ?")
			args = append(args, eq.v)
		}
	}
	if f.ModelContains != "" {
		pat := "%" + likeEscaper.Replace(strings.ToLower(f.ModelContains)) + "%"
		where = append(where, `(LOWER(alias) LIKE ? ESCAPE '\' OR LOWER(provider_model) LIKE ? ESCAPE '\')`)
		args = append(args, pat, pat)
	}
	switch {
	case f.Status >= 400: // spelled out so that the partial index request_logs_error_time applies
		where = append(where, "status >= 400 AND status = ?")
		args = append(args, f.Status)
	case f.Status != 0:
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.ErrorsOnly {
		where = append(where, "status >= 400")
	}
	w, a := timeRange(f.From, f.To)
	where, args = append(where, w...), append(args, a...)

	q := `SELECT ` + logCols + ` FROM request_logs` + whereClause(where) +
		` ORDER BY time DESC, id DESC LIMIT ?`
	args = append(args, clampLimit(f.Limit))
	return queryAll(ctx, d.r, "list logs", q, scanLog, args...)
}

// likeEscaper escapes the LIKE wildcards of a literal substring (ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// timeRange returns the conditions for from <= time < to (a zero bound is open).
func timeRange(from, to time.Time) ([]string, []any) {
	var (
		where []string
		args  []any
	)
	if !from.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, toMS(from))
	}
	if !to.IsZero() {
		where = append(where, "time < ?")
		args = append(args, toMS(to))
	}
	return where, args
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// pruneChunk is how many log rows one PruneLogs transaction deletes, so the single writer
// connection is released between chunks and the request path's batch writer is not starved.
const pruneChunk = 5000

// PruneLogs deletes request logs (and their bodies) older than before, in chunks of a few
// thousand rows per transaction, then the usage_hourly rows of the hours that end at or before
// it; the hour containing before is rebuilt from the log rows left. It returns the number of log
// rows deleted. If it stops early (ctx, error), the rollup may still count some deleted rows
// until the next PruneLogs.
func (d *DB) PruneLogs(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	cut := toMS(before)
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("store: prune logs: %w", err)
		}
		n, err := d.pruneChunk(ctx, cut)
		total += n
		if err != nil {
			return total, err
		}
		if n < pruneChunk {
			return total, d.pruneRollup(ctx, cut)
		}
	}
}

func (d *DB) pruneChunk(ctx context.Context, cut int64) (n int64, err error) {
	err = d.inTx(ctx, "prune logs", func(tx *txn) error {
		// Both statements select the same oldest rows: one deterministic index order, one tx.
		const oldest = `SELECT id FROM request_logs WHERE time < ? ORDER BY time, id LIMIT ?`
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM request_bodies WHERE id IN (`+oldest+`)`, cut, pruneChunk); err != nil {
			return fmt.Errorf("bodies: %w", err)
		}
		row := d.dia.rowKey()
		res, err := tx.ExecContext(ctx, `DELETE FROM request_logs WHERE `+row+` IN (
		SELECT `+row+` FROM request_logs WHERE time < ? ORDER BY time, id LIMIT ?)`, cut, pruneChunk)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
