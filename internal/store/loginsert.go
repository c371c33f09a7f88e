package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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

// insertLogSQL skips rows whose id already exists, so a retried batch is harmless.
const insertLogSQL = `INSERT INTO request_logs (` + insertLogCols + `)
	VALUES (` + `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`

// insertLogsSQL and insertLeanLogsSQL insert n rows. A row whose id exists fails the
// statement (and only the statement: SQLite's default ABORT keeps the transaction), and
// InsertLogs redoes that chunk row by row with insertLogSQL.
func insertLogsSQL(n int) string { return multiRowInsert(insertLogCols, logColCount, n) }

func insertLeanLogsSQL(n int) string { return multiRowInsert(leanLogCols, leanLogColCount, n) }

func multiRowInsert(cols string, count, n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO request_logs (` + cols + `) VALUES `)
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
	return d.inTx(ctx, "insert logs", func(tx *txn) error { return d.insertLogRows(ctx, tx, pend, nLean) })
}

// insertLogRows inserts the rows of pend (its first nLean rows lean), their bodies and their
// usage rollup in tx.
func (d *DB) insertLogRows(ctx context.Context, tx *txn, pend []usagePending, nLean int) error {
	rollup := rollupBatch{}
	var err error
	if d.dia.postgres {
		err = d.pgInsertLogRows(ctx, tx, pend, rollup)
	} else {
		ins := &logInserter{ctx: ctx, tx: tx, rollup: rollup,
			args: make([]any, 0, logColCount*min(len(pend), chunkSizes[0]))}
		err = ins.insertLean(d, pend[:nLean])
		if err == nil {
			err = ins.insert(&d.inserts, pend[nLean:], appendFullArgs)
		}
		if ins.rowStmt != nil {
			_ = ins.rowStmt.Close()
		}
	}
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

// logInserter inserts the log rows of a batch on SQLite and adds those actually inserted to
// rollup.
type logInserter struct {
	ctx     context.Context
	tx      *txn
	rollup  rollupBatch
	args    []any
	rowStmt *sql.Stmt // insertLogSQL, prepared on the first duplicate id
}

// argsFunc appends the arguments of a statement inserting rows to args.
type argsFunc func(args []any, rows []usagePending) []any

func appendFullArgs(args []any, rows []usagePending) []any {
	for _, p := range rows {
		args = appendLogArgs(args, p, true)
	}
	return args
}

func appendLeanArgs(args []any, rows []usagePending) []any {
	for _, p := range rows {
		args = appendLogArgs(args, p, false)
	}
	return args
}

// insertLean inserts lean rows: sorted by group and id, the runs of one group of at least
// groupMinRows rows (in multiples of it) with the group statements, the others with the lean
// ones.
func (ins *logInserter) insertLean(d *DB, rows []usagePending) error {
	sortByGroup(rows)
	var rest []usagePending
	for len(rows) > 0 {
		n := 1
		for n < len(rows) && rows[n].gid == rows[0].gid {
			n++
		}
		take := n / groupMinRows * groupMinRows
		if err := ins.insert(&d.groupInserts, rows[:take], appendGroupArgs); err != nil {
			return err
		}
		rest = append(rest, rows[take:n]...)
		rows = rows[n:]
	}
	return ins.insert(&d.leanInserts, rest, appendLeanArgs)
}

// insert inserts rows with stmts (chunked statements of one shape), whose arguments
// appendArgs appends. A chunk whose statement fails on an existing id (a retried batch) is
// redone row by row, skipping those rows, which were counted when they were first stored.
func (ins *logInserter) insert(stmts *chunked, rows []usagePending, appendArgs argsFunc) error {
	if len(rows) == 0 {
		return nil
	}
	ctx, in := ins.ctx, stmts.in(ins.ctx, ins.tx)
	for off := 0; off < len(rows); {
		stmt, n := in.next(len(rows) - off)
		chunk := rows[off : off+n]
		ins.args = appendArgs(ins.args[:0], chunk)
		_, err := stmt.ExecContext(ctx, ins.args...)
		switch {
		case err == nil:
			for _, p := range chunk {
				ins.rollup.addRecord(p.ms, p.r)
			}
		case !errors.Is(wrapErr("", err), ErrConflict):
			// Anything but a duplicate id (a full disk, an I/O error) may have rolled the
			// transaction back: no row-by-row retry outside it.
			return err
		default:
			if err := ins.oneByOne(chunk); err != nil {
				return err
			}
		}
		off += n
	}
	return nil
}

// oneByOne inserts rows one at a time, skipping the ids that exist.
func (ins *logInserter) oneByOne(rows []usagePending) error {
	if ins.rowStmt == nil {
		var err error
		if ins.rowStmt, err = ins.tx.PrepareContext(ins.ctx, insertLogSQL); err != nil {
			return err
		}
	}
	for _, p := range rows {
		res, err := ins.rowStmt.ExecContext(ins.ctx, appendLogArgs(ins.args[:0], p, true)...)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 1 {
			ins.rollup.addRecord(p.ms, p.r)
		}
	}
	return nil
}
