package store

import (
	"context"
	"strings"
	"time"

	"github.com/conduit-gw/conduit/internal/ids"
)

// The store's writes: the configuration tables edited row by row and the helpers of every
// write (transactions, batches, single statements).

// table is a configuration table edited row by row (providers, deployments, keys, costs):
// rows have an id, a created_at and an updated_at, and are listed oldest first.
type table[T any] struct {
	name   string // SQL table
	noun   string // one row, in errors ("cost")
	cols   string // every column, in the order of scan and of create's values
	prefix string // of new ids
	scan   func(scanner) (T, error)
}

func (t table[T]) list(ctx context.Context, d *DB) ([]T, error) {
	return queryAll(ctx, d.r, "list "+t.noun+"s",
		`SELECT `+t.cols+` FROM `+t.name+` ORDER BY created_at, id`, t.scan)
}

// get returns the row id, or ErrNotFound.
func (t table[T]) get(ctx context.Context, d *DB, id string) (T, error) {
	return queryOne(ctx, d.r, "get "+t.noun, `SELECT `+t.cols+` FROM `+t.name+` WHERE id = ?`,
		t.scan, id)
}

// stamps are where a row's created_at and updated_at go once written.
type stamps struct{ created, updated *time.Time }

// create gives an empty *id a new one and inserts the row of values(ms), ms being now in
// the database's unit; once stored, both stamps are now.
func (t table[T]) create(ctx context.Context, d *DB, id *string, at stamps, values func(ms int64) []any) error {
	if *id == "" {
		*id = ids.New(t.prefix)
	}
	n := now()
	if err := d.exec(ctx, "create "+t.noun, insertSQL(t.name, t.cols), values(toMS(n))...); err != nil {
		return err
	}
	*at.created, *at.updated = n, n
	return nil
}

// update runs set (the SET list of an UPDATE of the table) with args on the row id, stamping
// updated_at; once stored, the stamps are its created_at and now. Unknown id gives
// ErrNotFound.
func (t table[T]) update(ctx context.Context, d *DB, id string, at stamps, set string, args ...any) error {
	n := now()
	var created int64
	err := d.w.QueryRowContext(ctx, `UPDATE `+t.name+` SET `+set+
		`, updated_at = ? WHERE id = ? RETURNING created_at`, append(args, toMS(n), id)...).Scan(&created)
	if err != nil {
		return wrapErr("update "+t.noun, err)
	}
	*at.created, *at.updated = fromMS(created), n
	return nil
}

// delete deletes the row id; unknown id gives ErrNotFound.
func (t table[T]) delete(ctx context.Context, d *DB, id string) error {
	return d.deleteRow(ctx, "delete "+t.noun, t.name, id)
}

// inTx runs fn in a transaction on the writer and commits it; an error from fn or the commit
// rolls it back and is wrapped with op.
func (d *DB) inTx(ctx context.Context, op string, fn func(*txn) error) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return wrapErr(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return wrapErr(op, err)
	}
	return wrapErr(op, tx.Commit())
}

// insertBatch runs the statement q n times, the i-th with the arguments args(i) (nil skips it),
// in one transaction; op names it in its error.
func (d *DB) insertBatch(ctx context.Context, op, q string, n int, args func(i int) []any) error {
	if n == 0 {
		return nil
	}
	return d.inTx(ctx, op, func(tx *txn) error {
		stmt, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range n {
			if a := args(i); a != nil {
				if _, err := stmt.ExecContext(ctx, a...); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// insertSQL is the INSERT of one row into table, with a placeholder for each of cols (a
// comma-separated column list).
func insertSQL(table, cols string) string {
	return `INSERT INTO ` + table + ` (` + cols + `) VALUES (` +
		strings.Repeat("?, ", strings.Count(cols, ",")) + `?)`
}

// fillIDTime gives an empty id a new one with prefix and a zero time now, and truncates the
// time to what the database keeps.
func fillIDTime(id *string, prefix string, t *time.Time) {
	if *id == "" {
		*id = ids.New(prefix)
	}
	if t.IsZero() {
		*t = now()
	}
	*t = t.UTC().Truncate(time.Millisecond)
}

// exec runs the write q with args; op names it in its error.
func (d *DB) exec(ctx context.Context, op, q string, args ...any) error {
	_, err := d.w.ExecContext(ctx, q, args...)
	return wrapErr(op, err)
}

// execCount runs the write q with args and returns how many rows it touched.
func (d *DB) execCount(ctx context.Context, op, q string, args ...any) (int64, error) {
	res, err := d.w.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, wrapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrapErr(op, err)
	}
	return n, nil
}

// execOne runs the write q with args; when it touched no row it gives ErrNotFound.
func (d *DB) execOne(ctx context.Context, op, q string, args ...any) error {
	res, err := d.w.ExecContext(ctx, q, args...)
	if err != nil {
		return wrapErr(op, err)
	}
	return affected(op, res)
}

// deleteRow deletes the row id of table; no such row gives ErrNotFound.
func (d *DB) deleteRow(ctx context.Context, op, table, id string) error {
	return d.execOne(ctx, op, `DELETE FROM `+table+` WHERE id = ?`, id)
}
