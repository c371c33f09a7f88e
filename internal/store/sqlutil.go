package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// scanner is implemented by *sql.Row and *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// Limits shared by the list methods.
const (
	defaultLimit = 50
	maxLimit     = 1000
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// now is the store's clock: UTC, truncated to what the database keeps (milliseconds).
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func toMS(t time.Time) int64 { return t.UnixMilli() }

func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMS(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func ptrMS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMS(n.Int64)
	return &t
}

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

func ptrFloat(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	f := n.Float64
	return &f
}

func nullInt(i *int) sql.NullInt64 {
	if i == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*i), Valid: true}
}

func ptrInt(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	i := int(n.Int64)
	return &i
}

// compactJSON is raw compacted for a JSON column; empty or null raw is NULL.
func compactJSON(raw []byte) (sql.NullString, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return sql.NullString{}, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: buf.String(), Valid: true}, nil
}

// wrapErr maps driver errors onto the package sentinels and prefixes the operation.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	if sentinel := pgError(err); sentinel != nil {
		return fmt.Errorf("store: %s: %w: %w", op, sentinel, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("store: %s: %w: %w", op, ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("store: %s: %w: %w", op, ErrForeignKey, err)
		}
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// affected returns ErrNotFound when an UPDATE or DELETE touched no row.
func affected(op string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	return nil
}

// queryAll runs q with args on c and scans every row with scan; op names the query in its error.
func queryAll[T any](ctx context.Context, c *conn, op, q string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	out, err := collect(rows, scan)
	return out, wrapErr(op, err)
}

// queryOne runs q with args on c and scans its one row with scan; no row gives ErrNotFound.
func queryOne[T any](ctx context.Context, c *conn, op, q string, scan func(scanner) (T, error), args ...any) (T, error) {
	v, err := scan(c.QueryRowContext(ctx, q, args...))
	if err != nil {
		var zero T
		return zero, wrapErr(op, err)
	}
	return v, nil
}

// collect scans every row with scan; it always returns a non-nil slice on success.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := make([]T, 0)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
