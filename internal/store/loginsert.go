package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/usage"
)

// Writing request logs: the hot write of the store, a batch every 200 ms or 1,000 requests.
// On SQLite most of its cost is binding parameters (each text is copied into C memory and
// bound under the connection's mutex) and inserting into the table's b-trees. So:
//
//   - a request that went smoothly, whose error, attempt log, trace and cache columns are all
//     empty, is inserted by a statement without them (leanLogCols) and they take their
//     defaults;
//   - such rows are sorted by what a client's requests have in common (their logGroup: key,
//     route, status, client) and then by id, and a run of at least groupMinRows rows of one
//     group is inserted by statements that bind the group's values once and only the
//     groupRowCols of each row: fewer than half the parameters per row;
//   - within a group, rows go in id order (ids begin with the request's time), so the id and
//     time indexes are appended to instead of split in the middle.

// leanLogCols are the columns every request sets; the rest of insertLogCols are the ones only
// a failed, retried, traced or cached request does (see lean).
const (
	leanLogCols = `id, time, key_id, endpoint, alias, provider_id, provider_model, status,
	latency_ms, ttfb_ms, overhead_ms, prompt_tokens, completion_tokens, cached_tokens, cost,
	stream, attempts, client_ip`
	insertLogCols = leanLogCols + `, error_code, error_message, estimated, attempt_log,
	cache_hit, saved, trace_id`
	leanLogColCount = 18
	logColCount     = leanLogColCount + 7
)

// lean reports whether r leaves every column that leanLogCols omits at its default.
func lean(r *usage.Record) bool {
	return r.ErrorCode == "" && r.ErrorMessage == "" && !r.Estimated && len(r.AttemptLog) == 0 &&
		!r.CacheHit && r.Saved == 0 && r.TraceID == ""
}

// appendLogArgs appends the values of p's row: those of leanLogCols, and with full those of
// the rest of insertLogCols.
func appendLogArgs(args []any, p usagePending, full bool) []any {
	r := p.r
	args = append(args, p.id, p.ms, r.KeyID, r.Endpoint, r.Alias, r.ProviderID, r.ProviderModel,
		int64(r.Status), r.LatencyMS, r.TTFBMS, r.OverheadMS, int64(r.PromptTokens),
		int64(r.CompletionTokens), int64(r.CachedTokens), r.Cost, r.Stream, int64(r.Attempts),
		r.ClientIP)
	if !full {
		return args
	}
	attemptLog := ""
	if len(r.AttemptLog) > 0 {
		if b, err := json.Marshal(r.AttemptLog); err == nil {
			attemptLog = string(b)
		}
	}
	return append(args, r.ErrorCode, r.ErrorMessage, r.Estimated, attemptLog, r.CacheHit, r.Saved,
		r.TraceID)
}

// insertLogsSQL and insertLeanLogsSQL insert n rows on SQLite, skipping a row whose id exists
// (OR IGNORE: no constraint can fail the statement, so SQLite keeps no statement journal for
// it; logInserter tells which rows went in).
func insertLogsSQL(n int) string {
	return multiRowInsert(`INSERT OR IGNORE`, insertLogCols, logColCount, n)
}

func insertLeanLogsSQL(n int) string {
	return multiRowInsert(`INSERT OR IGNORE`, leanLogCols, leanLogColCount, n)
}

// multiRowInsert is insert (the statement's verb) INTO request_logs of n rows of cols.
func multiRowInsert(insert, cols string, count, n int) string {
	var b strings.Builder
	b.WriteString(insert + ` INTO request_logs (` + cols + `) VALUES `)
	writeValues(&b, n, count)
	return b.String()
}

// InsertLogs writes a batch of request log rows in one transaction, up to 64 rows per
// statement. Rows with an empty ID get one ("req_…"), rows with a zero Time get now; the
// caller's slice is not modified. Rows whose id already exists are skipped.
//
// The rows actually inserted are aggregated in Go and added to the usage_hourly rollup in the
// same transaction (one upsert per hour, key, alias and provider of the batch), so a retried
// batch is neither stored nor counted twice.
func (d *DB) InsertLogs(ctx context.Context, recs []usage.Record) error {
	if len(recs) == 0 {
		return nil
	}
	// The lean rows first, in batch order, then the others.
	pend := make([]usagePending, 0, len(recs))
	var full []usagePending
	for i := range recs {
		p := usagePending{id: recs[i].ID, ms: toMS(recs[i].Time), r: &recs[i], full: !lean(&recs[i])}
		if p.id == "" {
			p.id = ids.NewTimed("req", now())
		}
		if recs[i].Time.IsZero() {
			p.ms = toMS(now())
		}
		if p.full {
			full = append(full, p)
		} else {
			pend = append(pend, p)
		}
	}
	nLean := len(pend)
	pend = append(pend, full...)
	if d.dia.postgres {
		return d.inTx(ctx, "insert logs", func(tx *txn) error {
			return d.insertLogRows(ctx, tx, pend, func(rollup rollupBatch) error {
				return d.pgInsertLogRows(ctx, tx, pend, rollup)
			})
		})
	}
	return d.inWriterTx(ctx, "insert logs", func(c *sql.Conn, tx *txn) error {
		return d.insertLogRows(ctx, tx, pend, func(rollup rollupBatch) error {
			ins := &logInserter{ctx: ctx, stmts: &d.logStmts, rollup: rollup}
			return c.Raw(func(dc any) error { return ins.run(dc, pend[:nLean], pend[nLean:]) })
		})
	})
}

// insertLogRows inserts the log rows of pend with insertRows (which adds those it inserted to
// the rollup), then their bodies and their usage rollup in tx.
func (d *DB) insertLogRows(ctx context.Context, tx *txn, pend []usagePending,
	insertRows func(rollupBatch) error) error {
	rollup := rollupBatch{}
	err := insertRows(rollup)
	if err != nil {
		return err
	}
	var bodyStmt *sql.Stmt
	for _, p := range pend {
		if len(p.r.RequestBody) == 0 && len(p.r.ResponseBody) == 0 {
			continue
		}
		if bodyStmt == nil {
			if bodyStmt, err = tx.PrepareContext(ctx, insertBodySQL); err != nil {
				return err
			}
			defer bodyStmt.Close()
		}
		if _, err = bodyStmt.ExecContext(ctx, p.id, string(p.r.RequestBody), string(p.r.ResponseBody)); err != nil {
			return err
		}
	}
	if d.dia.postgres {
		err = d.pgFlushRollup(ctx, tx, rollup)
	} else {
		err = rollup.flush(ctx, tx, &d.upserts)
	}
	if err != nil {
		return fmt.Errorf("usage rollup: %w", err)
	}
	return nil
}

// usagePending is a row of an InsertLogs batch with its id and time decided.
type usagePending struct {
	id   string
	ms   int64
	r    *usage.Record
	full bool  // not lean: every column is bound
	gid  int32 // SQLite, lean rows: the row's logGroup, numbered in batch order
}
