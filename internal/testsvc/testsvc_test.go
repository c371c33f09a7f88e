package testsvc

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestPostgresDatabasesAreSeparate(t *testing.T) {
	ctx := t.Context()
	a, b := Postgres(t), Postgres(t)
	if a == b {
		t.Fatalf("two calls gave the same database %s", a)
	}
	for _, u := range []string{a, b} {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatalf("connect %s: %v", u, err)
		}
		var n int
		err = conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n)
		_ = conn.Close(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("%s: %d tables, %v; want an empty database", u, n, err)
		}
	}
}

func TestRedisStopStart(t *testing.T) {
	r := StartRedis(t)
	if err := ping(r.Addr); err != nil {
		t.Fatalf("ping: %v", err)
	}
	r.Stop()
	if err := ping(r.Addr); err == nil {
		t.Fatal("ping answered after Stop")
	}
	if err := r.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := ping(r.Addr); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
}
