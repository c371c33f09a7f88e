package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// ErrBackupPostgres is returned by Backup on PostgreSQL, whose own tools (pg_dump) back it up.
var ErrBackupPostgres = errors.New("store: the database is PostgreSQL: back it up with pg_dump")

// Backup writes a consistent copy of the SQLite database to dest, which must not exist, while
// the store keeps serving: VACUUM INTO, on a connection of its own, reads one snapshot
// (writers are not blocked in WAL mode). The copy is created 0600.
func (d *DB) Backup(ctx context.Context, dest string) error {
	if d.dia.postgres {
		return ErrBackupPostgres
	}
	return BackupFile(ctx, d.path, dest)
}

// BackupFile copies the SQLite database at src to dest (which must not exist) with VACUUM
// INTO; src may be in use by a running store.
func BackupFile(ctx context.Context, src, dest string) error {
	if strings.ContainsRune(src, '?') {
		return fmt.Errorf("store: database path %q must not contain '?'", src)
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	// Created empty and private first, so the copy is never readable by others, even briefly.
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	if err := os.Remove(dest); err != nil { // VACUUM INTO wants to create the file itself
		return fmt.Errorf("store: backup: %w", err)
	}
	db, err := sql.Open(driverName, src+"?"+url.Values{"_pragma": {"busy_timeout(10000)"}}.Encode())
	if err != nil {
		return fmt.Errorf("store: backup: open %s: %w", src, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		_ = os.Remove(dest)
		return fmt.Errorf("store: backup of %s: %w", src, err)
	}
	return os.Chmod(dest, 0o600)
}

// CheckFile opens the SQLite database at path read-only and checks that it is whole
// (PRAGMA integrity_check) and one of Conduit's (it has a migration table). It returns the
// number of request log rows.
func CheckFile(ctx context.Context, path string) (logRows int64, err error) {
	if strings.ContainsRune(path, '?') {
		return 0, fmt.Errorf("store: database path %q must not contain '?'", path)
	}
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	db, err := sql.Open(driverName, "file:"+path+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return 0, openError(path, err)
	}
	if res != "ok" {
		return 0, fmt.Errorf("store: %s fails its integrity check: %s", path, res)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM request_logs`).Scan(&logRows); err != nil {
		return 0, fmt.Errorf("store: %s is not a Conduit database: %w", path, err)
	}
	return logRows, nil
}
