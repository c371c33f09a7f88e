package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
)

// On SQLite the log rows of a batch are inserted on the writer's driver connection (inside
// sql.Conn.Raw) by statements prepared on it once: database/sql's work per statement (a new
// []driver.NamedValue converted argument by argument, its locks) is skipped, and the
// statements run without a cancellable context, so the driver starts no goroutine to watch
// one; the caller's context is checked between statements instead.

// logStmtKind is the shape of a log insert: every column, the lean ones, or lean rows of one
// group.
type logStmtKind int

const (
	fullLogs logStmtKind = iota
	leanLogs
	groupLogs
	logStmtKinds
)

// logStmtSQL is the statement of each kind inserting n rows.
var logStmtSQL = [logStmtKinds]func(n int) string{insertLogsSQL, insertLeanLogsSQL, insertGroupLogsSQL}

// logStmts are the log inserts prepared on one driver connection of the writer pool, which
// keeps its single connection for the life of the DB (no idle or lifetime limit).
type logStmts struct {
	mu    sync.Mutex
	conn  any // the driver connection they are prepared on
	multi [logStmtKinds][len(chunkSizes)]driver.Stmt
}

// on makes s the statements prepared on dc, preparing them when dc is not the connection they
// were prepared on. Statements of an earlier connection are left alone: the pool closed it (a
// statement cannot be finalized after its connection), and it drops a connection only when the
// driver reports it broken.
func (s *logStmts) on(ctx context.Context, dc any) error {
	if s.conn == dc {
		return nil
	}
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("driver connection %T cannot prepare statements", dc)
	}
	s.conn, s.multi = nil, [logStmtKinds][len(chunkSizes)]driver.Stmt{}
	var err error
	for k, sqlFor := range logStmtSQL {
		for i, n := range chunkSizes {
			if s.multi[k][i], err = pc.PrepareContext(ctx, sqlFor(n)); err != nil {
				return errors.Join(fmt.Errorf("prepare log insert: %w", err), s.close())
			}
		}
	}
	s.conn = dc
	return nil
}

// close closes the statements (on the connection they were prepared on: inside its Raw).
func (s *logStmts) close() error {
	var errs []error
	for _, kind := range s.multi {
		for _, st := range kind {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
	}
	s.conn, s.multi = nil, [logStmtKinds][len(chunkSizes)]driver.Stmt{}
	return errors.Join(errs...)
}

// prepareLogStmts prepares the log inserts on the writer's connection (Open).
func (d *DB) prepareLogStmts(ctx context.Context) error {
	return d.onWriter(ctx, func(dc any) error { return d.logStmts.on(ctx, dc) })
}

// closeLogStmts closes the log inserts (Close, before the pool).
func (d *DB) closeLogStmts(ctx context.Context) error {
	return d.onWriter(ctx, func(dc any) error {
		if d.logStmts.conn != dc {
			return nil
		}
		return d.logStmts.close()
	})
}

// onWriter runs f with the writer's driver connection and d.logStmts locked.
func (d *DB) onWriter(ctx context.Context, f func(dc any) error) error {
	c, err := d.w.raw.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		d.logStmts.mu.Lock()
		defer d.logStmts.mu.Unlock()
		return f(dc)
	})
}

// inWriterTx is inTx on the writer's connection, which fn also gets (for Raw).
func (d *DB) inWriterTx(ctx context.Context, op string, fn func(*sql.Conn, *txn) error) error {
	c, err := d.w.raw.Conn(ctx)
	if err != nil {
		return wrapErr(op, err)
	}
	defer c.Close()
	raw, err := c.BeginTx(ctx, nil)
	if err != nil {
		return wrapErr(op, err)
	}
	tx := &txn{rebound[*sql.Tx]{raw: raw, dia: d.dia}}
	if err := fn(c, tx); err != nil {
		_ = tx.Rollback()
		return wrapErr(op, err)
	}
	return wrapErr(op, tx.Commit())
}

// logInserter inserts the log rows of a batch on SQLite and adds those actually inserted to
// rollup.
type logInserter struct {
	ctx    context.Context // the caller's
	dc     any             // the driver connection
	stmts  *logStmts
	rollup rollupBatch
	args   []any
	nv     []driver.NamedValue
}

// run inserts the lean and the full rows of a batch on the driver connection dc.
func (ins *logInserter) run(dc any, lean, full []usagePending) error {
	ins.stmts.mu.Lock()
	defer ins.stmts.mu.Unlock()
	ins.dc = dc
	if err := ins.stmts.on(ins.ctx, dc); err != nil {
		return err
	}
	if err := ins.insertLean(lean); err != nil {
		return err
	}
	return ins.insert(fullLogs, full, appendRowsArgs)
}

// argsFunc appends the arguments of a statement inserting rows to args.
type argsFunc func(args []any, rows []usagePending) []any

// appendRowsArgs appends the arguments of rows, each with its columns: every one of a full
// row, the lean ones of a lean row.
func appendRowsArgs(args []any, rows []usagePending) []any {
	for _, p := range rows {
		args = appendLogArgs(args, p, p.full)
	}
	return args
}

// insertLean inserts lean rows: sorted by group and id, the runs of one group of at least
// groupMinRows rows (in multiples of it) with the group statements, the others with the lean
// ones.
func (ins *logInserter) insertLean(rows []usagePending) error {
	rows = sortByGroup(rows)
	var rest []usagePending
	for len(rows) > 0 {
		n := 1
		for n < len(rows) && rows[n].gid == rows[0].gid {
			n++
		}
		take := n / groupMinRows * groupMinRows
		if err := ins.insert(groupLogs, rows[:take], appendGroupArgs); err != nil {
			return err
		}
		rest = append(rest, rows[take:n]...)
		rows = rows[n:]
	}
	return ins.insert(leanLogs, rest, appendRowsArgs)
}

// insert inserts rows with the statements of kind, whose arguments appendArgs appends, and
// adds those inserted to the rollup: all of a chunk but for a retried batch's rows, whose ids
// exist (counted when they were first stored).
func (ins *logInserter) insert(kind logStmtKind, rows []usagePending, appendArgs argsFunc) error {
	for len(rows) > 0 {
		i := chunkIndex(len(rows))
		chunk := rows[:chunkSizes[i]]
		res, err := ins.exec(ins.stmts.multi[kind][i], appendArgs(ins.args[:0], chunk))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		switch {
		case err != nil:
			return err
		case n == int64(len(chunk)):
			ins.rollup.addRows(chunk)
		case n > 0:
			if err := ins.addInserted(chunk, res, n); err != nil {
				return err
			}
		}
		rows = rows[len(chunk):]
	}
	return nil
}

// addInserted adds to the rollup the n rows of chunk that its statement (res) inserted. They
// are the table's last n rows: SQLite gives a new row the largest rowid plus one, so the
// statement's rows have the rowids up to res.LastInsertId. An id twice in the chunk went in
// once, the first time.
func (ins *logInserter) addInserted(chunk []usagePending, res driver.Result, n int64) error {
	last, err := res.LastInsertId()
	if err != nil {
		return err
	}
	q, ok := ins.dc.(driver.QueryerContext)
	if !ok {
		return fmt.Errorf("driver connection %T cannot query", ins.dc)
	}
	rows, err := q.QueryContext(ins.ctx, `SELECT id FROM request_logs WHERE rowid > ?`,
		[]driver.NamedValue{{Ordinal: 1, Value: last - n}})
	if err != nil {
		return err
	}
	defer rows.Close()
	inserted := make(map[string]bool, n)
	dest := make([]driver.Value, 1)
	for {
		if err := rows.Next(dest); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		id, _ := dest[0].(string)
		inserted[id] = true
	}
	if int64(len(inserted)) != n {
		return fmt.Errorf("%d log rows inserted, %d new rows found", n, len(inserted))
	}
	for _, p := range chunk {
		if inserted[p.id] {
			delete(inserted, p.id)
			ins.rollup.addRecord(p.ms, p.r)
		}
	}
	return nil
}

// exec runs st with args, unless the caller's context has ended.
func (ins *logInserter) exec(st driver.Stmt, args []any) (driver.Result, error) {
	if err := ins.ctx.Err(); err != nil {
		return nil, err
	}
	ins.args = args
	ins.nv = ins.nv[:0]
	for i, a := range args {
		ins.nv = append(ins.nv, driver.NamedValue{Ordinal: i + 1, Value: a})
	}
	return st.(driver.StmtExecContext).ExecContext(context.WithoutCancel(ins.ctx), ins.nv)
}
