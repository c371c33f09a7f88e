package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// The store runs on two engines: SQLite (embedded, the default) and PostgreSQL (several
// instances on one database). Queries are written once, in the SQL both accept, with ?
// placeholders; what differs is kept here and in the engine files (sqlite.go, postgres.go):
//
//   - placeholders: ? for SQLite, $1, $2, … for PostgreSQL (conn and txn rebind every query);
//   - booleans: INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL (dialect.boolean for literals;
//     Go bool parameters work with both);
//   - times: unix milliseconds in INTEGER / BIGINT columns on both, so time handling is shared;
//   - schemas: migrations/ (SQLite) and migrations_postgres/ (PostgreSQL), with the same
//     version number meaning the same schema;
//   - aggregation: SQLite aggregates usage inside the database with the functions of udf.go;
//     PostgreSQL has none of them, so its summaries aggregate the same rows in Go and its
//     rollup upserts merge the packed stats in Go under the rows' locks (postgres.go);
//   - duplicate ids in a multi-row insert: SQLite skips them (OR IGNORE) and, when it did,
//     finds the rows it inserted by their rowids; PostgreSQL skips them with
//     ON CONFLICT DO NOTHING RETURNING.
type dialect struct {
	postgres bool
	binds    sync.Map // PostgreSQL: query with ? → query with $n
}

// rebind returns q with its ? placeholders numbered for PostgreSQL (SQLite: q itself). No
// query of the store has a ? inside a string literal.
func (d *dialect) rebind(q string) string {
	if !d.postgres {
		return q
	}
	if v, ok := d.binds.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	s := b.String()
	d.binds.Store(q, s)
	return s
}

// boolean is the SQL literal of v.
func (d *dialect) boolean(v bool) string {
	switch {
	case d.postgres && v:
		return "TRUE"
	case d.postgres:
		return "FALSE"
	case v:
		return "1"
	}
	return "0"
}

// querier is what *sql.DB and *sql.Tx share: the statements the store runs.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, q string) (*sql.Stmt, error)
}

// rebound runs the statements of raw with their queries rebound for its engine.
type rebound[Q querier] struct {
	raw Q
	dia *dialect
}

func (b rebound[Q]) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return b.raw.ExecContext(ctx, b.dia.rebind(q), args...)
}

func (b rebound[Q]) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return b.raw.QueryContext(ctx, b.dia.rebind(q), args...)
}

func (b rebound[Q]) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return b.raw.QueryRowContext(ctx, b.dia.rebind(q), args...)
}

func (b rebound[Q]) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return b.raw.PrepareContext(ctx, b.dia.rebind(q))
}

// conn is a connection pool whose queries are rebound for its engine.
type conn struct{ rebound[*sql.DB] }

func newConn(db *sql.DB, dia *dialect) *conn { return &conn{rebound[*sql.DB]{raw: db, dia: dia}} }

// Close closes the pool.
func (c *conn) Close() error { return c.raw.Close() }

func (c *conn) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := c.raw.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{rebound[*sql.Tx]{raw: tx, dia: c.dia}}, nil
}

// txn is a transaction whose queries are rebound for its engine.
type txn struct{ rebound[*sql.Tx] }

func (t *txn) Commit() error   { return t.raw.Commit() }
func (t *txn) Rollback() error { return t.raw.Rollback() }

// StmtContext returns stmt (prepared on the pool) for use in t.
func (t *txn) StmtContext(ctx context.Context, stmt *sql.Stmt) *sql.Stmt {
	return t.raw.StmtContext(ctx, stmt)
}

// rowKey is the cheapest column that identifies a request_logs row: SQLite's rowid (the
// table's b-tree key), PostgreSQL's primary key.
func (d *dialect) rowKey() string {
	if d.postgres {
		return "id"
	}
	return "rowid"
}

// snapshot returns the options of a read-only transaction whose statements all see one
// snapshot (SQLite's transactions always do; PostgreSQL's need REPEATABLE READ).
func (d *dialect) snapshot() *sql.TxOptions {
	if d.postgres {
		return &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	return &sql.TxOptions{ReadOnly: true}
}
