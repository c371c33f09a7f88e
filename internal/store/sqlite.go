package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite: one file in the data directory. A DB holds two connection pools on it: a single
// writer connection (SQLite allows one writer at a time; serialising in Go avoids
// SQLITE_BUSY) and a small read-only pool. The database runs in WAL mode, so readers never
// block the writer and vice versa.

const readPoolSize = 4

// Open opens (creating if needed) the database at path and migrates it to the latest schema.
// A file that is not a SQLite database gives an error saying so.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("store: database path %q must not contain '?'", path)
	}
	dia := &dialect{}
	wdb, err := sql.Open(driverName, writerDSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w := newConn(wdb, dia)
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := wdb.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, openError(path, err)
	}
	if err := migrate(ctx, wdb, dia); err != nil {
		_ = w.Close()
		return nil, openError(path, err)
	}

	rdb, err := sql.Open(driverName, readerDSN(path))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r := newConn(rdb, dia)
	rdb.SetMaxOpenConns(readPoolSize)
	rdb.SetMaxIdleConns(readPoolSize)
	rdb.SetConnMaxIdleTime(5 * time.Minute)
	if err := rdb.PingContext(ctx); err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, openError(path, err)
	}
	d := &DB{dia: dia, path: path, w: w, r: r}
	if err := errors.Join(d.upserts.prepare(ctx, w, "usage rollup upsert", rollupUpsertSQL),
		d.prepareLogStmts(ctx),
		d.responses.prepare(ctx, w, "response upsert", putResponsesSQL)); err != nil {
		_ = d.Close()
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
