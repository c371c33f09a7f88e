package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/testsvc"
	"github.com/conduit-gw/conduit/internal/usage"
)

// openTest opens a fresh database in a temporary directory, closed when the test ends.
func openTest(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "conduit.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// opener opens a fresh, empty store of one engine, closed when the test ends.
type opener func(testing.TB) *DB

// eachEngine runs test once per engine: SQLite in a temporary directory, PostgreSQL on the
// test binary's server (testsvc: skipped where PostgreSQL is not installed). The suite is the
// same for both; tests of one engine's internals (pragmas, query plans) are not run this way.
func eachEngine(t *testing.T, test func(t *testing.T, openTest opener)) {
	t.Run("sqlite", func(t *testing.T) { test(t, openTest) })
	t.Run("postgres", func(t *testing.T) { test(t, openPostgresTest) })
}

// openPostgresTest opens a store on a new database of the test PostgreSQL server.
func openPostgresTest(tb testing.TB) *DB {
	tb.Helper()
	db, err := OpenPostgres(context.Background(), testsvc.Postgres(tb))
	if err != nil {
		tb.Fatalf("OpenPostgres: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestOpenMigratesIdempotently(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "conduit.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	p := config.Provider{Name: "openai", Type: "openai", Enabled: true}
	if err := db.CreateProvider(ctx, &p); err != nil {
		t.Fatalf("CreateProvider: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i := range 2 {
		db, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if _, err := db.GetProvider(ctx, p.ID); err != nil {
			t.Fatalf("reopen %d: provider lost: %v", i, err)
		}
		var applied, version int64
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version_id) FROM goose_db_version
			WHERE version_id > 0`).Scan(&applied, &version); err != nil {
			t.Fatalf("goose_db_version: %v", err)
		}
		files, _ := fs.Glob(migrationFiles, "migrations/*.sql") // sorted: the last is the newest
		last, _ := strconv.ParseInt(strings.SplitN(filepath.Base(files[len(files)-1]), "_", 2)[0], 10, 64)
		if want := int64(len(files)); applied != want || version != last {
			t.Fatalf("reopen %d: %d migrations applied, version %d; want %d, %d", i, applied, version, want, last)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
}

func TestOpenPragmas(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	var mode string
	var fk, sync int
	if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := db.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if err := db.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || fk != 1 || sync != 1 {
		t.Errorf("journal_mode=%s foreign_keys=%d synchronous=%d; want wal 1 1", mode, fk, sync)
	}
	if _, err := db.r.ExecContext(ctx, "DELETE FROM kv"); err == nil {
		t.Error("read pool accepted a write; want query_only")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte(strings.Repeat("this is not a database\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	db, err := Open(t.Context(), newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(t.Context(),
		`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, path, want string
	}{
		{"corrupt file", corrupt, "not a valid SQLite database"},
		{"missing directory", filepath.Join(dir, "nope", "x.db"), "cannot open"},
		{"newer schema", newer, "newer than this build"},
		{"empty path", "", "empty database path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(t.Context(), tt.path)
			if err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded; want error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %q; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPingAndSize(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "conduit.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if db.SizeBytes() <= 0 {
		t.Errorf("SizeBytes() = %d, want > 0", db.SizeBytes())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(t.Context()); err == nil {
		t.Fatal("Ping after Close succeeded")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	db2 := openTest(t)
	if err := db2.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping(canceled) = %v, want context.Canceled", err)
	}
}

// Closing a store twice (a restart in a test, then its cleanup) is not an error, on either
// engine, also after log rows were written through the writer's own statements.
func TestCloseTwice(t *testing.T) {
	eachEngine(t, func(t *testing.T, openTest opener) {
		db := openTest(t)
		if err := db.InsertLogs(context.Background(), []usage.Record{{ID: "req_close", Time: time.Now().UTC(), Alias: "a", Status: 200}}); err != nil {
			t.Fatalf("InsertLogs: %v", err)
		}
		for i := range 2 {
			if err := db.Close(); err != nil {
				t.Fatalf("Close #%d: %v", i+1, err)
			}
		}
	})
}
