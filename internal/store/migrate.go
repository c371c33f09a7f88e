package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Each engine has its own migrations; a version number means the same schema in both (the
// first PostgreSQL migration is the SQLite schema of the same version in one step).
//
//go:embed migrations/*.sql migrations_postgres/*.sql
var migrationFiles embed.FS

// migrate applies every pending migration of the engine. It refuses a database whose schema
// is newer than this build knows, rather than running against columns it does not understand.
func migrate(ctx context.Context, db *sql.DB, dia *dialect) error {
	dir, gd := "migrations", goose.DialectSQLite3
	if dia.postgres {
		dir, gd = "migrations_postgres", goose.DialectPostgres
	}
	fsys, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	}
	if dia.postgres { // instances starting together migrate one at a time
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("migrations: read schema version: %w", err)
	}
	if current > target {
		return fmt.Errorf("migrations: database schema version %d is newer than this build supports (%d)", current, target)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	for _, r := range results {
		slog.InfoContext(ctx, "store: applied migration",
			"migration", r.Source.Path, "duration", r.Duration)
	}
	return nil
}
