// Package store persists Conduit's configuration, request logs, notifications and audit trail
// in an embedded SQLite database (modernc.org/sqlite, pure Go).
//
// A DB holds two connection pools on the same file: a single writer connection (SQLite allows
// one writer at a time; serialising in Go avoids SQLITE_BUSY) and a small read-only pool.
// The database runs in WAL mode, so readers never block the writer and vice versa.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors. Every error returned by this package wraps one of these where it applies.
var (
	// ErrNotFound is returned when a record with the given id does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned on a unique violation (duplicate provider name, cost
	// model_pattern, key hash, id).
	ErrConflict = errors.New("conflict")
	// ErrForeignKey is returned when a record references a missing one, e.g. a deployment
	// whose provider_id does not exist.
	ErrForeignKey = errors.New("referenced record does not exist")
)

const readPoolSize = 4

// DB is the SQLite store. It is safe for concurrent use.
type DB struct {
	path    string
	w       *sql.DB // single writer connection
	r       *sql.DB // read-only pool
	upserts chunked // usage_hourly upserts (rollup.go), prepared once on w
	inserts chunked // request_logs inserts (logs.go), prepared once on w
}

// Open opens (creating if needed) the database at path and migrates it to the latest schema.
// A file that is not a SQLite database gives an error saying so.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("store: database path %q must not contain '?'", path)
	}
	w, err := sql.Open(driverName, writerDSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, openError(path, err)
	}
	if err := migrate(ctx, w); err != nil {
		_ = w.Close()
		return nil, openError(path, err)
	}

	r, err := sql.Open(driverName, readerDSN(path))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(readPoolSize)
	r.SetMaxIdleConns(readPoolSize)
	r.SetConnMaxIdleTime(5 * time.Minute)
	if err := r.PingContext(ctx); err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, openError(path, err)
	}
	d := &DB{path: path, w: w, r: r}
	if err := errors.Join(d.upserts.prepare(ctx, w, "usage rollup upsert", rollupUpsertSQL),
		d.inserts.prepare(ctx, w, "log insert", insertLogsSQL)); err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, openError(path, err)
	}
	return d, nil
}

func writerDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)") // statement journals of multi-row inserts: no temp files
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode()
}

func readerDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "query_only(1)")
	return path + "?" + q.Encode()
}

// openError turns low-level open failures into one clear line for the operator.
func openError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("store: %s is not a valid SQLite database (corrupt or not a database file): %w", path, err)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
			return fmt.Errorf("store: cannot open %s (check that the directory exists and is writable): %w", path, err)
		}
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// Close flushes the planner statistics and closes both pools.
func (d *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _ = d.w.ExecContext(ctx, "PRAGMA optimize")
	return errors.Join(d.upserts.close(), d.inserts.close(), d.r.Close(), d.w.Close())
}

// Ping checks that the database answers a query (used by /ready).
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Path returns the database file path.
func (d *DB) Path() string { return d.path }

// SizeBytes returns the size of the database file plus its write-ahead log.
func (d *DB) SizeBytes() int64 {
	var n int64
	for _, p := range []string{d.path, d.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}
