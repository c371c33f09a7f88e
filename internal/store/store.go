// Package store persists Conduit's configuration, request logs, notifications and audit trail
// in an embedded SQLite database (modernc.org/sqlite, pure Go, the default: Open) or in
// PostgreSQL (pgx, for several instances sharing one database: OpenPostgres). Both engines
// are one DB type with the same methods; what differs between them is in dialect.go.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
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

// DB is the store. It is safe for concurrent use.
type DB struct {
	dia     *dialect
	path    string  // the SQLite file, or the PostgreSQL URL without its password
	w       *conn   // writes (SQLite: one connection; PostgreSQL: the pool)
	r       *conn   // reads (SQLite: a read-only pool; PostgreSQL: the same pool as w)
	upserts chunked // usage_hourly upserts (rollup.go), prepared once on w (SQLite)
	inserts chunked // request_logs inserts (loginsert.go), prepared once on w (PostgreSQL)
	// logStmts: the same on SQLite, prepared on the writer's driver connection (logstmts.go)
	logStmts  logStmts
	responses chunked // responses upserts (responses.go), prepared once on w

	closeOnce sync.Once
	closeErr  error
}

// Close closes the pools (SQLite: after flushing the planner statistics). Closing again
// returns what the first Close did.
func (d *DB) Close() error {
	d.closeOnce.Do(func() { d.closeErr = d.close() })
	return d.closeErr
}

func (d *DB) close() error {
	var errs []error
	if !d.dia.postgres {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = d.w.ExecContext(ctx, "PRAGMA optimize")
		errs = append(errs, d.closeLogStmts(ctx))
	}
	errs = append(errs, d.upserts.close(), d.inserts.close(), d.responses.close(), d.w.Close())
	if d.r.raw != d.w.raw {
		errs = append(errs, d.r.Close())
	}
	return errors.Join(errs...)
}

// Postgres reports whether the store is on PostgreSQL.
func (d *DB) Postgres() bool { return d.dia.postgres }

// Ping checks that the database answers a query (used by /ready).
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Path returns the database file path (PostgreSQL: its URL without the password).
func (d *DB) Path() string { return d.path }

// SizeBytes returns the size of the database file plus its write-ahead log (PostgreSQL: of
// the database, 0 if it does not answer within two seconds).
func (d *DB) SizeBytes() int64 {
	if d.dia.postgres {
		return d.pgSize()
	}
	var n int64
	for _, p := range []string{d.path, d.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}
